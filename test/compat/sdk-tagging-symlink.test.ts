/**
 * Object tagging and symlinks through the real ali-oss client (objects.md §9–10, §2.3,
 * append.md §8), in every addressing mode and both signature versions.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { bucketClient, bucketFor, contentOf, crcOf, hdr, md5Etag, rejectsWith, SDK_MODES } from '../helpers/sdk-fixtures.js';

const notAppendable = { code: 'ObjectNotAppendable', status: 409, name: 'ObjectNotAppendableError' };
const notSymlink = { code: 'NotSymlink', status: 400, name: 'NotSymlinkError', message: 'The specified object is not a symlink.' };
const targetMissing = { code: 'SymlinkTargetNotExist', status: 404, name: 'SymlinkTargetNotExistError' };
const noSuchKey = { code: 'NoSuchKey', status: 404 };

const ossd = useOssd();

/** The headers that describe an object's bytes: a tagging change must leave them alone. */
async function identity(c: OssClient, name: string): Promise<Record<string, string | undefined>> {
  const h = (await c.head(name)).res;
  return Object.fromEntries(
    ['etag', 'content-length', 'x-oss-hash-crc64ecma', 'x-oss-object-type', 'x-oss-next-append-position', 'last-modified'].map((n) => [n, hdr(h, n)]),
  );
}

