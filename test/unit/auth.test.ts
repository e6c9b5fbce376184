/**
 * Request-signature verifier: auth.md §9 vectors, requests produced by ali-oss 6.23.0's own
 * signer and client, and every failure path of auth.md §8 / §6.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { OssError } from '../../src/engine/errors.js';
import {
  signingKey, uriEncode, v1Signature, v1StringToSign, v4CanonicalRequest, v4StringToSign, verifyRequest,
} from '../../src/protocol/auth/index.js';
import type { AuthInput, AuthTarget, KeyLookup, QueryItem } from '../../src/protocol/auth/index.js';

const require = createRequire(import.meta.url);
type Headers = Record<string, unknown>;
interface SignUtils {
  buildCanonicalString(method: string, resource: string, req: { headers: Headers; parameters?: unknown }): string;
  computeSignature(secret: string, s: string, encoding?: string): string;
  getCanonicalRequest(method: string, req: { headers: Headers; queries: Headers }, bucket?: string, key?: string): string;
  getSignatureV4(secret: string, day: string, region: string, stringToSign: string): string;
}
type AliOp = 'put' | 'append' | 'list' | 'getACL' | 'head' | 'getBucketACL' | 'listBuckets' | 'initMultipartUpload'
  | 'signatureUrl' | 'signatureUrlV4';
type AliClient = Record<AliOp, (...args: unknown[]) => unknown>;
const signUtils = require('ali-oss/lib/common/signUtils.js') as SignUtils;
const OSS = require('ali-oss') as new (o: Headers) => AliClient;

const AK = 'AKIDEXAMPLE', SK = 'SECRETEXAMPLE0123456789', TOKEN = 'STSTOKENEXAMPLE';
const MD5 = 'XUFAKrxLKna5cZ2REBfFkg==', DATE = 'Wed, 15 Jan 2025 08:00:00 GMT';
const T0 = Date.parse('2025-01-15T08:00:00Z');
const LOGS: AuthTarget = { bucket: 'examplebucket', key: 'logs/app.log' };
const lookup: KeyLookup = (ak) => (ak === AK ? { secret: SK } : undefined);
const stsLookup = (token = TOKEN, expiresAt?: number): KeyLookup => (ak) =>
  (ak === AK ? { secret: SK, securityToken: token, expiresAt } : undefined);

/** Raw query → items, the way the HTTP layer does it (README §1.4). */
function parseQuery(raw: string): QueryItem[] {
  return raw === '' ? [] : raw.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    return { name, value: eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1)), hasEquals: eq >= 0 };
  });
}
const input = (method: string, query: string, headers: Record<string, string>, ...candidates: AuthTarget[]): AuthInput =>
  ({ method, query: parseQuery(query), headers, candidates: candidates.length ? candidates : [LOGS] });

