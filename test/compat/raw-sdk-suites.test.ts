// What the official SDKs' own test suites and examples sent that ossd answered wrongly
// (issue 16; docs/sdk-compatibility.md lists the runs). Each case sends the bytes the SDK
// sends, over raw HTTP signed with the independent V1 signer. (`GET /?regionList` and the
// ListBuckets prefix check that oss2 and Go v1 also needed are helper keys16's, with their
// test in raw-list-buckets-params.test.ts.)
//
// - oss2 tests/test_bucket.py test_invalid_argument: PutBucketCors with
//   `<MaxAgeSeconds>-1</MaxAgeSeconds>` is InvalidArgument naming the element and its value
//   (`ArgumentName`, `ArgumentValue`); ossd left out ArgumentValue: fails without it: checked.
// - aliyun-oss-go-sdk oss/client_test.go TestCreateBucketXml: CreateBucketXml with a body
//   indented in a Go raw string, whitespace before `<?xml`; OSS creates the bucket (IA),
//   ossd answered MalformedXML: fails without the trim in src/protocol/xml/parse.ts: checked.
// - alibabacloud-oss-go-sdk-v2 TestListBuckets: ListBucketsRequest.Tagging sends
//   `GET /?tagging=%22k%22%3A%22v%22`; ossd answered 501 NotImplemented: fails without the
//   ListBuckets tagging row and parseTaggingFilter (src/handlers/bucket.ts): checked.
// - alibabacloud-oss-go-sdk-v2 TestDeleteObject: DeleteObject with `versionId=null` on a
//   bucket that never had versioning answers no x-oss-version-id; ossd sent `null`: fails
//   without the check in ObjectStore.delete (src/engine/objects.ts): checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw } from '../helpers/raw-http.js';

let ossd: Ossd;

/** The text of one element of an XML answer. */
const element = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe('what the official SDK suites send', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    for (const b of ['suite-a', 'suite-b']) assert.equal((await raw(ossd, { method: 'PUT', path: `/${b}/` })).status, 200);
  });

  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('Go v1 CreateBucketXml: whitespace before the XML declaration is accepted', async () => {
    const body = '\n        <?xml version="1.0" encoding="UTF-8"?>\n        <CreateBucketConfiguration>\n'
      + '            <StorageClass>IA</StorageClass>\n        </CreateBucketConfiguration>\n        ';
    const res = await raw(ossd, { method: 'PUT', path: '/suite-xml/', body });
    assert.equal(res.status, 200, res.text);
    const info = await raw(ossd, { method: 'GET', path: '/suite-xml/?bucketInfo' });
    assert.equal(element(info.text, 'StorageClass'), 'IA');
    // Whitespace is only skipped before a declaration; other junk stays MalformedXML.
    assertErr(await raw(ossd, { method: 'PUT', path: '/suite-xml2/', body: 'x<?xml version="1.0"?><CreateBucketConfiguration/>' }), 400, 'MalformedXML');
    assertErr(await raw(ossd, { method: 'GET', path: '/suite-xml2/?bucketInfo' }), 404, 'NoSuchBucket');
  });

  test('Go v2 ListBuckets Tagging: ?tagging="k":"v" lists the buckets carrying every pair', async () => {
    const tags = (pairs: Array<[string, string]>): string =>
      `<Tagging><TagSet>${pairs.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
    assert.equal((await raw(ossd, { method: 'PUT', path: '/suite-a/?tagging', body: tags([['k', 'v'], ['team', 'red']]) })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: '/suite-b/?tagging', body: tags([['k', 'v']]) })).status, 200);
    const names = async (query: string): Promise<string[]> => {
      const res = await raw(ossd, { method: 'GET', path: `/?${query}` });
      assert.equal(res.status, 200, res.text);
      return [...res.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]!);
    };
    // The bytes the Go v2 SDK sends: the query value percent-encoded.
    assert.deepEqual(await names('prefix=suite-&tagging=%22k%22%3A%22v%22'), ['suite-a', 'suite-b']);
    assert.deepEqual(await names(`tagging=${encodeURIComponent('"k":"v","team":"red"')}`), ['suite-a']);
    assert.deepEqual(await names(`tagging=${encodeURIComponent('"k":"other"')}`), []);
    for (const bad of ['k:v', '"k":1', '"k"', '{"k":"v"}']) {
      assertErr(await raw(ossd, { method: 'GET', path: `/?tagging=${encodeURIComponent(bad)}` }), 400, 'InvalidArgument');
    }
    assertErr(await raw(ossd, { method: 'GET', path: `/?tagging=${encodeURIComponent('"k":"v"')}&tag-key=k` }), 400, 'InvalidArgument');
  });

  test('Go v2 DeleteObject versionId=null on a bucket without versioning: 204 and no x-oss-version-id', async () => {
    assert.equal((await raw(ossd, { method: 'PUT', path: '/suite-a/obj', body: 'x' })).status, 200);
    const res = await raw(ossd, { method: 'DELETE', path: '/suite-a/obj?versionId=null' });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers['x-oss-version-id'], undefined);
    assert.equal(res.headers['x-oss-delete-marker'], undefined);
    assertErr(await raw(ossd, { method: 'GET', path: '/suite-a/obj' }), 404, 'NoSuchKey');
  });

  test('oss2 put_bucket_cors with MaxAgeSeconds -1: InvalidArgument with ArgumentName and ArgumentValue', async () => {
    // oss2's body (oss2/xml_utils.py to_put_bucket_cors): no prolog, one rule.
    const body = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>'
      + '<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>';
    const res = await raw(ossd, { method: 'PUT', path: '/suite-a/?cors=', body });
    assertErr(res, 400, 'InvalidArgument');
    assert.equal(element(res.text, 'ArgumentName'), 'MaxAgeSeconds');
    assert.equal(element(res.text, 'ArgumentValue'), '-1');
    // Nothing was stored.
    assertErr(await raw(ossd, { method: 'GET', path: '/suite-a/?cors=' }), 404, 'NoSuchCORSConfiguration');
  });
});
