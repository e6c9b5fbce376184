// Object keys holding C0 control characters (issue 16, "Object keys"): OSS takes any UTF-8
// of 1–1023 bytes not starting with '/' or '\', and both official Go SDKs store, list and
// batch-delete "go-sdk…\x01\x02…\x1F" in their integration tests (bucket_test.go); ossd
// refused every one of them with 400 InvalidObjectName before the fix (checked: the first
// test failed at its first PUT). Each request sends the bytes the Go SDKs send: the key
// percent-encoded in the path (url.QueryEscape, '+' as %20), the copy source and the symlink
// target QueryEscape'd, listings asked with encoding-type=url and read back as Go's
// url.QueryUnescape does.
// U+0000 stays refused (docs/errors.md): no XML can name it, not even as a reference.
// Fails when names.ts refuses C0 controls again, or accepts NUL: checked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { multipartBody } from '../helpers/post-form.js';
import { raw } from '../helpers/raw-http.js';
import { listingXml, strictXml, type Answer, type KeepAliveClient, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

const B = 'ctl-keys';
const OPEN = 'ctl-keys-open';
/** Every C0 control but NUL, and DEL: the Go SDKs' test key, DEL added. */
const CONTROLS = Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)).join('') + '\u007f';
const KEY = `go-sdk-v1${CONTROLS}`;

/** Go's url.QueryEscape, then '+' → %20 (aliyun-oss-go-sdk conn.go): every control byte becomes %XX. */
function goEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
/** Go's url.QueryUnescape, which both Go SDKs apply to every encoded listing field ('+' is a space). */
function goUnescape(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}
const path = (key: string, query = ''): string => `/${B}/${goEscape(key)}${query}`;

const { ossd, client } = useKeepAliveOssd(async () => {
  assert.equal((await send('PUT', `/${B}/`)).status, 200);
  assert.equal((await send('PUT', `/${OPEN}/`, { headers: { 'x-oss-acl': 'public-read-write' } })).status, 200);
});
const send = (method: string, p: string, o?: Parameters<KeepAliveClient['send']>[2]): Promise<Answer> => client.send(method, p, o);

