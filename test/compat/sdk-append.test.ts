/**
 * AppendObject through the real ali-oss client (append.md §10, §13), in every addressing
 * mode and both signature versions, starting with the documentation sample unchanged:
 * `client.append(name, 'local-file')`, then `{ position: result.nextAppendPosition }`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';
import {
  bucketClient,
  bucketFor,
  contentOf,
  crcOf,
  hdr,
  md5Etag,
  rejectsWith,
  SDK_MODES,
  sleep,
  useScratchDir,
} from '../helpers/sdk-fixtures.js';

const positionError = {
  code: 'PositionNotEqualToLength',
  status: 409,
  name: 'PositionNotEqualToLengthError',
  message: 'Position is not equal to file length',
};
const notAppendable = { code: 'ObjectNotAppendable', status: 409, name: 'ObjectNotAppendableError' };

const ossd = useOssd();
const scratch = useScratchDir();

/** Appends `body` and checks the response against the expected whole object `soFar`. */
async function appendChecked(c: OssClient, name: string, body: Buffer, soFar: Buffer, position?: string | number): Promise<string> {
  const r = await c.append(name, body, position === undefined ? undefined : { position });
  assert.equal(r.nextAppendPosition, String(soFar.length));
  assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(soFar));
  return r.nextAppendPosition as string;
}

