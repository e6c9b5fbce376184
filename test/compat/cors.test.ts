/**
 * Bucket CORS: Put/Get/DeleteBucketCors through ali-oss (putBucketCORS, getBucketCORS,
 * deleteBucketCORS) in the sld and ip modes with V1 and V4; the preflight (OPTIONS)
 * matrix with raw requests; Access-Control-* headers on actual answers, errors included.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, type Mode, type OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { errorCode, raw, type RawResponse } from '../helpers/raw-http.js';

const ossd = useOssd();

const APP = 'http://app.example.com';
const RULES = [
  {
    allowedOrigin: [APP, 'http://other.example.com'],
    allowedMethod: ['GET', 'PUT', 'HEAD'],
    allowedHeader: ['x-oss-*', 'content-type'],
    exposeHeader: ['ETag', 'x-oss-request-id', 'x-oss-next-append-position'],
    maxAgeSeconds: '600',
  },
  { allowedOrigin: 'https://*.example.org', allowedMethod: ['POST', 'GET', 'DELETE'], allowedHeader: '*', exposeHeader: 'x-oss-next-append-position' },
];

const COMBOS: Array<{ mode: Mode; v4: boolean }> = [
  { mode: 'sld', v4: false },
  { mode: 'sld', v4: true },
  { mode: 'ip', v4: false },
  { mode: 'ip', v4: true },
];

describe('Put/Get/DeleteBucketCors through ali-oss', { timeout: 300_000 }, () => {
  for (const m of COMBOS) {
    it(`${m.mode} ${m.v4 ? 'V4' : 'V1'}: put, get back, delete, then NoSuchCORSConfiguration`, async () => {
      const bucket = `cors-${m.mode}-${m.v4 ? 'v4' : 'v1'}`;
      const c: OssClient = client(ossd, { mode: m.mode, v4: m.v4, bucket });
      await c.putBucket(bucket);
      await assert.rejects(c.getBucketCORS(bucket), (e: { code?: string; status?: number }) => e.code === 'NoSuchCORSConfiguration' && e.status === 404);
      const put = await c.putBucketCORS(bucket, RULES);
      assert.equal(put.res.status, 200);
      const got = await c.getBucketCORS(bucket);
      assert.equal(got.rules.length, 2);
      assert.deepEqual(got.rules[0], {
        allowedOrigin: RULES[0]!.allowedOrigin,
        allowedMethod: RULES[0]!.allowedMethod,
        allowedHeader: RULES[0]!.allowedHeader,
        exposeHeader: RULES[0]!.exposeHeader,
        maxAgeSeconds: '600',
      });
      assert.deepEqual(got.rules[1], {
        allowedOrigin: 'https://*.example.org',
        allowedMethod: ['POST', 'GET', 'DELETE'],
        allowedHeader: '*',
        exposeHeader: 'x-oss-next-append-position',
      });
      const del = await c.deleteBucketCORS(bucket);
      assert.equal(del.res.status, 204);
      await assert.rejects(c.getBucketCORS(bucket), (e: { code?: string }) => e.code === 'NoSuchCORSConfiguration');
    });
  }

  it('invalid rules are 400 InvalidArgument; a missing bucket 404', async () => {
    const c: OssClient = client(ossd, { mode: 'sld', bucket: 'cors-invalid' });
    await c.putBucket('cors-invalid');
    for (const rule of [
      { allowedOrigin: '*', allowedMethod: 'PATCH' },
      { allowedOrigin: 'http://*.*.example.com', allowedMethod: 'GET' },
      { allowedOrigin: '*', allowedMethod: 'GET', exposeHeader: '*' },
    ]) {
      await assert.rejects(c.putBucketCORS('cors-invalid', [rule]), (e: { code?: string; status?: number }) => e.code === 'InvalidArgument' && e.status === 400);
    }
    await assert.rejects(c.putBucketCORS('cors-no-such-bucket', RULES), (e: { code?: string }) => e.code === 'NoSuchBucket');
  });
});

describe('CORS preflight and actual requests', { timeout: 300_000 }, () => {
  const B = 'cors-requests';
  let c: OssClient;
  before(async () => {
    c = client(ossd, { mode: 'sld', bucket: B });
    await c.putBucket(B);
    await c.putBucketCORS(B, RULES);
    await c.put('obj.txt', Buffer.from('cors body'));
    await c.putBucket('cors-none');
  });

  function preflight(path: string, origin: string | undefined, method: string | undefined, headers?: string): Promise<RawResponse> {
    const h: Record<string, string> = {};
    if (origin !== undefined) h.origin = origin;
    if (method !== undefined) h['access-control-request-method'] = method;
    if (headers !== undefined) h['access-control-request-headers'] = headers;
    return raw(ossd, { method: 'OPTIONS', path, headers: h, sign: 'none' });
  }

  const allowed: Array<[string, string, string, string | undefined]> = [
    ['listed origin, GET', APP, 'GET', undefined],
    ['listed origin, PUT with x-oss-* and Content-Type', APP, 'PUT', 'x-oss-date, Content-Type, x-oss-meta-a'],
    ['second listed origin, HEAD', 'http://other.example.com', 'HEAD', undefined],
    ['wildcard origin, POST, any headers', 'https://a.b.example.org', 'POST', 'authorization, x-oss-date, content-md5'],
  ];
  for (const [label, origin, method, headers] of allowed) {
    it(`allowed: ${label}`, async () => {
      const res = await preflight(`/${B}/obj.txt`, origin, method, headers);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.match(String(res.headers['access-control-allow-methods']), new RegExp(`\\b${method}\\b`));
      if (headers) assert.equal(res.headers['access-control-allow-headers'], headers.toLowerCase());
      if (origin === APP) {
        assert.equal(res.headers['access-control-max-age'], '600');
        assert.equal(res.headers['access-control-expose-headers'], 'ETag, x-oss-request-id, x-oss-next-append-position');
      }
    });
  }

  const denied: Array<[string, string, string | undefined, string | undefined, string]> = [
    ['unlisted origin', `/${B}/obj.txt`, 'http://evil.example.com', 'GET', 'not allowed'],
    ['scheme differs from the wildcard rule', `/${B}/obj.txt`, 'http://a.example.org', 'POST', 'not allowed'],
    ['method not in the rule', `/${B}/obj.txt`, APP, 'DELETE', 'not allowed'],
    ['header not in the rule', `/${B}/obj.txt`, APP, 'GET', 'not allowed'],
    ['no Access-Control-Request-Method', `/${B}/obj.txt`, APP, undefined, 'Insufficient information'],
    ['no Origin', `/${B}/obj.txt`, undefined, 'GET', 'Insufficient information'],
    ['bucket without CORS rules', '/cors-none/obj.txt', APP, 'GET', 'CORS is not enabled'],
  ];
  for (const [label, path, origin, method, message] of denied) {
    it(`denied: ${label} → 403 AccessDenied`, async () => {
      const res = await preflight(path, origin, method, label.startsWith('header') ? 'authorization' : undefined);
      assert.equal(res.status, 403, res.text);
      assert.equal(errorCode(res), 'AccessDenied');
      assert.match(res.text, new RegExp(`CORSResponse: [^<]*${message}`));
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });
  }

  it('preflights of sub-resource requests (append, uploads) and of the bucket are answered; a missing bucket is 404', async () => {
    const append = await preflight(`/${B}/log.txt?append&position=0`, 'https://x.example.org', 'POST', 'content-type');
    assert.equal(append.status, 200, append.text);
    const uploads = await preflight(`/${B}/big?uploads`, 'https://x.example.org', 'POST');
    assert.equal(uploads.status, 200, uploads.text);
    const bucketLevel = await preflight(`/${B}`, 'https://x.example.org', 'POST');
    assert.equal(bucketLevel.status, 200, bucketLevel.text);
    const missing = await preflight('/cors-no-such-bucket/k', APP, 'GET');
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'NoSuchBucket');
  });

  it('ResponseVary true adds Vary to the answers', async () => {
    const xml = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>`;
    const put = await raw(ossd, { method: 'PUT', path: '/cors-none/?cors', headers: { 'content-type': 'application/xml' }, body: xml });
    assert.equal(put.status, 200, put.text);
    const got = await raw(ossd, { method: 'GET', path: '/cors-none/?cors' });
    assert.match(got.text, /<ResponseVary>true<\/ResponseVary>/);
    const res = await preflight('/cors-none/x', 'https://anywhere.test', 'GET');
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://anywhere.test');
    assert.match(String(res.headers.vary), /Origin/);
    await raw(ossd, { method: 'DELETE', path: '/cors-none/?cors' });
  });

  function expectCors(res: RawResponse, origin: string, expose: string): void {
    assert.equal(res.headers['access-control-allow-origin'], origin);
    assert.equal(res.headers['access-control-expose-headers'], expose);
  }

  it('actual GET, HEAD and PUT answers carry Allow-Origin and Expose-Headers of the matching rule', async () => {
    const h = { origin: APP };
    const get = await raw(ossd, { method: 'GET', path: `/${B}/obj.txt`, headers: h });
    assert.equal(get.status, 200);
    assert.equal(get.text, 'cors body');
    expectCors(get, APP, 'ETag, x-oss-request-id, x-oss-next-append-position');
    const head = await raw(ossd, { method: 'HEAD', path: `/${B}/obj.txt`, headers: h });
    expectCors(head, APP, 'ETag, x-oss-request-id, x-oss-next-append-position');
    const put = await raw(ossd, { method: 'PUT', path: `/${B}/put.txt`, headers: h, body: 'put body' });
    assert.equal(put.status, 200);
    expectCors(put, APP, 'ETag, x-oss-request-id, x-oss-next-append-position');
  });

  it('actual POST append answers carry the headers of the rule allowing POST', async () => {
    const origin = 'https://shop.example.org';
    const first = await raw(ossd, { method: 'POST', path: `/${B}/log.txt?append&position=0`, headers: { origin }, body: 'abc' });
    assert.equal(first.status, 200, first.text);
    expectCors(first, origin, 'x-oss-next-append-position');
    assert.equal(first.headers['x-oss-next-append-position'], '3');
    // The listed http origin's rule does not allow POST: no CORS headers.
    const other = await raw(ossd, { method: 'POST', path: `/${B}/log.txt?append&position=3`, headers: { origin: APP }, body: 'def' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('error answers carry them too; requests from other origins or without Origin get none', async () => {
    const missing = await raw(ossd, { method: 'GET', path: `/${B}/no-such-key`, headers: { origin: APP } });
    assert.equal(missing.status, 404);
    expectCors(missing, APP, 'ETag, x-oss-request-id, x-oss-next-append-position');
    const badSig = await raw(ossd, { method: 'GET', path: `/${B}/obj.txt`, headers: { origin: APP, authorization: 'OSS nobody:AAAA' }, sign: 'none' });
    assert.equal(badSig.status, 403);
    expectCors(badSig, APP, 'ETag, x-oss-request-id, x-oss-next-append-position');
    const evil = await raw(ossd, { method: 'GET', path: `/${B}/obj.txt`, headers: { origin: 'http://evil.example.com' } });
    assert.equal(evil.status, 200);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    const plain = await raw(ossd, { method: 'GET', path: `/${B}/obj.txt` });
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
  });
});
