/**
 * Which operations are authorized against the version their `?versionId=` names
 * (src/protocol/authorize.ts, issue 15 hole 3; the end-to-end matrix is
 * test/security/acl-versions.test.ts). A renamed operation row must not silently drop out
 * of the set, and an operation that ignores versionId must not let it sway authorization.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressedVersion, VERSION_ADDRESSING } from '../../src/protocol/authorize.js';
import { OPERATIONS } from '../../src/protocol/operations.js';

const q = (versionId: string) => [{ name: 'versionId', value: versionId, hasEquals: true }];

describe('addressedVersion', { timeout: 10_000 }, () => {
  test('every version-addressing operation is a row of the operation table', () => {
    const names = new Set(OPERATIONS.map((r) => r.name));
    for (const name of VERSION_ADDRESSING) assert.ok(names.has(name), name);
  });

  test('reads, deletes, ACL and tagging requests name a version; writes of the current key do not', () => {
    for (const op of ['GetObject', 'HeadObject', 'GetObjectMeta', 'GetSymlink', 'DeleteObject', 'PutObjectAcl', 'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging']) {
      assert.equal(addressedVersion(op, q('CAEQx')), 'CAEQx', op);
    }
    for (const op of ['PutObject', 'AppendObject', 'CopyObject', 'PutSymlink', 'InitiateMultipartUpload', 'ListObjects']) {
      assert.equal(addressedVersion(op, q('CAEQx')), undefined, op);
    }
    assert.equal(addressedVersion('GetObject', []), undefined);
  });
});
