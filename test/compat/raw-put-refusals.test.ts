// Headers OSS refuses on writes (issue 16), raw HTTP.
//
// PutObject with If-Match, If-None-Match, If-Modified-Since or If-Unmodified-Since: OSS does
// not implement conditional PutObject and answers NotImplemented, `<Header>` naming the
// header, EC 0017-00000245 (help.aliyun.com/en/oss/user-guide/0017-00000245); nothing is
// written, status 400 as OSS's page gives it. x-oss-forbid-overwrite is what OSS offers instead.
// PutSymlink with x-oss-server-side-encryption: OSS takes that header on PutObject,
// PostObject, CopyObject, InitiateMultipartUpload and AppendObject only (OSS page
// 0005-00000002): 400 InvalidArgument, EC 0005-00000002, no link made.
//
// Fail before the fix: checked (2026-12-05: the conditional PUTs answered 200 and overwrote
// the object; the symlink with the header answered 200). Fails when refuseConditionalPut or
// refuseEncryptionHeader is removed: checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw, type RawResponse } from '../helpers/raw-http.js';
import { rawV4 } from '../helpers/raw-v4.js';

const B = 'refusals';
let ossd: Ossd;

function tag(r: RawResponse, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(r.text)?.[1];
}

describe('write headers OSS refuses', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/obj`, body: 'original' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  const conditions: Array<[string, string]> = [
    ['If-Match', '"00000000000000000000000000000000"'],
    ['If-None-Match', '*'],
    ['If-Modified-Since', 'Thu, 09 Feb 2023 06:41:44 GMT'],
    ['If-Unmodified-Since', 'Thu, 09 Feb 2023 06:41:44 GMT'],
  ];
  for (const [name, value] of conditions) {
    test(`PutObject with ${name}: NotImplemented naming it, nothing written`, async () => {
      const r = await raw(ossd, { method: 'PUT', path: `/${B}/obj`, headers: { [name]: value }, body: 'replaced' });
      assertErr(r, 400, 'NotImplemented');
      assert.equal(tag(r, 'Header'), name);
      assert.equal(tag(r, 'EC'), '0017-00000245');
      assert.equal(r.headers['x-oss-ec'], '0017-00000245');
      assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/obj` })).text, 'original');
    });
  }

  test('a new key with If-None-Match (V4) is refused too, and not created', async () => {
    assertErr(await rawV4(ossd, { method: 'PUT', path: `/${B}/new-key`, headers: { 'if-none-match': '*' }, body: 'x' }), 400, 'NotImplemented');
    assertErr(await raw(ossd, { method: 'HEAD', path: `/${B}/new-key` }), 404, 'NoSuchKey');
  });

  test('PutObject with x-oss-callback: 501 NotImplemented, nothing written (was 200, the callback ignored: checked)', async () => {
    const callback = Buffer.from(JSON.stringify({ callbackUrl: 'http://127.0.0.1:9/cb', callbackBody: 'bucket=${bucket}' })).toString('base64');
    assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/obj`, headers: { 'x-oss-callback': callback }, body: 'replaced' }), 501, 'NotImplemented');
    assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/obj` })).text, 'original');
  });

  test('x-oss-forbid-overwrite still protects an existing object', async () => {
    assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/obj`, headers: { 'x-oss-forbid-overwrite': 'true' }, body: 'replaced' }), 409, 'FileAlreadyExists');
    assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/obj` })).text, 'original');
  });

  test('PutSymlink with x-oss-server-side-encryption: 400 InvalidArgument, EC 0005-00000002, no link', async () => {
    for (const value of ['AES256', 'KMS']) {
      const r = await raw(ossd, { method: 'PUT', path: `/${B}/link?symlink`, headers: { 'x-oss-symlink-target': 'obj', 'x-oss-server-side-encryption': value } });
      assertErr(r, 400, 'InvalidArgument');
      assert.equal(r.headers['x-oss-ec'], '0005-00000002');
      assert.equal(tag(r, 'ArgumentName'), 'x-oss-server-side-encryption');
    }
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/link?symlink` }), 404, 'NoSuchKey');
    const ok = await raw(ossd, { method: 'PUT', path: `/${B}/link?symlink`, headers: { 'x-oss-symlink-target': 'obj' } });
    assert.equal(ok.status, 200, ok.text);
  });
});
