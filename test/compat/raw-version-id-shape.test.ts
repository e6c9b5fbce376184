// A version id no server could have made (oss2 test_delete_object_versions_with_invalid_arguments:
// DeleteMultipleObjects with <VersionId>234</VersionId> must raise InvalidArgument;
// docs/sdk-compatibility.md ⑧). OSS's ids, and ossd's, are base64 starting `CAEQ`; `null`
// names the null version. Anything else is 400 InvalidArgument wherever a version id is
// taken, and nothing is deleted; a well-shaped unknown id stays 404 NoSuchVersion.
// Before, the multi-delete answered 200 listing `234` as deleted (checked); fails when the
// shape check in checkVersionId is removed: checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, md5Base64, raw } from '../helpers/raw-http.js';
import { putVersioning, UNKNOWN_VERSION_ID, vidOf } from '../helpers/versioning.js';

let ossd: Ossd;
const B = 'vid-shape';

before(async () => {
  ossd = await startOssd();
  assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
  assert.equal((await putVersioning(ossd, B, 'Enabled')).status, 200);
}, { timeout: 60_000 });

after(async () => {
  await ossd.stop();
  ossd.cleanup();
}, { timeout: 60_000 });

function multiDelete(entries: Array<[string, string]>) {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${entries
    .map(([k, v]) => `<Object><Key>${k}</Key><VersionId>${v}</VersionId></Object>`)
    .join('')}</Delete>`;
  return raw(ossd, { method: 'POST', path: `/${B}/?delete`, body, headers: { 'content-md5': md5Base64(body) } });
}

describe('version ids of the wrong shape', { timeout: 60_000 }, () => {
  test('DeleteMultipleObjects with <VersionId>234</VersionId>: 400 InvalidArgument, nothing deleted', async () => {
    const put = await raw(ossd, { method: 'PUT', path: `/${B}/test-key`, body: 'v1' });
    assert.equal(put.status, 200);
    const v1 = vidOf(put);
    assert.ok(v1);
    for (const bad of ['234', 'version', 'caeq1234', 'CAEQ&x']) {
      assertErr(await multiDelete([['test-key', v1], ['test-key', bad.replace('&', '&amp;')]]), 400, 'InvalidArgument');
    }
    // Nothing of the refused requests was carried out: the good entry's version is still there.
    assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/test-key?versionId=${v1}` })).status, 200);
  });

  test('GET, HEAD and DELETE ?versionId=234: 400 InvalidArgument; a well-shaped unknown id: 404 NoSuchVersion; null: the null version', async () => {
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/test-key?versionId=234` }), 400, 'InvalidArgument');
    assert.equal((await raw(ossd, { method: 'HEAD', path: `/${B}/test-key?versionId=234` })).status, 400);
    assertErr(await raw(ossd, { method: 'DELETE', path: `/${B}/test-key?versionId=234` }), 400, 'InvalidArgument');
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/test-key?versionId=${UNKNOWN_VERSION_ID}` }), 404, 'NoSuchVersion');
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/test-key?versionId=null` }), 404, 'NoSuchVersion');
    assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/test-key` })).status, 200);
  });
});
