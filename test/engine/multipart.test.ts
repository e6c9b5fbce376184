/**
 * Engine conformance for multipart upload (multipart.md): segmented objects read back in
 * any range, Complete's atomic replacement with blob collection deferred for readers, the
 * orphan sweep sparing part and segment blobs, concurrent part replacement racing a
 * Complete, and segments surviving a reopen of the stores. Runs for every driver pair in
 * OSSD_TEST_DRIVERS, like engine.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import type { Engine } from '../../src/engine/engine.js';
import { blobExists, body as input, DRIVER_PAIRS, makeEngine } from '../helpers/engine-fixtures.js';
import type { OpenedObject } from '../../src/engine/objects.js';

const KIB100 = 100 * 1024;

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 256;
  return b;
}

async function read(o: OpenedObject, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of o.stream(start, end)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}


for (const pair of DRIVER_PAIRS) {
  describe(`multipart engine on ${pair}`, { timeout: 120_000 }, () => {
    let dir: string;
    let engine: Engine;
    const attrs = emptyAttributes();

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ossd-engine-mp-'));
      engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
    });
    after(async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function complete(key: string, parts: Buffer[]) {
      const u = await engine.multipart.initiate('b', key, attrs, false);
      const recs = [];
      for (const [i, p] of parts.entries()) recs.push(await engine.multipart.uploadPart('b', key, u.uploadId, i + 1, input(p)));
      return engine.multipart.complete('b', key, u.uploadId, { parts: recs.map((r) => ({ partNumber: r.partNumber, etag: r.etag })), forbidOverwrite: false });
    }

    it('a completed object is its parts as segments, readable in any range', async () => {
      const parts = [bytes(KIB100, 1), bytes(KIB100 + 3, 2), bytes(17, 3)];
      const whole = Buffer.concat(parts);
      const rec = await complete('seg', parts);
      assert.equal(rec.type, 'Multipart');
      assert.equal(rec.blob, null);
      assert.equal(rec.segments?.length, 3);
      assert.equal(rec.crc, crc64ToDecimal(crc64(whole)));
      const o = await engine.objects.open('b', 'seg');
      assert.deepEqual(o.record.segments, rec.segments);
      for (const [s, e] of [[0, whole.length], [KIB100 - 1, KIB100 + 1], [KIB100, 2 * KIB100 + 3], [5, 6], [2 * KIB100 + 3, whole.length], [7, 7]] as const) {
        assert.ok((await read(o, s, e)).equals(whole.subarray(s, e)), `${s}-${e}`);
      }
      assert.ok((await read(o, 0, Infinity)).equals(whole));
      await o.close();
    });

    it('a reader keeps the old segments until it closes; then they are collected', async () => {
      const old = await complete('swap', [bytes(KIB100, 4), bytes(10, 5)]);
      const o = await engine.objects.open('b', 'swap');
      await complete('swap', [bytes(30, 6)]);
      await engine.objects.delete('b', 'swap');
      await new Promise((r) => setTimeout(r, 50));
      for (const s of old.segments!) assert.ok(await blobExists(engine, s.blob), 'leased segment kept');
      assert.ok((await read(o, 0, Infinity)).equals(Buffer.concat([bytes(KIB100, 4), bytes(10, 5)])));
      await o.close();
      const anyLeft = async (): Promise<boolean> => (await Promise.all(old.segments!.map((s) => blobExists(engine, s.blob)))).some(Boolean);
      for (let i = 0; i < 100 && (await anyLeft()); i++) await new Promise((r) => setTimeout(r, 20));
      for (const s of old.segments!) assert.ok(!(await blobExists(engine, s.blob)), 'segment removed after close');
      assert.equal(engine.objects.leases.leased, 0);
    });

    it('the orphan sweep spares part and segment blobs', async () => {
      const u = await engine.multipart.initiate('b', 'pending', attrs, false);
      const p = await engine.multipart.uploadPart('b', 'pending', u.uploadId, 1, input(bytes(KIB100, 7)));
      const rec = await complete('kept', [bytes(KIB100, 8), bytes(5, 9)]);
      const report = await engine.recover();
      assert.equal(report.removedOrphans, 0);
      assert.ok(await blobExists(engine, p.blob!));
      for (const s of rec.segments!) assert.ok(await blobExists(engine, s.blob));
      assert.ok(await engine.meta.isBlobReferenced(p.blob!));
      assert.ok(await engine.meta.isBlobReferenced(rec.segments![1]!.blob));
      await engine.multipart.abort('b', 'pending', u.uploadId);
      assert.ok(!(await engine.meta.isBlobReferenced(p.blob!)));
    });

    it('a part replaced while Complete runs: Complete validates again', async () => {
      const u = await engine.multipart.initiate('b', 'race', attrs, false);
      const p1 = await engine.multipart.uploadPart('b', 'race', u.uploadId, 1, input(bytes(KIB100, 10)));
      const [done, replaced] = await Promise.allSettled([
        engine.multipart.complete('b', 'race', u.uploadId, { parts: [{ partNumber: 1, etag: p1.etag }], forbidOverwrite: false }),
        engine.multipart.uploadPart('b', 'race', u.uploadId, 1, input(bytes(KIB100, 11))),
      ]);
      // Either Complete won (and the late part finds no upload) or the part won (and the
      // listed ETag no longer matches): never an object pointing at a removed blob.
      if (done.status === 'fulfilled') {
        assert.equal(replaced.status, 'rejected');
        const o = await engine.objects.open('b', 'race');
        assert.ok((await read(o, 0, Infinity)).equals(bytes(KIB100, 10)));
        await o.close();
      } else {
        assert.equal((done.reason as { code: string }).code, 'InvalidPart');
        assert.equal(replaced.status, 'fulfilled');
      }
    });

    it('segments survive closing and reopening the stores; BucketNotEmpty counts uploads', async () => {
      await engine.close();
      engine = await makeEngine(dir, pair);
      const o = await engine.objects.open('b', 'seg');
      assert.equal(o.record.segments?.length, 3);
      assert.equal((await read(o, 0, Infinity)).length, 2 * KIB100 + 20);
      await o.close();
      await engine.buckets.create('e', 'private', 'Standard', 'LRS');
      const u = await engine.multipart.initiate('e', 'k', attrs, false);
      await assert.rejects(engine.buckets.delete('e'), { code: 'BucketNotEmpty' });
      await engine.multipart.abort('e', 'k', u.uploadId);
      await engine.buckets.delete('e');
    });
  });
}