function fails(fn: () => unknown, code: string): OssError {
  try { fn(); } catch (e) {
    assert.ok(e instanceof OssError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  return assert.fail(`expected ${code}`);
}

const v11 = {
  'content-md5': MD5, 'content-type': 'text/plain', date: DATE, 'x-oss-meta-author': 'alice', 'x-oss-object-acl': 'private',
  authorization: `OSS ${AK}:3ujB4hvixlO6vuRyKaHhkWcUcjU=`,
};
const v41 = {
  'content-md5': MD5, 'content-type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
  'x-oss-date': '20250115T080000Z', 'x-oss-meta-author': 'alice',
  authorization: `OSS4-HMAC-SHA256 Credential=${AK}/20250115/cn-hangzhou/oss/aliyun_v4_request,`
    + 'Signature=bdd3166566f2ad07c3ef0df9bfd6704828e1d9c7827b22cf7e2a725cffbb2276',
};
const v43Url = 'x-oss-credential=AKIDEXAMPLE%2F20250115%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20250115T080000Z'
  + '&x-oss-expires=3600&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-security-token=STSTOKENEXAMPLE'
  + '&x-oss-signature=d553534cb3aad15a64b825e244d738624af997f0ee442544ad8596416a566a49';
const ab = { bucket: 'examplebucket', key: 'dir/a b.txt' };
const v13Url = `OSSAccessKeyId=${AK}&Expires=1736931600&Signature=Z7PhFsem59%2BrU9XN1Kni%2Fy3GVME%3D`
  + `&response-content-disposition=${encodeURIComponent('attachment; filename="a b.txt"')}&security-token=${TOKEN}`;

test('§9 V1 vectors: exact string to sign and signature', { timeout: 30_000 }, () => {
  const sts = v1StringToSign('POST', v11, DATE, LOGS, parseQuery('append&position=0'));
  assert.equal(sts, `POST\n${MD5}\ntext/plain\n${DATE}\nx-oss-meta-author:alice\nx-oss-object-acl:private\n`
    + '/examplebucket/logs/app.log?append&position=0');
  assert.equal(v1Signature(SK, sts), '3ujB4hvixlO6vuRyKaHhkWcUcjU=');
  const { date: _d, ...v11b } = { ...v11, 'x-oss-date': DATE };
  assert.equal(v1Signature(SK, v1StringToSign('POST', v11b, DATE, LOGS, parseQuery('append=&position=0'))),
    'o1TwErQ7Y+F5WkgoCCjxvme9QoE=');
  const v12 = v1StringToSign('GET', { date: DATE, 'x-oss-security-token': TOKEN }, DATE, { bucket: 'examplebucket' },
    parseQuery('acl'));
  assert.equal(v12, `GET\n\n\n${DATE}\nx-oss-security-token:${TOKEN}\n/examplebucket/?acl`);
  assert.equal(v1Signature(SK, v12), '8qaUhEn70QMInrEz+kqvY6xhfJc=');
  assert.equal(v1Signature(SK, v1StringToSign('GET', {}, '1736931600', ab, parseQuery(v13Url))), 'Z7PhFsem59+rU9XN1Kni/y3GVME=');
});

test('§9 V1 vectors verify', { timeout: 30_000 }, () => {
  const ok = (i: AuthInput, l: KeyLookup, scheme: string) =>
    assert.deepEqual(verifyRequest(i, l, T0), { scheme, accessKeyId: AK, candidateIndex: 0 });
  ok(input('POST', 'append&position=0', v11), lookup, 'v1');
  const { date: _d, ...v11b } = { ...v11, 'x-oss-date': DATE, authorization: `OSS ${AK}:o1TwErQ7Y+F5WkgoCCjxvme9QoE=` };
  ok(input('POST', 'append=&position=0', v11b), lookup, 'v1');
  ok(input('GET', 'acl', { date: DATE, 'x-oss-security-token': TOKEN, authorization: `OSS ${AK}:8qaUhEn70QMInrEz+kqvY6xhfJc=` },
    { bucket: 'examplebucket' }), stsLookup(), 'v1');
  ok(input('GET', v13Url, {}, ab), stsLookup(), 'v1-presigned');
  // Date signed although a differing x-oss-date is present (§2.1 "also try Date"); x-oss-date is still a signed x-oss header.
  const xDate = 'Wed, 15 Jan 2025 08:00:05 GMT';
  const both = `POST\n${MD5}\ntext/plain\n${DATE}\nx-oss-date:${xDate}\nx-oss-meta-author:alice\nx-oss-object-acl:private\n`
    + '/examplebucket/logs/app.log?append&position=0';
  const bothSig = signUtils.computeSignature(SK, both);
  ok(input('POST', 'append&position=0', { ...v11, 'x-oss-date': xDate, authorization: `OSS ${AK}:${bothSig}` }), lookup, 'v1');
  // Non-sub-resource parameters are not signed in V1 (§2.3).
  ok(input('POST', 'append&position=0&prefix=zzz', v11), lookup, 'v1');
});

test('§9 V4 vectors: canonical request, key chain, signature, verify', { timeout: 30_000 }, () => {
  const cr = v4CanonicalRequest({ method: 'POST', target: LOGS, query: parseQuery('append&position=0'), headers: v41, additionalHeaders: [] });
  assert.equal(cr, `POST\n/examplebucket/logs/app.log\nappend&position=0\ncontent-md5:${MD5}\ncontent-type:text/plain\n`
    + 'x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20250115T080000Z\nx-oss-meta-author:alice\n\n\nUNSIGNED-PAYLOAD');
  const scope = { accessKeyId: AK, day: '20250115', region: 'cn-hangzhou', product: 'oss' };
  assert.ok(v4StringToSign('20250115T080000Z', scope, cr).endsWith('c3e94aa78cee0e2f044f383282fc9d0fe374efe38bee0ec7d14d677fe4ce0a13'));
  assert.equal(signingKey(SK, '20250115', 'cn-hangzhou').toString('hex'),
    '9aa99348058fb2ef225a10368b51acf1c083d8b5f72ffa970b1a1599657aaf9f');
  assert.deepEqual(verifyRequest(input('POST', 'append&position=0', v41), lookup, T0), { scheme: 'v4', accessKeyId: AK, candidateIndex: 0 });
  const v42 = {
    host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': '20250115T080000Z',
  };
  const sig42 = '24ed39a5b9c56e8177aba2bf89437cff8f31ac9a52087053eaf6e4ea9e7d1b1f';
  const cred = `Credential=${AK}/20250115/cn-hangzhou/oss/aliyun_v4_request`;
  for (const auth of [`${cred},AdditionalHeaders=host,Signature=${sig42}`, `${cred}, Signature=${sig42}, AdditionalHeaders=host`]) {
    const i = input('GET', 'prefix=a%20b%2F&max-keys=10&encoding-type=url', { ...v42, authorization: `OSS4-HMAC-SHA256 ${auth}` },
      { bucket: 'examplebucket' });
    assert.equal(verifyRequest(i, lookup, T0).scheme, 'v4');
  }
  assert.deepEqual(verifyRequest(input('GET', v43Url, {}, ab), stsLookup(), T0 + 3_599_000),
    { scheme: 'v4-presigned', accessKeyId: AK, candidateIndex: 0 });
});

test('each signed element altered → SignatureDoesNotMatch with details (V1 and V4)', { timeout: 30_000 }, () => {
  const forms = [
    [v11, 'date', 'Wed, 15 Jan 2025 08:00:01 GMT', '3ujB4hvixlO6vuRyKaHhkWcUcjU='],
    [v41, 'x-oss-date', '20250115T080001Z', 'bdd3166566f2ad07c3ef0df9bfd6704828e1d9c7827b22cf7e2a725cffbb2276'],
  ] as const;
  for (const [base, dateName, otherDate, provided] of forms) {
    const headerChanges = [['content-md5', 'AAAAKrxLKna5cZ2REBfFkg=='], ['content-type', 'text/html'],
      ['x-oss-meta-author', 'bob'], ['x-oss-meta-extra', '1'], [dateName, otherDate]];
    const alter: [string, string, Record<string, string>, AuthTarget?][] = [
      ['PUT', 'append&position=0', base], ['POST', 'append&position=1', base], ['POST', 'append', base],
      ['POST', 'append&position=0', base, { ...LOGS, key: 'logs/App.log' }],
      ['POST', 'append&position=0', base, { ...LOGS, bucket: 'otherbucket' }],
      ...headerChanges.map(([h, v]): [string, string, Record<string, string>] => ['POST', 'append&position=0', { ...base, [h as string]: v as string }]),
    ];
    if (base === v41) alter.push(['POST', 'append&position=0&prefix=a', base]); // V4 signs every parameter
    for (const [method, q, headers, target] of alter) {
      const e = fails(() => verifyRequest(input(method, q, headers, target ?? LOGS), lookup, T0), 'SignatureDoesNotMatch');
      assert.equal(e.details.SignatureProvided, provided);
      assert.equal(e.details.OSSAccessKeyId, AK);
      assert.ok((e.details.CanonicalRequest ?? e.details.StringToSign)?.startsWith(`${method}\n`));
      if (base === v41) assert.ok(e.details.StringToSign?.startsWith('OSS4-HMAC-SHA256\n'));
    }
  }
  fails(() => verifyRequest(input('GET', v13Url.replace('a%20b', 'a%20c'), {}, ab), stsLookup(), T0), 'SignatureDoesNotMatch');
  fails(() => verifyRequest(input('GET', v43Url.replace('3600', '3601'), {}, ab), stsLookup(), T0), 'SignatureDoesNotMatch');
});

test('key, date, expiry, scheme and format errors', { timeout: 30_000 }, () => {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;
  fails(() => verifyRequest(input('POST', 'append&position=0', { ...v11, authorization: 'OSS NOPE:abc=' }), lookup, T0), 'InvalidAccessKeyId');
  const otherAk = { ...v41, authorization: v41.authorization.replace(AK, 'NOPE') };
  fails(() => verifyRequest(input('POST', 'append&position=0', otherAk), lookup, T0), 'InvalidAccessKeyId');
  for (const headers of [v11, v41]) {
    const e = fails(() => verifyRequest(input('POST', 'append&position=0', headers), lookup, T0 + 16 * 60_000 + 123), 'RequestTimeTooSkewed');
    assert.match(e.details.ServerTime ?? '', iso);
    assert.equal(e.details.RequestTime, '2025-01-15T08:00:00.000Z');
    assert.equal(e.details.MaxAllowedSkewMilliseconds, '900000');
    assert.equal(verifyRequest(input('POST', 'append&position=0', headers), lookup, T0 - 14 * 60_000).accessKeyId, AK);
  }
  const { date: _d, ...noDate } = v11;
  assert.equal(fails(() => verifyRequest(input('POST', 'append', noDate), lookup, T0), 'AccessDenied').message, 'Date header is missing or invalid');
  fails(() => verifyRequest(input('POST', 'append', { ...v11, date: 'yesterday' }), lookup, T0), 'AccessDenied');
  for (const [q, l] of [[v13Url, stsLookup()], [v43Url, stsLookup()]] as const) {
    const e = fails(() => verifyRequest(input('GET', q, {}, ab), l, T0 + 3_600_001), 'AccessDenied');
    assert.equal(e.message, 'Request has expired.');
    assert.equal(e.details.Expires, '2025-01-15T09:00:00.000Z');
    assert.match(e.details.ServerTime ?? '', iso);
  }
  const bad = (q: string, headers: Record<string, string> = {}) => fails(() => verifyRequest(input('GET', q, headers), lookup, T0), 'InvalidArgument');
  bad(v43Url.replace('x-oss-expires=3600', 'x-oss-expires=604801'));
  bad(v43Url.replace('x-oss-date=20250115T080000Z', 'x-oss-date=2025-01-15'));
  bad('x-oss-signature-version=OSS2&x-oss-signature=abc');
  bad('', { authorization: 'OSS2 AccessKeyId:AKIDEXAMPLE,Signature:abc' });
  bad('', { authorization: 'Bearer x' });
  bad('', { authorization: 'OSS AKIDEXAMPLE' });
  bad('', { ...v41, authorization: v41.authorization.replace(',Sig', ',AdditionalHeaders=host;,Sig') });
  bad('', { ...v41, authorization: v41.authorization.replace('/20250115/', '/20250116/') });
  bad('', { ...v41, authorization: v41.authorization.replace('/oss/', '/s3/') });
  bad('', { ...v41, authorization: 'OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/cn-hangzhou/oss/aliyun_v4_request' });
  assert.deepEqual(verifyRequest(input('GET', 'prefix=&Expires=1', {}), lookup, T0), { scheme: 'anonymous', candidateIndex: 0 });
});

test('STS token: missing, mismatched, expired → InvalidSecurityToken', { timeout: 30_000 }, () => {
  const v12 = { date: DATE, 'x-oss-security-token': TOKEN, authorization: `OSS ${AK}:8qaUhEn70QMInrEz+kqvY6xhfJc=` };
  const acl = (h: Record<string, string>) => input('GET', 'acl', h, { bucket: 'examplebucket' });
  fails(() => verifyRequest(acl(v12), stsLookup('OTHERTOKEN'), T0), 'InvalidSecurityToken');
  const e = fails(() => verifyRequest(acl(v12), stsLookup(TOKEN, T0 - 1), T0), 'InvalidSecurityToken');
  assert.equal(e.message, 'The security token you provided has expired');
  // Correctly signed without any token, by a temporary key: the token is missing.
  const sts = v1StringToSign('GET', { date: DATE }, DATE, { bucket: 'examplebucket' }, parseQuery('acl'));
  fails(() => verifyRequest(acl({ date: DATE, authorization: `OSS ${AK}:${v1Signature(SK, sts)}` }), stsLookup(), T0), 'InvalidSecurityToken');
  fails(() => verifyRequest(input('GET', v43Url, {}, ab), stsLookup('OTHER'), T0), 'InvalidSecurityToken');
  fails(() => verifyRequest(input('GET', v13Url, {}, ab), stsLookup(TOKEN, T0 - 1), T0), 'InvalidSecurityToken');
});

// ---- Requests produced by ali-oss itself -------------------------------------------------

interface Captured { method: string; url: string; headers: Record<string, string> }

const aliClient = (options: Headers): AliClient => new OSS({
  accessKeyId: AK, accessKeySecret: SK, bucket: 'examplebucket', endpoint: 'http://localhost:9000', sldEnable: true, ...options,
});

/** Run a real ali-oss client call with a urllib stub that records the request instead of sending it. */
async function capture(options: Headers, call: (c: AliClient) => unknown): Promise<Captured> {
  let got: Captured | undefined;
  const urllib = {
    request: async (url: string, p: { method: string; headers: Headers }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.headers)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
      got = { method: p.method, url, headers };
      throw new Error('captured');
    },
  };
  const client = aliClient({ urllib, ...options });
  await Promise.resolve().then(() => call(client)).catch(() => undefined);
  return got ?? assert.fail('ali-oss sent nothing');
}

/** URL → AuthInput; path-style `/bucket/key` unless candidates are given. */
function fromUrl(method: string, url: string, headers: Record<string, string>, candidates?: AuthTarget[]): AuthInput {
  const m = /^[a-z]+:\/\/[^/?]*(\/[^?]*)?(?:\?(.*))?$/.exec(url) ?? assert.fail(url);
  const [, bucket, ...rest] = (m[1] ?? '/').split('/');
  const key = rest.join('/') === '' ? undefined : decodeURIComponent(rest.join('/'));
  return { method, query: parseQuery(m[2] ?? ''), headers, candidates: candidates ?? [bucket ? { bucket, key } : {}] };
}

let seed = 7;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
const POOL = ['a', 'Z', '0', ' ', '+', '/', '%', '?', '#', '&', '=', '~', "'", '(', '*', 'é', 'ü', '文', '件', '😀', '.', '-'];
const KEYS = ['a b+c.txt', 'dir/ünï cödé/文件+%20.txt', "quote'!()*~.txt", 'emoji-😀.bin',
  ...Array.from({ length: 8 }, () => `k${Array.from({ length: 1 + rand(12) }, () => POOL[rand(POOL.length)]).join('')}`)];

for (const v4 of [false, true]) {
  test(`ali-oss client requests verify (${v4 ? 'V4' : 'V1'} header)`, { timeout: 30_000 }, async () => {
    const opts = { authorizationV4: v4, region: 'oss-cn-hangzhou' };
    const calls: ((c: AliClient) => unknown)[] = [
      ...KEYS.map((k) => (c: AliClient) => c.put(k, Buffer.from('hello'), { headers: { 'x-oss-meta-note': ' padded  ' } })),
      (c) => c.append(KEYS[1] as string, Buffer.from('hello'), { position: 0 }), (c) => c.list({ prefix: '', 'max-keys': 10 }),
      (c) => c.list({ prefix: 'a b/', delimiter: '/' }), (c) => c.getACL(KEYS[0] as string), (c) => c.head(KEYS[2] as string),
      (c) => c.getBucketACL('examplebucket'), (c) => c.listBuckets({}), (c) => c.initMultipartUpload(KEYS[3] as string),
    ];
    for (const call of calls) {
      const r = await capture(opts, call);
      const out = verifyRequest(fromUrl(r.method, r.url, r.headers), lookup);
      assert.equal(out.scheme, v4 ? 'v4' : 'v1', r.url);
    }
    // §4.4: ali-oss V4 signs `prefix=`; only the retry with the `name=` form accepts it.
    const listed = await capture(opts, (c) => c.list({ prefix: '', 'max-keys': 10 }));
    assert.match(listed.url, /prefix=(&|$)/);
    const noEq = fromUrl(listed.method, listed.url, listed.headers);
    noEq.query = noEq.query.map((q) => ({ ...q, hasEquals: false }));
    if (v4) fails(() => verifyRequest(noEq, lookup), 'SignatureDoesNotMatch');
    else assert.equal(verifyRequest(noEq, lookup).scheme, 'v1');
    // STS client; a UTF-8 header value arriving as a latin1 string (headerEncoding: 'latin1'), ending in
    // 'à' = C3 A0: byte A0 is latin1 NBSP, which String#trim would strip from the V4 byte string.
    const sts = await capture({ ...opts, stsToken: TOKEN, headerEncoding: 'latin1' },
      (c) => c.put('ü/文件.txt', Buffer.from('x'), { headers: { 'x-oss-meta-author': 'José 文件 ü à' } }));
    assert.equal(sts.headers['x-oss-meta-author'], Buffer.from('José 文件 ü à').toString('latin1'));
    assert.equal(verifyRequest(fromUrl(sts.method, sts.url, sts.headers), stsLookup()).accessKeyId, AK);
    fails(() => verifyRequest(fromUrl(sts.method, sts.url, sts.headers), stsLookup('X')), 'InvalidSecurityToken');
    // IP endpoint + sldEnable (README §1.3): virtual-hosted reading first, path-style second.
    const amb = await capture({ ...opts, endpoint: 'http://127.0.0.1:9000' }, (c) => c.head('k'));
    assert.equal(amb.headers.host, 'examplebucket.oss-cn-hangzhou.aliyuncs.com');
    const both = [{ bucket: 'examplebucket', key: 'examplebucket/k' }, { bucket: 'examplebucket', key: 'k' }];
    assert.equal(verifyRequest(fromUrl(amb.method, amb.url, amb.headers, both), lookup).candidateIndex, 1);
    const vh = await capture({ ...opts, endpoint: 'http://127.0.0.1:9000', sldEnable: false }, (c) => c.head('examplebucket/k'));
    assert.equal(verifyRequest(fromUrl(vh.method, vh.url, vh.headers, both), lookup).candidateIndex, 0);
  });
}

test('ali-oss signUtils V1 header with x-oss-date, and Go-style V4 with Date only', { timeout: 30_000 }, () => {
  for (const key of KEYS) {
    const headers = { 'x-oss-date': new Date().toUTCString(), 'Content-Type': 'a/b', 'x-oss-meta-k': 'ü v' };
    const sts = signUtils.buildCanonicalString('PUT', `/examplebucket/${key}`, { headers, parameters: { acl: '' } });
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Buffer.from(v).toString('latin1')]));
    const auth = `OSS ${AK}:${signUtils.computeSignature(SK, sts)}`;
    assert.equal(verifyRequest(input('PUT', 'acl', { ...lower, authorization: auth }, { bucket: 'examplebucket', key }), lookup).scheme, 'v1');
  }
  const date = new Date().toUTCString();
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const headers = { date, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  const cr = signUtils.getCanonicalRequest('GET', { headers, queries: { 'list-type': '2' } }, 'examplebucket');
  const sts = ['OSS4-HMAC-SHA256', date, `${day}/cn-hangzhou/oss/aliyun_v4_request`, createHash('sha256').update(cr).digest('hex')].join('\n');
  const auth = `OSS4-HMAC-SHA256 Credential=${AK}/${day}/cn-hangzhou/oss/aliyun_v4_request,Signature=${signUtils.getSignatureV4(SK, day, 'cn-hangzhou', sts)}`;
  assert.equal(verifyRequest(input('GET', 'list-type=2', { ...headers, authorization: auth }, { bucket: 'examplebucket' }), lookup).scheme, 'v4');
});

