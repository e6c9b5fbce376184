// Error responses over raw HTTP (README §3–4, auth.md §8, objects.md): status, <Code>, the
// error XML shape, x-oss-err on HEAD, and x-oss-request-id on every response.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { md5Base64, raw, rawSocket, type RawRequest, type RawResponse } from '../helpers/raw-http.js';
import { parseResponses, wire, type WireRequest, type WireResponse } from '../helpers/raw-wire.js';

const B = 'raw-errors';
const REQUEST_ID = /^[0-9A-F]{24}$/;
const xml = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });
let ossd: Ossd;
let host: string;
const statuses: number[] = [];

type AnyResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

function seen<T extends AnyResponse>(res: T): T {
  statuses.push(res.status);
  assert.match(String(res.headers['x-oss-request-id']), REQUEST_ID, `x-oss-request-id on a ${res.status}`);
  return res;
}
const req = async (r: RawRequest): Promise<RawResponse> => seen(await raw(ossd, r));
const wreq = async (r: WireRequest): Promise<WireResponse> => seen(await wire(ossd, r));

/** Asserts the README §4.1 shape and returns the <Error> children. */
function assertError(res: AnyResponse, status: number, code: string, head = false): Record<string, string> {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.body.toString()}`);
  assert.match(String(res.headers['content-type']), /^application\/xml\b/);
  const id = String(res.headers['x-oss-request-id']);
  let text = res.body.toString('utf8');
  if (head) {
    assert.equal(res.body.length, 0, 'a HEAD error has no body');
    assert.equal(typeof res.headers['x-oss-err'], 'string', 'a HEAD error carries x-oss-err');
    text = Buffer.from(String(res.headers['x-oss-err']), 'base64').toString('utf8');
  }
  assert.equal(XMLValidator.validate(text), true, `well-formed XML: ${text}`);
  const doc = xml.parse(text) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(doc), ['Error']);
  const e = doc.Error!;
  assert.equal(e.Code, code);
  assert.ok(typeof e.Message === 'string' && e.Message.length > 0, 'non-empty Message');
  assert.equal(e.RequestId, id);
  assert.equal(e.HostId, host);
  return e;
}

before(async () => {
  ossd = await startOssd();
  host = `127.0.0.1:${ossd.port}`;
  assert.equal((await req({ method: 'PUT', path: `/${B}/` })).status, 200);
  assert.equal((await req({ method: 'PUT', path: `/${B}/exists.txt`, body: 'original' })).status, 200);
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

test('every response carries a 24-hex x-oss-request-id: success, error, health, 304', { timeout: 300_000 }, async () => {
  const health = await req({ method: 'GET', path: '/-/health', sign: 'none' });
  assert.equal(health.status, 200);
  const list = await req({ method: 'GET', path: '/' });
  assert.equal(list.status, 200);
  const get = await req({ method: 'GET', path: `/${B}/exists.txt` });
  assert.equal(get.status, 200);
  const etag = String(get.headers.etag);
  const notModified = await req({ method: 'GET', path: `/${B}/exists.txt`, headers: { 'if-none-match': etag } });
  assert.equal(notModified.status, 304);
  const headNotModified = await req({ method: 'HEAD', path: `/${B}/exists.txt`, headers: { 'if-none-match': etag } });
  assert.equal(headNotModified.status, 304);
  assert.equal(headNotModified.headers['x-oss-err'], undefined, '304 is not an error');
  const missing = await req({ method: 'GET', path: `/${B}/missing` });
  assert.equal(missing.status, 404);
  // A request Node's parser refuses never reaches the pipeline, and is answered all the same.
  const [unparsable] = parseResponses(await rawSocket(ossd, `GET /${B}/ HTTP/1.1\r\nhost: ${host}\r\nno colon in this line\r\n\r\n`));
  assert.equal(seen(unparsable!).status, 400);
  const ids = [health, list, get, notModified, headNotModified, missing, unparsable!].map((r) => r.headers['x-oss-request-id']);
  assert.equal(new Set(ids).size, ids.length, 'request ids are unique');
});

test('bad signature: 403 SignatureDoesNotMatch with the StringToSign', { timeout: 300_000 }, async () => {
  const date = new Date().toUTCString();
  const res = await req({
    method: 'GET', path: `/${B}/exists.txt`, sign: 'none',
    headers: { date, authorization: `OSS ${ossd.accessKeyId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` },
  });
  const e = assertError(res, 403, 'SignatureDoesNotMatch');
  assert.equal(e.StringToSign, `GET\n\n\n${date}\n/${B}/exists.txt`);
  assert.equal(e.SignatureProvided, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  assert.equal(e.OSSAccessKeyId, ossd.accessKeyId);
});

test('unknown access key: 403 InvalidAccessKeyId', { timeout: 300_000 }, async () => {
  const res = await req({ method: 'GET', path: `/${B}/exists.txt`, sign: 'none', headers: { authorization: 'OSS LTAInobodyKnowsThisOne:AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } });
  assertError(res, 403, 'InvalidAccessKeyId');
});

test('malformed Authorization: 400 InvalidArgument', { timeout: 300_000 }, async () => {
  for (const authorization of ['OSS no-colon-here', 'Bearer abc', 'OSS4-HMAC-SHA256 Credential', 'OSS :sig']) {
    const res = await req({ method: 'GET', path: `/${B}/exists.txt`, sign: 'none', headers: { authorization } });
    assertError(res, 400, 'InvalidArgument');
  }
});

test('missing or unparseable Date: 403 AccessDenied', { timeout: 300_000 }, async () => {
  const noDate = await wreq({ method: 'GET', path: `/${B}/exists.txt` });
  assertError(noDate, 403, 'AccessDenied');
  const badDate = await req({ method: 'GET', path: `/${B}/exists.txt`, headers: { date: 'yesterday at noon' } });
  assertError(badDate, 403, 'AccessDenied');
});

test('Date 20 minutes off: 403 RequestTimeTooSkewed with ServerTime', { timeout: 300_000 }, async () => {
  for (const offset of [-20 * 60_000, 20 * 60_000]) {
    const res = await req({ method: 'GET', path: `/${B}/exists.txt`, headers: { date: new Date(Date.now() + offset).toUTCString() } });
    const e = assertError(res, 403, 'RequestTimeTooSkewed');
    assert.match(e.ServerTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.ok(Math.abs(Date.parse(e.ServerTime!) - Date.now()) < 10_000, 'ServerTime is the server clock');
  }
});

test('anonymous ListBuckets: 403 AccessDenied', { timeout: 300_000 }, async () => {
  assertError(await req({ method: 'GET', path: '/', sign: 'none' }), 403, 'AccessDenied');
  assertError(await req({ method: 'GET', path: '//', sign: 'none' }), 403, 'AccessDenied');
});

test('NoSuchBucket carries <BucketName>, NoSuchKey carries <Key>', { timeout: 300_000 }, async () => {
  assert.equal(assertError(await req({ method: 'GET', path: '/no-such-bucket-1/' }), 404, 'NoSuchBucket').BucketName, 'no-such-bucket-1');
  assert.equal(assertError(await req({ method: 'GET', path: '/no-such-bucket-1/k' }), 404, 'NoSuchBucket').BucketName, 'no-such-bucket-1');
  assert.equal(assertError(await req({ method: 'GET', path: `/${B}/dir/missing.txt` }), 404, 'NoSuchKey').Key, 'dir/missing.txt');
});

test('HEAD errors: status, no body, x-oss-err holds the error XML', { timeout: 300_000 }, async () => {
  const e = assertError(await req({ method: 'HEAD', path: `/${B}/missing.txt` }), 404, 'NoSuchKey', true);
  assert.equal(e.Key, 'missing.txt');
  assertError(await req({ method: 'HEAD', path: '/no-such-bucket-2/k' }), 404, 'NoSuchBucket', true);
  const badSig = await req({ method: 'HEAD', path: `/${B}/exists.txt`, sign: 'none', headers: { authorization: `OSS ${ossd.accessKeyId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` } });
  assertError(badSig, 403, 'SignatureDoesNotMatch', true);
  // On the wire: nothing at all after the head, even though Content-Length is not the object size.
  const w = await wire(ossd, { method: 'HEAD', path: `/${B}/missing.txt`, headers: { date: new Date().toUTCString() } });
  assert.equal(w.status, 404);
  assert.ok(w.raw.endsWith('\r\n\r\n'), 'no body bytes after a HEAD error');
});

test('invalid bucket names: 400 InvalidBucketName', { timeout: 300_000 }, async () => {
  for (const path of ['/AB/', '/a/', '/-x-/', '/ab_c/', `/${'a'.repeat(64)}/`, '/AB/key.txt']) {
    assertError(await req({ method: 'GET', path }), 400, 'InvalidBucketName');
  }
  assertError(await req({ method: 'PUT', path: '/Bad-Bucket/' }), 400, 'InvalidBucketName');
});

test('invalid object names: too long, invalid UTF-8, leading backslash or slash', { timeout: 300_000 }, async () => {
  const ok = await req({ method: 'PUT', path: `/${B}/${'k'.repeat(1023)}`, body: 'x' });
  assert.equal(ok.status, 200, '1023 bytes is allowed');
  assertError(await req({ method: 'PUT', path: `/${B}/${'k'.repeat(1024)}`, body: 'x' }), 400, 'InvalidObjectName');
  // 342 × 3-byte characters = 1026 bytes although only 342 characters.
  assertError(await req({ method: 'PUT', path: `/${B}/${encodeURIComponent('日'.repeat(342))}`, body: 'x' }), 400, 'InvalidObjectName');
  assertError(await req({ method: 'GET', path: `/${B}/%FF%FE` }), 400, 'InvalidObjectName');
  assertError(await req({ method: 'PUT', path: `/${B}/a%C3`, body: 'x' }), 400, 'InvalidObjectName');
  assertError(await req({ method: 'PUT', path: `/${B}/%5Cwindows`, body: 'x' }), 400, 'InvalidObjectName');
  assertError(await req({ method: 'PUT', path: `/${B}//rooted`, body: 'x' }), 400, 'InvalidObjectName');
  assertError(await req({ method: 'HEAD', path: `/${B}/%5Cwindows` }), 400, 'InvalidObjectName', true);
});

