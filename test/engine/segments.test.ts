/**
 * The segment model of an immutable blob store (engine/segment-append.ts, compaction.ts,
 * deferred-removals.ts), on sqlite+s3 (s3rver) and every other pair of OSSD_TEST_DRIVERS
 * whose blobs are S3: appends as new segments committed by compare-and-set, losers'
 * staged segments deleted, recovery of staged segments, compaction, the GC grace period.
 *
 * Checked to fail: without deleting a losing append's staged segment (segment-append.ts
 * append() catch), "racing appends" finds stray blobs; with the segment's CRC not
 * chained (crc64Combine), "racing appends", "failed append" and "compaction" fail; with DeferredRemovals removing at once, "grace" finds the blobs gone;
 * with compaction merging from segment 0, "keyed append replayed" answers 200 twice
 * differently (the record no longer applies) and appends again; with compaction.ts
 * compactOnce() not treating a segment gone with its object as "nothing to merge", "a
 * compaction whose segments are removed" rejects with ENOENT (checked 2026-12-05).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import { checkStore } from '../../src/engine/check.js';
import { Compactor, mergeRun } from '../../src/engine/compaction.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { OssError } from '../../src/engine/errors.js';
import { blobExists, body, DRIVER_PAIRS, immutableBlobs, makeEngine, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-segments-');
const attrs = emptyAttributes();
const PAIRS = [...new Set(['sqlite+s3', ...DRIVER_PAIRS.filter(immutableBlobs)])];

/** Every blob in the store. */
async function storedBlobs(engine: Engine): Promise<string[]> {
  const out: string[] = [];
  for await (const b of engine.blobs.list()) out.push(b);
  return out.sort();
}

/** The blobs the current objects of bucket b reference. */
async function referencedBlobs(engine: Engine, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) {
    const rec = await engine.meta.getObject('b', key);
    for (const s of rec?.segments ?? []) out.push(s.blob);
  }
  return out.sort();
}

/**
 * Another node on the same stores: its own locks, leases and hints, as a second ossd
 * process sharing the metadata and the bucket would have.
 */
function otherNode(engine: Engine, options: EngineOptions = {}): Engine {
  return new Engine(engine.meta, engine.blobs, (e) => assert.fail(String(e)), undefined, { gcGraceMs: 0, ...options });
}

/** Stops another node's background work (the stores are the first node's to close). */
async function stopNode(node: Engine): Promise<void> {
  await node.compactor?.close();
  node.objects.removals?.close();
  await node.unsettled.close(5000);
}

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Appends of `sizeOf(i)` bytes with compaction as Compactor runs it (merges while more than `above` segments): bytes written per byte appended, and the most segments seen. */
function simulateCompaction(appends: number, above: number, sizeOf: (i: number) => number): { amplification: number; most: number } {
  const segments: Array<{ size: number }> = [];
  let written = 0;
  let appended = 0;
  let most = 0;
  for (let i = 0; i < appends; i++) {
    const size = sizeOf(i);
    segments.push({ size });
    written += size;
    appended += size;
    while (segments.length > above) {
      const run = mergeRun(segments, above);
      if (!run) break;
      const merged = segments.slice(run.start, run.end).reduce((n, x) => n + x.size, 0);
      segments.splice(run.start, run.end - run.start, { size: merged });
      written += merged;
    }
    most = Math.max(most, segments.length);
  }
  return { amplification: written / appended, most };
}

