// Authentication details and the order of checks (issue 16), raw HTTP as the SDKs send it.
//
// 1. A security token sent with a permanent key (x-oss-security-token header, V1 and V4;
//    `security-token` / `x-oss-security-token` query parameter, presigned V1 and V4): OSS
//    takes the request for an STS one and finds no STS key by that id: 403
//    InvalidAccessKeyId, EC 0002-00000002 (OSS page 0002-00000002).
// 2. The order of checks: OSS resolves the bucket first, so a request to a missing bucket
//    is 404 NoSuchBucket whoever signed it (the Go v2 SDK's TestIsObjectExist: the unknown
//    key "ak" gets NoSuchBucket for a missing bucket, InvalidAccessKeyId for an existing one),
//    except the operations that create the bucket; an anonymous read of a missing object in
//    a private bucket is 403 AccessDenied, not 404.
// 3. A header named in V4's AdditionalHeaders that the request lacks: 400 InvalidArgument,
//    EC 0002-00000211 (OSS page 0002-00000211; the Go v2 SDK's TestPresignWithAdditionalHeaders
//    sees 400 for a presigned URL sent without its signed headers).
//
// Fail before the fix: checked (2026-12-05: 1 answered 200 for every form; 2 answered 403
// InvalidAccessKeyId / SignatureDoesNotMatch / AccessDenied for the missing bucket; 3 answered
// 403 SignatureDoesNotMatch). Fails when refuseTokenWithPermanentKey, bucketBeforeAuthentication
// or checkAdditionalHeadersPresent (verify.ts, check-order.ts) is removed: checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, presignV1, raw, type RawResponse } from '../helpers/raw-http.js';
import { authorizationV4, isoBasic, parsePath, presignV4, rawV4 } from '../helpers/raw-v4.js';

const PRIVATE = 'order-private';
const PUBLIC = 'order-public';
const MISSING = 'order-missing';

let ossd: Ossd;
/** The same server, signed with a key it does not know / with the root id and a wrong secret. */
const unknownKey = (): Ossd => ({ ...ossd, accessKeyId: 'LTAIunknownKeyId000001', accessKeySecret: 'not-a-secret' });
const wrongSecret = (): Ossd => ({ ...ossd, accessKeySecret: 'wrong-secret-for-the-root-key' });

function ec(r: RawResponse): string | undefined {
  const xml = r.text || Buffer.from(String(r.headers['x-oss-err'] ?? ''), 'base64').toString('utf8');
  const body = /<EC>([^<]*)<\/EC>/.exec(xml)?.[1];
  assert.equal(r.headers['x-oss-ec'], body, 'x-oss-ec and <EC> agree');
  return body;
}