test('dot-dot keys are plain keys and nothing escapes the data folder', { timeout: 300_000 }, async () => {
  const outside = join(dirname(ossd.dataDir), 'etc');
  const existedBefore = existsSync(outside);
  const put = async (path: string, body: string): Promise<void> => assert.equal((await req({ method: 'PUT', path: `/${B}/${path}`, body })).status, 200);
  const get = async (path: string): Promise<string> => {
    const r = await req({ method: 'GET', path: `/${B}/${path}` });
    assert.equal(r.status, 200, `GET ${path}`);
    return r.text;
  };
  await put('..', 'dots');
  assert.equal(await get('%2e%2e'), 'dots', "'..' and '%2e%2e' are the same key");
  await put('%2E%2E', 'dots2');
  assert.equal(await get('..'), 'dots2');
  await put('../../etc/passwd', 'not a passwd');
  assert.equal(await get('..%2F..%2Fetc%2Fpasswd'), 'not a passwd');
  await put('a/../b', 'ab');
  assert.equal(await get('a/../b'), 'ab');
  assertError(await req({ method: 'GET', path: `/${B}/b` }), 404, 'NoSuchKey');
  const listing = await req({ method: 'GET', path: `/${B}/?prefix=..` });
  assert.deepEqual([...listing.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['..', '../../etc/passwd']);
  // The data folder holds only the store's own files; blobs are named by id, never by key.
  const allowed = /^(meta\.db(-wal|-shm|-journal)?|blobs|staging|root-credentials\.json|reserve|append-log|ossd\.lock)$/;
  for (const name of readdirSync(ossd.dataDir)) assert.match(name, allowed);
  for (const shard of readdirSync(join(ossd.dataDir, 'blobs'))) {
    assert.match(shard, /^[0-9a-f]{2}$/);
    for (const blob of readdirSync(join(ossd.dataDir, 'blobs', shard))) assert.match(blob, /^[0-9a-f]{32}$/);
  }
  assert.equal(existsSync(outside), existedBefore, 'nothing created beside the data folder');
});

test('unsupported features: 501 NotImplemented', { timeout: 300_000 }, async () => {
  for (const [method, path] of [
    ['GET', `/${B}/?logging`], ['PUT', `/${B}/?website`], ['GET', `/${B}/?lifecycle`], ['DELETE', `/${B}/?lifecycle`],
    ['GET', `/${B}/exists.txt?x-oss-process=image/resize,w_100`],
  ] as const) {
    assertError(await req({ method, path }), 501, 'NotImplemented');
  }
});

test('POST on an object without ?append: 405 MethodNotAllowed', { timeout: 300_000 }, async () => {
  assertError(await req({ method: 'POST', path: `/${B}/exists.txt`, body: 'x' }), 405, 'MethodNotAllowed');
  assertError(await req({ method: 'POST', path: `/${B}/exists.txt?position=0`, body: 'x' }), 405, 'MethodNotAllowed');
});

test('PUT with neither Content-Length nor chunked: 411 MissingContentLength', { timeout: 300_000 }, async () => {
  const res = await wreq({ method: 'PUT', path: `/${B}/no-length.txt`, headers: { date: new Date().toUTCString() } });
  assertError(res, 411, 'MissingContentLength');
  assertError(await req({ method: 'HEAD', path: `/${B}/no-length.txt` }), 404, 'NoSuchKey', true);
});

test('Content-MD5 mismatch or malformed: 400 InvalidDigest, nothing stored', { timeout: 300_000 }, async () => {
  const cases = [md5Base64('something else'), 'not base64 at all!', Buffer.alloc(15).toString('base64'), md5Base64('changed').slice(0, -2)];
  for (const md5 of cases) {
    const res = await req({ method: 'PUT', path: `/${B}/exists.txt`, body: 'changed', headers: { 'content-md5': md5 } });
    assertError(res, 400, 'InvalidDigest');
  }
  assert.equal((await req({ method: 'GET', path: `/${B}/exists.txt` })).text, 'original');
});

const deleteBody = (keys: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;

test('DeleteMultipleObjects: MalformedXML, InvalidDigest, more than 1000 keys', { timeout: 300_000 }, async () => {
  const post = (body: string, md5?: string): Promise<RawResponse> =>
    req({ method: 'POST', path: `/${B}/?delete`, body, headers: md5 === undefined ? { 'content-type': 'application/xml' } : { 'content-type': 'application/xml', 'content-md5': md5 } });
  const broken = '<Delete><Object><Key>exists.txt</Key></Object>';
  assertError(await post(broken, md5Base64(broken)), 400, 'MalformedXML');
  const wrongRoot = '<Remove><Object><Key>exists.txt</Key></Object></Remove>';
  assertError(await post(wrongRoot, md5Base64(wrongRoot)), 400, 'MalformedXML');
  const good = deleteBody(['exists.txt']);
  assertError(await post(good), 400, 'InvalidDigest');
  assertError(await post(good, md5Base64('other')), 400, 'InvalidDigest');
  const many = deleteBody(Array.from({ length: 1001 }, (_, i) => (i === 0 ? 'exists.txt' : `k${i}`)));
  assertError(await post(many, md5Base64(many)), 400, 'MalformedXML');
  assert.equal((await req({ method: 'GET', path: `/${B}/exists.txt` })).text, 'original', 'nothing was deleted');
});

test('PutBucket: malformed XML body, bad x-oss-acl', { timeout: 300_000 }, async () => {
  const body = '<CreateBucketConfiguration><StorageClass>Standard</Storage>';
  assertError(await req({ method: 'PUT', path: '/new-bucket-1/', body }), 400, 'MalformedXML');
  assertError(await req({ method: 'PUT', path: '/new-bucket-1/', headers: { 'x-oss-acl': 'public' } }), 400, 'InvalidArgument');
  assertError(await req({ method: 'GET', path: '/new-bucket-1/?bucketInfo' }), 404, 'NoSuchBucket');
  assertError(await req({ method: 'PUT', path: `/${B}/?acl`, headers: { 'x-oss-acl': 'everyone' } }), 400, 'InvalidArgument');
});

test('listing: bad max-keys and continuation-token: 400 InvalidArgument', { timeout: 300_000 }, async () => {
  for (const q of ['max-keys=abc', 'max-keys=1001', 'max-keys=-1', 'list-type=2&max-keys=abc', 'list-type=2&max-keys=1001']) {
    assertError(await req({ method: 'GET', path: `/${B}/?${q}` }), 400, 'InvalidArgument');
  }
  assertError(await req({ method: 'GET', path: '/?max-keys=abc' }), 400, 'InvalidArgument');
  // An empty token is no token: oss2 sends `continuation-token=` on every first page (raw-sdk-details.test.ts).
  for (const token of ['!!!', 'a%20b']) {
    assertError(await req({ method: 'GET', path: `/${B}/?list-type=2&continuation-token=${token}` }), 400, 'InvalidArgument');
  }
});

test('bad x-oss-forbid-overwrite: 400 InvalidArgument, object untouched', { timeout: 300_000 }, async () => {
  const res = await req({ method: 'PUT', path: `/${B}/exists.txt`, body: 'changed', headers: { 'x-oss-forbid-overwrite': 'yes' } });
  assertError(res, 400, 'InvalidArgument');
  assert.equal((await req({ method: 'GET', path: `/${B}/exists.txt` })).text, 'original');
});

test('CopyObject: bad x-oss-metadata-directive and malformed x-oss-copy-source: 400 InvalidArgument', { timeout: 300_000 }, async () => {
  const copy = (headers: Record<string, string>): Promise<RawResponse> => req({ method: 'PUT', path: `/${B}/copy-dest.txt`, headers });
  assertError(await copy({ 'x-oss-copy-source': `/${B}/exists.txt`, 'x-oss-metadata-directive': 'MOVE' }), 400, 'InvalidArgument');
  for (const source of ['exists.txt', `/${B}`, `/${B}/`, `/${B}/%ZZ`]) {
    assertError(await copy({ 'x-oss-copy-source': source }), 400, 'InvalidArgument');
  }
  assertError(await req({ method: 'HEAD', path: `/${B}/copy-dest.txt` }), 404, 'NoSuchKey', true);
});

test('no response in this file was a 5xx', { timeout: 300_000 }, () => {
  assert.ok(statuses.length > 60, `requests were recorded (${statuses.length})`);
  assert.deepEqual(statuses.filter((s) => s >= 500 && s !== 501), []);
});
