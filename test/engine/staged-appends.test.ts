/**
 * Small appends to an existing blob are staged in memory, not written into its file on
 * the request path (journal-flusher.ts, staged-read.ts): reads see them at once, a larger
 * append writes them into the file first, and the flusher writes and syncs them.
 * Real SQLite and file drivers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaultPlan, faultyBlobStore } from '../../src/drivers/faulty.js';
import { parseFaults } from '../../src/drivers/faults-config.js';
import { emptyAttributes } from '../../src/engine/attributes.js';
import { Engine } from '../../src/engine/engine.js';
import { body, DRIVER_PAIRS, immutableBlobs, makeEngine, makeStores, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-staged-');
const attrs = emptyAttributes();

// The journal and staged bytes exist only on a mutable (file) blob store.
for (const pair of DRIVER_PAIRS.filter((p) => !immutableBlobs(p))) {
  describe(`staged small appends on ${pair}`, { timeout: 120_000 }, () => {
    let dir: string;
    let engine: Engine;
    before(async () => {
      process.env.OSSD_JOURNAL_FLUSH_MS = '600000'; // no background flush: only what the test asks for
      dir = newDir();
      engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
    });
    after(async () => {
      delete process.env.OSSD_JOURNAL_FLUSH_MS;
      await engine.close();
    });

    const fileOf = (blob: string): string => join(dir, 'blobs', blob.slice(0, 2), blob);

    it('reads see staged bytes at once, whole and in ranges across the end of the file, while the file is unchanged', async () => {
      const first = randomBytes(1000);
      const created = await engine.objects.append('b', 'k', 0, body(first), attrs);
      const parts = [randomBytes(10), randomBytes(4096), randomBytes(7)];
      let expected = first;
      for (const p of parts) {
        await engine.objects.append('b', 'k', expected.length, body(p), attrs);
        expected = Buffer.concat([expected, p]);
      }
      // The creating append wrote its file; the three after it are only staged (and journaled).
      assert.equal(statSync(fileOf(created.blob!)).size, first.length);
      assert.ok((await readObject(engine, 'k')).equals(expected));
      for (const [s, e] of [[990, 1010], [1000, 1010], [1005, 5000], [0, 1000], [5100, expected.length]] as const) {
        assert.ok((await readObject(engine, 'k', undefined, s, e)).equals(expected.subarray(s, e)), `stream ${s}-${e}`);
        const opened = await engine.objects.open('b', 'k');
        try {
          assert.ok((await opened.read!(s, e)).equals(expected.subarray(s, e)), `read ${s}-${e}`);
        } finally {
          await opened.close();
        }
      }
    });

    it('a larger append writes the staged bytes into the file before its own', async () => {
      const before = await readObject(engine, 'k');
      const big = randomBytes(100_000);
      const rec = await engine.objects.append('b', 'k', before.length, body(big), attrs);
      const expected = Buffer.concat([before, big]);
      assert.ok(readFileSync(fileOf(rec.blob!)).equals(expected), 'the file holds every byte, no hole');
      assert.ok((await readObject(engine, 'k')).equals(expected));
    });

    it('a refused append leaves nothing staged; the flush writes the rest into the file and clears the journal', async () => {
      const before = await readObject(engine, 'k');
      const tail = randomBytes(300);
      await assert.rejects(engine.objects.append('b', 'k', before.length + 1, body(tail), attrs), { code: 'PositionNotEqualToLength' });
      const rec = await engine.objects.append('b', 'k', before.length, body(tail), attrs);
      const expected = Buffer.concat([before, tail]);
      assert.equal(statSync(fileOf(rec.blob!)).size, before.length);
      assert.ok((await readObject(engine, 'k')).equals(expected));
      assert.deepEqual(await engine.meta.journal.blobs(), [rec.blob]);
      await engine.flushJournal();
      assert.ok(readFileSync(fileOf(rec.blob!)).equals(expected));
      assert.deepEqual(await engine.meta.journal.blobs(), []);
      assert.ok((await readObject(engine, 'k')).equals(expected));
    });

    it("a deleted object's staged bytes are dropped by the flush, not written into a new file", async () => {
      const created = await engine.objects.append('b', 'gone', 0, body('abc'), attrs);
      await engine.objects.append('b', 'gone', 3, body('def'), attrs);
      await engine.objects.delete('b', 'gone');
      // The replaced blob is removed after the answer: wait for it, then flush.
      for (let i = 0; i < 100 && existsSync(fileOf(created.blob!)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(existsSync(fileOf(created.blob!)), false);
      await engine.flushJournal();
      assert.throws(() => statSync(fileOf(created.blob!)), { code: 'ENOENT' });
      assert.deepEqual(await engine.meta.journal.blobs(), []);
    });
  });
}

/** An engine on real drivers in `dir`, its blob store failing as OSSD_FAULTS `spec` says. */
async function faultyEngine(dir: string, pair: string, spec: string, onError: (e: unknown) => void): Promise<Engine> {
  const { meta, blobs } = await makeStores(dir, pair);
  return new Engine(meta, faultyBlobStore(blobs, new FaultPlan(parseFaults(spec))), onError);
}