describe('authentication details and the order of checks', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${PRIVATE}/` })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${PUBLIC}/`, headers: { 'x-oss-acl': 'public-read' } })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${PRIVATE}/o`, body: 'x' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  describe('a security token with a permanent key', () => {
    const token = 'CAIS-a-token-issued-for-other-credentials';
    const expires = (): number => Math.floor(Date.now() / 1000) + 600;
    const creds = (): { id: string; secret: string; token: string } => ({ id: ossd.accessKeyId, secret: ossd.accessKeySecret, token });

    const refused = (r: RawResponse): void => {
      assertErr(r, 403, 'InvalidAccessKeyId');
      assert.equal(ec(r), '0002-00000002');
      assert.match(r.text, /does not exist in our records/);
    };

    test('V1 header x-oss-security-token', async () => {
      refused(await raw(ossd, { method: 'GET', path: `/${PRIVATE}/o`, headers: { 'x-oss-security-token': token } }));
      assert.equal((await raw(ossd, { method: 'GET', path: `/${PRIVATE}/o` })).status, 200, 'the same without a token');
    });

    test('V4 header x-oss-security-token', async () => {
      refused(await rawV4(ossd, { method: 'GET', path: `/${PRIVATE}/o`, headers: { 'x-oss-security-token': token } }));
      assert.equal((await rawV4(ossd, { method: 'GET', path: `/${PRIVATE}/o` })).status, 200, 'the same without a token');
    });

    test('V1 presigned security-token', async () => {
      refused(await raw(ossd, { method: 'GET', path: presignV1(creds(), 'GET', `/${PRIVATE}/o`, expires()), sign: 'none' }));
      const plain = presignV1({ id: ossd.accessKeyId, secret: ossd.accessKeySecret }, 'GET', `/${PRIVATE}/o`, expires());
      assert.equal((await raw(ossd, { method: 'GET', path: plain, sign: 'none' })).status, 200);
    });

    test('V4 presigned x-oss-security-token', async () => {
      refused(await raw(ossd, { method: 'GET', path: presignV4(creds(), 'GET', `/${PRIVATE}/o`), sign: 'none' }));
      const plain = presignV4({ id: ossd.accessKeyId, secret: ossd.accessKeySecret }, 'GET', `/${PRIVATE}/o`);
      assert.equal((await raw(ossd, { method: 'GET', path: plain, sign: 'none' })).status, 200);
    });
  });

  describe('bucket existence before authentication', () => {
    test('anonymous: a missing bucket is NoSuchBucket, also for owner-only operations', async () => {
      assertErr(await raw(ossd, { method: 'GET', path: `/${MISSING}/k`, sign: 'none' }), 404, 'NoSuchBucket');
      assertErr(await raw(ossd, { method: 'HEAD', path: `/${MISSING}/k`, sign: 'none' }), 404, 'NoSuchBucket');
      assertErr(await raw(ossd, { method: 'GET', path: `/${MISSING}/?acl`, sign: 'none' }), 404, 'NoSuchBucket');
      assertErr(await raw(ossd, { method: 'DELETE', path: `/${MISSING}/`, sign: 'none' }), 404, 'NoSuchBucket');
      assertErr(await raw(ossd, { method: 'PUT', path: `/${MISSING}/k`, body: 'x', sign: 'none' }), 404, 'NoSuchBucket');
    });

    test('anonymous PutBucket and PutBucketAcl (which create) stay AccessDenied', async () => {
      assertErr(await raw(ossd, { method: 'PUT', path: `/${MISSING}/`, sign: 'none' }), 403, 'AccessDenied');
      assertErr(await raw(ossd, { method: 'PUT', path: `/${MISSING}/?acl`, headers: { 'x-oss-acl': 'private' }, sign: 'none' }), 403, 'AccessDenied');
    });

    test('an unknown access key: NoSuchBucket for a missing bucket, InvalidAccessKeyId for an existing one', async () => {
      assertErr(await raw(unknownKey(), { method: 'GET', path: `/${MISSING}/k` }), 404, 'NoSuchBucket');
      assertErr(await raw(unknownKey(), { method: 'HEAD', path: `/${MISSING}/k` }), 404, 'NoSuchBucket');
      assertErr(await rawV4(unknownKey(), { method: 'GET', path: `/${MISSING}/?acl` }), 404, 'NoSuchBucket');
      assertErr(await raw(unknownKey(), { method: 'GET', path: `/${PRIVATE}/o` }), 403, 'InvalidAccessKeyId');
      assertErr(await raw(unknownKey(), { method: 'HEAD', path: `/${PRIVATE}/o` }), 403, 'InvalidAccessKeyId');
    });

    test('a wrong signature: NoSuchBucket for a missing bucket, SignatureDoesNotMatch for an existing one', async () => {
      assertErr(await raw(wrongSecret(), { method: 'GET', path: `/${MISSING}/?acl` }), 404, 'NoSuchBucket');
      assertErr(await rawV4(wrongSecret(), { method: 'PUT', path: `/${MISSING}/k`, body: 'x' }), 404, 'NoSuchBucket');
      assertErr(await raw(wrongSecret(), { method: 'GET', path: `/${PRIVATE}/?acl` }), 403, 'SignatureDoesNotMatch');
      assertErr(await rawV4(wrongSecret(), { method: 'GET', path: `/${PRIVATE}/o` }), 403, 'SignatureDoesNotMatch');
    });

    test('creating a bucket with a bad key keeps the authentication error', async () => {
      assertErr(await raw(unknownKey(), { method: 'PUT', path: `/${MISSING}/` }), 403, 'InvalidAccessKeyId');
      assertErr(await raw(wrongSecret(), { method: 'PUT', path: `/${MISSING}/` }), 403, 'SignatureDoesNotMatch');
      assertErr(await raw(wrongSecret(), { method: 'PUT', path: `/${MISSING}/?acl`, headers: { 'x-oss-acl': 'private' } }), 403, 'SignatureDoesNotMatch');
      assertErr(await raw(ossd, { method: 'GET', path: `/${MISSING}/?acl` }), 404, 'NoSuchBucket');
    });

    test('a valid key to a missing bucket is NoSuchBucket', async () => {
      assertErr(await raw(ossd, { method: 'GET', path: `/${MISSING}/k` }), 404, 'NoSuchBucket');
      assertErr(await rawV4(ossd, { method: 'GET', path: `/${MISSING}/?acl` }), 404, 'NoSuchBucket');
    });

    test('anonymous read of a missing object: 403 in a private bucket, 404 in a public-read one', async () => {
      assertErr(await raw(ossd, { method: 'GET', path: `/${PRIVATE}/nothing-here`, sign: 'none' }), 403, 'AccessDenied');
      assertErr(await raw(ossd, { method: 'HEAD', path: `/${PRIVATE}/nothing-here`, sign: 'none' }), 403, 'AccessDenied');
      assertErr(await raw(ossd, { method: 'GET', path: `/${PRIVATE}/o`, sign: 'none' }), 403, 'AccessDenied');
      assertErr(await raw(ossd, { method: 'GET', path: `/${PUBLIC}/nothing-here`, sign: 'none' }), 404, 'NoSuchKey');
    });
  });

  describe('V4 AdditionalHeaders naming a header the request lacks', () => {
    /** A V4 header-signed GET whose AdditionalHeaders list `x-demo`; `send` are the headers actually sent. */
    function signedWithExtra(send: Record<string, string>): Promise<RawResponse> {
      const now = new Date();
      const path = `/${PRIVATE}/o`;
      const headers: Record<string, string> = {
        date: now.toUTCString(), 'x-oss-date': isoBasic(now), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', ...send,
      };
      const { resource, query } = parsePath(path);
      headers.authorization = authorizationV4({
        accessKeyId: ossd.accessKeyId, secret: ossd.accessKeySecret, region: 'cn-hangzhou', method: 'GET',
        resource, query, headers, additionalHeaders: ['x-demo'], timestamp: headers['x-oss-date']!,
      });
      return raw(ossd, { method: 'GET', path, headers, sign: 'none' });
    }

    test('Authorization header: 400 InvalidArgument, EC 0002-00000211; with the header, 200', async () => {
      const r = await signedWithExtra({});
      assertErr(r, 400, 'InvalidArgument');
      assert.equal(ec(r), '0002-00000211');
      assert.equal((await signedWithExtra({ 'x-demo': 'v' })).status, 200);
    });

    test('presigned x-oss-additional-headers: 400 InvalidArgument', async () => {
      const url = presignV4({ id: ossd.accessKeyId, secret: ossd.accessKeySecret }, 'GET', `/${PRIVATE}/o?x-oss-additional-headers=x-demo`);
      assertErr(await raw(ossd, { method: 'GET', path: url, sign: 'none' }), 400, 'InvalidArgument');
    });
  });
});