for (const m of SDK_MODES) {
  describe(`tagging: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, bucketFor('tags', m));
    });

    it('put / get / delete tagging round trip; the object itself does not change', async () => {
      const name = 'tagged dir/对象 1.txt';
      await c.put(name, Buffer.from('tag me'));
      assert.deepEqual((await c.getObjectTagging(name)).tag, {}, 'no tags yet: empty TagSet');
      const before = await identity(c, name);
      // ali-oss refuses empty values client-side; raw-tagging-symlink covers them.
      const put = await c.putObjectTagging(name, { project: 'ossd', 'a b': 'x:y/z+1', 'k=v.2': '_-.' });
      assert.equal(put.status, 200);
      assert.deepEqual((await c.getObjectTagging(name)).tag, { project: 'ossd', 'a b': 'x:y/z+1', 'k=v.2': '_-.' });
      const head = await c.head(name);
      assert.equal(hdr(head.res, 'x-oss-tagging-count'), '3');
      assert.deepEqual(await identity(c, name), before);

      await c.putObjectTagging(name, { only: 'one' });
      assert.deepEqual((await c.getObjectTagging(name)).tag, { only: 'one' }, 'PutObjectTagging replaces the whole set');
      await c.putObjectTagging(name, {});
      assert.deepEqual((await c.getObjectTagging(name)).tag, {}, 'an empty TagSet removes every tag');

      await c.putObjectTagging(name, { k: 'v' });
      const del = await c.deleteObjectTagging(name);
      assert.equal(del.status, 204);
      assert.deepEqual((await c.getObjectTagging(name)).tag, {});
      assert.equal(hdr((await c.head(name)).res, 'x-oss-tagging-count'), undefined);
      assert.deepEqual(await identity(c, name), before);
      assert.equal(contentOf(await c.get(name)).toString(), 'tag me');
    });

    it('tagging an appendable object keeps type, length, ETag and CRC; appends continue and keep the tags', async () => {
      const name = 'append/tagged.log';
      const first = await c.append(name, Buffer.from('hello'));
      const before = await identity(c, name);
      assert.equal(before['x-oss-object-type'], 'Appendable');
      await c.putObjectTagging(name, { stage: 'one' });
      assert.deepEqual(await identity(c, name), before);

      const second = await c.append(name, Buffer.from(' world'), { position: first.nextAppendPosition });
      assert.equal(second.nextAppendPosition, '11');
      assert.equal(hdr(second.res, 'x-oss-hash-crc64ecma'), crcOf(Buffer.from('hello world')));
      assert.deepEqual((await c.getObjectTagging(name)).tag, { stage: 'one' }, 'tags survive the append');

      const mid = await identity(c, name);
      await c.deleteObjectTagging(name);
      assert.deepEqual(await identity(c, name), mid);
      await c.append(name, Buffer.from('!'), { position: second.nextAppendPosition });
      assert.equal(contentOf(await c.get(name)).toString(), 'hello world!');
    });

    it('x-oss-tagging on put', async () => {
      const name = 'put-tagged.bin';
      await c.put(name, Buffer.from('x'), { headers: { 'x-oss-tagging': 'a=1&b=2' } });
      assert.deepEqual((await c.getObjectTagging(name)).tag, { a: '1', b: '2' });
      assert.equal(hdr((await c.head(name)).res, 'x-oss-tagging-count'), '2');
      await c.put(name, Buffer.from('y'));
      assert.deepEqual((await c.getObjectTagging(name)).tag, {}, 'a put replaces the tags too');
    });

    it('copy: tagging directive Copy (default) keeps the source tags, Replace takes x-oss-tagging', async () => {
      const src = 'copy/src.txt';
      await c.put(src, Buffer.from('copy source'), { headers: { 'x-oss-tagging': 'a=1&b=2' } });
      const tagsOf = async (n: string): Promise<Record<string, string>> => (await c.getObjectTagging(n)).tag;

      await c.copy('copy/default.txt', src);
      assert.deepEqual(await tagsOf('copy/default.txt'), { a: '1', b: '2' });
      await c.copy('copy/ignored.txt', src, { headers: { 'x-oss-tagging': 'c=3' } });
      assert.deepEqual(await tagsOf('copy/ignored.txt'), { a: '1', b: '2' }, 'x-oss-tagging alone does not replace');
      await c.copy('copy/explicit-copy.txt', src, { headers: { 'x-oss-tagging-directive': 'Copy', 'x-oss-tagging': 'c=3' } });
      assert.deepEqual(await tagsOf('copy/explicit-copy.txt'), { a: '1', b: '2' });
      await c.copy('copy/replaced.txt', src, { headers: { 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'c=3' } });
      assert.deepEqual(await tagsOf('copy/replaced.txt'), { c: '3' });
      await c.copy('copy/none.txt', src, { headers: { 'x-oss-tagging-directive': 'Replace' } });
      assert.deepEqual(await tagsOf('copy/none.txt'), {});
      // Metadata REPLACE (ali-oss sets it when meta is given) does not touch the tags.
      await c.copy('copy/meta.txt', src, { meta: { owner: 'me' } });
      assert.deepEqual(await tagsOf('copy/meta.txt'), { a: '1', b: '2' });
      assert.equal((await c.head('copy/meta.txt')).meta.owner, 'me');
      // putMeta is a copy onto itself: the tags stay.
      await c.putMeta(src, { x: 'y' });
      assert.deepEqual(await tagsOf(src), { a: '1', b: '2' });
    });

    it('tagging a missing object: NoSuchKey', async () => {
      await rejectsWith(c.putObjectTagging('missing.txt', { a: '1' }), noSuchKey);
      await rejectsWith(c.getObjectTagging('missing.txt'), noSuchKey);
      await rejectsWith(c.deleteObjectTagging('missing.txt'), noSuchKey);
    });
  });

  describe(`symlinks: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, bucketFor('links', m));
    });

    it('putSymlink / getSymlink with spaces and unicode; GET and HEAD serve the target', async () => {
      const target = 'target dir/目标 é+1.txt';
      const link = 'link dir/链接 one.txt';
      const body = Buffer.from('the target bytes');
      await c.put(target, body, { mime: 'text/x-target', meta: { side: 'target' } });
      const put = await c.putSymlink(link, target, { meta: { side: 'link', uid: '1' } });
      assert.equal(put.res.status, 200);

      const got = await c.getSymlink(link);
      assert.equal(got.targetName, target);
      assert.equal(hdr(got.res, 'content-length'), '0');
      assert.match(hdr(got.res, 'etag') ?? '', /^"[0-9A-F]{32}"$/);
      assert.ok(hdr(got.res, 'last-modified'));

      const read = await c.get(link);
      assert.deepEqual(contentOf(read), body);
      assert.equal(hdr(read.res, 'content-type'), 'text/x-target');
      assert.equal(hdr(read.res, 'etag'), md5Etag(body));
      assert.equal(hdr(read.res, 'x-oss-hash-crc64ecma'), crcOf(body));
      assert.equal(hdr(read.res, 'x-oss-object-type'), 'Symlink');

      const head = await c.head(link);
      assert.equal(head.status, 200);
      assert.equal(hdr(head.res, 'content-length'), String(body.length));
      assert.equal(hdr(head.res, 'x-oss-object-type'), 'Symlink');
      assert.deepEqual(head.meta, { side: 'link', uid: '1' }, "the link's own user metadata");

      const meta = await c.getObjectMeta(link);
      assert.equal(hdr(meta.res, 'content-length'), '0', 'GetObjectMeta describes the link itself');
      assert.equal(hdr(meta.res, 'etag'), hdr(got.res, 'etag'));

      const listed = await c.list({ prefix: 'link dir/', 'max-keys': 10 });
      assert.deepEqual(listed.objects.map((o: { name: string; type: string }) => [o.name, o.type]), [[link, 'Symlink']]);

      await c.delete(link);
      await rejectsWith(c.getSymlink(link), noSuchKey);
      assert.deepEqual(contentOf(await c.get(target)), body, 'deleting the link leaves the target');
    });

    it('a link to a missing target: SymlinkTargetNotExist until the target appears', async () => {
      const link = 'dangling.txt';
      await c.putSymlink(link, 'not/yet there.txt');
      await rejectsWith(c.get(link), targetMissing);
      await assert.rejects(c.head(link), (e: { status?: number }) => e.status === 404);
      await c.put('not/yet there.txt', Buffer.from('now'));
      assert.equal(contentOf(await c.get(link)).toString(), 'now');
    });

    it('getSymlink of a normal object is NotSymlink, of a missing key NoSuchKey', async () => {
      await c.put('plain.txt', Buffer.from('plain'));
      await rejectsWith(c.getSymlink('plain.txt'), notSymlink);
      await rejectsWith(c.getSymlink('no-such-link.txt'), noSuchKey);
    });

    it('appends to a link are refused, also when its target is appendable', async () => {
      const first = await c.append('log/target.log', Buffer.from('abc'));
      await c.putSymlink('log/link.log', 'log/target.log');
      await rejectsWith(c.append('log/link.log', Buffer.from('x')), notAppendable);
      await rejectsWith(c.append('log/link.log', Buffer.from('x'), { position: 3 }), notAppendable);
      await c.append('log/target.log', Buffer.from('def'), { position: first.nextAppendPosition });
      const viaLink = await c.get('log/link.log');
      assert.equal(contentOf(viaLink).toString(), 'abcdef', 'the link serves the grown target');
      assert.equal(hdr(viaLink.res, 'x-oss-next-append-position'), undefined);
    });

    it('a symlink over an appendable key replaces it; further appends fail', async () => {
      const first = await c.append('over/appendable.log', Buffer.from('123'));
      await c.put('over/other.txt', Buffer.from('other'));
      await c.putSymlink('over/appendable.log', 'over/other.txt');
      await rejectsWith(c.append('over/appendable.log', Buffer.from('4'), { position: first.nextAppendPosition }), notAppendable);
      assert.equal(contentOf(await c.get('over/appendable.log')).toString(), 'other');
      assert.equal((await c.getSymlink('over/appendable.log')).targetName, 'over/other.txt');
    });

    it('copy of a link is a link to the same target; x-oss-tagging on putSymlink tags the link', async () => {
      await c.put('cp/t.txt', Buffer.from('t'));
      await c.putSymlink('cp/link', 'cp/t.txt', { headers: { 'x-oss-tagging': 'k=v' } });
      assert.deepEqual((await c.getObjectTagging('cp/link')).tag, { k: 'v' });
      assert.equal(hdr((await c.head('cp/link')).res, 'x-oss-tagging-count'), '1');
      await c.copy('cp/link-copy', 'cp/link');
      assert.equal((await c.getSymlink('cp/link-copy')).targetName, 'cp/t.txt');
      assert.deepEqual((await c.getObjectTagging('cp/link-copy')).tag, { k: 'v' });
      assert.equal(contentOf(await c.get('cp/link-copy')).toString(), 't');
      await c.put('cp/link', Buffer.from('now plain'));
      await rejectsWith(c.getSymlink('cp/link'), notSymlink);
    });
  });
}