describe('mergeRun: which segments compaction merges', { timeout: 60_000 }, () => {
  it('the newest segments with the older ones they outgrow, four at least; never the first segment; nothing to merge in a geometric list', () => {
    const kib = (n: number) => ({ size: n * 1024 });
    assert.deepEqual(mergeRun([kib(4), kib(4), kib(4), kib(4), kib(4)], 16), { start: 1, end: 5 });
    assert.deepEqual(mergeRun([kib(4), kib(4), kib(4), kib(4)], 16), undefined, 'three after the first: not yet');
    assert.deepEqual(mergeRun([kib(1), kib(1024), kib(64), kib(64), kib(64), kib(64)], 16), { start: 2, end: 6 });
    assert.deepEqual(mergeRun([kib(1), kib(1024), kib(64), kib(64), kib(64), kib(64), kib(4)], 16), undefined, 'the newest is smaller than its neighbour: it waits for more');
    assert.deepEqual(mergeRun([kib(1), kib(4096), kib(1024), kib(256), kib(64), kib(16), kib(4)], 16), undefined);
    assert.deepEqual(mergeRun([kib(1), kib(64), kib(16), kib(16), kib(16), kib(16)], 16), { start: 1, end: 6 }, 'a run that outgrows an older segment takes it along');
  });

  it('with a low limit (OSSD_COMPACT_ABOVE 0 or 1), never a run of fewer than two segments: a merge always leaves fewer', () => {
    const kib = (n: number) => ({ size: n * 1024 });
    // Checked: without the "end < 3" guard these are { start: 1, end: 2 } and { start: 1, end: 1 }.
    assert.deepEqual(mergeRun([kib(1), kib(4096)], 1), undefined);
    assert.deepEqual(mergeRun([kib(1)], 0), undefined);
    assert.deepEqual(mergeRun([kib(1), kib(4096), kib(16)], 1), { start: 1, end: 3 });
  });

  // The bench's 100,000-append object found the rule before this one rewriting each byte ~500
  // times (24.7 GB of S3 writes for 48 MB). Checked: that rule gives 319x here for uniform 1 KiB
  // appends (20,000 of them) and 315x for random sizes.
  it('100,000 appends of any sizes: each byte written at most 10 times, at most `above` segments', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const patterns: Record<string, (i: number) => number> = {
      'uniform 1 KiB': () => 1024,
      'random up to 64 KiB': () => 1 + Math.floor(random() * 65536),
      'small with 1% of 1 MiB': () => (random() < 0.01 ? 1 << 20 : 1 + Math.floor(random() * 4096)),
      growing: (i) => 1 + Math.floor(i / 10),
      shrinking: (i) => 1 + Math.floor((100_000 - i) / 10),
      'alternating 1 B and 64 KiB': (i) => (i % 2 ? 1 : 65536),
      'three bytes, then 1 MiB': (i) => (i % 4 === 3 ? 1 << 20 : 1),
      'powers of two': (i) => 1 << (i % 21),
    };
    for (const [name, sizeOf] of Object.entries(patterns)) {
      const { amplification, most } = simulateCompaction(100_000, 16, sizeOf);
      assert.ok(amplification <= 10, `${name}: each byte written ${amplification.toFixed(1)} times`);
      assert.ok(most <= 16, `${name}: ${most} segments`);
    }
  });
});

