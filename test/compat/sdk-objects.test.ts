/**
 * Object operations through the real ali-oss client (objects.md): put/get/head/meta/
 * delete, ranges, conditions, response overrides, deleteMulti, copy and putMeta
 * (including the refused copy of an appendable source), forbid-overwrite, object ACLs,
 * awkward keys, the key length limit, and a 20 MiB round trip.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';
import { bucketClient, bucketFor, contentOf, crcOf, hdr, httpDateShift as shifted, md5Etag, rejectsWith, SDK_MODES } from '../helpers/sdk-fixtures.js';
import { bytewise } from '../helpers/sdk-listing.js';

const noSuchKey = { code: 'NoSuchKey', status: 404 };
const preconditionFailed = { code: 'PreconditionFailed', status: 412 };

const ossd = useOssd();

for (const m of SDK_MODES) {
  describe(`objects: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, bucketFor('objects', m));
    });

    it('put, get, head, getObjectMeta and delete round-trip', async () => {
      const name = 'dir/file.txt';
      const body = Buffer.from(`object body for ${m.label}\n`);
      const put = await c.put(name, body, { meta: { color: 'Blue', 'a-b': 'v1' } });
      assert.equal(put.res.status, 200);
      assert.equal(hdr(put.res, 'etag'), md5Etag(body));
      assert.equal(hdr(put.res, 'x-oss-hash-crc64ecma'), crcOf(body));

      const got = await c.get(name);
      assert.ok(contentOf(got).equals(body));
      assert.equal(hdr(got.res, 'content-type'), 'text/plain');
      assert.equal(hdr(got.res, 'x-oss-object-type'), 'Normal');
      assert.equal(hdr(got.res, 'etag'), md5Etag(body));
      assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOf(body));
      assert.equal(hdr(got.res, 'x-oss-next-append-position'), undefined);

      const head = await c.head(name);
      assert.equal(head.status, 200);
      assert.deepEqual(head.meta, { color: 'Blue', 'a-b': 'v1' });
      assert.equal(hdr(head.res, 'content-length'), String(body.length));

      const meta = await c.getObjectMeta(name);
      assert.equal(meta.status, 200);
      assert.equal(hdr(meta.res, 'content-length'), String(body.length));
      assert.equal(hdr(meta.res, 'etag'), md5Etag(body));
      assert.equal(hdr(meta.res, 'x-oss-hash-crc64ecma'), crcOf(body));

      assert.equal((await c.delete(name)).res.status, 204);
      await rejectsWith(c.get(name), noSuchKey);
      await rejectsWith(c.head(name), noSuchKey);
      await rejectsWith(c.getObjectMeta(name), noSuchKey);
      assert.equal((await c.delete(name)).res.status, 204, 'deleting a missing key is 204');
    });

    it('serves byte ranges with 206, ignores invalid ones, and 416s in standard mode', async () => {
      const name = 'range.bin';
      const body = randomBytes(1000);
      await c.put(name, body);
      const cases: Array<[string, number, number]> = [['bytes=10-19', 10, 20], ['bytes=-5', 995, 1000], ['bytes=990-', 990, 1000]];
      for (const [range, start, end] of cases) {
        const r = await c.get(name, { headers: { Range: range } });
        assert.equal(r.res.status, 206, range);
        assert.equal(hdr(r.res, 'content-range'), `bytes ${start}-${end - 1}/1000`);
        assert.ok(contentOf(r).equals(body.subarray(start, end)), range);
        assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(body), 'CRC of the whole object');
      }
      for (const range of ['bytes=1000-2000', 'bytes=500-2000', 'byte=0-4', 'bytes=20-10']) {
        const r = await c.get(name, { headers: { Range: range } });
        assert.equal(r.res.status, 200, range);
        assert.equal(hdr(r.res, 'content-range'), undefined);
        assert.ok(contentOf(r).equals(body), range);
      }
      const standard = await c.get(name, { headers: { Range: 'bytes=500-2000', 'x-oss-range-behavior': 'standard' } });
      assert.equal(standard.res.status, 206);
      assert.equal(hdr(standard.res, 'content-range'), 'bytes 500-999/1000');
      const unsatisfiable = { Range: 'bytes=1000-', 'x-oss-range-behavior': 'standard' };
      await rejectsWith(c.get(name, { headers: unsatisfiable }), { code: 'InvalidRange', status: 416 });
    });

    it('evaluates If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
      const name = 'conditional.txt';
      const body = Buffer.from('conditional body');
      await c.put(name, body);
      const etag = md5Etag(body);
      const lastModified = hdr((await c.head(name)).res, 'last-modified')!;

      await rejectsWith(c.get(name, { headers: { 'If-Match': '"0123456789ABCDEF0123456789ABCDEF"' } }), preconditionFailed);
      assert.equal((await c.get(name, { headers: { 'If-Match': etag } })).content.toString(), 'conditional body');

      const notModified = await c.get(name, { headers: { 'If-None-Match': etag } });
      assert.equal(notModified.res.status, 304);
      assert.equal(notModified.content.length, 0);
      assert.equal((await c.head(name, { headers: { 'If-None-Match': etag } })).status, 304);
      assert.equal((await c.get(name, { headers: { 'If-None-Match': '"other"' } })).res.status, 200);

      assert.equal((await c.get(name, { headers: { 'If-Modified-Since': lastModified } })).res.status, 304);
      assert.equal((await c.get(name, { headers: { 'If-Modified-Since': shifted(lastModified, -60) } })).res.status, 200);
      await rejectsWith(c.get(name, { headers: { 'If-Unmodified-Since': shifted(lastModified, -60) } }), preconditionFailed);
      await rejectsWith(c.head(name, { headers: { 'If-Unmodified-Since': shifted(lastModified, -60) } }), preconditionFailed);
      assert.equal((await c.get(name, { headers: { 'If-Unmodified-Since': lastModified } })).res.status, 200);
    });

    // ali-oss get() ignores a `response` option (only signatureUrl reads it, see
    // sdk-presign-acl); applications pass the response-* parameters as `subres`.
    it('applies response-* overrides on GET', async () => {
      const name = 'override.txt';
      await c.put(name, Buffer.from('override'));
      const r = await c.get(name, {
        subres: {
          'response-content-type': 'application/x-custom',
          'response-content-disposition': 'attachment; filename="a b.txt"',
          'response-cache-control': 'no-store',
        },
      });
      assert.equal(hdr(r.res, 'content-type'), 'application/x-custom');
      assert.equal(hdr(r.res, 'content-disposition'), 'attachment; filename="a b.txt"');
      assert.equal(hdr(r.res, 'cache-control'), 'no-store');
      assert.equal(r.content.toString(), 'override');
      assert.equal(hdr((await c.get(name)).res, 'content-type'), 'text/plain', 'the stored type is unchanged');
    });

    it('deleteMulti removes keys with XML specials and unicode, verbose and quiet', async () => {
      const keys = ['multi/a&b', 'multi/<tag>', 'multi/x>y "q"', 'multi/中文 ключ', 'multi/plain'];
      for (const k of keys) await c.put(k, Buffer.from(k));
      const r = await c.deleteMulti([...keys, 'multi/never-existed']);
      assert.deepEqual(
        r.deleted.map((d: { Key: string }) => d.Key).sort(),
        [...keys, 'multi/never-existed'].sort(),
      );
      assert.deepEqual((await c.list({ prefix: 'multi/' })).objects, []);

      const quietKeys = ['quiet/1', 'quiet/2&3'];
      for (const k of quietKeys) await c.put(k, Buffer.from('q'));
      const q = await c.deleteMulti(quietKeys, { quiet: true });
      assert.deepEqual(q.deleted, []);
      assert.deepEqual((await c.list({ prefix: 'quiet/' })).objects, []);
    });

    it('copies with COPY and REPLACE metadata and honours copy-source conditions', async () => {
      const src = 'copy/src.txt';
      const body = Buffer.from('copy source body');
      await c.put(src, body, { meta: { origin: 'source' }, headers: { 'Cache-Control': 'max-age=7' } });
      const etag = md5Etag(body);
      const lastModified = hdr((await c.head(src)).res, 'last-modified')!;

      const copied = await c.copy('copy/dst.txt', src);
      assert.equal(copied.res.status, 200);
      assert.equal(copied.data.etag, etag);
      const head = await c.head('copy/dst.txt');
      assert.deepEqual(head.meta, { origin: 'source' });
      assert.equal(hdr(head.res, 'cache-control'), 'max-age=7');
      assert.equal(hdr(head.res, 'etag'), etag);
      assert.equal(hdr(head.res, 'x-oss-hash-crc64ecma'), crcOf(body));
      assert.ok(contentOf(await c.get('copy/dst.txt')).equals(body));

      await c.copy('copy/replaced.txt', src, { meta: { origin: 'replaced', extra: 'yes' } });
      assert.deepEqual((await c.head('copy/replaced.txt')).meta, { origin: 'replaced', extra: 'yes' });

      await rejectsWith(c.copy('copy/c1.txt', src, { headers: { 'x-oss-copy-source-if-match': '"00000000000000000000000000000000"' } }), preconditionFailed);
      await rejectsWith(c.copy('copy/c2.txt', src, { headers: { 'x-oss-copy-source-if-unmodified-since': shifted(lastModified, -60) } }), preconditionFailed);
      const nm = await c.copy('copy/c3.txt', src, { headers: { 'x-oss-copy-source-if-none-match': etag } });
      assert.equal(nm.res.status, 304);
      const ms = await c.copy('copy/c4.txt', src, { headers: { 'x-oss-copy-source-if-modified-since': lastModified } });
      assert.equal(ms.res.status, 304);
      for (const k of ['copy/c1.txt', 'copy/c2.txt', 'copy/c3.txt', 'copy/c4.txt']) await rejectsWith(c.head(k), noSuchKey);

      await c.copy('copy/c5.txt', src, { headers: { 'x-oss-copy-source-if-match': etag, 'x-oss-copy-source-if-modified-since': shifted(lastModified, -60) } });
      assert.ok(contentOf(await c.get('copy/c5.txt')).equals(body));
    });

    it('putMeta replaces metadata in place and keeps the bytes', async () => {
      const name = 'putmeta.txt';
      const body = Buffer.from('metadata update keeps me');
      await c.put(name, body, { meta: { version: '1', old: 'gone' } });
      await c.putMeta(name, { version: '2' });
      const head = await c.head(name);
      assert.deepEqual(head.meta, { version: '2' });
      assert.equal(hdr(head.res, 'etag'), md5Etag(body));
      assert.ok(contentOf(await c.get(name)).equals(body));
    });

    it('refuses to copy an appendable source and writes nothing', async () => {
      const src = 'appendable-src.log';
      await c.append(src, Buffer.from('appended'), { meta: { m: 'original' } });
      await rejectsWith(c.copy('appendable-dst.log', src), { code: 'InvalidArgument', status: 400, message: /appendable/i });
      await rejectsWith(c.head('appendable-dst.log'), noSuchKey);
      // putMeta is a copy onto itself: refused as well (append.md §8), the object is unchanged.
      await rejectsWith(c.putMeta(src, { m: 'changed' }), { code: 'InvalidArgument', status: 400, message: /appendable/i });
      const head = await c.head(src);
      assert.deepEqual(head.meta, { m: 'original' });
      assert.equal(hdr(head.res, 'x-oss-object-type'), 'Appendable');
    });

    it('x-oss-forbid-overwrite refuses to replace an existing key (FileAlreadyExists)', async () => {
      const name = 'forbid.txt';
      const forbid = { headers: { 'x-oss-forbid-overwrite': 'true' } };
      await c.put(name, Buffer.from('first'), forbid);
      await rejectsWith(c.put(name, Buffer.from('second'), forbid), { code: 'FileAlreadyExists', status: 409 });
      await c.put('forbid-src.txt', Buffer.from('src'));
      await rejectsWith(c.copy(name, 'forbid-src.txt', forbid), { code: 'FileAlreadyExists', status: 409 });
      assert.equal((await c.get(name)).content.toString(), 'first');
      await c.put(name, Buffer.from('third'), { headers: { 'x-oss-forbid-overwrite': 'false' } });
      assert.equal((await c.get(name)).content.toString(), 'third');
    });

    it('puts and gets object ACLs', async () => {
      const name = 'acl.txt';
      await c.put(name, Buffer.from('acl'));
      const initial = await c.getACL(name);
      assert.equal(initial.acl, 'default');
      assert.ok(initial.owner.id, 'owner id present');
      for (const acl of ['private', 'public-read', 'public-read-write', 'default']) {
        await c.putACL(name, acl);
        assert.equal((await c.getACL(name)).acl, acl);
      }
      await rejectsWith(c.putACL(name, 'bogus'), { code: 'InvalidArgument', status: 400 });
      await rejectsWith(c.getACL('no-such-object.txt'), noSuchKey);
      await rejectsWith(c.putACL('no-such-object.txt', 'private'), noSuchKey);
    });

    it('handles keys with spaces, +, %, unicode, emoji, ?, # and dots', async () => {
      const keys = [
        'keys/with space.txt',
        'keys/plus+sign.txt',
        'keys/percent%20literal%.txt',
        'keys/中文/文件.txt',
        'keys/emoji 😀🎉.txt',
        'keys/a..b/..c/d..',
        'keys/.../.hidden',
        'keys/q?x=1&y#frag',
        'keys/double//slash',
      ];
      for (const k of keys) {
        await c.put(k, Buffer.from(`body of ${k}`));
        assert.equal((await c.get(k)).content.toString(), `body of ${k}`, k);
        assert.equal((await c.head(k)).status, 200, k);
      }
      const listed = (await c.list({ prefix: 'keys/' })).objects.map((o: { name: string }) => o.name);
      assert.deepEqual(listed, bytewise(keys));
      for (const k of keys) await c.delete(k);
      assert.deepEqual((await c.list({ prefix: 'keys/' })).objects, []);
    });

    it('accepts a 1023-byte key and refuses a 1024-byte one (InvalidObjectName)', async () => {
      const ascii = 'long/' + 'k'.repeat(1018);
      const unicode = '中'.repeat(341);
      assert.equal(Buffer.byteLength(ascii), 1023);
      assert.equal(Buffer.byteLength(unicode), 1023);
      for (const k of [ascii, unicode]) {
        await c.put(k, Buffer.from('long key'));
        assert.equal((await c.get(k)).content.toString(), 'long key');
      }
      await rejectsWith(c.put(ascii + 'k', Buffer.from('too long')), { code: 'InvalidObjectName', status: 400 });
      await rejectsWith(c.put(unicode + 'a', Buffer.from('too long')), { code: 'InvalidObjectName', status: 400 });
    });
  });
}

describe('objects: keys with dot segments', { timeout: 300_000 }, () => {
  // ali-oss signs such a key as given but urllib resolves '/../' and '/./' before sending
  // (a client limitation), so the bytes go through raw requests, which send the path
  // verbatim, and ali-oss checks the keys through list and deleteMulti (keys in XML).
  const bucket = 'objects-dots';
  const keys = ['dots/a/../b/./c.txt', 'dots/../escape', 'dots/./x/..'];
  let c: OssClient;
  before(async () => {
    c = await bucketClient(ossd, SDK_MODES.find((x) => x.mode === 'sld' && !x.v4)!, bucket);
  });

  it('stores, lists, reads and deletes keys whose segments are . and ..', async () => {
    for (const k of keys) {
      const put = await raw(ossd, { method: 'PUT', path: `/${bucket}/${k}`, body: `body of ${k}` });
      assert.equal(put.status, 200, `${k}: ${put.text}`);
      const got = await raw(ossd, { method: 'GET', path: `/${bucket}/${k}` });
      assert.equal(got.text, `body of ${k}`);
    }
    const listed = (await c.list({ prefix: 'dots/' })).objects.map((o: { name: string }) => o.name);
    assert.deepEqual(listed, bytewise(keys));
    await rejectsWith(c.head('dots/b/c.txt'), noSuchKey);
    const del = await c.deleteMulti(keys);
    assert.equal(del.deleted.length, keys.length);
    assert.deepEqual((await c.list({ prefix: 'dots/' })).objects, []);
  });
});

describe('objects: large body', { timeout: 300_000 }, () => {
  // Two modes only, to keep the suite fast: IP endpoint V1 and localhost sldEnable V4.
  for (const m of SDK_MODES.filter((x) => (x.mode === 'ip' && !x.v4) || (x.mode === 'sld' && x.v4))) {
    it(`round-trips a 20 MiB Buffer byte-exactly with the MD5 ETag and CRC (${m.label})`, async () => {
      const c = await bucketClient(ossd, m, bucketFor('large', m));
      const body = randomBytes(20 * 1024 * 1024);
      const put = await c.put('big.bin', body);
      assert.equal(hdr(put.res, 'etag'), md5Etag(body));
      assert.equal(hdr(put.res, 'x-oss-hash-crc64ecma'), crcOf(body));
      const got = await c.get('big.bin');
      assert.equal(hdr(got.res, 'content-length'), String(body.length));
      assert.equal(hdr(got.res, 'etag'), md5Etag(body));
      assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOf(body));
      assert.ok(contentOf(got).equals(body), 'byte-exact');
    });
  }
});