test('ali-oss presigned URLs (signatureUrl V1, signatureUrlV4) verify', { timeout: 30_000 }, async () => {
  const client = aliClient({ stsToken: TOKEN, region: 'oss-cn-hangzhou' });
  for (const key of KEYS) {
    const v1 = String(client.signatureUrl(key, { expires: 600, response: { 'content-disposition': `attachment; filename="${key}"` } }));
    assert.equal(verifyRequest(fromUrl('GET', v1, {}), stsLookup()).scheme, 'v1-presigned', v1);
    const put = String(client.signatureUrl(key, { method: 'PUT', 'Content-Type': 'text/plain' }));
    assert.equal(verifyRequest(fromUrl('PUT', put, { 'content-type': 'text/plain' }), stsLookup()).scheme, 'v1-presigned');
    fails(() => verifyRequest(fromUrl('PUT', put, { 'content-type': 'text/html' }), stsLookup()), 'SignatureDoesNotMatch');
    const v4 = String(await client.signatureUrlV4('GET', 600, { headers: {}, queries: { prefix: '', 'x-oss-process': 'image/resize,w_100' } }, key));
    assert.equal(verifyRequest(fromUrl('GET', v4, {}), stsLookup()).scheme, 'v4-presigned', v4);
  }
  assert.equal(uriEncode('a b/ü~', true), 'a%20b/%C3%BC~');
});
