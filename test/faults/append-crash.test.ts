/**
 * SIGKILL of the real ossd process in the middle of appends and uploads, then restart
 * on the same data folder (design.md "traps": acknowledge only what is durable, an
 * append is all-or-nothing; src/engine/recovery.ts). Copies (PutObject of a source, then
 * CopyObject) and multipart uploads (Initiate, parts, Complete) run in the same storm.
 * After every restart: each appendable object is its acknowledged appends plus, possibly,
 * appends that were in flight at the kill, never torn bytes; each copied or completed
 * object is its last acknowledged write or one in flight at the kill; unfinished uploads
 * keep their acknowledged parts; the blob folder holds exactly the committed bytes and
 * the parts of unfinished uploads (uncommitted tails trimmed, no orphans) and staging/ is
 * empty. Between cycles leftover uploads are aborted and the data folder stays bounded.
 * Seal churners (issue 17) append to new keys and seal them (test/helpers/fault-seals.ts):
 * an acknowledged seal is still there after the restart, same time, same length, appends
 * still refused; a seal in flight took effect whole or not at all. Fails when the seal time
 * is not written to the row (src/drivers/sqlite/rows.ts objectToRow, sealed_ms always
 * null: the seal answered from the cached row, gone after the kill): checked.
 *
 * Exactly-once appends run in the storm too (fault-keyed-appends.ts): writers that append with
 * an Idempotency-Key retry, after each restart, the append whose answer the kill lost and
 * their last acknowledged one; each must answer 200, replayed exactly when the lost append
 * had been committed, and the object must hold every body once. Fails when the server skips
 * the key lookup (every retry of an acknowledged append gets 409): checked.
 *
 * OSSD_LONG_TESTS=1 runs 50 kill cycles instead of 3; OSSD_FAULT_SEED replays a run's
 * sizes and timings (printed as a diagnostic).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import {
  appendAttempt,
  appender,
  type Attempt,
  churner,
  crcOf,
  explainBytes,
  logUniformSize,
  prng,
  randomBody,
  unexpectedAnswers,
} from '../helpers/fault-appends.js';
import { KeyedWriter } from '../helpers/fault-keyed-appends.js';
import { copyChurner, type Held, multipartChurner, newStormLedger, writeCounts } from '../helpers/fault-churners.js';
import { abortUploads, checkChurned, checkStorm } from '../helpers/fault-ledger.js';
import {
  blobFiles,
  blobProblems,
  createBucket,
  folderBytes,
  getObject,
  headObject,
  listAll,
  settledBlobProblems,
  sleep,
  stagingEntries,
  startPartialUpload,
  waitFor,
} from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { checkSeals, deleteSealed, newSealLedger, sealChurner } from '../helpers/fault-seals.js';
import { raw } from '../helpers/raw-http.js';

const LONG = process.env.OSSD_LONG_TESTS === '1';
const CYCLES = LONG ? 50 : 3;
const KEYS = Array.from({ length: 8 }, (_, i) => `storm/key-${i}`);
/** Created and deleted in a loop during the storm: the source of orphan blobs. */
const CHURNS = ['storm/churn-0', 'storm/churn-1', 'storm/churn-2'];
/** Appended to with an Idempotency-Key by one writer each (fault-keyed-appends.ts). */
const KEYED = ['storm/keyed-0', 'storm/keyed-1'];
const CLIENTS_PER_KEY = 3;
const MAX_BODY = 256 * 1024;
/** Objects past this size are deleted between cycles, so long runs stay small on disk. */
const RESET_SIZE = 4 * 1024 * 1024;
const BUCKET = 'fault-crash';
const MiB = 1024 * 1024;
/** Copy churners: PUT a fresh copy-src-<i>, then copy it to copy-dst-<i>. */
const COPIES = [0, 1].map((i) => ({ src: `storm/copy-src-${i}`, dst: `storm/copy-dst-${i}` }));
/** Multipart churners: Initiate, 2–4 parts, Complete to mpu-<i>. */
const UPLOADS = ['storm/mpu-0', 'storm/mpu-1'];
const WHOLE = [...COPIES.flatMap((c) => [c.src, c.dst]), ...UPLOADS];
/** Seal churners: appends to a new key, a seal at its length, the next key (fault-seals.ts). */
const SEALERS = 2;
/** Small appends before each seal: many seals per cycle, some in flight at the kill. */
const SEAL_MAX_BODY = 16 * 1024;
/**
 * The data folder after a cycle's clean-up: the appendables (each at most RESET_SIZE plus
 * one small append), the copied and completed objects (a few MiB) and the metadata database.
 */
