/**
 * Bucket versioning through the real ali-oss client (buckets.md §7, objects.md §2.3 and
 * §5–§8, listing.md §4, append.md §9): the configuration, a version per write, reads,
 * ACLs and tags by version id, delete markers, ListObjectVersions and its paging,
 * DeleteMultipleObjects and CopyObject with version ids, Suspended null versions, the
 * append rules of versioned buckets, and DeleteBucket while versions remain.
 * In every addressing mode and both signature versions (SDK_MODES).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { bucketClient, bucketFor, contentOf, crcOf, hdr, md5Etag, rejectsWith, SDK_MODES } from '../helpers/sdk-fixtures.js';
import { UNKNOWN_VERSION_ID } from '../helpers/versioning.js';


const noSuchKey = { code: 'NoSuchKey', status: 404 };
const noSuchVersion = { code: 'NoSuchVersion', status: 404, name: 'NoSuchVersionError' };
const onDeleteMarker = { code: 'MethodNotAllowed', status: 405, name: 'MethodNotAllowedError' };
const notAppendable = { code: 'ObjectNotAppendable', status: 409, name: 'ObjectNotAppendableError' };
const positionMismatch = { code: 'PositionNotEqualToLength', status: 409, name: 'PositionNotEqualToLengthError' };
const notEmpty = { code: 'BucketNotEmpty', status: 409, name: 'BucketNotEmptyError' };

interface Res {
  res: { status: number; headers: Record<string, string | string[] | undefined> };
}
interface SdkVersion {
  name: string;
  versionId: string;
  isLatest: boolean;
  type: string;
  size: number;
  etag: string;
  storageClass: string;
  lastModified: string;
  owner: { id: string; displayName: string };
}
interface SdkMarker {
  name: string;
  versionId: string;
  lastModified: string;
  owner: { id: string; displayName: string };
}
interface SdkVersions {
  objects: SdkVersion[];
  deleteMarker: SdkMarker[];
  prefixes: string[] | null;
  nextMarker: string | null;
  NextVersionIdMarker: string | null;
  isTruncated: boolean;
}

const ossd = useOssd();

/** x-oss-version-id of an ali-oss result. */
const vid = (r: Res): string | undefined => hdr(r.res, 'x-oss-version-id');

/** A version id the server handed out: present, not the null version. */
function realId(r: Res, what: string): string {
  const id = vid(r);
  assert.ok(id !== undefined && id !== '' && id !== 'null', `${what}: x-oss-version-id is a real id (got ${id})`);
  return id;
}

async function versionsOf(c: OssClient, query: Record<string, unknown>): Promise<SdkVersions> {
  return (await c.getBucketVersions(query)) as SdkVersions;
}

/** `[name, versionId, isLatest]` of each Version entry. */
const shape = (l: SdkVersions): Array<[string, string, boolean]> => l.objects.map((o) => [o.name, o.versionId, o.isLatest]);
const markerIds = (l: SdkVersions): Array<[string, string]> => l.deleteMarker.map((d) => [d.name, d.versionId]);
const text = async (c: OssClient, name: string, opts?: Record<string, unknown>): Promise<string> => contentOf(await c.get(name, opts)).toString();