/** Object 'k' reads `whole` while its file holds only `inFile` and the rest is journaled; one flush writes the rest and clears the journal. */
async function expectWrittenByNextFlush(engine: Engine, dir: string, blob: string, inFile: string, whole: string): Promise<void> {
  const file = join(dir, 'blobs', blob.slice(0, 2), blob);
  assert.equal(readFileSync(file).toString(), inFile);
  assert.equal((await readObject(engine, 'k')).toString(), whole);
  assert.deepEqual(await engine.meta.journal.blobs(), [blob]);
  await engine.flushJournal();
  assert.equal(readFileSync(file).toString(), whole);
  assert.deepEqual(await engine.meta.journal.blobs(), []);
}

// Files of the file blob store: the pairs that use it.
for (const pair of DRIVER_PAIRS.filter((p) => p.endsWith('+file'))) {
  describe(`staged small appends when the flush cannot write (${pair})`, { timeout: 120_000 }, () => {
    it('keeps the bytes staged and journaled, reads stay whole, and the next flush writes them', async () => {
      process.env.OSSD_JOURNAL_FLUSH_MS = '600000';
      const dir = newDir();
      const errors: unknown[] = [];
      // Blob write 1 is the creating append's; 2 is the flusher's first attempt.
      const engine = await faultyEngine(dir, pair, 'blob.write:2:ENOSPC', (e) => errors.push(e));
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        const created = await engine.objects.append('b', 'k', 0, body('0123456789'), attrs);
        await engine.objects.append('b', 'k', 10, body('abcdef'), attrs);
        await engine.flushJournal();
        assert.equal(errors.length, 1);
        assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
        await expectWrittenByNextFlush(engine, dir, created.blob!, '0123456789', '0123456789abcdef');
      } finally {
        delete process.env.OSSD_JOURNAL_FLUSH_MS;
        await engine.close();
      }
    });
  });
}

for (const pair of DRIVER_PAIRS.filter((p) => p.endsWith('+file'))) {
  describe(`recovery on a full disk (${pair})`, { timeout: 120_000 }, () => {
    it('keeps journaled appends that do not fit back into their file: served from memory, not rolled back, written once there is space', async () => {
      process.env.OSSD_JOURNAL_FLUSH_MS = '600000';
      const dir = newDir();
      const crashed = await makeEngine(dir, pair);
      await crashed.buckets.create('b', 'private', 'Standard', 'LRS');
      const created = await crashed.objects.append('b', 'k', 0, body('hello'), attrs);
      await crashed.objects.append('b', 'k', 5, body(' world'), attrs);
      // The process dies here (never closed): ' world' is only in the journal.
      const engine = await faultyEngine(dir, pair, 'blob.writeAt:1:ENOSPC', (e) => {
        throw e;
      });
      try {
        const report = await engine.recover();
        assert.equal(report.rolledBackAppends, 0, 'the acknowledged append stays');
        assert.deepEqual([...(report.unwritten?.keys() ?? [])], [created.blob]);
        await expectWrittenByNextFlush(engine, dir, created.blob!, 'hello', 'hello world');
      } finally {
        delete process.env.OSSD_JOURNAL_FLUSH_MS;
        await engine.close();
        await crashed.close(); // its flusher's timer would keep the test process alive
      }
    });
  });
}