const DATA_BOUND = (KEYS.length + KEYED.length) * RESET_SIZE + 64 * MiB;

function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'ossd-fault-'));
}

it(`append, copy and multipart storm with SIGKILL, ${CYCLES} kill cycles: acknowledged writes survive, nothing torn, space reclaimed`, { timeout: LONG ? 10_800_000 : 600_000 }, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays sizes and timings)`);
  const rand = prng(seed);
  const started = Date.now();
  const dataDir = tempDataDir();
  let ossd: Ossd = await startOssd({ dataDir });
  /** What each key is known to hold at the start of a cycle (verified after the last restart). */
  const base = new Map<string, Buffer>(KEYS.map((k) => [k, Buffer.alloc(0)]));
  /** What each copied or completed key holds at the start of a cycle (undefined: absent). */
  const wholeBase = new Map<string, Held | undefined>();
  const aborted = new Set<string>();
  /** Totals for RELIABILITY.md; an acknowledged write missing after a restart fails the test. */
  const keyedWriters = KEYED.map((key) => new KeyedWriter(BUCKET, key, () => logUniformSize(rand, MAX_BODY)));
  const totals = { seals: 0, sealsInFlight: 0, cycles: 0, acked: 0, inFlight: 0, writes: writeCounts(newStormLedger()), applied: 0, uploadsLeft: 0, maxData: 0 };
  try {
    await createBucket(ossd, BUCKET);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const ledger: Attempt[] = [];
      let stopped = false;
      const appenders: Array<Promise<void>> = [];
      for (const key of KEYS) {
        for (let c = 0; c < CLIENTS_PER_KEY; c++) {
          appenders.push(
            appender({
              ossd,
              bucket: BUCKET,
              key,
              start: base.get(key)!.length,
              ledger,
              stop: () => stopped,
              nextBody: () => {
                const body = randomBody(logUniformSize(rand, MAX_BODY));
                const r = rand();
                // Some bodies carry Content-MD5, a few a wrong one (refused, rolled back).
                return { body, md5: r < 0.4 ? 'good' : r < 0.45 ? 'bad' : 'none' };
              },
            }),
          );
        }
      }
      const keyedRuns = Promise.all(keyedWriters.map((w) => w.run(ossd, () => stopped)));
      const churnLedger: Attempt[] = [];
      const churning = Promise.all(CHURNS.map((k) => churner(ossd, BUCKET, k, churnLedger, () => stopped, () => logUniformSize(rand, MAX_BODY))));
      const storm = newStormLedger();
      const opts = { ossd, bucket: BUCKET, ledger: storm, stop: () => stopped, rand, maxBody: MAX_BODY };
      const wholeWriters = Promise.all([...COPIES.map((c) => copyChurner({ ...opts, ...c })), ...UPLOADS.map((key) => multipartChurner({ ...opts, key }))]);
      const seals = newSealLedger();
      const sealing = Promise.all(
        Array.from({ length: SEALERS }, (_, i) => sealChurner({ ossd, bucket: BUCKET, prefix: `storm/sealed-${String(cycle).padStart(3, '0')}-${i}`, ledger: seals, stop: () => stopped, rand, maxBody: SEAL_MAX_BODY })),
      );
      // The kill comes once the storm is under way (its first append and first seal acknowledged: a fixed
      // time could pass before any answer on a loaded machine), at a random instant after.
      await waitFor(`cycle ${cycle}: the storm's first acknowledged append (60 s)`, () => ledger.some((a) => a.state === 'acked'), 60_000);
      await waitFor(`cycle ${cycle}: the first acknowledged seal (60 s)`, () => seals.generations.some((g) => g.seal?.state === 'acked'), 60_000);
      await sleep(Math.floor(rand() * 600));
      const killed = ossd.kill();
      stopped = true;
      await killed;
      await Promise.all(appenders);
      const churned = await churning;
      await wholeWriters;
      await keyedRuns;
      await sealing;

      assert.deepEqual(unexpectedAnswers(ledger), [], `cycle ${cycle}: every answer was a 200, a 409 or (wrong MD5) a 400`);
      assert.deepEqual(seals.unexpected, [], `cycle ${cycle}: every seal and its appends answered 200`);
      assert.deepEqual(unexpectedAnswers(churnLedger), []);
      assert.deepEqual(storm.unexpected, [], `cycle ${cycle}: every put, copy, initiate, part and complete answered 200`);
      const acked = ledger.filter((a) => a.state === 'acked').length;
      const inFlight = ledger.filter((a) => a.state === 'uncertain').length;
      assert.ok(acked > 0, `cycle ${cycle}: the storm acknowledged appends before the kill`);

      ossd = await startOssd({ dataDir });
      const objects: Array<{ key: string; bytes: Buffer }> = [];
      let beyond = 0;
      for (const key of KEYS) {
        const attempts = ledger.filter((a) => a.key === key);
        const got = await getObject(ossd, BUCKET, key);
        let bytes: Buffer = Buffer.alloc(0);
        if (got.status === 404) {
          assert.equal(got.code, 'NoSuchKey');
        } else {
          assert.equal(got.status, 200, `${key}: GET after restart`);
          assert.equal(got.type, 'Appendable');
          bytes = got.body;
          assert.equal(got.contentLength, bytes.length);
          assert.equal(got.crc, crcOf(bytes), `${key}: the CRC header is the CRC-64 of the recovered bytes`);
          const head = await headObject(ossd, BUCKET, key);
          assert.equal(head.status, 200);
          assert.equal(head.contentLength, bytes.length, `${key}: HEAD and GET agree on the length`);
          assert.equal(head.nextPosition, bytes.length);
          assert.equal(head.crc, got.crc);
        }
        // Recovered bytes = what was there + acknowledged appends + maybe in-flight ones.
        assert.equal(explainBytes(bytes, base.get(key)!, attempts), undefined, `cycle ${cycle}, ${key}`);
        const ackedEnd = attempts.reduce((m, a) => (a.state === 'acked' ? Math.max(m, a.next!) : m), base.get(key)!.length);
        beyond += bytes.length - ackedEnd;
        objects.push({ key, bytes });
      }
      const keyedObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const w of keyedWriters) {
        const r = await w.retryAndCheck(ossd);
        assert.deepEqual(r.problems, [], `seed ${seed}, cycle ${cycle}: appends with an Idempotency-Key, retried after the restart`);
        keyedObjects.push(r);
      }
      const churnedObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const [i, key] of CHURNS.entries()) churnedObjects.push({ key, bytes: await checkChurned(ossd, BUCKET, key, churnLedger, churned[i]!) });
      const checked = await checkStorm(ossd, BUCKET, WHOLE, wholeBase, storm, aborted);
      const sealCheck = await checkSeals(ossd, BUCKET, seals);
      assert.deepEqual(sealCheck.problems, [], `seed ${seed}, cycle ${cycle}: sealed objects after the restart`);
      assert.deepEqual(checked.problems, [], `seed ${seed}, cycle ${cycle}: copied and completed objects and uploads after the restart`);
      const wholeObjects = WHOLE.flatMap((key) => {
        const h = checked.held.get(key);
        return h ? [{ key, bytes: h.body, segments: h.segments }] : [];
      });
      const all = [...objects, ...churnedObjects, ...wholeObjects, ...keyedObjects, ...sealCheck.objects].filter((o) => o.bytes.length > 0);
      const listed = await listAll(ossd, BUCKET);
      assert.deepEqual(
        listed.map((o) => `${o.key}:${o.size}`),
        all.map((o) => `${o.key}:${o.bytes.length}`).sort(),
        'the listing shows exactly the recovered objects',
      );
      // Reclaim: appendable blobs cut back to their committed length, no orphans, staging
      // empty; the parts of unfinished uploads are theirs.
      assert.deepEqual(blobProblems(dataDir, [...all, ...checked.partBlobs]), [], `cycle ${cycle}: blob folder after recovery`);
      assert.deepEqual(stagingEntries(dataDir), []);
      const w = writeCounts(storm);
      t.diagnostic(
        `cycle ${cycle}: appends ${acked} acknowledged, ${inFlight} in flight at the kill, ${beyond} bytes of in-flight appends committed; ` +
          `copies ${w.copy.acked} acknowledged, ${w.copy.inFlight} in flight; multipart completes ${w.complete.acked} acknowledged, ` +
          `${w.complete.inFlight} in flight; ${checked.inFlightApplied} in-flight puts, copies and completes took effect; ${checked.left.length} uploads left unfinished; ` +
          `seals ${sealCheck.ackedSeals} acknowledged (all intact), ${sealCheck.inFlightSealed} in flight took effect`,
      );
      totals.seals += sealCheck.ackedSeals;
      totals.sealsInFlight += sealCheck.inFlightSealed;
      totals.cycles++;
      totals.acked += acked;
      totals.inFlight += inFlight;
      writeCounts(storm, totals.writes);
      totals.uploadsLeft += checked.left.length;
      totals.applied += checked.inFlightApplied;

      for (const { key } of churnedObjects) assert.equal((await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` })).status, 204);
      // Sealed objects can be deleted like any other; the next cycle seals new keys.
      assert.deepEqual(await deleteSealed(ossd, BUCKET, seals), []);
      // Appending at the reported length works; large objects start over (delete, then append at 0).
      for (const { key, bytes } of objects) {
        let current: Buffer = bytes;
        if (current.length > RESET_SIZE) {
          const del = await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` });
          assert.equal(del.status, 204);
          current = Buffer.alloc(0);
        }
        const body = randomBody(1 + Math.floor(rand() * 4096));
        const a = await appendAttempt(ossd, BUCKET, key, current.length, body, [], 'good');
        assert.equal(a.status, 200, `${key}: append at the recovered length ${current.length}`);
        const expected = Buffer.concat([current, body]);
        assert.equal(a.next, expected.length);
        assert.equal(a.crc, crcOf(expected), `${key}: the CRC chains from the recovered object`);
        base.set(key, expected);
      }
      for (const w of keyedWriters) await w.reset(ossd, RESET_SIZE);
      // Leftover uploads are aborted; then the blob folder holds exactly the live objects.
      assert.deepEqual(await abortUploads(ossd, BUCKET, checked.left, aborted), []);
      for (const key of WHOLE) wholeBase.set(key, checked.held.get(key));
      const keyedLive = keyedWriters.map((w) => ({ key: w.key, bytes: w.bytes })).filter((o) => o.bytes.length > 0);
      const live = [...KEYS.map((key) => ({ key, bytes: base.get(key)! })), ...wholeObjects, ...keyedLive];
      assert.deepEqual(await settledBlobProblems(dataDir, live), [], `cycle ${cycle}: deleted, replaced and aborted blobs are reclaimed`);
      const size = folderBytes(dataDir);
      assert.ok(size.total <= DATA_BOUND, `cycle ${cycle}: data folder ${size.total} bytes (${size.blobs} in blobs/), bound ${DATA_BOUND}`);
      totals.maxData = Math.max(totals.maxData, size.total);
    }
    const { put, copy, complete } = totals.writes;
    // Three short cycles on a loaded machine may finish no upload; fifty always do.
    if (LONG) assert.ok(copy.acked > 0 && complete.acked > 0, 'the storm acknowledged copies and multipart completes');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    t.diagnostic(`totals: ${totals.cycles} kill cycles in ${seconds} s, seed ${seed}`);
    t.diagnostic(`totals, appends: ${totals.acked} acknowledged, 0 acknowledged lost, ${totals.inFlight} in flight at a kill`);
    t.diagnostic(`totals, copies: ${copy.acked} acknowledged (and ${put.acked} source puts), 0 acknowledged lost, ${copy.inFlight} copies and ${put.inFlight} puts in flight at a kill`);
    t.diagnostic(
      `totals, multipart completes: ${complete.acked} acknowledged, 0 acknowledged lost, ${complete.inFlight} in flight at a kill; ` +
        `${totals.uploadsLeft} uploads left unfinished by a kill, aborted after the restart`,
    );
    t.diagnostic(`totals, in-flight puts, copies and completes that took effect: ${totals.applied}`);
    const keyed = keyedWriters.reduce((n, w) => ({ acked: n.acked + w.counts.acked, lost: n.lost + w.counts.lost, replayed: n.replayed + w.counts.replayed }), { acked: 0, lost: 0, replayed: 0 });
    t.diagnostic(
      `totals, appends with an Idempotency-Key: ${keyed.acked} acknowledged, ${keyed.lost} answers lost at a kill and retried after the restart ` +
        `(${keyed.replayed} had been committed and were replayed, the others appended afresh), 0 duplicated, 0 lost`,
    );
    t.diagnostic(`totals, seals: ${totals.seals} acknowledged, 0 lost, ${totals.sealsInFlight} in flight at a kill took effect`);
    t.diagnostic(`totals, data folder: at most ${(totals.maxData / MiB).toFixed(1)} MiB after a cycle's clean-up (bound ${DATA_BOUND / MiB} MiB)`);
  } finally {
    await ossd.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('SIGKILL in the middle of a 50 MiB PutObject and a 50 MiB append: nothing of either remains', { timeout: LONG ? 10_800_000 : 600_000 }, async () => {
  const dataDir = tempDataDir();
  let ossd: Ossd = await startOssd({ dataDir });
  try {
    await createBucket(ossd, BUCKET);
    const previous = Buffer.from('previous value');
    const put = await raw(ossd, { method: 'PUT', path: `/${BUCKET}/big-old`, body: previous });
    assert.equal(put.status, 200);
    const first = await appendAttempt(ossd, BUCKET, 'big-app', 0, Buffer.from('abc'), []);
    assert.equal(first.status, 200);
    // The small put is stored inline (in meta.db); the appendable object has a blob file.
    assert.equal(blobFiles(dataDir).length, 1);

    const total = 50 * MiB;
    const half = 25 * MiB;
    const uploads = [
      startPartialUpload(ossd, 'PUT', `/${BUCKET}/big-old`, total, half),
      startPartialUpload(ossd, 'PUT', `/${BUCKET}/big-new`, total, half),
      startPartialUpload(ossd, 'POST', `/${BUCKET}/big-app?append&position=3`, total, half),
    ];
    // Kill once the server has stored most of each half-sent body: two new blob files
    // (the puts) and the appendable blob grown well past its committed 3 bytes.
    await waitFor('half of each body sent and mostly on disk', () => {
      const files = blobFiles(dataDir);
      return uploads.every((u) => u.sent() === half) && files.length === 3 && files.every((f) => f.size >= 20 * MiB);
    });
    await ossd.kill();
    for (const u of uploads) {
      const r = await u.done;
      assert.equal(r.status, undefined, 'no answer was sent for an unfinished body');
    }

    ossd = await startOssd({ dataDir });
    const old = await getObject(ossd, BUCKET, 'big-old');
    assert.equal(old.status, 200);
    assert.equal(old.type, 'Normal');
    assert.ok(old.body.equals(previous), 'the interrupted put left the previous value');
    const absent = await getObject(ossd, BUCKET, 'big-new');
    assert.equal(absent.status, 404);
    assert.equal(absent.code, 'NoSuchKey');
    const app = await getObject(ossd, BUCKET, 'big-app');
    assert.equal(app.status, 200);
    assert.equal(app.body.toString(), 'abc', 'the interrupted append added nothing');
    assert.equal(app.crc, crcOf(Buffer.from('abc')));
    assert.deepEqual((await listAll(ossd, BUCKET)).map((o) => o.key), ['big-app', 'big-old']);
    assert.deepEqual(
      blobProblems(dataDir, [
        { key: 'big-old', bytes: previous },
        { key: 'big-app', bytes: Buffer.from('abc') },
      ]),
      [],
      'the partial blobs are gone and the appendable blob is cut back to 3 bytes',
    );
    assert.deepEqual(stagingEntries(dataDir), []);

    // The trimmed tail never reappears: the next append lands right after "abc".
    const next = await appendAttempt(ossd, BUCKET, 'big-app', 3, Buffer.from('def'), []);
    assert.equal(next.status, 200);
    const after = await getObject(ossd, BUCKET, 'big-app');
    assert.equal(after.body.toString(), 'abcdef');
    assert.equal(after.crc, crcOf(Buffer.from('abcdef')));
  } finally {
    await ossd.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