describe('keys with every C0 control character and DEL', { timeout: 120_000 }, () => {
  test('PUT, GET, HEAD, DELETE (V4 and V1 signed), append', async () => {
    const put = await send('PUT', path(KEY), { body: 'value test 0x20 \v' });
    assert.equal(put.status, 200, put.text);
    const get = await send('GET', path(KEY));
    assert.equal(get.status, 200, get.text);
    assert.equal(get.text, 'value test 0x20 \v');
    assert.equal((await send('HEAD', path(KEY))).headers['content-length'], '17');
    // V1 signs the decoded key in the canonical resource (auth.md §2.3), controls and all.
    const v1 = await raw(ossd, { method: 'GET', path: path(KEY) });
    assert.equal(v1.status, 200, v1.text);
    assert.equal(v1.text, 'value test 0x20 \v');
    for (const ch of CONTROLS) {
      const one = `single-${ch}-end`;
      assert.equal((await send('PUT', path(one), { body: 'x' })).status, 200, `U+${ch.charCodeAt(0).toString(16)}`);
      assert.equal((await send('GET', path(one))).text, 'x');
      assert.equal((await send('DELETE', path(one))).status, 204);
      assert.equal((await send('HEAD', path(one))).status, 404);
    }
    const app = `append${CONTROLS}`;
    const a1 = await send('POST', path(app, '?append&position=0'), { body: 'ab' });
    assert.equal(a1.status, 200, a1.text);
    assert.equal(a1.headers['x-oss-next-append-position'], '2');
    assert.equal((await send('POST', path(app, '?append&position=2'), { body: 'cd' })).status, 200);
    assert.equal((await send('GET', path(app))).text, 'abcd');
    assert.equal((await send('DELETE', path(app))).status, 204);
  });

  test('U+0000 is refused: 400 InvalidObjectName without an EC, nothing stored', async () => {
    for (const p of [`/${B}/a%00b`, `/${B}/%00`, `/${B}/go-sdk%00%01`]) {
      const res = await send('PUT', p, { body: 'x' });
      assert.equal(res.status, 400, res.text);
      assert.equal(strictXml(res.text).Code?.[0], 'InvalidObjectName');
      assert.equal(res.headers['x-oss-ec'], undefined, 'OSS documents no EC for this cause');
    }
    const list = await send('GET', `/${B}/?prefix=a&encoding-type=url`);
    assert.deepEqual(strictXml(list.text).Key ?? [], []);
  });

  test('CopyObject and UploadPartCopy with the key in x-oss-copy-source (QueryEscape\'d)', async () => {
    const source = `copy-src${CONTROLS}`;
    const dest = `copy-dst${CONTROLS}`;
    assert.equal((await send('PUT', path(source), { body: 'copied bytes' })).status, 200);
    const copy = await send('PUT', path(dest), { headers: { 'x-oss-copy-source': `/${B}/${goEscape(source)}` } });
    assert.equal(copy.status, 200, copy.text);
    assert.equal((await send('GET', path(dest))).text, 'copied bytes');

    const init = await send('POST', path(dest, '?uploads&encoding-type=url'));
    const uploadId = strictXml(init.text).UploadId?.[0] ?? '';
    const part = await send('PUT', path(dest, `?partNumber=1&uploadId=${uploadId}`), { headers: { 'x-oss-copy-source': `/${B}/${goEscape(source)}` } });
    assert.equal(part.status, 200, part.text);
    assert.equal((await send('DELETE', path(dest, `?uploadId=${uploadId}`))).status, 204);
  });

  test('multipart: Initiate, UploadPart, ListParts, ListMultipartUploads, Complete, with and without encoding-type=url', async () => {
    const key = `multi${CONTROLS}`;
    const init = await send('POST', path(key, '?uploads&encoding-type=url'));
    assert.equal(init.status, 200, init.text);
    const i = strictXml(init.text);
    assert.deepEqual(i.EncodingType, ['url']);
    assert.equal(goUnescape(i.Key?.[0] ?? ''), key);
    const uploadId = i.UploadId?.[0] ?? '';
    // Without encoding-type the key is written with character references, as OSS's listings are.
    const plain = await send('POST', path(key, '?uploads'));
    assert.equal(listingXml(plain.text).Key?.[0], key);
    assert.equal((await send('DELETE', path(key, `?uploadId=${listingXml(plain.text).UploadId?.[0]}`))).status, 204);

    const part = await send('PUT', path(key, `?partNumber=1&uploadId=${uploadId}`), { body: 'part one' });
    assert.equal(part.status, 200, part.text);
    const parts = strictXml((await send('GET', path(key, `?uploadId=${uploadId}&encoding-type=url`))).text);
    assert.equal(goUnescape(parts.Key?.[0] ?? ''), key);
    assert.equal(listingXml((await send('GET', path(key, `?uploadId=${uploadId}`))).text).Key?.[0], key);

    const uploads = strictXml((await send('GET', `/${B}/?uploads&encoding-type=url&prefix=multi`)).text);
    assert.deepEqual(uploads.Key?.map(goUnescape), [key]);

    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
    const done = await send('POST', path(key, `?uploadId=${uploadId}&encoding-type=url`), { body });
    assert.equal(done.status, 200, done.text);
    const c = strictXml(done.text);
    assert.equal(goUnescape(c.Key?.[0] ?? ''), key);
    // Location is a URL: its key percent-encoded once, no control byte written raw.
    assert.match(c.Location?.[0] ?? '', /\/multi%01%02%03/);
    assert.equal((await send('GET', path(key))).text, 'part one');
  });

  test('symlink to a target with controls: PutSymlink, GetSymlink (target header percent-encoded), GET through the link', async () => {
    const target = `target${CONTROLS}`;
    const link = `link${CONTROLS}`;
    assert.equal((await send('PUT', path(target), { body: 'pointed at' })).status, 200);
    const put = await send('PUT', path(link, '?symlink'), { headers: { 'x-oss-symlink-target': goEscape(target) } });
    assert.equal(put.status, 200, put.text);
    const got = await send('GET', path(link, '?symlink'));
    assert.equal(got.status, 200, got.text);
    assert.equal(goUnescape(String(got.headers['x-oss-symlink-target'])), target);
    assert.equal((await send('GET', path(link))).text, 'pointed at');
  });

  test('object tagging and object ACL', async () => {
    const key = `tagged${CONTROLS}`;
    assert.equal((await send('PUT', path(key), { body: 'tags' })).status, 200);
    const tagging = '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>';
    assert.equal((await send('PUT', path(key, '?tagging'), { body: tagging })).status, 200);
    assert.deepEqual(strictXml((await send('GET', path(key, '?tagging'))).text).Value, ['v']);
    assert.equal((await send('PUT', path(key, '?acl'), { headers: { 'x-oss-object-acl': 'public-read' } })).status, 200);
    assert.deepEqual(strictXml((await send('GET', path(key, '?acl'))).text).Grant, ['public-read']);
    const anonymous = await send('GET', path(key), { sign: 'none' });
    assert.equal(anonymous.status, 200, anonymous.text);
    assert.equal(anonymous.text, 'tags');
  });

  test('PostObject with the key form field holding controls (anonymous, public-read-write bucket)', async () => {
    const key = `posted${CONTROLS}`;
    const { body, contentType } = multipartBody([
      { name: 'key', value: key },
      { name: 'success_action_status', value: '201' },
      { name: 'file', value: 'form bytes', filename: 'f.bin' },
    ]);
    const res = await send('POST', `/${OPEN}/`, { body, headers: { 'content-type': contentType }, sign: 'none' });
    assert.equal(res.status, 201, res.text);
    assert.equal(listingXml(res.text).Key?.[0], key);
    const get = await send('GET', `/${OPEN}/${goEscape(key)}`);
    assert.equal(get.text, 'form bytes');
  });
});
