/**
 * Bucket operations (buckets.md) and object listing (listing.md) through the real
 * ali-oss client, in every addressing mode and both signature versions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';
import { modeTag, rejectsWith, SDK_MODES } from '../helpers/sdk-fixtures.js';
import {
  ALL_LIST_KEYS,
  assertFullPages,
  bytewise,
  CP_ENTRIES,
  ENC_KEYS,
  MULTI_DELIM_KEYS,
  PAGE_KEYS,
  pageV1,
  pageV2,
  TREE_KEYS,
} from '../helpers/sdk-listing.js';

const LIST_BUCKET = 'list-shared';
const noSuchBucket = { code: 'NoSuchBucket', status: 404 };

let ossd: Ossd;
before(async () => {
  ossd = await startOssd();
  const c = client(ossd, { mode: 'sld', bucket: LIST_BUCKET });
  await c.putBucket(LIST_BUCKET);
  for (let i = 0; i < ALL_LIST_KEYS.length; i += 16) {
    await Promise.all(ALL_LIST_KEYS.slice(i, i + 16).map((k) => c.put(k, Buffer.from(k))));
  }
});
after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

for (const m of SDK_MODES) {
  const tag = modeTag(m);
  describe(`buckets: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(() => {
      c = client(ossd, { mode: m.mode, v4: m.v4 });
    });

    it('creates a bucket (Location header) and refuses a duplicate', async () => {
      const name = `bk-${tag}-plain`;
      const r = await c.putBucket(name);
      assert.equal(r.res.status, 200);
      assert.equal(r.bucket, name);
      await rejectsWith(c.putBucket(name), { code: 'BucketAlreadyExists', status: 409, name: 'BucketAlreadyExistsError' });
    });

    it('creates buckets with an ACL and with a storage class', async () => {
      await c.putBucket(`bk-${tag}-acl`, { acl: 'public-read' });
      assert.equal((await c.getBucketACL(`bk-${tag}-acl`)).acl, 'public-read');
      await c.putBucket(`bk-${tag}-ia`, { storageClass: 'IA', dataRedundancyType: 'ZRS' });
      const info = (await c.getBucketInfo(`bk-${tag}-ia`)).bucket;
      assert.equal(info.StorageClass, 'IA');
      assert.equal(info.DataRedundancyType, 'ZRS');
      assert.equal(info.AccessControlList.Grant, 'private');
      await rejectsWith(c.putBucket(`bk-${tag}-bad-acl`, { acl: 'bogus' }), { code: 'InvalidArgument', status: 400 });
      await rejectsWith(c.putBucket(`bk-${tag}-bad-sc`, { storageClass: 'Bogus' }), { code: 'InvalidArgument', status: 400 });
      await rejectsWith(c.getBucketInfo(`bk-${tag}-bad-sc`), noSuchBucket);
    });

    it('refuses invalid bucket names (client-side or InvalidBucketName)', async () => {
      for (const name of ['ab', 'Upper-case', '-lead', 'trail-', 'under_score', 'x'.repeat(64)]) {
        await assert.rejects(c.putBucket(name), /bucket must be conform/, name);
      }
      // ali-oss lets '_' through for non-create calls: the server must refuse it.
      await rejectsWith(c.getBucketInfo('under_score'), { code: 'InvalidBucketName', status: 400 });
    });

    it('lists buckets with prefix, marker and max-keys paging', async () => {
      const names = [5, 3, 1, 4, 2].map((i) => `lb-${tag}-${i}`);
      for (const n of names) await c.putBucket(n);
      const seen: string[] = [];
      let marker: string | undefined;
      for (let page = 0; ; page++) {
        const r = await c.listBuckets({ prefix: `lb-${tag}-`, 'max-keys': 2, ...(marker ? { marker } : {}) });
        assert.ok(r.owner.id, 'owner present');
        seen.push(...r.buckets.map((b: { name: string }) => b.name));
        for (const b of r.buckets) {
          assert.equal(b.region, 'oss-cn-hangzhou');
          assert.equal(b.storageClass, 'Standard');
          assert.match(b.creationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
        }
        if (!r.isTruncated) break;
        assert.equal(r.buckets.length, 2);
        marker = r.nextMarker;
        assert.equal(marker, seen[seen.length - 1]);
        assert.ok(page < 5);
      }
      assert.deepEqual(seen, [...names].sort());
      const all = await c.listBuckets();
      assert.ok(all.buckets.some((b: { name: string }) => b.name === LIST_BUCKET));
    });

    it('reports bucket info and location, and puts and gets the bucket ACL', async () => {
      const name = `bk-${tag}-plain`;
      const info = (await c.getBucketInfo(name)).bucket;
      assert.equal(info.Name, name);
      assert.equal(info.Location, 'oss-cn-hangzhou');
      // The host the client reached ossd by (issue 16), never Alibaba's: the IP for ali-oss's
      // IP modes (its Host is an invented *.aliyuncs.com name), else localhost and the port.
      assert.equal(info.ExtranetEndpoint, m.mode.startsWith('ip') ? `127.0.0.1:${ossd.port}` : `localhost:${ossd.port}`);
      assert.match(info.CreationDate, /\.000Z$/);
      assert.equal(info.Owner.ID, ossd.accessKeyId);
      assert.equal((await c.getBucketLocation(name)).location, 'oss-cn-hangzhou');
      for (const acl of ['public-read-write', 'public-read', 'private']) {
        const put = await c.putBucketACL(name, acl);
        assert.equal(put.bucket, name);
        assert.equal((await c.getBucketACL(name)).acl, acl);
      }
      await rejectsWith(c.putBucketACL(name, 'default'), { code: 'InvalidArgument', status: 400 });
      await rejectsWith(c.getBucketLocation(`bk-${tag}-missing`), noSuchBucket);
    });

    it('deletes only empty buckets; a deleted bucket is NoSuchBucket', async () => {
      const name = `bk-${tag}-del`;
      await c.putBucket(name);
      const b = client(ossd, { mode: m.mode, v4: m.v4, bucket: name });
      await b.put('blocker.txt', Buffer.from('x'));
      await b.append('appendable.log', Buffer.from('y'));
      await rejectsWith(c.deleteBucket(name), { code: 'BucketNotEmpty', status: 409 });
      await b.delete('blocker.txt');
      await rejectsWith(c.deleteBucket(name), { code: 'BucketNotEmpty', status: 409 });
      await b.delete('appendable.log');
      const del = await c.deleteBucket(name);
      assert.ok([200, 204].includes(del.res.status));
      await rejectsWith(c.getBucketInfo(name), noSuchBucket);
      await rejectsWith(c.deleteBucket(name), noSuchBucket);
      await rejectsWith(b.put('again.txt', Buffer.from('x')), noSuchBucket);
      await rejectsWith(b.list(), noSuchBucket);
    });
  });

  describe(`listing: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(() => {
      c = client(ossd, { mode: m.mode, v4: m.v4, bucket: LIST_BUCKET });
    });

    it('pages through ~250 keys 7 at a time, each key once in bytewise order (list and listV2)', async () => {
      const expected = bytewise(PAGE_KEYS);
      const v1 = await pageV1(c, { prefix: 'page/', 'max-keys': 7 });
      assert.deepEqual(v1.entries, expected);
      assertFullPages(v1, 7, expected.length);
      const v2 = await pageV2(c, { prefix: 'page/', 'max-keys': 7 });
      assert.deepEqual(v2.entries, expected);
      assertFullPages(v2, 7, expected.length);
    });

    it('rolls keys up into common prefixes with / and with a multi-character delimiter', async () => {
      const r = await c.list({ prefix: 'tree/', delimiter: '/' });
      assert.deepEqual(r.objects.map((o: { name: string }) => o.name), ['tree/a.txt', 'tree/b.txt', 'tree/z.txt']);
      assert.deepEqual(r.prefixes, ['tree/b/', 'tree/c/']);
      assert.equal(r.isTruncated, false);
      const v2 = await c.listV2({ prefix: 'tree/', delimiter: '/' });
      assert.deepEqual(v2.prefixes, ['tree/b/', 'tree/c/']);
      assert.equal(v2.keyCount, 5);
      const mc = await c.list({ prefix: 'mc/', delimiter: '--' });
      assert.deepEqual(mc.objects.map((o: { name: string }) => o.name), ['mc/plain', 'mc/q-r']);
      assert.deepEqual(mc.prefixes, ['mc/--', 'mc/x--']);
      assert.equal(MULTI_DELIM_KEYS.length, 5);
      const top = await c.list({ delimiter: '/', 'max-keys': 1000 });
      assert.deepEqual(top.prefixes, ['cp/', 'enc/', 'mc/', 'page/', 'tree/']);
      assert.deepEqual(top.objects, []);
    });

    it('resumes after a marker / start-after and lists from an empty prefix', async () => {
      const after1 = await c.list({ prefix: 'tree/', marker: 'tree/b/1.txt' });
      const rest = bytewise(TREE_KEYS).filter((k) => Buffer.compare(Buffer.from(k), Buffer.from('tree/b/1.txt')) > 0);
      assert.deepEqual(after1.objects.map((o: { name: string }) => o.name), rest);
      const v2 = await c.listV2({ prefix: 'tree/', 'start-after': 'tree/b/1.txt' });
      assert.deepEqual(v2.objects.map((o: { name: string }) => o.name), rest);
      const first = await c.list({ prefix: '', 'max-keys': 5 });
      assert.deepEqual(first.objects.map((o: { name: string }) => o.name), bytewise(ALL_LIST_KEYS).slice(0, 5));
      assert.equal(first.isTruncated, true);
      assert.equal(first.nextMarker, bytewise(ALL_LIST_KEYS)[4]);
    });

    it('never repeats a common prefix that ends a page (list and listV2)', async () => {
      for (const max of [1, 2, 3]) {
        const v1 = await pageV1(c, { prefix: 'cp/', delimiter: '/', 'max-keys': max });
        assert.deepEqual(v1.entries, CP_ENTRIES, `list, max-keys ${max}`);
        assertFullPages(v1, max, CP_ENTRIES.length);
        const v2 = await pageV2(c, { prefix: 'cp/', delimiter: '/', 'max-keys': max });
        assert.deepEqual(v2.entries, CP_ENTRIES, `listV2, max-keys ${max}`);
      }
      const v1 = await pageV1(c, { prefix: 'cp/', delimiter: '/', 'max-keys': 2 });
      assert.ok(v1.markers.includes('cp/b/'), 'a page ended on a common prefix');
    });

    it('url-encodes keys and prefixes under encoding-type=url', async () => {
      const r = await c.list({ prefix: 'enc/', delimiter: '/', 'encoding-type': 'url' });
      const names: string[] = r.objects.map((o: { name: string }) => o.name);
      for (const n of [...names, ...(r.prefixes ?? [])]) assert.match(n, /^[A-Za-z0-9%._~-]+$/, `${n} is percent-encoded`);
      assert.deepEqual(names.map(decodeURIComponent), bytewise(ENC_KEYS.filter((k) => !k.startsWith('enc/dir/'))));
      assert.deepEqual((r.prefixes ?? []).map(decodeURIComponent), ['enc/dir/']);
      const v2 = await c.listV2({ prefix: 'enc/', 'encoding-type': 'url' });
      assert.deepEqual(v2.objects.map((o: { name: string }) => decodeURIComponent(o.name)), bytewise(ENC_KEYS));
      assert.ok(v2.objects.some((o: { name: string }) => o.name.includes('a%20b%2Bc')));
    });

    it('includes the owner in listV2 only with fetch-owner, always in list', async () => {
      const without = await c.listV2({ prefix: 'tree/', 'max-keys': 2 });
      assert.equal(without.objects[0].owner, null);
      const withOwner = await c.listV2({ prefix: 'tree/', 'max-keys': 2, 'fetch-owner': true });
      assert.equal(withOwner.objects[0].owner.id, ossd.accessKeyId);
      const v1 = await c.list({ prefix: 'tree/', 'max-keys': 2 });
      assert.equal(v1.objects[0].owner.id, ossd.accessKeyId);
      assert.equal(v1.objects[0].size, Buffer.byteLength(v1.objects[0].name));
      assert.equal(v1.objects[0].type, 'Normal');
      assert.match(v1.objects[0].lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    });

    it('refuses max-keys above 1000 and an invalid continuation token', async () => {
      await rejectsWith(c.list({ 'max-keys': 1001 }), { code: 'InvalidArgument', status: 400 });
      await rejectsWith(c.listV2({ 'continuation-token': '!!not-a-token!!' }), { code: 'InvalidArgument', status: 400 });
    });
  });
}

describe('listing: raw XML under encoding-type=url', { timeout: 300_000 }, () => {
  it('echoes EncodingType and percent-encodes Key, Prefix and CommonPrefixes', async () => {
    const res = await raw(ossd, { method: 'GET', path: `/${LIST_BUCKET}/?prefix=enc%2F&delimiter=%2F&encoding-type=url` });
    assert.equal(res.status, 200);
    assert.match(res.text, /<EncodingType>url<\/EncodingType>/);
    assert.match(res.text, /<Prefix>enc%2F<\/Prefix>/);
    assert.match(res.text, /<Key>enc%2Fa%20b%2Bc<\/Key>/);
    assert.match(res.text, /<Key>enc%2F%E4%B8%AD%E6%96%87<\/Key>/);
    assert.match(res.text, /<Key>enc%2Fx%26y%3Dz<\/Key>/);
    assert.match(res.text, /<CommonPrefixes><Prefix>enc%2Fdir%2F<\/Prefix><\/CommonPrefixes>/);
  });
});
