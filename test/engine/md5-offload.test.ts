/**
 * MD5 of large bodies on the worker thread (src/engine/md5-offload.ts, ingest.ts): bodies
 * declared at 4 MiB or more are hashed there, batch by batch, before each batch is written.
 * The ETag, the bytes on disk, Content-MD5 checks and short bodies must come out exactly
 * as on the event loop, also with many such bodies at once.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import { OffloadedMd5 } from '../../src/engine/md5-offload.js';
import { engineWithBucket, ownedChunks, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const tempDir = tempDirs('ossd-md5-');
const MiB = 1024 * 1024;

const bucketEngine = (): Promise<Engine> => engineWithBucket(tempDir());

/** A body in uneven chunks, views of one buffer (as a multipart form parser may hand them over). */
function chunked(data: Buffer, declared = data.length) {
  return {
    body: (async function* () {
      for (let at = 0; at < data.length; at += 65_000) yield data.subarray(at, at + 65_000);
    })(),
    contentLength: declared,
  };
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('MD5 of large bodies on the worker thread', { timeout: 120_000 }, () => {
  it('a 9.5 MiB put: MD5 ETag, CRC-64 and bytes exactly as sent', async () => {
    const engine = await bucketEngine();
    const data = randomBytes(9.5 * MiB);
    const rec = await engine.objects.put('b', 'big', chunked(data), emptyAttributes(), false);
    assert.equal(rec.etag, md5(data).toString('hex').toUpperCase());
    assert.equal(rec.crc, crc64ToDecimal(crc64(data)));
    assert.ok((await readObject(engine, 'big')).equals(data));
    await engine.close();
  });

  it('with inline storage raised above the worker threshold, a 9 MiB body kept in memory is stored intact', async () => {
    // The in-memory writer keeps the batches it is given: they must be neither reused for
    // later batches nor freed. Checked to fail with the batch buffers reused.
    const saved = process.env.OSSD_INLINE_MAX;
    process.env.OSSD_INLINE_MAX = String(16 * MiB);
    try {
      const engine = await bucketEngine();
      const data = randomBytes(9 * MiB + 3);
      const given: Buffer[] = [];
      const rec = await engine.objects.put('b', 'inline-big', ownedChunks(data, given), emptyAttributes(), false);
      assert.equal(rec.etag, md5(data).toString('hex').toUpperCase());
      assert.ok((await readObject(engine, 'inline-big')).equals(data));
      const viewed = await engine.objects.put('b', 'inline-views', chunked(data), emptyAttributes(), false);
      assert.equal(viewed.etag, rec.etag);
      assert.ok((await readObject(engine, 'inline-views')).equals(data));
      await engine.close();
    } finally {
      if (saved === undefined) delete process.env.OSSD_INLINE_MAX;
      else process.env.OSSD_INLINE_MAX = saved;
    }
  });

  it('Content-MD5 is checked: right passes, wrong is InvalidDigest and stores nothing', async () => {
    const engine = await bucketEngine();
    const data = randomBytes(5 * MiB);
    await engine.objects.put('b', 'ok', { ...chunked(data), contentMd5: md5(data) }, emptyAttributes(), false);
    const wrong = md5(Buffer.from('something else'));
    await assert.rejects(engine.objects.put('b', 'bad', { ...chunked(data), contentMd5: wrong }, emptyAttributes(), false), { code: 'InvalidDigest' });
    await assert.rejects(engine.objects.head('b', 'bad'), { code: 'NoSuchKey' });
    let files = 0;
    for await (const _ of engine.blobs.list()) files++;
    assert.equal(files, 1, 'only the good object has a blob');
    await engine.close();
  });

  it('a body shorter than declared is IncompleteBody; the next put still hashes right', async () => {
    const engine = await bucketEngine();
    const data = randomBytes(4.5 * MiB);
    await assert.rejects(engine.objects.put('b', 'short', chunked(data, 5 * MiB), emptyAttributes(), false), { code: 'IncompleteBody' });
    const rec = await engine.objects.put('b', 'after', chunked(data), emptyAttributes(), false);
    assert.equal(rec.etag, md5(data).toString('hex').toUpperCase());
    await engine.close();
  });

  it('eight concurrent 4 MiB+ puts each get their own MD5', async () => {
    const engine = await bucketEngine();
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(4 * MiB + i * 12_345));
    const recs = await Promise.all(bodies.map((b, i) => engine.objects.put('b', `k${i}`, chunked(b), emptyAttributes(), false)));
    recs.forEach((r, i) => assert.equal(r.etag, md5(bodies[i]!).toString('hex').toUpperCase(), `k${i}`));
    for (const [i, b] of bodies.entries()) assert.ok((await readObject(engine, `k${i}`)).equals(b), `k${i} bytes`);
    await engine.close();
  });

  it('a body alone keeps more and larger batches in flight; many at once keep one smaller each, and finished ones stop counting', async () => {
    const one = new OffloadedMd5();
    assert.equal(one.depth(), 8, 'alone');
    assert.equal(one.batchBytes(), 512 * 1024, 'alone: large batches');
    const many = Array.from({ length: 63 }, () => new OffloadedMd5());
    assert.equal(one.depth(), 1, '64 bodies: one batch each (memory bound)');
    assert.equal(one.batchBytes(), 256 * 1024, 'crowded: half-size batches');
    for (const m of many.slice(0, 56)) m.discard();
    assert.equal(one.depth(), 4, '8 bodies: 32 / 8');
    for (const m of many.slice(56)) await m.digest();
    many[0]!.discard(); // a second finish of the same body changes nothing
    assert.equal(one.depth(), 8, 'alone again');
    assert.equal(one.batchBytes(), 512 * 1024);
    assert.equal(md5(Buffer.alloc(0)).equals(await one.digest()), true, 'nothing added: the MD5 of nothing');
  });
});
