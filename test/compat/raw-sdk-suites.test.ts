// What the official SDKs' own test suites and examples sent that ossd answered wrongly
// (issue 16; docs/sdk-compatibility.md lists the runs). Each case sends the bytes the SDK
// sends, over raw HTTP signed with the independent V1 signer.
//
// - oss2 examples/bucket.py and tests/test_bucket.py test_list_buckets_with_region_list:
//   `GET /?regionList=` ("list the buckets, single-region case") is ListBuckets. ossd
//   answered 501 NotImplemented: fails without the ListBuckets regionList row in
//   src/protocol/operations.ts: checked.
// - oss2 tests/test_bucket.py test_invalid_argument: PutBucketCors with
//   `<MaxAgeSeconds>-1</MaxAgeSeconds>` is InvalidArgument naming the element and its value
//   (`ArgumentName`, `ArgumentValue`); ossd left out ArgumentValue: fails without it: checked.
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

  test('oss2 list_buckets(params={"regionList": ""}): GET /?regionList= lists the buckets', async () => {
    const res = await raw(ossd, { method: 'GET', path: '/?regionList=' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /^<\?xml[^>]*\?>\s*<ListAllMyBucketsResult>/);
    const names = [...res.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
    assert.deepEqual(names, ['suite-a', 'suite-b']);
    // The listing parameters still apply.
    const page = await raw(ossd, { method: 'GET', path: '/?regionList=&prefix=suite-b' });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual([...page.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]), ['suite-b']);
  });

  test('regionList names ListBuckets only: other methods at the service stay 501 NotImplemented', async () => {
    assertErr(await raw(ossd, { method: 'PUT', path: '/?regionList=' }), 501, 'NotImplemented');
    assertErr(await raw(ossd, { method: 'DELETE', path: '/?regionList=' }), 501, 'NotImplemented');
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
