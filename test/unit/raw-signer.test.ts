/**
 * The test signers (test/helpers/raw-v1.ts, raw-v4.ts) against auth.md §9's vectors, which
 * were computed independently and cross-checked with ali-oss. The signers import nothing
 * from src/ (checked below): a server that stopped signing a sub-resource such as
 * `versionId` must fail the raw suite rather than agree with itself.
 *
 * Mutation, checked: with `versionId` removed from the server's V1 sub-resource list
 * (src/protocol/auth/v1.ts), test/compat/raw-versioning.test.ts fails (10 of its 16 tests:
 * every V1-signed request with ?versionId= gets 403 SignatureDoesNotMatch), and so does
 * test/security/acl-versions.test.ts. Before this change the raw signer imported that very
 * list, so both sides dropped versionId together and the suite stayed green.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalResourceV1, presignV1, signV1, stringToSignV1, V1_SIGNED_SUB_RESOURCES } from '../helpers/raw-v1.js';
import { canonicalRequestV4, signatureV4, stringToSignV4, type V4Input } from '../helpers/raw-v4.js';

const SECRET = 'SECRETEXAMPLE0123456789';
const MD5 = 'XUFAKrxLKna5cZ2REBfFkg==';
const DATE = 'Wed, 15 Jan 2025 08:00:00 GMT';
const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');

describe('raw test signers: auth.md §9 vectors', { timeout: 30_000 }, () => {
  test('V1-1: AppendObject, Date header', () => {
    const headers = { 'Content-MD5': MD5, 'Content-Type': 'text/plain', Date: DATE, 'x-oss-meta-author': 'alice', 'x-oss-object-acl': 'private' };
    const path = '/examplebucket/logs/app.log?append&position=0';
    assert.equal(
      stringToSignV1('POST', path, headers),
      `POST\n${MD5}\ntext/plain\n${DATE}\nx-oss-meta-author:alice\nx-oss-object-acl:private\n/examplebucket/logs/app.log?append&position=0`,
    );
    assert.equal(signV1(SECRET, 'POST', path, headers), '3ujB4hvixlO6vuRyKaHhkWcUcjU=');
  });

  test('V1-1b: x-oss-date instead of Date', () => {
    const headers = { 'Content-MD5': MD5, 'Content-Type': 'text/plain', 'x-oss-date': DATE, 'x-oss-meta-author': 'alice', 'x-oss-object-acl': 'private' };
    assert.equal(signV1(SECRET, 'POST', '/examplebucket/logs/app.log?append&position=0', headers), 'o1TwErQ7Y+F5WkgoCCjxvme9QoE=');
  });

  test('V1-2: GetBucketAcl with an STS token', () => {
    assert.equal(signV1(SECRET, 'GET', '/examplebucket/?acl', { Date: DATE, 'x-oss-security-token': 'STSTOKENEXAMPLE' }), '8qaUhEn70QMInrEz+kqvY6xhfJc=');
  });

  test('V1-3: presigned GET, response override and STS token (raw values signed, sorted)', () => {
    const query = `response-content-disposition=${encodeURIComponent('attachment; filename="a b.txt"')}`;
    const url = presignV1({ id: 'AKIDEXAMPLE', secret: SECRET, token: 'STSTOKENEXAMPLE' }, 'GET', `/examplebucket/dir/a%20b.txt?${query}`, 1736931600);
    assert.match(url, /&OSSAccessKeyId=AKIDEXAMPLE&Expires=1736931600&Signature=Z7PhFsem59%2BrU9XN1Kni%2Fy3GVME%3D$/);
  });

  test('V1 canonical resource: versionId and the other sub-resources are signed, listing parameters are not', () => {
    assert.equal(canonicalResourceV1('/b/k?versionId=CAEQ%2Bx&objectMeta'), '/b/k?objectMeta&versionId=CAEQ+x');
    assert.equal(canonicalResourceV1('/b/?versions&prefix=a&max-keys=2&key-marker=k'), '/b/?versions');
    assert.equal(canonicalResourceV1('//'), '/');
    for (const name of ['versionId', 'versions', 'versioning', 'acl', 'tagging', 'symlink', 'security-token', 'uploadId', 'partNumber']) {
      assert.ok(V1_SIGNED_SUB_RESOURCES.has(name), name);
    }
  });

  const v41: V4Input = {
    accessKeyId: 'AKIDEXAMPLE', secret: SECRET, region: 'cn-hangzhou', method: 'POST', resource: '/examplebucket/logs/app.log',
    query: [['append', ''], ['position', '0']],
    headers: { 'Content-MD5': MD5, 'Content-Type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': '20250115T080000Z', 'x-oss-meta-author': 'alice' },
    timestamp: '20250115T080000Z',
  };

  test('V4-1: AppendObject, header form', () => {
    assert.equal(
      canonicalRequestV4(v41),
      `POST\n/examplebucket/logs/app.log\nappend&position=0\ncontent-md5:${MD5}\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20250115T080000Z\nx-oss-meta-author:alice\n\n\nUNSIGNED-PAYLOAD`,
    );
    assert.match(stringToSignV4(v41), /\nc3e94aa78cee0e2f044f383282fc9d0fe374efe38bee0ec7d14d677fe4ce0a13$/);
    assert.equal(signatureV4(v41), 'bdd3166566f2ad07c3ef0df9bfd6704828e1d9c7827b22cf7e2a725cffbb2276');
  });

  test('V4-2: ListObjects with AdditionalHeaders=host and an encoded query', () => {
    const i: V4Input = {
      accessKeyId: 'AKIDEXAMPLE', secret: SECRET, region: 'cn-hangzhou', method: 'GET', resource: '/examplebucket/',
      query: [['prefix', 'a b/'], ['max-keys', '10'], ['encoding-type', 'url']],
      headers: { Host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': '20250115T080000Z' },
      additionalHeaders: ['host'],
      timestamp: '20250115T080000Z',
    };
    assert.match(stringToSignV4(i), /\nf7e383e6538a962b940147f8007fe74219ce4d28e0f43af9d1cbec86cfa795fa$/);
    assert.equal(signatureV4(i), '24ed39a5b9c56e8177aba2bf89437cff8f31ac9a52087053eaf6e4ea9e7d1b1f');
  });

  test('V4-3: presigned GET with an STS token', () => {
    const i: V4Input = {
      accessKeyId: 'AKIDEXAMPLE', secret: SECRET, region: 'cn-hangzhou', method: 'GET', resource: '/examplebucket/dir/a b.txt',
      query: [
        ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
        ['x-oss-credential', 'AKIDEXAMPLE/20250115/cn-hangzhou/oss/aliyun_v4_request'],
        ['x-oss-date', '20250115T080000Z'],
        ['x-oss-expires', '3600'],
        ['x-oss-security-token', 'STSTOKENEXAMPLE'],
      ],
      headers: {},
      timestamp: '20250115T080000Z',
    };
    assert.match(stringToSignV4(i), /\n45b3014d9dfb5656dd8ddde5bd58ea75b3f9edb3bbc33756a508ba558866ae9b$/);
    assert.equal(signatureV4(i), 'd553534cb3aad15a64b825e244d738624af997f0ee442544ad8596416a566a49');
  });

  test('the raw signers and the answer checker import nothing from src/', () => {
    for (const file of ['raw-v1.ts', 'raw-v4.ts', 'raw-http.ts', 'rel-http.ts', 'rel-acl-keys.ts']) {
      const source = readFileSync(resolve(REPO, 'test/helpers', file), 'utf8');
      const imports = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
      assert.ok(imports.length > 0, `${file}: no imports found (is the pattern still right?)`);
      assert.deepEqual(imports.filter((p) => p.includes('/src/')), [], `${file} imports from src/`);
    }
  });
});
