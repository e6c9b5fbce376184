// The C++ SDK's wire format (README §1.1, §2, sdk-usage.md §3, auth.md §4): `GET //`
// ListBuckets, path style with Host IP:PORT, Content-Type: application/xml on bodyless
// requests, chunked PutObject checked against its CRC, `%2F` inside keys, V4 with Date +
// x-oss-date + UNSIGNED-PAYLOAD, and Expect: 100-continue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { errorCode, raw, type RawRequest, type RawResponse } from '../helpers/raw-http.js';
import { openWire, parseResponses, wireBytes } from '../helpers/raw-wire.js';
import { authorizationV4, canonicalRequestV4, rawV4, signatureV4, stringToSignV4, type V4Input } from '../helpers/raw-v4.js';

const B = 'cpp-wire';
const XML = { 'content-type': 'application/xml' };
let ossd: Ossd;
const req = (r: RawRequest): Promise<RawResponse> => raw(ossd, r);

/** CRC-64/XZ (crc64.md), table-driven over BigInt: independent of the server's code. */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = BigInt(n);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
  return c;
});
function crc64(buf: Buffer): string {
  let c = 0xffffffffffffffffn;
  for (const b of buf) c = TABLE[Number((c ^ BigInt(b)) & 0xffn)]! ^ (c >> 8n);
  return (c ^ 0xffffffffffffffffn).toString();
}

before(async () => {
  ossd = await startOssd();
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

test('V4 helper reproduces auth.md §9 vectors V4-1 and V4-2', { timeout: 300_000 }, () => {
  const v41: V4Input = {
    accessKeyId: 'AKIDEXAMPLE', secret: 'SECRETEXAMPLE0123456789', region: 'cn-hangzhou', method: 'POST',
    resource: '/examplebucket/logs/app.log', query: [['append', ''], ['position', '0']], timestamp: '20250115T080000Z',
    headers: {
      'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==', 'Content-Type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-date': '20250115T080000Z', 'x-oss-meta-author': 'alice', 'User-Agent': 'aliyun-sdk-cpp/1.10.1 (Linux)',
    },
  };
  assert.equal(canonicalRequestV4(v41), 'POST\n/examplebucket/logs/app.log\nappend&position=0\ncontent-md5:XUFAKrxLKna5cZ2REBfFkg==\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20250115T080000Z\nx-oss-meta-author:alice\n\n\nUNSIGNED-PAYLOAD');
  assert.equal(stringToSignV4(v41).split('\n')[3], 'c3e94aa78cee0e2f044f383282fc9d0fe374efe38bee0ec7d14d677fe4ce0a13');
  assert.equal(signatureV4(v41), 'bdd3166566f2ad07c3ef0df9bfd6704828e1d9c7827b22cf7e2a725cffbb2276');
  assert.equal(authorizationV4(v41), 'OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/cn-hangzhou/oss/aliyun_v4_request,Signature=bdd3166566f2ad07c3ef0df9bfd6704828e1d9c7827b22cf7e2a725cffbb2276');
  const v42: V4Input = {
    accessKeyId: 'AKIDEXAMPLE', secret: 'SECRETEXAMPLE0123456789', region: 'cn-hangzhou', method: 'GET', resource: '/examplebucket/',
    query: [['prefix', 'a b/'], ['max-keys', '10'], ['encoding-type', 'url']], timestamp: '20250115T080000Z', additionalHeaders: ['host'],
    headers: { host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': '20250115T080000Z' },
  };
  assert.equal(stringToSignV4(v42).split('\n')[3], 'f7e383e6538a962b940147f8007fe74219ce4d28e0f43af9d1cbec86cfa795fa');
  assert.equal(signatureV4(v42), '24ed39a5b9c56e8177aba2bf89437cff8f31ac9a52087053eaf6e4ea9e7d1b1f');
});

test('PutBucket as PUT /bucket/, then ListBuckets as GET // with Host IP:PORT', { timeout: 300_000 }, async () => {
  const conf = '<?xml version="1.0" encoding="UTF-8"?>\n<CreateBucketConfiguration><StorageClass>Standard</StorageClass></CreateBucketConfiguration>';
  const put = await req({ method: 'PUT', path: `/${B}/`, headers: XML, body: conf });
  assert.equal(put.status, 200, put.text);
  for (const list of [await req({ method: 'GET', path: '//', headers: XML }), await rawV4(ossd, { method: 'GET', path: '//', headers: XML })]) {
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /<ListAllMyBucketsResult>[\s\S]*<Name>cpp-wire<\/Name>[\s\S]*<\/ListAllMyBucketsResult>/);
  }
});

test('chunked PutObject: x-oss-hash-crc64ecma is the CRC of the bytes; GET/HEAD/DELETE with Content-Type: application/xml', { timeout: 300_000 }, async () => {
  const data = randomBytes(70_000);
  const parts = [data.subarray(0, 1), data.subarray(1, 30_000), data.subarray(30_000, 65_536), data.subarray(65_536)];
  const put = await req({ method: 'PUT', path: `/${B}/data/blob.bin`, headers: { 'content-type': 'application/octet-stream' }, body: parts, chunked: true });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.headers['x-oss-hash-crc64ecma'], crc64(data));
  assert.equal(put.headers.etag, `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`);
  const get = await req({ method: 'GET', path: `/${B}/data/blob.bin`, headers: XML });
  assert.equal(get.status, 200);
  assert.ok(get.body.equals(data), 'GET returns the bytes');
  assert.equal(get.headers['x-oss-hash-crc64ecma'], crc64(data));
  assert.equal(get.headers['content-type'], 'application/octet-stream', 'the request Content-Type of a GET is not stored');
  const head = await req({ method: 'HEAD', path: `/${B}/data/blob.bin`, headers: XML });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(data.length));
  assert.equal((await req({ method: 'DELETE', path: `/${B}/data/blob.bin`, headers: XML })).status, 204);
  assert.equal((await req({ method: 'GET', path: `/${B}/data/blob.bin`, headers: XML })).status, 404);
});

