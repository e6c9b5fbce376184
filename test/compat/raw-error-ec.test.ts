// Error sub-codes on the wire (issue 16): every error OSS documents an EC for carries it
// as `x-oss-ec` and as `<EC>` in the XML body, per cause where OSS has one EC per cause;
// and the messages SDKs show or compare use OSS's wording (NoSuchUpload, the V4 signing
// region). The EC literals and messages are copied from OSS's error-code pages.
//
// Fails on the code before the fix: checked (2026-12-05: no x-oss-ec on NoSuchBucket,
// NoSuchKey, NoSuchUpload, InvalidBucketName, SignatureDoesNotMatch, the bucket ACL; the
// NoSuchUpload message was "The specified upload does not exist."). Fails when render.ts
// ignores a throw's own EC: checked (the ACL and V4 cases).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { raw, type RawResponse } from '../helpers/raw-http.js';

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** The code, the header EC and the body EC, which must agree. */
function ecOf(r: RawResponse): { code?: string; ec?: string } {
  const header = r.headers['x-oss-ec'] as string | undefined;
  const body = tag(r.text, 'EC');
  assert.equal(header, body, `x-oss-ec and <EC> differ: ${r.text}`);
  return { code: tag(r.text, 'Code'), ec: header };
}

describe('error sub-codes (EC)', { timeout: 120_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: '/ec-bucket/' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('NoSuchBucket 0015-00000101', async () => {
    const r = await raw(ossd, { method: 'GET', path: '/ec-missing-bucket/' });
    assert.equal(r.status, 404);
    assert.deepEqual(ecOf(r), { code: 'NoSuchBucket', ec: '0015-00000101' });
  });

  test('NoSuchKey 0026-00000001, also on HEAD (header only)', async () => {
    const r = await raw(ossd, { method: 'GET', path: '/ec-bucket/missing.txt' });
    assert.equal(r.status, 404);
    assert.deepEqual(ecOf(r), { code: 'NoSuchKey', ec: '0026-00000001' });
    const head = await raw(ossd, { method: 'HEAD', path: '/ec-bucket/missing.txt' });
    assert.equal(head.status, 404);
    assert.equal(head.headers['x-oss-ec'], '0026-00000001');
  });

  test('NoSuchUpload 0017-00000244 with OSS\'s message', async () => {
    const r = await raw(ossd, { method: 'PUT', path: '/ec-bucket/k?partNumber=1&uploadId=0004B9B2D2F7815C432C9057C031ABCD', body: 'x' });
    assert.equal(r.status, 404);
    assert.deepEqual(ecOf(r), { code: 'NoSuchUpload', ec: '0017-00000244' });
    assert.equal(tag(r.text, 'Message'),
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  });

  test('InvalidBucketName 0015-00000001', async () => {
    const r = await raw(ossd, { method: 'PUT', path: '/ec_Bad_Name/' });
    assert.equal(r.status, 400);
    assert.deepEqual(ecOf(r), { code: 'InvalidBucketName', ec: '0015-00000001' });
  });

  test('an invalid x-oss-acl: InvalidArgument 0015-00000204 (one EC per cause)', async () => {
    const r = await raw(ossd, { method: 'PUT', path: '/ec-bucket/?acl', headers: { 'x-oss-acl': 'not-support-acl' } });
    assert.equal(r.status, 400);
    assert.deepEqual(ecOf(r), { code: 'InvalidArgument', ec: '0015-00000204' });
  });

  test('SignatureDoesNotMatch: V1 0002-00000040', async () => {
    const r = await raw(ossd, {
      method: 'GET', path: '/ec-bucket/', sign: 'none',
      headers: { authorization: `OSS ${ossd.accessKeyId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` },
    });
    assert.equal(r.status, 403);
    assert.deepEqual(ecOf(r), { code: 'SignatureDoesNotMatch', ec: '0002-00000040' });
  });

  test('SignatureDoesNotMatch: V4 0002-00000201', async () => {
    const now = new Date();
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const day = stamp.slice(0, 8);
    const r = await raw(ossd, {
      method: 'GET', path: '/ec-bucket/', sign: 'none',
      headers: {
        'x-oss-date': stamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        authorization: `OSS4-HMAC-SHA256 Credential=${ossd.accessKeyId}/${day}/cn-hangzhou/oss/aliyun_v4_request,Signature=${'0'.repeat(64)}`,
      },
    });
    assert.equal(r.status, 403);
    assert.deepEqual(ecOf(r), { code: 'SignatureDoesNotMatch', ec: '0002-00000201' });
  });

  test('V4 credential without a region: OSS\'s "signing region" message', async () => {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const r = await raw(ossd, {
      method: 'GET', path: '/ec-bucket/', sign: 'none',
      headers: {
        'x-oss-date': stamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        authorization: `OSS4-HMAC-SHA256 Credential=${ossd.accessKeyId}/${stamp.slice(0, 8)}//oss/aliyun_v4_request,Signature=${'0'.repeat(64)}`,
      },
    });
    assert.equal(r.status, 400);
    assert.equal(tag(r.text, 'Code'), 'InvalidArgument');
    assert.equal(tag(r.text, 'Message'), 'The signing region in credential is invalid.');
    assert.equal(ecOf(r).ec, '0002-00000228');
  });

  test('InvalidDigest: a wrong Content-MD5 0017-00000503, a malformed one 0017-00000502', async () => {
    const wrong = await raw(ossd, { method: 'PUT', path: '/ec-bucket/md5.txt', body: 'abc', headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(ecOf(wrong), { code: 'InvalidDigest', ec: '0017-00000503' });
    const malformed = await raw(ossd, { method: 'PUT', path: '/ec-bucket/md5.txt', body: 'abc', headers: { 'content-md5': 'not-md5' } });
    assert.equal(malformed.status, 400);
    assert.deepEqual(ecOf(malformed), { code: 'InvalidDigest', ec: '0017-00000502' });
  });

  test('NoSuchVersion 0012-00000203', async () => {
    assert.equal((await raw(ossd, { method: 'PUT', path: '/ec-bucket/v.txt', body: 'v' })).status, 200);
    const r = await raw(ossd, { method: 'GET', path: `/ec-bucket/v.txt?versionId=CAEQ${'A'.repeat(40)}` });
    assert.equal(r.status, 404);
    assert.deepEqual(ecOf(r), { code: 'NoSuchVersion', ec: '0012-00000203' });
  });

  test('an object name with a leading backslash: InvalidObjectName 0016-00000005', async () => {
    const r = await raw(ossd, { method: 'PUT', path: '/ec-bucket/%5Cx', body: 'x' });
    assert.equal(r.status, 400);
    assert.deepEqual(ecOf(r), { code: 'InvalidObjectName', ec: '0016-00000005' });
  });
});