for (const m of SDK_MODES) {
  describe(`append: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    before(async () => {
      c = await bucketClient(ossd, m, bucketFor('append', m));
    });

    it('runs the documentation sample unchanged (file path, then nextAppendPosition)', async () => {
      const content = Buffer.from(`one line of the local file (${m.label})\n`);
      const localFile = scratch.file(`local-file-${m.mode}-${m.v4}.txt`, content);
      const name = 'destfolder/examplefile.txt';
      let result = await c.append(name, localFile);
      assert.equal(result.nextAppendPosition, String(content.length));
      assert.equal(hdr(result.res, 'x-oss-hash-crc64ecma'), crcOf(content));
      result = await c.append(name, localFile, { position: result.nextAppendPosition });
      const whole = Buffer.concat([content, content]);
      assert.equal(result.nextAppendPosition, String(whole.length));
      assert.equal(hdr(result.res, 'x-oss-hash-crc64ecma'), crcOf(whole));

      const got = await c.get(name);
      assert.equal(got.res.status, 200);
      assert.deepEqual(contentOf(got), whole);
      assert.equal(hdr(got.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(got.res, 'x-oss-next-append-position'), String(whole.length));
      assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOf(whole));
      assert.equal(hdr(got.res, 'content-type'), 'text/plain');
    });

    it('chains Buffer appends: next position, whole-object CRC and a new ETag each time', async () => {
      const name = 'log/buffers.bin';
      const parts = [Buffer.from('hello'), randomBytes(70_000), Buffer.from([0, 255, 10, 13, 0]), Buffer.from('world')];
      let soFar = Buffer.alloc(0);
      let position: string | undefined;
      const etags = new Set<string>();
      for (const part of parts) {
        soFar = Buffer.concat([soFar, part]);
        const r = await c.append(name, part, position === undefined ? undefined : { position });
        assert.equal(r.nextAppendPosition, String(soFar.length));
        assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(soFar));
        const etag = hdr(r.res, 'etag');
        assert.match(etag ?? '', /^"[0-9A-F]+"$/);
        assert.ok(!etags.has(etag!), 'ETag changes on every append');
        etags.add(etag!);
        position = r.nextAppendPosition;
      }
      assert.equal(soFar.length, 70_015);

      const got = await c.get(name);
      assert.ok(contentOf(got).equals(soFar), 'GET returns the concatenation');
      assert.equal(hdr(got.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(got.res, 'x-oss-next-append-position'), '70015');
      assert.equal(hdr(got.res, 'content-length'), '70015');

      const head = await c.head(name);
      assert.equal(head.status, 200);
      assert.equal(hdr(head.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(head.res, 'x-oss-next-append-position'), '70015');
      assert.equal(hdr(head.res, 'content-length'), '70015');
      assert.equal(hdr(head.res, 'x-oss-hash-crc64ecma'), crcOf(soFar));
      assert.ok(etags.has(hdr(head.res, 'etag')!), 'HEAD shows the ETag of the last append');
      assert.notEqual(hdr(head.res, 'etag'), md5Etag(soFar), 'an appendable ETag is not the MD5');
    });

    it('refuses a position that is too small, too large, or nonzero on a missing key', async () => {
      const name = 'positions.txt';
      const data = Buffer.from('0123456789');
      await appendChecked(c, name, data, data);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: 0 }), positionError);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: 9 }), positionError);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: 11 }), positionError);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: '100' }), positionError);
      const head = await c.head(name);
      assert.equal(hdr(head.res, 'content-length'), '10', 'failed appends change nothing');
      assert.equal(hdr(head.res, 'x-oss-hash-crc64ecma'), crcOf(data));

      await rejectsWith(c.append('missing-key.txt', Buffer.from('x'), { position: 5 }), positionError);
      await rejectsWith(c.head('missing-key.txt'), { code: 'NoSuchKey', status: 404 });
    });

    it('refuses to append to an object written by put() (ObjectNotAppendable)', async () => {
      const name = 'normal.txt';
      await c.put(name, Buffer.from('normal'));
      await rejectsWith(c.append(name, Buffer.from('x')), notAppendable);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: 6 }), notAppendable);
      assert.equal((await c.get(name)).content.toString(), 'normal');
    });

    it('allows a zero-length append at 0, and another append at 0 after it', async () => {
      const name = 'empty-first.txt';
      await appendChecked(c, name, Buffer.alloc(0), Buffer.alloc(0));
      assert.equal(crcOf(Buffer.alloc(0)), '0');
      const head = await c.head(name);
      assert.equal(hdr(head.res, 'x-oss-object-type'), 'Appendable');
      assert.equal(hdr(head.res, 'content-length'), '0');
      await appendChecked(c, name, Buffer.from('first bytes'), Buffer.from('first bytes'), 0);
      assert.equal((await c.get(name)).content.toString(), 'first bytes');
    });

    it('keeps metadata and mime from the first append and ignores later ones', async () => {
      const name = 'meta.data';
      await c.append(name, Buffer.from('a,b\n'), {
        mime: 'text/csv',
        meta: { author: 'alice', stage: 'one' },
        headers: { 'Cache-Control': 'no-cache' },
      });
      await c.append(name, Buffer.from('c,d\n'), {
        position: 4,
        mime: 'image/png',
        meta: { author: 'bob', extra: 'later' },
        headers: { 'Cache-Control': 'max-age=60' },
      });
      const head = await c.head(name);
      assert.deepEqual(head.meta, { author: 'alice', stage: 'one' });
      assert.equal(hdr(head.res, 'content-type'), 'text/csv');
      assert.equal(hdr(head.res, 'cache-control'), 'no-cache');
      assert.equal(hdr(head.res, 'content-length'), '8');
    });

    it('applies x-oss-object-acl from a later append', async () => {
      const name = 'acl-on-append.txt';
      await c.append(name, Buffer.from('one'));
      assert.equal((await c.getACL(name)).acl, 'default');
      await c.append(name, Buffer.from('two'), { position: 3, headers: { 'x-oss-object-acl': 'public-read' } });
      assert.equal((await c.getACL(name)).acl, 'public-read');
      await c.append(name, Buffer.from('three'), { position: 6 });
      assert.equal((await c.getACL(name)).acl, 'public-read', 'an append without the header keeps the ACL');
      assert.equal((await c.get(name)).content.toString(), 'onetwothree');
    });

    it('put() over an appendable object makes it Normal; appends then fail', async () => {
      const name = 'overwritten.txt';
      await c.append(name, Buffer.from('appendable'));
      const replacement = Buffer.from('now normal');
      await c.put(name, replacement);
      const head = await c.head(name);
      assert.equal(hdr(head.res, 'x-oss-object-type'), 'Normal');
      assert.equal(hdr(head.res, 'etag'), md5Etag(replacement));
      assert.equal(hdr(head.res, 'x-oss-next-append-position'), undefined);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: replacement.length }), notAppendable);
      await rejectsWith(c.append(name, Buffer.from('x'), { position: 0 }), notAppendable);
    });

    it('recreates the object with an append at 0 after delete()', async () => {
      const name = 'recreated.txt';
      await c.append(name, Buffer.from('old data'), { meta: { generation: 'old' } });
      await c.delete(name);
      await rejectsWith(c.append(name, Buffer.from('new'), { position: 8 }), positionError);
      await appendChecked(c, name, Buffer.from('new'), Buffer.from('new'), 0);
      const got = await c.get(name);
      assert.equal(got.content.toString(), 'new');
      assert.equal(hdr(got.res, 'x-oss-next-append-position'), '3');
      assert.equal(hdr(got.res, 'x-oss-meta-generation'), undefined, 'nothing of the deleted object survives');
    });

    it('appends a stream body (chunked transfer)', async () => {
      const name = 'stream.log';
      const first = [Buffer.from('chunk-1;'), randomBytes(20_000), Buffer.from('chunk-3;')];
      const second = [Buffer.from('more-1;'), Buffer.from('more-2')];
      const whole1 = Buffer.concat(first);
      let r = await c.append(name, Readable.from(first));
      assert.equal(r.nextAppendPosition, String(whole1.length));
      assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(whole1));
      r = await c.append(name, Readable.from(second), { position: r.nextAppendPosition });
      const whole = Buffer.concat([whole1, ...second]);
      assert.equal(r.nextAppendPosition, String(whole.length));
      assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(whole));
      assert.ok(contentOf(await c.get(name)).equals(whole));
    });

    it('lists an appendable object with type Appendable and its size', async () => {
      const name = 'listed/append.txt';
      await c.append(name, Buffer.from('12345'));
      await c.append(name, Buffer.from('678'), { position: 5 });
      const head = await c.head(name);
      const listed = await c.list({ prefix: 'listed/' });
      assert.equal(listed.objects.length, 1);
      const o = listed.objects[0];
      assert.equal(o.name, name);
      assert.equal(o.type, 'Appendable');
      assert.equal(o.size, 8);
      assert.equal(o.etag, hdr(head.res, 'etag'));
      const v2 = await c.listV2({ prefix: 'listed/' });
      assert.equal(v2.objects[0].type, 'Appendable');
      assert.equal(v2.objects[0].size, 8);
    });
  });
}

describe('append: details independent of the addressing mode', { timeout: 300_000 }, () => {
  let c: OssClient;
  const bucket = 'append-details';
  before(async () => {
    c = client(ossd, { mode: 'sld', bucket });
    await c.putBucket(bucket);
  });

  it('changes Last-Modified on each append', async () => {
    const name = 'mtime.txt';
    await c.append(name, Buffer.from('a'));
    const first = hdr((await c.head(name)).res, 'last-modified')!;
    await sleep(1100);
    await c.append(name, Buffer.from('b'), { position: 1 });
    const second = hdr((await c.head(name)).res, 'last-modified')!;
    assert.ok(Date.parse(second) > Date.parse(first), `${second} is later than ${first}`);
  });

  it('answers PositionNotEqualToLength with x-oss-next-append-position (raw request)', async () => {
    const name = 'raw-position.txt';
    await c.append(name, Buffer.from('abcdef'));
    const res = await raw(ossd, { method: 'POST', path: `/${bucket}/${name}?append&position=2`, body: 'x' });
    assert.equal(res.status, 409);
    assert.match(res.text, /<Code>PositionNotEqualToLength<\/Code>/);
    assert.equal(res.headers['x-oss-next-append-position'], '6');
    const missing = await raw(ossd, { method: 'POST', path: `/${bucket}/nothing-here?append&position=3`, body: 'x' });
    assert.equal(missing.status, 409);
    assert.equal(missing.headers['x-oss-next-append-position'], '0');
  });

  it('serves the two-append documentation example values (hello, world)', async () => {
    const name = 'hello.txt';
    const r1 = await c.append(name, Buffer.from('hello'));
    assert.equal(hdr(r1.res, 'x-oss-hash-crc64ecma'), '11177612005948864433');
    const r2 = await c.append(name, Buffer.from('world'), { position: r1.nextAppendPosition });
    assert.equal(r2.nextAppendPosition, '10');
    assert.equal(hdr(r2.res, 'x-oss-hash-crc64ecma'), '10826451443916115081');
  });
});