for (const pair of PAIRS) {
  describe(`segmented appends on ${pair}`, { timeout: 180_000 }, () => {
    it('racing appends at one position from six nodes: one wins, the rest get the next position, and no staged segment is left', async () => {
      const engine = await makeEngine(newDir(), pair);
      const nodes = [engine, ...Array.from({ length: 5 }, () => otherNode(engine))];
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await engine.objects.append('b', 'race', 0, body('start'), attrs);
        // Each node checks the position before any commit (under its own lock), stages its
        // segment, and the compare-and-set picks one.
        const results = await Promise.allSettled(nodes.map((node, i) => node.objects.append('b', 'race', 5, body(`racer-${i}-`.repeat(1000)), attrs)));
        const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof engine.objects.append>>> => r.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.equal((r.reason as OssError).code, 'PositionNotEqualToLength');
            assert.equal((r.reason as OssError).details.nextPosition, String(won[0]!.value.size));
          }
        }
        const rec = await engine.objects.head('b', 'race');
        assert.equal(rec.blob, null);
        assert.equal(rec.segments?.length, 2);
        const data = await readObject(engine, 'race');
        assert.equal(rec.crc, crc64ToDecimal(crc64(data)));
        for (const node of nodes) await node.unsettled.settle(5000);
        assert.deepEqual(await storedBlobs(engine), await referencedBlobs(engine, ['race']));
      } finally {
        for (const node of nodes.slice(1)) await stopNode(node);
        await engine.close();
      }
    });

    it('a failed append (bad MD5, cut body) stages nothing; a delete collects the segments', async () => {
      const engine = await makeEngine(newDir(), pair);
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await engine.objects.append('b', 'k', 0, body('abc'), attrs);
        await assert.rejects(engine.objects.append('b', 'k', 3, { ...body(randomBytes(200_000)), contentMd5: Buffer.alloc(16) }, attrs), { code: 'InvalidDigest' });
        await assert.rejects(
          engine.objects.append('b', 'k', 3, { body: (async function* () { yield randomBytes(100_000); throw new Error('client went away'); })(), contentLength: 300_000 }, attrs),
          /client went away/,
        );
        await engine.unsettled.settle(5000);
        assert.deepEqual(await storedBlobs(engine), await referencedBlobs(engine, ['k']));
        const rec = await engine.objects.append('b', 'k', 3, body('def'), attrs);
        assert.equal(rec.crc, crc64ToDecimal(crc64(Buffer.from('abcdef'))));
        await engine.objects.delete('b', 'k');
        await until(async () => (await storedBlobs(engine)).length === 0, 'segments collected');
      } finally {
        await engine.close();
      }
    });

    it('recovery deletes a staged segment nothing references and keeps committed ones', async () => {
      const dir = newDir();
      let engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      const rec = await engine.objects.append('b', 'k', 0, body('committed'), attrs);
      // A node killed after staging a segment and before its commit: the blob and its row.
      const staged = engine.blobs.newBlobId();
      await engine.unsettled.hold(staged);
      const w = await engine.blobs.openWriter(staged, true);
      await w.write([Buffer.from('never committed')], 0);
      await w.sync();
      await w.close();
      // (Its hold is never released: the row stays, as after a kill.)
      await engine.unsettled.close(0);
      await engine.meta.close();
      engine = await makeEngine(dir, pair);
      try {
        const report = await engine.recover();
        assert.equal(report.removedOrphans, 1);
        assert.equal(report.trimmedAppendables + report.rolledBackAppends, 0);
        assert.equal(await blobExists(engine, staged), false);
        assert.equal(await blobExists(engine, rec.segments![0]!.blob), true);
        assert.equal((await readObject(engine, 'k')).toString(), 'committed');
      } finally {
        await engine.close();
      }
    });

    it('compaction: 300 appends become a few segments, read back byte-exact with their CRC; merged blobs are collected', async () => {
      const engine = await makeEngine(newDir(), pair, { compactAbove: 8 });
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        const parts: Buffer[] = [];
        let size = 0;
        for (let i = 0; i < 300; i++) {
          const part = randomBytes(1 + ((i * 7919) % 6000));
          parts.push(part);
          await engine.objects.append('b', 'many', size, body(part), attrs);
          size += part.length;
        }
        await engine.compactor!.idle();
        const whole = Buffer.concat(parts);
        const rec = await engine.objects.head('b', 'many');
        assert.equal(rec.size, whole.length);
        assert.ok(rec.segments!.length <= 8, `${rec.segments!.length} segments`);
        assert.ok(engine.compactor!.merges > 0);
        assert.equal(rec.crc, crc64ToDecimal(crc64(whole)));
        assert.ok((await readObject(engine, 'many')).equals(whole));
        assert.ok((await readObject(engine, 'many', undefined, 1234, 500_000)).equals(whole.subarray(1234, 500_000)));
        await engine.unsettled.settle(5000);
        await until(async () => (await storedBlobs(engine)).length === rec.segments!.length, 'merged-away blobs collected');
        assert.deepEqual(await storedBlobs(engine), await referencedBlobs(engine, ['many']));
        // ossd check reads every segment: clean; with a segment gone, damage is reported.
        const clean = await checkStore(engine);
        assert.deepEqual([clean.damaged, clean.orphans], [[], []]);
        await engine.blobs.remove(rec.segments![1]!.blob);
        const damaged = await checkStore(engine);
        assert.deepEqual(damaged.damaged.map((d) => [d.key, d.problem]), [['many', 'missing-blob']]);
      } finally {
        await engine.close();
      }
    });

    it('appends racing compaction lose nothing; a keyed append is still replayed after its object was compacted', async () => {
      const engine = await makeEngine(newDir(), pair, { compactAbove: 4 });
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        const first = await engine.objects.appendOnce('b', 'keyed', 0, body('first'), attrs, 'token-1');
        let size = first.record.size;
        const parts = [Buffer.from('first')];
        for (let i = 0; i < 200; i++) {
          const part = randomBytes(100 + i);
          parts.push(part);
          size = (await engine.objects.append('b', 'keyed', size, body(part), attrs)).size;
        }
        await engine.compactor!.idle();
        const rec = await engine.objects.head('b', 'keyed');
        assert.ok(rec.segments!.length <= 4 + 3, `${rec.segments!.length} segments`);
        assert.ok((await readObject(engine, 'keyed')).equals(Buffer.concat(parts)));
        const retry = await engine.objects.appendOnce('b', 'keyed', 0, body('first'), attrs, 'token-1');
        assert.equal(retry.replay, true);
        assert.equal(retry.record.size, 5);
        assert.equal((await engine.objects.head('b', 'keyed')).size, size, 'nothing appended by the retry');
      } finally {
        await engine.close();
      }
    });

    it('a compaction whose segments are removed while it reads them (the object deleted meanwhile) merges nothing and fails nothing', async () => {
      // compactOnce is called by hand: the background error handler of makeEngine would throw.
      const engine = await makeEngine(newDir(), pair, { compactAbove: 1_000_000 });
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        let size = 0;
        for (let i = 0; i < 6; i++) size = (await engine.objects.append('b', 'd', size, body(randomBytes(100)), attrs)).size;
        const rec = await engine.objects.head('b', 'd');
        const compactor = new Compactor(engine.meta, engine.blobs, engine.unsettled, () => undefined, (e) => assert.fail(String(e)), 2);
        // The delete, and the removal of its blobs, land just as the compaction opens its first segment.
        const openReader = engine.blobs.openReader.bind(engine.blobs);
        let deleted = false;
        engine.blobs.openReader = async (blob) => {
          if (!deleted) {
            deleted = true;
            await engine.objects.delete('b', 'd');
            for (const s of rec.segments!) await engine.blobs.remove(s.blob);
          }
          return openReader(blob);
        };
        assert.equal(await compactor.compactOnce('b', 'd'), 0);
        await engine.unsettled.settle(5000);
        assert.deepEqual(await storedBlobs(engine), [], 'no merged blob left behind');
      } finally {
        await engine.close();
      }
    });

    it('grace: blobs a delete dereferenced stay readable by a reader on another node until the grace period ends', async () => {
      const engine = await makeEngine(newDir(), pair, { gcGraceMs: 1500 });
      const reading = otherNode(engine);
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await engine.objects.append('b', 'g', 0, body(randomBytes(1000)), attrs);
        const rec = await engine.objects.append('b', 'g', 1000, body(randomBytes(1000)), attrs);
        const expected = await readObject(engine, 'g');
        // The other node's reader holds the segment list; this node knows nothing of it.
        const reader = await reading.objects.open('b', 'g');
        await engine.objects.delete('b', 'g');
        await new Promise((r) => setTimeout(r, 300));
        for (const s of rec.segments!) assert.equal(await blobExists(engine, s.blob), true, 'kept during the grace period');
        const chunks: Buffer[] = [];
        for await (const c of reader.stream(0, rec.size)) chunks.push(c as Buffer);
        await reader.close();
        assert.ok(Buffer.concat(chunks).equals(expected));
        await until(async () => !(await blobExists(engine, rec.segments![0]!.blob)) && !(await blobExists(engine, rec.segments![1]!.blob)), 'removed after the grace period');
      } finally {
        await stopNode(reading);
        await engine.close();
      }
    });
  });
}
