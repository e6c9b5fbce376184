// Error sub-codes (EC) for the errors that had none (issue 16, "Error sub-codes"): each
// answer carries OSS's documented EC as `x-oss-ec` and `<EC>`. The literals come from OSS's
// error-code pages (help.aliyun.com/…/oss/user-guide/<EC>) or from OSS answers held in the
// official SDKs' tests (alibabacloud-oss-go-sdk-v2 client_mock_test.go: BucketNotEmpty
// 0015-00000301, DeleteMultipleObjects' root 0016-00000608; client_integration_test.go:
// complete-all with a body 0042-00000216).
// Fails on the code before the fix: checked (no x-oss-ec on any of these; the delete-marker
// 405 and the PostObject content-length-range carried none or another cause's EC).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { fileField, multipartBody, postForm } from '../helpers/post-form.js';
import { raw, rawSocket, signV1, type RawResponse } from '../helpers/raw-http.js';

const B = 'ec-more';

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** Status, code and EC; the header EC and the body EC must agree. */
function answer(r: RawResponse): { status: number; code?: string; ec?: string } {
  const header = r.headers['x-oss-ec'] as string | undefined;
  assert.equal(header, tag(r.text, 'EC'), `x-oss-ec and <EC> differ: ${r.text}`);
  return { status: r.status, code: tag(r.text, 'Code'), ec: header };
}

function md5(body: string): string {
  return createHash('md5').update(body).digest('base64');
}

/** A V1-signed PostObject policy form (the signature is HMAC-SHA1 of the base64 policy). */
function signedPolicy(ossd: Ossd, policy: object | string): Array<{ name: string; value: string }> {
  const b64 = Buffer.from(typeof policy === 'string' ? policy : JSON.stringify(policy)).toString('base64');
  return [
    { name: 'OSSAccessKeyId', value: ossd.accessKeyId },
    { name: 'policy', value: b64 },
    { name: 'Signature', value: createHmac('sha1', ossd.accessKeySecret).update(b64).digest('base64') },
  ];
}

describe('ECs of the errors that had none', { timeout: 120_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/obj.txt`, body: 'x' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('BucketNotEmpty 0015-00000301', async () => {
    assert.deepEqual(answer(await raw(ossd, { method: 'DELETE', path: `/${B}/` })), { status: 409, code: 'BucketNotEmpty', ec: '0015-00000301' });
  });

  test('NoSuchCORSConfiguration 0034-00000001', async () => {
    assert.deepEqual(answer(await raw(ossd, { method: 'GET', path: `/${B}/?cors` })), { status: 404, code: 'NoSuchCORSConfiguration', ec: '0034-00000001' });
  });

  test('NotSymlink 0043-00000101', async () => {
    assert.deepEqual(answer(await raw(ossd, { method: 'GET', path: `/${B}/obj.txt?symlink` })), { status: 400, code: 'NotSymlink', ec: '0043-00000101' });
  });

  test('MissingContentLength 0017-00000101 (a PUT with neither Content-Length nor chunked)', async () => {
    const date = new Date().toUTCString();
    const authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'PUT', `/${B}/nolength`, { date })}`;
    const text = await rawSocket(ossd, `PUT /${B}/nolength HTTP/1.1\r\nHost: 127.0.0.1\r\nDate: ${date}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 411 /);
    assert.match(text, /\r\nx-oss-ec: 0017-00000101\r\n/i);
    assert.match(text, /<Code>MissingContentLength<\/Code>/);
  });

  test('MethodNotAllowed on a delete marker\'s versionId: 0017-00000002', async () => {
    const V = 'ec-more-versions';
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${V}/` })).status, 200);
    const body = '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>';
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${V}/?versioning`, body })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${V}/k`, body: 'v' })).status, 200);
    const del = await raw(ossd, { method: 'DELETE', path: `/${V}/k` });
    const markerId = String(del.headers['x-oss-version-id']);
    assert.deepEqual(answer(await raw(ossd, { method: 'GET', path: `/${V}/k?acl&versionId=${markerId}` })), { status: 405, code: 'MethodNotAllowed', ec: '0017-00000002' });
  });

  test('DeleteMultipleObjects: root not <Delete> 0016-00000608, an <Object> without <Key> 0016-00000613', async () => {
    for (const [body, ec] of [['<Remove><Object><Key>a</Key></Object></Remove>', '0016-00000608'], ['<Delete><Object><VersionId>x</VersionId></Object></Delete>', '0016-00000613']]) {
      const r = await raw(ossd, { method: 'POST', path: `/${B}/?delete`, body, headers: { 'content-md5': md5(body!) } });
      assert.deepEqual(answer(r), { status: 400, code: 'MalformedXML', ec }, body);
    }
  });

  test('CompleteMultipartUpload with x-oss-complete-all and a body: InvalidArgument 0042-00000216, OSS\'s message', async () => {
    const init = await raw(ossd, { method: 'POST', path: `/${B}/mp?uploads` });
    const uploadId = tag(init.text, 'UploadId');
    const r = await raw(ossd, { method: 'POST', path: `/${B}/mp?uploadId=${uploadId}`, body: '<CompleteMultipartUpload/>', headers: { 'x-oss-complete-all': 'yes' } });
    assert.deepEqual(answer(r), { status: 400, code: 'InvalidArgument', ec: '0042-00000216' });
    assert.equal(tag(r.text, 'Message'), 'Should not speficy both complete all header and http body.');
  });

  test('PostObject: a form cut short MalformedPOSTRequest 0006-00000104; a bad policy InvalidPolicyDocument 0006-00000201; outside content-length-range 0006-00000003', async () => {
    // The form ends before its closing boundary (0006-00000104: "the form field data … is incomplete").
    const policy = signedPolicy(ossd, { expiration: '2099-01-01T00:00:00Z', conditions: [] });
    const whole = multipartBody([{ name: 'key', value: 'form' }, ...policy, fileField('bytes')], 'b0undary');
    const cut = whole.body.subarray(0, whole.body.length - '\r\n--b0undary--\r\n'.length);
    const malformed = await raw(ossd, { method: 'POST', path: `/${B}`, body: cut, headers: { 'content-type': whole.contentType }, sign: 'none' });
    assert.deepEqual(answer(malformed), { status: 400, code: 'MalformedPOSTRequest', ec: '0006-00000104' });
    const badPolicy = await postForm(ossd, B, [{ name: 'key', value: 'form' }, ...signedPolicy(ossd, '{"conditions": []}'), fileField('x')]);
    assert.deepEqual(answer(badPolicy), { status: 400, code: 'InvalidPolicyDocument', ec: '0006-00000201' });
    const range = { expiration: '2099-01-01T00:00:00Z', conditions: [['content-length-range', 2, 4]] };
    const big = await postForm(ossd, B, [{ name: 'key', value: 'form' }, ...signedPolicy(ossd, range), fileField('too long')]);
    assert.deepEqual(answer(big), { status: 400, code: 'EntityTooLarge', ec: '0006-00000003' });
    const small = await postForm(ossd, B, [{ name: 'key', value: 'form' }, ...signedPolicy(ossd, range), fileField('x')]);
    assert.deepEqual(answer(small), { status: 400, code: 'EntityTooSmall', ec: '0006-00000003' });
  });
});
