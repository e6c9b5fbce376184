/**
 * Inline blobs (src/engine/inline.ts, drivers/sqlite/inline-store.ts) on the real SQLite
 * and file drivers: a body of known length up to 64 KiB is stored in meta.db with its
 * row, no file; an inline blob lives exactly as long as something references it, and is
 * dropped in the very commit that removes the last reference (no background collection).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { isInlineBlob } from '../../src/drivers/types.js';
import { versionIdOf } from '../../src/engine/model.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import { body, DRIVER_PAIRS, engineWithBucket, makeEngine, readObject as read, tempDirs } from '../helpers/engine-fixtures.js';

const tempDir = tempDirs('ossd-inline-');
const KiB64 = 64 * 1024;

async function stored(engine: Engine): Promise<{ files: number; inline: string[] }> {
  let files = 0;
  for await (const _ of engine.blobs.list()) files++;
  const inline: string[] = [];
  for await (const id of engine.meta.inline.list()) inline.push(id);
  return { files, inline };
}

const bucketEngine = (pair: string, dir = tempDir()): Promise<Engine> => engineWithBucket(dir, pair);

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

for (const pair of DRIVER_PAIRS) {
  describe(`inline blobs (${pair})`, { timeout: 120_000 }, () => {
    it('a body up to 64 KiB is stored inline, one byte more in a file; both read back whole and in ranges', async () => {
      const engine = await bucketEngine(pair);
      const small = pattern(KiB64);
      const big = pattern(KiB64 + 1, 2);
      const s = await engine.objects.put('b', 'small', body(small), emptyAttributes(), false);
      const g = await engine.objects.put('b', 'big', body(big), emptyAttributes(), false);
      assert.ok(isInlineBlob(s.blob), s.blob ?? 'null');
      assert.ok(!isInlineBlob(g.blob));
      assert.deepEqual(await stored(engine), { files: 1, inline: [s.blob] });
      assert.equal(s.crc, crc64ToDecimal(crc64(small)));
      assert.ok((await read(engine, 'small')).equals(small));
      assert.ok((await read(engine, 'small', undefined, 100, 200)).equals(small.subarray(100, 200)));
      assert.ok((await read(engine, 'big')).equals(big));
      const o = await engine.objects.open('b', 'small');
      assert.ok((await o.read!(10, 20)).equals(small.subarray(10, 20)));
      await o.close();
      await engine.close();
    });

    it('an empty body has no blob at all', async () => {
      const engine = await bucketEngine(pair);
      const r = await engine.objects.put('b', 'empty', body(''), emptyAttributes(), false);
      assert.equal(r.blob, null);
      assert.deepEqual(await stored(engine), { files: 0, inline: [] });
      assert.equal((await read(engine, 'empty')).length, 0);
      await engine.close();
    });

    it('overwrite and delete drop the inline blob in their own commit', async () => {
      const engine = await bucketEngine(pair);
      const one = await engine.objects.put('b', 'k', body('one'), emptyAttributes(), false);
      const two = await engine.objects.put('b', 'k', body('two'), emptyAttributes(), false);
      // No waiting: the drop was part of the overwrite's transaction.
      assert.deepEqual((await stored(engine)).inline, [two.blob]);
      assert.equal(await engine.meta.inline.read(one.blob!), undefined);
      assert.equal((await read(engine, 'k')).toString(), 'two');
      await engine.objects.delete('b', 'k');
      assert.deepEqual(await stored(engine), { files: 0, inline: [] });
      await engine.close();
    });

    it('a failed conditional put stores nothing', async () => {
      const engine = await bucketEngine(pair);
      await engine.objects.put('b', 'k', body('first'), emptyAttributes(), false);
      await assert.rejects(engine.objects.put('b', 'k', body('second'), emptyAttributes(), true), { code: 'FileAlreadyExists' });
      assert.equal((await stored(engine)).inline.length, 1);
      await engine.close();
    });

    it('versioning keeps noncurrent inline blobs; deleting the version by id drops its blob', async () => {
      const engine = await bucketEngine(pair);
      await engine.buckets.setVersioning('b', 'Enabled');
      const v1 = await engine.objects.put('b', 'k', body('version one'), emptyAttributes(), false);
      const v2 = await engine.objects.put('b', 'k', body('version two'), emptyAttributes(), false);
      await engine.objects.delete('b', 'k');
      assert.equal((await stored(engine)).inline.length, 2, 'both versions keep their bytes behind the delete marker');
      assert.equal((await read(engine, 'k', versionIdOf(v1))).toString(), 'version one');
      await engine.objects.delete('b', 'k', versionIdOf(v2));
      assert.deepEqual((await stored(engine)).inline, [v1.blob]);
      await engine.objects.delete('b', 'k', versionIdOf(v1));
      assert.deepEqual((await stored(engine)).inline, []);
      await engine.close();
    });

    it('a copy gets an inline blob of its own; a copy onto itself keeps the same one', async () => {
      const engine = await bucketEngine(pair);
      const src = await engine.objects.put('b', 'src', body('copied bytes'), emptyAttributes(), false);
      const copy = (key: string) =>
        engine.objects.copy('b', key, {
          source: { bucket: 'b', key: 'src' },
          conditions: {},
          metadataDirective: 'REPLACE',
          attrs: emptyAttributes(),
          forbidOverwrite: false,
        });
      const c = await copy('dst');
      assert.ok(c !== 'not-modified');
      assert.ok(isInlineBlob(c.record.blob));
      assert.notEqual(c.record.blob, src.blob);
      const self = await copy('src');
      assert.ok(self !== 'not-modified');
      assert.equal(self.record.blob, src.blob);
      assert.equal((await stored(engine)).inline.length, 2);
      await engine.objects.delete('b', 'src');
      assert.equal((await read(engine, 'dst')).toString(), 'copied bytes');
      assert.deepEqual((await stored(engine)).inline, [c.record.blob]);
      await engine.close();
    });

    it('a multipart upload completed over an inline object drops it', async () => {
      const engine = await bucketEngine(pair);
      await engine.objects.put('b', 'k', body('small'), emptyAttributes(), false);
      const up = await engine.multipart.initiate('b', 'k', emptyAttributes(), false);
      await engine.multipart.uploadPart('b', 'k', up.uploadId, 1, body('part'));
      await engine.multipart.complete('b', 'k', up.uploadId, { parts: 'all', forbidOverwrite: false });
      assert.deepEqual((await stored(engine)).inline, []);
      assert.equal((await read(engine, 'k')).toString(), 'part');
      await engine.close();
    });

    it('inline blobs survive a restart, and recovery removes none of them', async () => {
      const dir = tempDir();
      let engine = await bucketEngine(pair, dir);
      const bodies = Array.from({ length: 20 }, (_, i) => pattern(100 + i * 1000, i));
      await Promise.all(bodies.map((b, i) => engine.objects.put('b', `k${i}`, body(b), emptyAttributes(), false)));
      await engine.close();
      engine = await makeEngine(dir, pair);
      const report = await engine.recover();
      assert.equal(report.removedOrphans, 0);
      assert.equal((await stored(engine)).inline.length, 20);
      for (const [i, b] of bodies.entries()) assert.ok((await read(engine, `k${i}`)).equals(b), `k${i}`);
      await engine.close();
    });

    it('OSSD_INLINE_MAX=0 stores every body in a file', async () => {
      process.env.OSSD_INLINE_MAX = '0';
      try {
        const engine = await bucketEngine(pair);
        const r = await engine.objects.put('b', 'k', body('to a file'), emptyAttributes(), false);
        assert.ok(r.blob !== null && !isInlineBlob(r.blob));
        assert.deepEqual(await stored(engine), { files: 1, inline: [] });
        await engine.close();
      } finally {
        delete process.env.OSSD_INLINE_MAX;
      }
    });
  });
}