test('an empty chunked PutObject has CRC 0', { timeout: 300_000 }, async () => {
  const put = await req({ method: 'PUT', path: `/${B}/empty`, body: [], chunked: true });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.headers['x-oss-hash-crc64ecma'], '0');
  assert.equal((await req({ method: 'HEAD', path: `/${B}/empty` })).headers['content-length'], '0');
});

test('a key with %2F, %20 and %2B (C++ presigned style) is dir/a b+c.txt', { timeout: 300_000 }, async () => {
  assert.equal((await req({ method: 'PUT', path: `/${B}/dir/a%20b%2Bc.txt`, body: 'plus', chunked: true })).status, 200);
  const get = await req({ method: 'GET', path: `/${B}/dir%2Fa%20b%2Bc.txt`, headers: XML });
  assert.equal(get.status, 200, get.text);
  assert.equal(get.text, 'plus');
  assert.equal((await req({ method: 'GET', path: `/${B}/dir/a+b+c.txt` })).status, 404, "'+' in a path is not a space");
  const list = await req({ method: 'GET', path: `/${B}/?prefix=dir%2F`, headers: XML });
  assert.deepEqual([...list.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['dir/a b+c.txt']);
  assert.equal((await req({ method: 'DELETE', path: `/${B}/dir%2Fa%20b%2Bc.txt`, headers: XML })).status, 204);
  assert.equal((await req({ method: 'HEAD', path: `/${B}/dir/a%20b%2Bc.txt` })).status, 404);
});

test('V4 as the C++ SDK sends it: Date and x-oss-date, UNSIGNED-PAYLOAD', { timeout: 300_000 }, async () => {
  const put = await rawV4(ossd, { method: 'PUT', path: `/${B}/v4/a%20b.txt`, headers: { 'content-type': 'text/plain' }, body: [Buffer.from('hello')], chunked: true });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.headers['x-oss-hash-crc64ecma'], '11177612005948864433');
  const app = await rawV4(ossd, { method: 'POST', path: `/${B}/v4/log?append&position=0`, headers: { 'content-type': 'application/octet-stream' }, body: 'hello' });
  assert.equal(app.status, 200, app.text);
  assert.equal(app.headers['x-oss-next-append-position'], '5');
  const get = await rawV4(ossd, { method: 'GET', path: `/${B}/v4/a%20b.txt`, headers: XML });
  assert.equal(get.text, 'hello');
  const list = await rawV4(ossd, { method: 'GET', path: `/${B}/?max-keys=10&prefix=v4%2F`, headers: XML });
  assert.deepEqual([...list.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['v4/a b.txt', 'v4/log']);
  // x-oss-date is the signing time; a stale Date beside it does not matter (auth.md §4.1).
  const stale = await rawV4(ossd, { method: 'HEAD', path: `/${B}/v4/log`, headers: { ...XML, date: new Date(Date.now() - 3_600_000).toUTCString() } });
  assert.equal(stale.status, 200);
  const wrong = await rawV4(ossd, { method: 'GET', path: `/${B}/v4/a%20b.txt`, headers: XML, secret: 'not-the-secret' });
  assert.equal(wrong.status, 403);
  assert.equal(errorCode(wrong), 'SignatureDoesNotMatch');
  const skewed = await rawV4(ossd, { method: 'GET', path: `/${B}/v4/a%20b.txt`, now: new Date(Date.now() - 20 * 60_000) });
  assert.equal(errorCode(skewed), 'RequestTimeTooSkewed');
});

function expectRequest(path: string, auth: 'good' | 'bad', length: number): Buffer {
  const headers = { date: new Date().toUTCString(), 'content-type': 'text/plain', 'content-length': String(length), expect: '100-continue' };
  if (auth === 'good') return wireBytes(ossd, { method: 'PUT', path, headers });
  return wireBytes(ossd, { method: 'PUT', path, headers: { ...headers, authorization: `OSS ${ossd.accessKeyId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` }, sign: 'none' });
}

test('Expect: 100-continue with a bad signature: 403 and no 100 Continue', { timeout: 300_000 }, async () => {
  const w = await openWire(ossd);
  try {
    w.write(expectRequest(`/${B}/expect-bad.txt`, 'bad', 5));
    const got = await w.read((s) => parseResponses(s).some((r) => r.status >= 200), 3000);
    const responses = parseResponses(got);
    assert.deepEqual(responses.map((r) => r.status), [403], got);
    assert.ok(!/100 Continue/i.test(got), 'no 100 Continue before the refusal');
    assert.match(responses[0]!.body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/);
  } finally {
    w.destroy();
  }
  assert.equal((await req({ method: 'HEAD', path: `/${B}/expect-bad.txt` })).status, 404);
});

test('Expect: 100-continue with a good signature: 100 Continue, then the body, then 200', { timeout: 300_000 }, async () => {
  const w = await openWire(ossd);
  try {
    w.write(expectRequest(`/${B}/expect-good.txt`, 'good', 5));
    const interim = await w.read((s) => s.includes('\r\n\r\n'), 3000);
    assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/);
    assert.deepEqual(parseResponses(interim).map((r) => r.status), [100], 'nothing but 100 Continue before the body');
    w.write('hello');
    const all = await w.read((s) => parseResponses(s).some((r) => r.status >= 200), 3000);
    const final = parseResponses(all).find((r) => r.status >= 200);
    assert.equal(final?.status, 200, all);
    assert.equal(final?.headers['x-oss-hash-crc64ecma'], '11177612005948864433');
  } finally {
    w.destroy();
  }
  assert.equal((await req({ method: 'GET', path: `/${B}/expect-good.txt` })).text, 'hello');
});