for (const m of SDK_MODES) {
  describe(`versioning: ${m.label}`, { timeout: 300_000 }, () => {
    const B = bucketFor('ver', m);
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, B);
    });

    it('getBucketVersioning/getBucketInfo before and after Enabled; older objects are the null version', async () => {
      const unset = await c.getBucketVersioning(B);
      assert.equal(unset.status, 200);
      assert.equal(unset.versionStatus, undefined, 'a never-versioned bucket has no Status');
      assert.equal((await c.getBucketInfo(B)).bucket.Versioning, undefined);
      const pre = await c.put('pre.txt', Buffer.from('before versioning'));
      assert.equal(vid(pre), undefined, 'no x-oss-version-id in a never-versioned bucket');
      assert.equal(vid(await c.get('pre.txt')), undefined);
      assert.equal(vid(await c.head('pre.txt')), undefined);

      const put = await c.putBucketVersioning(B, 'Enabled');
      assert.equal(put.status, 200);
      assert.equal((await c.getBucketVersioning(B)).versionStatus, 'Enabled');
      assert.equal((await c.getBucketInfo(B)).bucket.Versioning, 'Enabled');

      assert.equal(vid(await c.get('pre.txt')), 'null', 'written before versioning: version id null');
      assert.equal(vid(await c.head('pre.txt')), 'null');
      assert.equal(vid(await c.getObjectMeta('pre.txt')), 'null');
      const v1 = realId(await c.put('pre.txt', Buffer.from('after')), 'put once Enabled');
      assert.equal(await text(c, 'pre.txt'), 'after');
      const old = await c.get('pre.txt', { versionId: 'null' });
      assert.equal(contentOf(old).toString(), 'before versioning');
      assert.equal(vid(old), 'null');
      const l = await versionsOf(c, { prefix: 'pre.txt' });
      assert.deepEqual(shape(l), [['pre.txt', v1, true], ['pre.txt', 'null', false]]);
      assert.deepEqual(l.deleteMarker, []);
    });

    it('each put makes a new version; get/head/getObjectMeta with versionId serve that version', async () => {
      const name = 'multi/版本 1.txt';
      const bodies = ['first', 'second body', 'third!'].map((s) => Buffer.from(s));
      const ids: string[] = [];
      for (const [i, b] of bodies.entries()) {
        ids.push(realId(await c.put(name, b, { mime: `text/x-v${i}`, meta: { n: String(i) } }), `put ${i}`));
      }
      assert.equal(new Set(ids).size, 3, 'distinct version ids');

      const cur = await c.get(name);
      assert.deepEqual(contentOf(cur), bodies[2]);
      assert.equal(vid(cur), ids[2]);
      for (const [i, b] of bodies.entries()) {
        const g = await c.get(name, { versionId: ids[i] });
        assert.deepEqual(contentOf(g), b, `GET version ${i}`);
        assert.equal(vid(g), ids[i]);
        assert.equal(hdr(g.res, 'etag'), md5Etag(b));
        assert.equal(hdr(g.res, 'x-oss-hash-crc64ecma'), crcOf(b));
        assert.equal(hdr(g.res, 'content-type'), `text/x-v${i}`);

        const h = await c.head(name, { versionId: ids[i] });
        assert.equal(h.status, 200);
        assert.equal(hdr(h.res, 'content-length'), String(b.length), `HEAD version ${i}`);
        assert.equal(hdr(h.res, 'etag'), md5Etag(b));
        assert.equal(vid(h), ids[i]);
        assert.deepEqual(h.meta, { n: String(i) });

        const meta = await c.getObjectMeta(name, { versionId: ids[i] });
        assert.equal(meta.status, 200);
        assert.equal(hdr(meta.res, 'content-length'), String(b.length), `GetObjectMeta version ${i}`);
        assert.equal(hdr(meta.res, 'etag'), md5Etag(b));
        assert.equal(vid(meta), ids[i]);
      }
      await rejectsWith(c.get(name, { versionId: UNKNOWN_VERSION_ID }), noSuchVersion);
      await assert.rejects(c.head(name, { versionId: UNKNOWN_VERSION_ID }), (e: { status?: number }) => e.status === 404);
      await assert.rejects(c.getObjectMeta(name, { versionId: UNKNOWN_VERSION_ID }), (e: { status?: number }) => e.status === 404);

      const l = await versionsOf(c, { prefix: 'multi/' });
      assert.deepEqual(shape(l), [[name, ids[2], true], [name, ids[1], false], [name, ids[0], false]]);
      assert.deepEqual(l.objects.map((o) => [o.size, o.etag, o.type, o.storageClass]), [...bodies].reverse().map((b) => [b.length, md5Etag(b), 'Normal', 'Standard']));
    });

    it('delete without versionId stacks delete markers; reads are NoSuchKey; a marker by id is 405; removing markers undeletes', async () => {
      const name = 'dm/gone.txt';
      const a = realId(await c.put(name, Buffer.from('version a')), 'put a');
      const b = realId(await c.put(name, Buffer.from('version b')), 'put b');
      const d1 = await c.delete(name);
      assert.equal(d1.res.status, 204);
      assert.equal(hdr(d1.res, 'x-oss-delete-marker'), 'true');
      const m1 = realId(d1, 'first delete marker');
      await rejectsWith(c.get(name), noSuchKey);
      await assert.rejects(c.head(name), (e: { status?: number }) => e.status === 404);
      await assert.rejects(c.getObjectMeta(name), (e: { status?: number }) => e.status === 404);
      assert.deepEqual((await c.list({ prefix: 'dm/' })).objects ?? [], [], 'ListObjects hides a deleted key');

      const d2 = await c.delete(name);
      assert.equal(hdr(d2.res, 'x-oss-delete-marker'), 'true');
      const m2 = realId(d2, 'second delete marker');
      assert.notEqual(m2, m1, 'another delete stacks another marker');

      const l = await versionsOf(c, { prefix: 'dm/' });
      assert.deepEqual(markerIds(l), [[name, m2], [name, m1]], 'delete markers newest first');
      assert.deepEqual(shape(l), [[name, b, false], [name, a, false]]);
      for (const dm of l.deleteMarker) assert.ok(dm.owner.id && dm.lastModified, 'DeleteMarker has Owner and LastModified');

      await rejectsWith(c.get(name, { versionId: m1 }), onDeleteMarker);
      await rejectsWith(c.head(name, { versionId: m1 }), onDeleteMarker);
      await rejectsWith(c.getACL(name, { versionId: m1 }), onDeleteMarker);
      assert.equal(await text(c, name, { versionId: a }), 'version a', 'older versions stay readable by id');

      const r2 = await c.delete(name, { versionId: m2 });
      assert.equal(r2.res.status, 204);
      assert.equal(vid(r2), m2);
      assert.equal(hdr(r2.res, 'x-oss-delete-marker'), 'true', 'the version deleted was a marker');
      await rejectsWith(c.get(name), noSuchKey);
      const r1 = await c.delete(name, { versionId: m1 });
      assert.equal(vid(r1), m1);
      assert.equal(hdr(r1.res, 'x-oss-delete-marker'), 'true');

      const back = await c.get(name);
      assert.equal(contentOf(back).toString(), 'version b', 'removing the markers undeletes');
      assert.equal(vid(back), b);
      assert.deepEqual((await c.list({ prefix: 'dm/' })).objects.map((o: { name: string }) => o.name), [name]);
      assert.deepEqual(shape(await versionsOf(c, { prefix: 'dm/' })), [[name, b, true], [name, a, false]]);
    });

    it('delete with versionId removes that version for good; the next newest becomes current unless it is a marker', async () => {
      const name = 'dv/k.txt';
      const ids: string[] = [];
      for (const s of ['one', 'two', 'three']) ids.push(realId(await c.put(name, Buffer.from(s)), `put ${s}`));
      const [v1, v2, v3] = ids as [string, string, string];

      const del3 = await c.delete(name, { versionId: v3 });
      assert.equal(del3.res.status, 204);
      assert.equal(vid(del3), v3);
      assert.equal(hdr(del3.res, 'x-oss-delete-marker'), undefined, 'not a marker');
      const cur = await c.get(name);
      assert.equal(contentOf(cur).toString(), 'two', 'the next newest version is current');
      assert.equal(vid(cur), v2);
      await rejectsWith(c.get(name, { versionId: v3 }), noSuchVersion);

      await c.delete(name, { versionId: v1 });
      assert.equal(await text(c, name), 'two', 'deleting a noncurrent version leaves the current one');
      await rejectsWith(c.get(name, { versionId: v1 }), noSuchVersion);
      assert.deepEqual(shape(await versionsOf(c, { prefix: 'dv/' })), [[name, v2, true]]);

      const unknown = await c.delete(name, { versionId: UNKNOWN_VERSION_ID });
      assert.equal(unknown.res.status, 204, 'an unknown version id deletes nothing, 204');
      assert.equal(await text(c, name), 'two');

      // Below the current version lies a delete marker: removing the current one leaves the key deleted.
      const low = 'dv/under-marker.txt';
      realId(await c.put(low, Buffer.from('x1')), 'put x1');
      const marker = realId(await c.delete(low), 'marker');
      const x2 = realId(await c.put(low, Buffer.from('x2')), 'put x2');
      assert.equal(await text(c, low), 'x2');
      await c.delete(low, { versionId: x2 });
      await rejectsWith(c.get(low), noSuchKey);
      const l = await versionsOf(c, { prefix: low });
      assert.deepEqual(markerIds(l), [[low, marker]]);
      assert.deepEqual(l.objects.map((o) => o.isLatest), [false]);
    });

    it('ListObjectVersions: keys ascending, newest first, delete markers, common prefixes, paging; ListObjects shows current only', async () => {
      const put = async (k: string, s: string): Promise<string> => realId(await c.put(k, Buffer.from(s)), `put ${k}`);
      const a1 = await put('lv/a', 'a-one');
      const a2 = await put('lv/a', 'a-two!!');
      const am = realId(await c.delete('lv/a'), 'delete lv/a');
      const b1 = await put('lv/b', 'b');
      const x1 = await put('lv/dir/x', 'x-one');
      const x2 = await put('lv/dir/x', 'x-two');
      const y1 = await put('lv/dir/y', 'y');

      const all = await versionsOf(c, { prefix: 'lv/' });
      assert.deepEqual(shape(all), [
        ['lv/a', a2, false],
        ['lv/a', a1, false],
        ['lv/b', b1, true],
        ['lv/dir/x', x2, true],
        ['lv/dir/x', x1, false],
        ['lv/dir/y', y1, true],
      ]);
      assert.deepEqual(markerIds(all), [['lv/a', am]]);
      assert.deepEqual(all.objects.map((o) => [o.size, o.etag, o.type]), [
        [7, md5Etag(Buffer.from('a-two!!')), 'Normal'],
        [5, md5Etag(Buffer.from('a-one')), 'Normal'],
        [1, md5Etag(Buffer.from('b')), 'Normal'],
        [5, md5Etag(Buffer.from('x-two')), 'Normal'],
        [5, md5Etag(Buffer.from('x-one')), 'Normal'],
        [1, md5Etag(Buffer.from('y')), 'Normal'],
      ]);
      for (const o of all.objects) {
        assert.match(o.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
        assert.ok(o.owner.id && o.owner.displayName, 'Owner');
      }
      assert.equal(all.isTruncated, false);
      assert.equal(all.nextMarker, null);
      assert.equal(all.prefixes, null);

      const folded = await versionsOf(c, { prefix: 'lv/', delimiter: '/' });
      assert.deepEqual(shape(folded), [['lv/a', a2, false], ['lv/a', a1, false], ['lv/b', b1, true]]);
      assert.deepEqual(markerIds(folded), [['lv/a', am]]);
      assert.deepEqual(folded.prefixes, ['lv/dir/']);

      // Two entries a page: the first page ends between lv/a's versions, the next resumes with the older one.
      const pages: Array<{ objects: Array<[string, string, boolean]>; markers: Array<[string, string]>; next: [string | null, string | null]; truncated: boolean }> = [];
      let query: Record<string, unknown> = { prefix: 'lv/', maxKeys: 2 };
      for (let i = 0; i < 6; i++) {
        const p = await versionsOf(c, query);
        pages.push({ objects: shape(p), markers: markerIds(p), next: [p.nextMarker, p.NextVersionIdMarker], truncated: p.isTruncated });
        if (!p.isTruncated) break;
        query = { prefix: 'lv/', maxKeys: 2, keyMarker: p.nextMarker, versionIdMarker: p.NextVersionIdMarker };
      }
      assert.deepEqual(pages, [
        { objects: [['lv/a', a2, false]], markers: [['lv/a', am]], next: ['lv/a', a2], truncated: true },
        { objects: [['lv/a', a1, false], ['lv/b', b1, true]], markers: [], next: ['lv/b', b1], truncated: true },
        { objects: [['lv/dir/x', x2, true], ['lv/dir/x', x1, false]], markers: [], next: ['lv/dir/x', x1], truncated: true },
        { objects: [['lv/dir/y', y1, true]], markers: [], next: [null, null], truncated: false },
      ]);

      // ListObjects and ListObjectsV2: current versions that are not delete markers.
      const v1 = await c.list({ prefix: 'lv/' });
      assert.deepEqual(v1.objects.map((o: { name: string; etag: string }) => [o.name, o.etag]), [
        ['lv/b', md5Etag(Buffer.from('b'))],
        ['lv/dir/x', md5Etag(Buffer.from('x-two'))],
        ['lv/dir/y', md5Etag(Buffer.from('y'))],
      ]);
      const v2 = await c.listV2({ prefix: 'lv/', 'max-keys': 10 });
      assert.deepEqual(v2.objects.map((o: { name: string }) => o.name), ['lv/b', 'lv/dir/x', 'lv/dir/y']);
    });

    it('deleteMulti with versionId: that version goes; without one a marker is made; a marker deleted by id is reported', async () => {
      const o1 = realId(await c.put('mdel/one', Buffer.from('one-1')), 'put one-1');
      const o2 = realId(await c.put('mdel/one', Buffer.from('one-2')), 'put one-2');
      const t1 = realId(await c.put('mdel/two', Buffer.from('two')), 'put two');
      const odd = 'mdel/a&b <c> 空.txt';
      const s1 = realId(await c.put(odd, Buffer.from('odd-1')), 'put odd 1');
      const s2 = realId(await c.put(odd, Buffer.from('odd-2')), 'put odd 2');

      const r = await c.deleteMulti([{ key: 'mdel/one', versionId: o1 }, 'mdel/two', { key: odd, versionId: s2 }], { quiet: false });
      const byKey = Object.fromEntries((r.deleted as Array<Record<string, string>>).map((d) => [d.Key, d]));
      assert.deepEqual(Object.keys(byKey).sort(), [odd, 'mdel/one', 'mdel/two'].sort());
      assert.deepEqual(byKey[odd], { Key: odd, VersionId: s2 });
      const oddNow = await c.get(odd);
      assert.equal(contentOf(oddNow).toString(), 'odd-1', 'deleting the current version of an escaped key promotes the older one');
      assert.equal(vid(oddNow), s1);
      assert.deepEqual(byKey['mdel/one'], { Key: 'mdel/one', VersionId: o1 }, 'a plain version: Key and VersionId only');
      const two = byKey['mdel/two']!;
      assert.equal(two.DeleteMarker, 'true');
      assert.ok(two.DeleteMarkerVersionId && two.DeleteMarkerVersionId !== 'null', `DeleteMarkerVersionId (${JSON.stringify(two)})`);
      assert.equal(two.VersionId, undefined, 'no VersionId was given');
      const marker = two.DeleteMarkerVersionId;

      const one = await c.get('mdel/one');
      assert.equal(contentOf(one).toString(), 'one-2');
      assert.equal(vid(one), o2);
      await rejectsWith(c.get('mdel/one', { versionId: o1 }), noSuchVersion);
      await rejectsWith(c.get('mdel/two'), noSuchKey);
      const l = (await c.listObjectVersions({ prefix: 'mdel/' })) as SdkVersions;
      assert.deepEqual(shape(l), [[odd, s1, true], ['mdel/one', o2, true], ['mdel/two', t1, false]]);
      assert.deepEqual(markerIds(l), [['mdel/two', marker]]);

      const undo = await c.deleteMulti([{ key: 'mdel/two', versionId: marker }], { quiet: false });
      assert.deepEqual(undo.deleted, [{ Key: 'mdel/two', VersionId: marker, DeleteMarker: 'true', DeleteMarkerVersionId: marker }]);
      const back = await c.get('mdel/two');
      assert.equal(contentOf(back).toString(), 'two');
      assert.equal(vid(back), t1);
    });

    it('copy with versionId copies that version; x-oss-copy-source-version-id; a delete marker source is NoSuchKey', async () => {
      const s1 = realId(await c.put('cp/src.txt', Buffer.from('source one'), { mime: 'text/x-one', meta: { v: '1' } }), 'put src 1');
      const s2 = realId(await c.put('cp/src.txt', Buffer.from('source two'), { mime: 'text/x-two', meta: { v: '2' } }), 'put src 2');

      const cp = await c.copy('cp/dst.txt', 'cp/src.txt', { versionId: s1 });
      const d1 = realId(cp, 'copy destination');
      assert.ok(![s1, s2].includes(d1), 'the destination gets its own version id');
      assert.equal(hdr(cp.res, 'x-oss-copy-source-version-id'), s1);
      assert.equal(cp.data.etag, md5Etag(Buffer.from('source one')));
      const got = await c.get('cp/dst.txt');
      assert.equal(contentOf(got).toString(), 'source one');
      assert.equal(vid(got), d1);
      assert.equal(hdr(got.res, 'content-type'), 'text/x-one');
      assert.equal(hdr(got.res, 'x-oss-meta-v'), '1');

      const cur = await c.copy('cp/dst2.txt', 'cp/src.txt');
      assert.equal(hdr(cur.res, 'x-oss-copy-source-version-id'), s2, 'no versionId: the current version');
      assert.equal(await text(c, 'cp/dst2.txt'), 'source two');

      // Restoring an old version: copy it onto its own key.
      const restored = realId(await c.copy('cp/src.txt', 'cp/src.txt', { versionId: s1 }), 'restore copy');
      assert.equal(await text(c, 'cp/src.txt'), 'source one');
      assert.deepEqual(shape(await versionsOf(c, { prefix: 'cp/src.txt' })), [
        ['cp/src.txt', restored, true],
        ['cp/src.txt', s2, false],
        ['cp/src.txt', s1, false],
      ]);

      const marker = realId(await c.delete('cp/src.txt'), 'delete src');
      await rejectsWith(c.copy('cp/from-marker.txt', 'cp/src.txt', { versionId: marker }), noSuchKey);
      await rejectsWith(c.copy('cp/from-marker.txt', 'cp/src.txt'), noSuchKey);
      await rejectsWith(c.get('cp/from-marker.txt'), noSuchKey);
      await c.copy('cp/from-old.txt', 'cp/src.txt', { versionId: s2 });
      assert.equal(await text(c, 'cp/from-old.txt'), 'source two', 'an old version is a copy source even under a marker');
    });

    it('putACL/getACL and object tagging with versionId act on that version only', async () => {
      const name = 'acl/k.txt';
      const a1 = realId(await c.put(name, Buffer.from('v1')), 'put v1');
      const a2 = realId(await c.put(name, Buffer.from('v2')), 'put v2');

      // Each change answers with the version it changed (x-oss-version-id, read by the v2 SDKs'
      // PutObjectAclResult), the current one when none is named.
      assert.equal(vid(await c.putACL(name, 'public-read', { versionId: a1 })), a1);
      const acl1 = await c.getACL(name, { versionId: a1 });
      assert.equal(acl1.acl, 'public-read');
      assert.equal(vid(acl1), a1);
      const aclCur = await c.getACL(name);
      assert.equal(aclCur.acl, 'default', 'the current version keeps its ACL');
      assert.equal(vid(aclCur), a2);
      assert.equal(vid(await c.putACL(name, 'private')), a2);
      assert.equal((await c.getACL(name, { versionId: a1 })).acl, 'public-read');
      assert.equal((await c.getACL(name)).acl, 'private');

      const tagged = await c.putObjectTagging(name, { ver: 'one' }, { versionId: a1 });
      assert.equal(tagged.status, 200);
      const t1 = await c.getObjectTagging(name, { versionId: a1 });
      assert.deepEqual(t1.tag, { ver: 'one' });
      assert.equal(vid(t1), a1);
      const tCur = await c.getObjectTagging(name);
      assert.deepEqual(tCur.tag, {}, 'the current version keeps its tags');
      assert.equal(vid(tCur), a2);
      assert.equal(vid(await c.putObjectTagging(name, { ver: 'two' })), a2);
      assert.deepEqual((await c.getObjectTagging(name, { versionId: a1 })).tag, { ver: 'one' });
      assert.equal(hdr((await c.head(name, { versionId: a1 })).res, 'x-oss-tagging-count'), '1');
      const del = await c.deleteObjectTagging(name, { versionId: a1 });
      assert.equal(del.status, 204);
      assert.equal(vid(del), a1);
      assert.deepEqual((await c.getObjectTagging(name, { versionId: a1 })).tag, {});
      assert.deepEqual((await c.getObjectTagging(name)).tag, { ver: 'two' });
      assert.equal(await text(c, name, { versionId: a1 }), 'v1', 'ACL and tags leave the bytes alone');

      await rejectsWith(c.getACL(name, { versionId: UNKNOWN_VERSION_ID }), noSuchVersion);
      await rejectsWith(c.getObjectTagging(name, { versionId: UNKNOWN_VERSION_ID }), noSuchVersion);
      await rejectsWith(c.putObjectTagging(name, { a: '1' }, { versionId: UNKNOWN_VERSION_ID }), noSuchVersion);
    });

    it('putSymlink makes versions; getSymlink with versionId reads that version', async () => {
      await c.put('ln/t1.txt', Buffer.from('target one'));
      await c.put('ln/t2.txt', Buffer.from('target two'));
      const l1 = realId(await c.putSymlink('ln/link', 'ln/t1.txt'), 'putSymlink 1');
      const l2 = realId(await c.putSymlink('ln/link', 'ln/t2.txt'), 'putSymlink 2');
      assert.notEqual(l1, l2);
      const cur = await c.getSymlink('ln/link');
      assert.equal(cur.targetName, 'ln/t2.txt');
      assert.equal(vid(cur), l2);
      const old = await c.getSymlink('ln/link', { versionId: l1 });
      assert.equal(old.targetName, 'ln/t1.txt');
      assert.equal(vid(old), l1);
      assert.equal(await text(c, 'ln/link'), 'target two');
      assert.deepEqual(
        (await versionsOf(c, { prefix: 'ln/link' })).objects.map((o) => [o.versionId, o.type, o.isLatest]),
        [[l2, 'Symlink', true], [l1, 'Symlink', false]],
      );
    });

    it('completeMultipartUpload makes a new version; the previous one stays readable', async () => {
      const name = 'mp/big.bin';
      const before1 = realId(await c.put(name, Buffer.from('small old')), 'put');
      const data = Buffer.alloc(150 * 1024, 7);
      const done = await c.multipartUpload(name, data, { partSize: 100 * 1024 });
      const mpId = realId(done, 'CompleteMultipartUpload');
      assert.notEqual(mpId, before1);
      const cur = await c.get(name);
      assert.deepEqual(contentOf(cur), data);
      assert.equal(vid(cur), mpId);
      assert.equal(await text(c, name, { versionId: before1 }), 'small old');
      const l = await versionsOf(c, { prefix: name });
      assert.deepEqual(l.objects.map((o) => [o.versionId, o.type, o.size, o.isLatest]), [[mpId, 'Multipart', data.length, true], [before1, 'Normal', 9, false]]);
    });

    it('appends do not make versions: one id for every append; by id all bytes; one listed version', async () => {
      const name = 'ap/one-version.log';
      const r1 = await c.append(name, Buffer.from('123'));
      const id = realId(r1, 'first append');
      const r2 = await c.append(name, Buffer.from('456'), { position: r1.nextAppendPosition });
      assert.equal(r2.nextAppendPosition, '6');
      assert.equal(vid(r2), id, 'the same x-oss-version-id on every append');
      const r3 = await c.append(name, Buffer.from('78'), { position: r2.nextAppendPosition });
      assert.equal(vid(r3), id);

      const g = await c.get(name, { versionId: id });
      assert.equal(contentOf(g).toString(), '12345678');
      assert.equal(hdr(g.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(g.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('12345678')));
      assert.equal(vid(g), id);
      const h = await c.head(name);
      assert.equal(vid(h), id);
      assert.equal(hdr(h.res, 'x-oss-next-append-position'), '8');
      const l = await versionsOf(c, { prefix: name });
      assert.deepEqual(l.objects.map((o) => [o.versionId, o.isLatest, o.type, o.size]), [[id, true, 'Appendable', 8]]);
      assert.deepEqual(l.deleteMarker, []);
    });

    it('put over an appendable current version keeps it as a noncurrent Appendable version; appends are then refused', async () => {
      const name = 'ap/put-over.log';
      const r1 = await c.append(name, Buffer.from('abc'));
      const appId = realId(r1, 'append');
      await c.append(name, Buffer.from('def'), { position: r1.nextAppendPosition });
      const putId = realId(await c.put(name, Buffer.from('normal now')), 'put');
      assert.notEqual(putId, appId);

      await rejectsWith(c.append(name, Buffer.from('g'), { position: 6 }), notAppendable);
      await rejectsWith(c.append(name, Buffer.from('g'), { position: 10 }), notAppendable);
      await rejectsWith(c.append(name, Buffer.from('g'), { position: 0 }), notAppendable);

      const cur = await c.get(name);
      assert.equal(contentOf(cur).toString(), 'normal now');
      assert.equal(hdr(cur.res, 'x-oss-object-type'), 'Normal');
      const old = await c.get(name, { versionId: appId });
      assert.equal(contentOf(old).toString(), 'abcdef');
      assert.equal(hdr(old.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(old.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('abcdef')), 'CRC of the old appendable version intact');
      const oldHead = await c.head(name, { versionId: appId });
      assert.equal(hdr(oldHead.res, 'content-length'), '6');
      assert.equal(hdr(oldHead.res, 'x-oss-object-type'), 'Appendable');
      const l = await versionsOf(c, { prefix: name });
      assert.deepEqual(l.objects.map((o) => [o.versionId, o.isLatest, o.type, o.size]), [
        [putId, true, 'Normal', 10],
        [appId, false, 'Appendable', 6],
      ]);
    });

    it('append after a delete marker (go-sdk TestVersioningAppendObject): position 0 makes a new version; the old one keeps its bytes and CRC', async () => {
      const name = 'ap/go-sdk.log';
      const r1 = await c.append(name, Buffer.from('123'));
      const first = realId(r1, 'append 123');
      const r2 = await c.append(name, Buffer.from('456'), { position: r1.nextAppendPosition });
      assert.equal(vid(r2), first);
      assert.equal(r2.nextAppendPosition, '6');

      const del = await c.delete(name);
      assert.equal(hdr(del.res, 'x-oss-delete-marker'), 'true');
      const marker = realId(del, 'delete');
      await rejectsWith(c.get(name), noSuchKey);
      await rejectsWith(c.append(name, Buffer.from('789'), { position: 3 }), positionMismatch);
      await rejectsWith(c.append(name, Buffer.from('789'), { position: 6 }), positionMismatch);

      const r3 = await c.append(name, Buffer.from('789'), { position: 0 });
      const second = realId(r3, 'append 789 at 0');
      assert.notEqual(second, first, 'a new appendable version');
      assert.equal(r3.nextAppendPosition, '3');
      assert.equal(hdr(r3.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('789')));

      const undo = await c.delete(name, { versionId: marker });
      assert.equal(hdr(undo.res, 'x-oss-delete-marker'), 'true');
      const cur = await c.get(name);
      assert.equal(contentOf(cur).toString(), '789', 'the new version stays current');
      assert.equal(vid(cur), second);
      const r4 = await c.append(name, Buffer.from('abc'), { position: 3 });
      assert.equal(r4.nextAppendPosition, '6');
      assert.equal(vid(r4), second);
      assert.equal(hdr(r4.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('789abc')));
      assert.equal(await text(c, name), '789abc');

      const old = await c.get(name, { versionId: first });
      assert.equal(contentOf(old).toString(), '123456');
      assert.equal(hdr(old.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('123456')));
      assert.equal(hdr(old.res, 'x-oss-object-type'), 'Appendable');
      const l = await versionsOf(c, { prefix: name });
      assert.deepEqual(l.objects.map((o) => [o.versionId, o.isLatest, o.type, o.size]), [
        [second, true, 'Appendable', 6],
        [first, false, 'Appendable', 6],
      ]);
      assert.deepEqual(l.deleteMarker, []);
    });
  });

  describe(`versioning Suspended: ${m.label}`, { timeout: 300_000 }, () => {
    const B = bucketFor('ver-susp', m);
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, B);
    });

    it('null versions: a put replaces the null version wherever it is; real ids are kept; delete makes a null marker', async () => {
      await c.putBucketVersioning(B, 'Enabled');
      const name = 'k.txt';
      const e1 = realId(await c.put(name, Buffer.from('enabled-1')), 'put Enabled');
      const sus = await c.putBucketVersioning(B, 'Suspended');
      assert.equal(sus.status, 200);
      assert.equal((await c.getBucketVersioning(B)).versionStatus, 'Suspended');
      assert.equal((await c.getBucketInfo(B)).bucket.Versioning, 'Suspended');

      assert.equal(vid(await c.put(name, Buffer.from('null-1'))), 'null');
      assert.equal(vid(await c.put(name, Buffer.from('null-2'))), 'null');
      const cur = await c.get(name);
      assert.equal(contentOf(cur).toString(), 'null-2');
      assert.equal(vid(cur), 'null');
      assert.deepEqual(shape(await versionsOf(c, { prefix: name })), [[name, 'null', true], [name, e1, false]], 'one null version, the Enabled one kept');

      const del = await c.delete(name);
      assert.equal(del.res.status, 204);
      assert.equal(hdr(del.res, 'x-oss-delete-marker'), 'true');
      assert.equal(vid(del), 'null', 'a null delete marker');
      await rejectsWith(c.get(name), noSuchKey);
      let l = await versionsOf(c, { prefix: name });
      assert.deepEqual(markerIds(l), [[name, 'null']]);
      assert.deepEqual(shape(l), [[name, e1, false]], 'the null version was replaced by the marker');

      assert.equal(vid(await c.put(name, Buffer.from('null-3'))), 'null');
      l = await versionsOf(c, { prefix: name });
      assert.deepEqual(markerIds(l), [], 'the put replaced the null marker');
      assert.deepEqual(shape(l), [[name, 'null', true], [name, e1, false]]);

      await c.putBucketVersioning(B, 'Enabled');
      const e2 = realId(await c.put(name, Buffer.from('enabled-2')), 'put re-Enabled');
      assert.deepEqual(shape(await versionsOf(c, { prefix: name })), [[name, e2, true], [name, 'null', false], [name, e1, false]]);
      assert.equal(await text(c, name, { versionId: 'null' }), 'null-3');

      await c.putBucketVersioning(B, 'Suspended');
      assert.equal(vid(await c.put(name, Buffer.from('null-4'))), 'null');
      assert.deepEqual(
        shape(await versionsOf(c, { prefix: name })),
        [[name, 'null', true], [name, e2, false], [name, e1, false]],
        'the noncurrent null version was replaced, not kept',
      );
      assert.equal(await text(c, name, { versionId: 'null' }), 'null-4');
      assert.equal(await text(c, name, { versionId: e1 }), 'enabled-1');
      assert.equal(await text(c, name, { versionId: e2 }), 'enabled-2');
    });

    it('a creating append while Suspended is the null version; further appends keep it', async () => {
      await c.putBucketVersioning(B, 'Suspended');
      const name = 'susp.log';
      const r1 = await c.append(name, Buffer.from('12'));
      assert.equal(vid(r1), 'null');
      const r2 = await c.append(name, Buffer.from('34'), { position: r1.nextAppendPosition });
      assert.equal(vid(r2), 'null');
      assert.equal(r2.nextAppendPosition, '4');
      const g = await c.get(name, { versionId: 'null' });
      assert.equal(contentOf(g).toString(), '1234');
      assert.equal(hdr(g.res, 'x-oss-object-type'), 'Appendable');
      assert.deepEqual(
        (await versionsOf(c, { prefix: name })).objects.map((o) => [o.versionId, o.isLatest, o.type, o.size]),
        [['null', true, 'Appendable', 4]],
      );
    });
  });

  describe(`versioning and other buckets: ${m.label}`, { timeout: 300_000 }, () => {
    it('a never-versioned bucket: no x-oss-version-id and no x-oss-delete-marker anywhere', async () => {
      const B = bucketFor('ver-none', m);
      const c = await bucketClient(ossd, m, B);
      const put = await c.put('p.txt', Buffer.from('plain'));
      const app = await c.append('a.log', Buffer.from('1'));
      const cp = await c.copy('c.txt', 'p.txt');
      const mp = await c.multipartUpload('m.bin', Buffer.alloc(120 * 1024, 1), { partSize: 100 * 1024 });
      const ln = await c.putSymlink('l', 'p.txt');
      const reads: Array<[string, Res]> = [
        ['PutObject', put],
        ['AppendObject', app],
        ['CopyObject', cp],
        ['CompleteMultipartUpload', mp],
        ['PutSymlink', ln],
        ['GetObject', await c.get('p.txt')],
        ['HeadObject', await c.head('p.txt')],
        ['GetObjectMeta', await c.getObjectMeta('p.txt')],
        ['GetSymlink', await c.getSymlink('l')],
        ['GetObjectTagging', await c.getObjectTagging('p.txt')],
        ['GetObjectAcl', await c.getACL('p.txt')],
      ];
      for (const [what, r] of reads) assert.equal(vid(r), undefined, `${what}: no x-oss-version-id`);
      assert.equal(hdr(cp.res, 'x-oss-copy-source-version-id'), undefined);
      const del = await c.delete('p.txt');
      assert.equal(vid(del), undefined);
      assert.equal(hdr(del.res, 'x-oss-delete-marker'), undefined);
      await rejectsWith(c.get('p.txt'), noSuchKey);
    });

    it('copy across buckets: x-oss-copy-source-version-id only from a versioned source, x-oss-version-id only into a versioned destination', async () => {
      const verB = bucketFor('ver-xsrc', m);
      const plainB = bucketFor('ver-xdst', m);
      const ver = await bucketClient(ossd, m, verB);
      const plain = await bucketClient(ossd, m, plainB);
      await ver.putBucketVersioning(verB, 'Enabled');
      const v1 = realId(await ver.put('s.txt', Buffer.from('from versioned 1')), 'put 1');
      realId(await ver.put('s.txt', Buffer.from('from versioned 2')), 'put 2');
      await plain.put('p.txt', Buffer.from('from plain'));

      const into = await plain.copy('got.txt', `/${verB}/s.txt`, { versionId: v1 });
      assert.equal(vid(into), undefined, 'the destination bucket is not versioned');
      assert.equal(hdr(into.res, 'x-oss-copy-source-version-id'), v1);
      assert.equal(await text(plain, 'got.txt'), 'from versioned 1');

      const from = await ver.copy('got.txt', `/${plainB}/p.txt`);
      realId(from, 'copy into the versioned bucket');
      assert.equal(hdr(from.res, 'x-oss-copy-source-version-id'), undefined, 'the source bucket is not versioned');
      assert.equal(await text(ver, 'got.txt'), 'from plain');
    });

    it('DeleteBucket: BucketNotEmpty while only noncurrent versions and delete markers remain; succeeds once every version is deleted by id', async () => {
      const B = bucketFor('ver-drop', m);
      const c = await bucketClient(ossd, m, B);
      await c.putBucketVersioning(B, 'Enabled');
      await c.put('a.txt', Buffer.from('a1'));
      await c.put('a.txt', Buffer.from('a2'));
      await c.append('b.log', Buffer.from('b'));
      await c.delete('a.txt');
      await c.delete('b.log');
      assert.deepEqual((await c.list()).objects ?? [], [], 'no current objects');
      await rejectsWith(c.deleteBucket(B), notEmpty);

      const l = await versionsOf(c, {});
      const all = [...l.objects, ...l.deleteMarker].map((v) => ({ key: v.name, versionId: v.versionId }));
      assert.equal(all.length, 5, 'two versions and a marker of a.txt, a version and a marker of b.log');
      for (const v of all.slice(0, -1)) await c.delete(v.key, { versionId: v.versionId });
      await rejectsWith(c.deleteBucket(B), notEmpty);
      const last = all[all.length - 1]!;
      await c.delete(last.key, { versionId: last.versionId });
      const l2 = await versionsOf(c, {});
      assert.deepEqual([l2.objects, l2.deleteMarker], [[], []]);
      const dropped = await c.deleteBucket(B);
      assert.equal(dropped.res.status, 204);
      await rejectsWith(c.getBucketVersioning(B), { code: 'NoSuchBucket', status: 404 });
    });
  });
}
