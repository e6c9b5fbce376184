// PutBucketAcl on a bucket that does not exist creates it (issue 16; OSS PutBucketAcl doc:
// "If the specified bucket does not exist, a new bucket is created"), with the ACL sent,
// Standard storage. Raw HTTP as every SDK sends it (`PUT /bucket?acl` + `x-oss-acl`, no body),
// then ali-oss putBucketACL. A key limited to named buckets may not create buckets, so it
// gets 403 AccessDenied and nothing is created; an invalid ACL creates nothing either.
//
// Fails before the fix: checked (404 NoSuchBucket). Fails when the scope check in
// putBucketAcl is removed: checked (the scoped key created the bucket).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw, type RawResponse } from '../helpers/raw-http.js';
import { client } from '../helpers/clients.js';
import { createKey } from '../helpers/keys.js';

let ossd: Ossd;
const putAcl = (bucket: string, acl: string): Promise<RawResponse> =>
  raw(ossd, { method: 'PUT', path: `/${bucket}/?acl`, headers: { 'x-oss-acl': acl } });
const getAcl = (bucket: string): Promise<RawResponse> => raw(ossd, { method: 'GET', path: `/${bucket}/?acl` });

describe('PutBucketAcl on a missing bucket', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
  });

  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('raw PUT /bucket?acl creates the bucket with that ACL; a second one changes the ACL', async () => {
    const res = await putAcl('acl-created', 'public-read');
    assert.equal(res.status, 200, res.text);
    assert.match((await getAcl('acl-created')).text, /<Grant>public-read<\/Grant>/);
    const info = await raw(ossd, { method: 'GET', path: '/acl-created/?bucketInfo' });
    assert.equal(info.status, 200, info.text);
    assert.match(info.text, /<StorageClass>Standard<\/StorageClass>/);
    assert.equal((await putAcl('acl-created', 'private')).status, 200);
    assert.match((await getAcl('acl-created')).text, /<Grant>private<\/Grant>/);
  });

  test('an invalid ACL is InvalidArgument and creates nothing', async () => {
    assertErr(await putAcl('acl-bad', 'bogus'), 400, 'InvalidArgument');
    assertErr(await getAcl('acl-bad'), 404, 'NoSuchBucket');
  });

  test('ali-oss putBucketACL creates the bucket', async () => {
    const c = client(ossd, { mode: 'sld' });
    await c.putBucketACL('acl-by-sdk', 'public-read-write');
    assert.equal((await c.getBucketACL('acl-by-sdk')).acl, 'public-read-write');
  });

  test('a key limited to named buckets cannot create one through PutBucketAcl', async () => {
    const scoped = await createKey(ossd, ['--bucket', 'acl-scoped']);
    const c = client(ossd, { mode: 'sld', accessKeyId: scoped.id, accessKeySecret: scoped.secret });
    await assert.rejects(c.putBucketACL('acl-scoped', 'private'), (err: { status?: number; code?: string }) => {
      assert.equal(err.status, 403);
      assert.equal(err.code, 'AccessDenied');
      return true;
    });
    assertErr(await getAcl('acl-scoped'), 404, 'NoSuchBucket');
  });
});
