/**
 * Power cuts under the real ossd process. SIGKILL (append-crash.test.ts) leaves the
 * process's writes in the page cache, so it cannot show a missing fsync; here the data
 * folder is on powercut_fs (test/helpers/powercut-fs/powercut_fs.py), a FUSE file system
 * that keeps only what fsync, fdatasync and directory fsyncs made durable, ext4's strict
 * reading of POSIX. A power cut kills ossd with SIGKILL and unmounts: every write that was
 * not made durable is gone. Then the file system is mounted again, ossd restarts on it and
 * the same ledgers as the SIGKILL storm are checked: every acknowledged write reads back
 * byte-exact (appends, PutObject inline and in blob files, DeleteObject, CopyObject,
 * multipart Complete and the parts of unfinished uploads), what was in flight at the cut
 * is there whole or not at all, and the blob folder holds exactly the committed bytes.
 * Seals (issue 17) run in the storm too (test/helpers/fault-seals.ts): an acknowledged
 * seal is on disk (same time, same length, appends still refused after the cut). The seal
 * commits in the same compare-and-set as an append; its fsync is the WAL's, whose
 * mutation below fails the storm already.
 *
 * Writers appending with an Idempotency-Key (fault-keyed-appends.ts) retry, after each
 * restart, the append whose answer the cut lost and their last acknowledged one: 200,
 * replayed exactly when the lost one had been committed, every body once. Fails when the
 * server skips the key lookup (src/engine/append.ts appendOnce): checked.
 *
 * OSSD_LONG_TESTS=1 runs 50 power cuts instead of 3; OSSD_FAULT_SEED replays a run's sizes
 * and timings. Without /dev/fuse or python3-fusepy the test is skipped with the reason,
 * except in CI (CI=true), where that is a failure (.ci/run installs fuse3, libfuse2 and
 * python3-fusepy).
 *
 * Mutations, each made in the server, the test file run, then restored (checked
 * 2026-12-05, and again on the code merged with the unsettled-blobs registry, fixmerge
 * 1f37bf6..4ef4c3d, each failing as described; without any of them all tests pass, and 50
 * cuts of the long run lost nothing):
 *   - the blob file's final fdatasync (src/drivers/fs/blob-store.ts, FdBlobWriter.sync):
 *     the storm fails at its first cut (a GET of an acknowledged object breaks off, its
 *     blob file shorter than committed), the clean-restart test with 500 InternalError;
 *   - the directory fsync after a blob file is created (same function): the same two
 *     failures (the new file's name is gone);
 *   - the append log's fdatasync (src/drivers/sqlite/append-log.ts, sync): the storm fails
 *     at its first cut, "storm/key-N: length L is below the acknowledged length A";
 *   - SQLite's synchronous setting, NORMAL -> OFF (src/drivers/sqlite/metadata-store.ts):
 *     the restart after the first cut fails, "database disk image is malformed" (the
 *     checkpoint wrote meta.db unsynced, then the WAL restarted over its frames), and the
 *     clean-restart test loses its put (404 NoSuchKey: the new WAL's header and name were
 *     not synced);
 *   - the WAL's fdatasync that, with NORMAL, stands for FULL (src/drivers/sqlite/wal-sync.ts):
 *     both fail, the storm with acknowledged appends missing (on the merged code: at its
 *     first cut, a GET of an acknowledged object breaks off), the clean restart with 404
 *     NoSuchKey; the credentials test fails too (404 NoSuchKey: its put was lost);
 *   - the fsync of removed blobs' folders before their unsettled rows are deleted
 *     (src/engine/unsettled.ts, flush: BlobStore.syncRemovals): the storm fails at its
 *     first cut, "blob folder after recovery", some 20 blob files that match no object
 *     (unlinks undone by the cut, their rows gone: recovery never visits them). This is
 *     how the merge of the registry first failed here.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { appendAttempt, appender, type Attempt, churner, crcOf, explainBytes, logUniformSize, prng, randomBody, unexpectedAnswers } from '../helpers/fault-appends.js';
import { KeyedWriter } from '../helpers/fault-keyed-appends.js';
import { copyChurner, type Held, multipartChurner, newStormLedger, writeCounts } from '../helpers/fault-churners.js';
import { abortUploads, checkChurned, checkStorm } from '../helpers/fault-ledger.js';
import { blobProblems, createBucket, getObject, headObject, listAll, settledBlobProblems, sleep, stagingEntries, waitFor } from '../helpers/fault-store.js';
import { createKey } from '../helpers/keys.js';
import { type Ossd, startOssd, TEST_KEY_ID } from '../helpers/ossd-process.js';
import { PowerCutFs, powerCutUnsupported } from '../helpers/powercut-fs.js';
import { checkPutDelete, type KeyOp, opCounts, putDeleteChurner } from '../helpers/powercut-writers.js';
import { raw } from '../helpers/raw-http.js';
import { checkSeals, deleteSealed, newSealLedger, sealChurner } from '../helpers/fault-seals.js';

const LONG = process.env.OSSD_LONG_TESTS === '1';
const CUTS = LONG ? 50 : 3;
const BUCKET = 'power-cut';
const KEYS = Array.from({ length: 4 }, (_, i) => `storm/key-${i}`);
const CLIENTS_PER_KEY = 2;
/** Appended to, then deleted, over and over. */
const CHURNS = ['storm/churn-0', 'storm/churn-1'];
/** Appended to with an Idempotency-Key by one writer each (fault-keyed-appends.ts). */
const KEYED = ['storm/keyed-0'];
/** PutObject (inline or blob), sometimes DeleteObject. */
const PUTS = ['storm/put-0', 'storm/put-1', 'storm/put-2'];
const COPIES = [{ src: 'storm/copy-src-0', dst: 'storm/copy-dst-0' }];
const UPLOADS = ['storm/mpu-0', 'storm/mpu-1'];
const WHOLE = [...COPIES.flatMap((c) => [c.src, c.dst]), ...UPLOADS];
const MAX_BODY = 256 * 1024;
/** Seal churners: appends to a new key, a seal at its length, the next key (fault-seals.ts). */
const SEALERS = 2;
const SEAL_MAX_BODY = 16 * 1024;
/** Appendable objects past this size are deleted between cuts. */
const RESET_SIZE = 2 * 1024 * 1024;

/**
 * Every other start of ossd uses two test settings that make the storm reach the paths a
 * short run would seldom reach: every small append's bytes go through the append log (not
 * only when a group commit holds more than two of them, OSSD_JOURNAL_IN_ROWS_MAX), and
 * bodies up to 1 MiB are kept inline in meta.db (OSSD_INLINE_MAX), so the WAL passes its
 * checkpoint size (4,000 pages) within a few cuts: SQLite's synchronous setting only
 * matters from the first checkpoint on. The other starts use the defaults.
 */
function serverEnv(start: number): Record<string, string> {
  return start % 2 === 0 ? { OSSD_JOURNAL_IN_ROWS_MAX: '0', OSSD_INLINE_MAX: String(1024 * 1024) } : {};
}

/**
 * Bytes of acknowledged puts before the first cut: past SQLite's checkpoint size (4,000
 * pages, 16 MiB of WAL), so that a checkpoint, then a WAL restart, come before the cut.
 */
const WAL_FILL = 20 * 1024 * 1024;

const unsupported = powerCutUnsupported();
const title = `power cuts under a storm of appends, puts, deletes, copies and multipart uploads, ${CUTS} cuts: acknowledged writes survive, nothing torn`;
const timeout = LONG ? 1_800_000 : 180_000;

/** A test on the power-cut file system: skipped, with the reason, where it cannot run; failed in CI. */
function powerCutTest(name: string, fn: (t: TestContext) => Promise<void>): void {
  if (unsupported !== undefined && process.env.CI === 'true') it(name, { timeout }, () => assert.fail(`the power-cut file system must run in CI: ${unsupported}`));
  else it(name, { timeout, skip: unsupported === undefined ? false : `power-cut file system unavailable: ${unsupported}` }, fn);
}

powerCutTest(title, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays sizes and timings)`);
  const rand = prng(seed);
  const started = Date.now();
  const fs = await PowerCutFs.mount();
  const dataDir = fs.mountpoint;
  let ossd: Ossd | undefined;
  const base = new Map<string, Buffer>(KEYS.map((k) => [k, Buffer.alloc(0)]));
  const wholeBase = new Map<string, Held | undefined>();
  const putBase = new Map<string, Buffer | undefined>();
  const aborted = new Set<string>();
  const keyedWriters = KEYED.map((key) => new KeyedWriter(BUCKET, key, () => logUniformSize(rand, MAX_BODY)));
  const totals = { seals: 0, sealsInFlight: 0, cuts: 0, appends: 0, appendsInFlight: 0, puts: 0, deletes: 0, putsInFlight: 0, writes: writeCounts(newStormLedger()), applied: 0, uploadsLeft: 0 };
  try {
    let starts = 0;
    ossd = await startOssd({ dataDir, env: serverEnv(starts++) });
    await createBucket(ossd, BUCKET);
    for (let cut = 0; cut < CUTS; cut++) {
      const live: Ossd = ossd;
      let stopped = false;
      const stop = (): boolean => stopped;
      const ledger: Attempt[] = [];
      const appenders = KEYS.flatMap((key) =>
        Array.from({ length: CLIENTS_PER_KEY }, () =>
          appender({ ossd: live, bucket: BUCKET, key, start: base.get(key)!.length, ledger, stop, nextBody: () => ({ body: randomBody(logUniformSize(rand, MAX_BODY)), md5: 'none' }) }),
        ),
      );
      const keyedRuns = Promise.all(keyedWriters.map((w) => w.run(live, stop)));
      const churnLedger: Attempt[] = [];
      const churning = Promise.all(CHURNS.map((k) => churner(live, BUCKET, k, churnLedger, stop, () => logUniformSize(rand, MAX_BODY))));
      const ops: KeyOp[] = [];
      const putUnexpected: string[] = [];
      const putting = Promise.all(PUTS.map((key) => putDeleteChurner({ ossd: live, bucket: BUCKET, key, ops, unexpected: putUnexpected, stop, rand })));
      const storm = newStormLedger();
      const opts = { ossd: live, bucket: BUCKET, ledger: storm, stop, rand, maxBody: MAX_BODY };
      const wholeWriters = Promise.all([...COPIES.map((c) => copyChurner({ ...opts, ...c })), ...UPLOADS.map((key) => multipartChurner({ ...opts, key }))]);
      const seals = newSealLedger();
      const sealing = Promise.all(
        Array.from({ length: SEALERS }, (_, i) => sealChurner({ ossd: live, bucket: BUCKET, prefix: `storm/sealed-${String(cut).padStart(3, '0')}-${i}`, ledger: seals, stop, rand, maxBody: SEAL_MAX_BODY })),
      );

      // The cut lands while every writer has requests in flight and answers just given.
      // A bounded wait that fails when it runs out: a cut before that would check less.
      await waitFor(
        `cut ${cut}: answers to every kind of writer (60 s)`,
        () =>
          ledger.some((a) => a.state === 'acked') &&
          ops.some((op) => op.state === 'acked') &&
          storm.writes.some((w) => w.state === 'acked') &&
          seals.generations.some((g) => g.seal?.state === 'acked'),
        60_000,
      );
      if (cut === 0) await waitFor(`${WAL_FILL} bytes of acknowledged puts (120 s)`, () => ops.reduce((n, op) => n + (op.state === 'acked' ? (op.body?.length ?? 0) : 0), 0) >= WAL_FILL, 120_000);
      await sleep(Math.floor(rand() * 1500));
      const cutting = fs.cut(live);
      stopped = true;
      await cutting;
      await Promise.all(appenders);
      const churned = await churning;
      await putting;
      await wholeWriters;
      await keyedRuns;
      await sealing;

      assert.deepEqual(unexpectedAnswers(ledger), [], `cut ${cut}: every append answered 200 or 409`);
      assert.deepEqual(seals.unexpected, [], `cut ${cut}: every seal and its appends answered 200`);
      assert.deepEqual(unexpectedAnswers(churnLedger), []);
      assert.deepEqual(putUnexpected, []);
      assert.deepEqual(storm.unexpected, []);
      const acked = ledger.filter((a) => a.state === 'acked').length;
      assert.ok(acked > 0, `cut ${cut}: the storm acknowledged appends before the cut`);

      ossd = await startOssd({ dataDir, env: serverEnv(starts++) });
      const restarted: Ossd = ossd;
      const problems: string[] = [];
      // A read that breaks (the server cannot read bytes it acknowledged) fails with the server's words.
      const read = <T>(p: Promise<T>): Promise<T> =>
        p.catch((e: unknown) => assert.fail(`seed ${seed}, cut ${cut}: reading back after the power cut: ${String(e)}\n${restarted.output().slice(-3000)}`));
      const objects: Array<{ key: string; bytes: Buffer }> = [];
      for (const key of KEYS) {
        const got = await read(getObject(ossd, BUCKET, key));
        let bytes: Buffer = Buffer.alloc(0);
        if (got.status === 200) {
          bytes = got.body;
          const head = await read(headObject(ossd, BUCKET, key));
          const seen = [got.type, got.contentLength, got.crc, head.contentLength, head.nextPosition, head.crc];
          const want = ['Appendable', bytes.length, crcOf(bytes), bytes.length, bytes.length, crcOf(bytes)];
          if (JSON.stringify(seen) !== JSON.stringify(want)) problems.push(`${key}: GET/HEAD ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`);
        } else if (got.status !== 404 || got.code !== 'NoSuchKey') {
          problems.push(`${key}: GET answered ${got.status} ${String(got.code)}`);
        }
        const why = explainBytes(bytes, base.get(key)!, ledger.filter((a) => a.key === key));
        if (why !== undefined) problems.push(`${key}: ${why}`);
        objects.push({ key, bytes });
      }
      const keyedObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const w of keyedWriters) {
        const r = await read(w.retryAndCheck(ossd));
        problems.push(...r.problems);
        keyedObjects.push(r);
      }
      const churnedObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const [i, key] of CHURNS.entries()) {
        try {
          churnedObjects.push({ key, bytes: await checkChurned(ossd, BUCKET, key, churnLedger, churned[i]!) });
        } catch (e) {
          problems.push(String(e));
        }
      }
      const putObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const key of PUTS) {
        const r = await read(checkPutDelete(ossd, BUCKET, key, putBase.get(key), ops));
        if (r.problem !== undefined) problems.push(r.problem);
        putBase.set(key, r.held);
        if (r.held !== undefined) putObjects.push({ key, bytes: r.held });
      }
      const checked = await read(checkStorm(ossd, BUCKET, WHOLE, wholeBase, storm, aborted));
      problems.push(...checked.problems);
      const sealCheck = await read(checkSeals(ossd, BUCKET, seals));
      problems.push(...sealCheck.problems);
      assert.deepEqual(problems, [], `seed ${seed}, cut ${cut}: acknowledged writes after the power cut`);

      const wholeObjects = WHOLE.flatMap((key) => {
        const h = checked.held.get(key);
        return h ? [{ key, bytes: h.body, segments: h.segments }] : [];
      });
      const all = [...objects, ...churnedObjects, ...putObjects, ...wholeObjects, ...keyedObjects, ...sealCheck.objects].filter((o) => o.bytes.length > 0);
      const listed = await listAll(ossd, BUCKET);
      assert.deepEqual(listed.map((o) => `${o.key}:${o.size}`), all.map((o) => `${o.key}:${o.bytes.length}`).sort(), 'the listing shows exactly the recovered objects');
      assert.deepEqual(blobProblems(dataDir, [...all, ...checked.partBlobs]), [], `cut ${cut}: blob folder after recovery`);
      assert.deepEqual(stagingEntries(dataDir), []);

      const appendsInFlight = ledger.filter((a) => a.state === 'uncertain').length;
      const p = opCounts(ops);
      const w = writeCounts(storm);
      t.diagnostic(
        `cut ${cut}: appends ${acked} acknowledged, ${appendsInFlight} in flight; puts ${p.puts} and deletes ${p.deletes} acknowledged, ${p.inFlight} in flight; ` +
          `copies ${w.copy.acked} and multipart completes ${w.complete.acked} acknowledged; ${checked.inFlightApplied} in-flight puts, copies and completes took effect; ` +
          `seals ${sealCheck.ackedSeals} acknowledged (all intact), ${sealCheck.inFlightSealed} in flight took effect`,
      );
      totals.seals += sealCheck.ackedSeals;
      totals.sealsInFlight += sealCheck.inFlightSealed;
      totals.cuts++;
      totals.appends += acked;
      totals.appendsInFlight += appendsInFlight;
      totals.puts += p.puts;
      totals.deletes += p.deletes;
      totals.putsInFlight += p.inFlight;
      writeCounts(storm, totals.writes);
      totals.applied += checked.inFlightApplied;
      totals.uploadsLeft += checked.left.length;

      // Clean-up for the next cut, as in append-crash.test.ts: churn keys deleted, appends
      // go on at the recovered length (large objects start over), leftover uploads aborted.
      for (const { key } of churnedObjects) assert.equal((await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` })).status, 204);
      assert.deepEqual(await deleteSealed(ossd, BUCKET, seals), []);
      for (const { key, bytes } of objects) {
        let current: Buffer = bytes;
        if (current.length > RESET_SIZE) {
          assert.equal((await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` })).status, 204);
          current = Buffer.alloc(0);
        }
        const body = randomBody(1 + Math.floor(rand() * 4096));
        const a = await appendAttempt(ossd, BUCKET, key, current.length, body, []);
        assert.equal(a.status, 200, `${key}: append at the recovered length ${current.length}`);
        const expected = Buffer.concat([current, body]);
        assert.equal(a.crc, crcOf(expected), `${key}: the CRC chains from the recovered object`);
        base.set(key, expected);
      }
      for (const w of keyedWriters) await w.reset(ossd, RESET_SIZE);
      assert.deepEqual(await abortUploads(ossd, BUCKET, checked.left, aborted), []);
      for (const key of WHOLE) wholeBase.set(key, checked.held.get(key));
      const keyedLive = keyedWriters.map((w) => ({ key: w.key, bytes: w.bytes })).filter((o) => o.bytes.length > 0);
      const kept = [...KEYS.map((key) => ({ key, bytes: base.get(key)! })), ...putObjects, ...wholeObjects, ...keyedLive];
      assert.deepEqual(await settledBlobProblems(dataDir, kept), [], `cut ${cut}: deleted, replaced and aborted blobs are reclaimed`);
    }
    const { put, copy, complete } = totals.writes;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    t.diagnostic(`totals: ${totals.cuts} power cuts in ${seconds} s, seed ${seed}`);
    t.diagnostic(`totals, appends: ${totals.appends} acknowledged, 0 acknowledged lost, ${totals.appendsInFlight} in flight at a cut`);
    t.diagnostic(`totals, puts and deletes: ${totals.puts} puts and ${totals.deletes} deletes acknowledged, 0 lost, ${totals.putsInFlight} in flight at a cut`);
    t.diagnostic(
      `totals, copies: ${copy.acked} acknowledged (and ${put.acked} source puts); multipart completes: ${complete.acked} acknowledged; 0 lost; ` +
        `${totals.applied} in-flight puts, copies and completes took effect; ${totals.uploadsLeft} uploads left unfinished by a cut, aborted`,
    );
    const keyed = keyedWriters.reduce((n, w) => ({ acked: n.acked + w.counts.acked, lost: n.lost + w.counts.lost, replayed: n.replayed + w.counts.replayed }), { acked: 0, lost: 0, replayed: 0 });
    t.diagnostic(
      `totals, appends with an Idempotency-Key: ${keyed.acked} acknowledged, ${keyed.lost} answers lost at a cut and retried after the restart ` +
        `(${keyed.replayed} had been committed and were replayed, the others appended afresh), 0 duplicated, 0 lost`,
    );
    t.diagnostic(`totals, seals: ${totals.seals} acknowledged, 0 lost, ${totals.sealsInFlight} in flight at a cut took effect`);
  } finally {
    await ossd?.kill();
    await fs.destroy();
  }
});

/**
 * A clean stop deletes meta.db-wal; the next start makes a new one, whose directory entry
 * must be durable before the first acknowledgement (SQLite syncs a new WAL's header and
 * then its folder, also with synchronous = NORMAL). Fails with synchronous = OFF: checked.
 */
powerCutTest('power cut after a clean stop and restart: writes acknowledged since the restart survive', async () => {
  const fs = await PowerCutFs.mount();
  let ossd: Ossd | undefined;
  try {
    ossd = await startOssd({ dataDir: fs.mountpoint });
    await createBucket(ossd, BUCKET);
    await ossd.stop();
    ossd = await startOssd({ dataDir: fs.mountpoint });
    const bodies = [randomBody(10), randomBody(100 * 1024)];
    for (const [i, body] of bodies.entries()) assert.equal((await raw(ossd, { method: 'PUT', path: `/${BUCKET}/after-restart-${i}`, body })).status, 200);
    const a = await appendAttempt(ossd, BUCKET, 'after-restart-app', 0, randomBody(1000), []);
    assert.equal(a.status, 200);
    await fs.cut(ossd);
    ossd = await startOssd({ dataDir: fs.mountpoint });
    for (const [i, body] of bodies.entries()) {
      const got = await getObject(ossd, BUCKET, `after-restart-${i}`);
      assert.equal(got.status, 200, `after-restart-${i}: ${got.status} ${String(got.code)}`);
      assert.ok(got.body.equals(body));
    }
    const app = await getObject(ossd, BUCKET, 'after-restart-app');
    assert.equal(app.status, 200);
    assert.ok(app.body.equals(a.body));
  } finally {
    await ossd?.kill();
    await fs.destroy();
  }
});

/**
 * What ossd generates once and keeps in the data folder: the root credentials
 * (root-credentials.json, printed at the first start) and master.key (under which `ossd
 * keys create` encrypts the secrets it prints). Both are acknowledged to a person, and
 * meta.db's key rows are durable: losing either file at a power cut locks every client out.
 * Found by this test: neither file was synced, nor the folder after it was put in place.
 * Without the fix in src/server/credentials.ts ossd did not start after the cut
 * ("Unexpected end of JSON input": the name had become durable, the bytes had not); without
 * the one in src/keys/master-key.ts the created key answered 500 (its secret could not be
 * decrypted). Both checked.
 */
powerCutTest('generated root credentials and master.key survive a power cut', async () => {
  const fs = await PowerCutFs.mount();
  // Empty: no root key configured, so ossd generates one and keeps it in the data folder.
  const env = { OSSD_ROOT_ACCESS_KEY_ID: '', OSSD_ROOT_ACCESS_KEY_SECRET: '' };
  let ossd: Ossd | undefined;
  try {
    ossd = await startOssd({ dataDir: fs.mountpoint, env });
    const id = /access key id:\s+(\S+)/.exec(ossd.output())?.[1];
    const secret = /access key secret:\s+(\S+)/.exec(ossd.output())?.[1];
    assert.ok(id !== undefined && secret !== undefined && id !== TEST_KEY_ID, `a generated root key is printed:\n${ossd.output()}`);
    const root: Ossd = { ...ossd, accessKeyId: id, accessKeySecret: secret };
    assert.equal((await raw(root, { method: 'PUT', path: `/${BUCKET}/` })).status, 200);
    const key = await createKey(root);
    const asKey: Ossd = { ...ossd, accessKeyId: key.id, accessKeySecret: key.secret };
    assert.equal((await raw(asKey, { method: 'PUT', path: `/${BUCKET}/by-key`, body: Buffer.from('k') })).status, 200);

    await fs.cut(ossd);
    ossd = await startOssd({ dataDir: fs.mountpoint, env });
    const again = await raw({ ...ossd, accessKeyId: id, accessKeySecret: secret }, { method: 'GET', path: `/${BUCKET}/by-key` });
    assert.equal(again.status, 200, `the generated root key still works after the power cut: ${again.status} ${again.text}\n${ossd.output()}`);
    const byKey = await raw({ ...ossd, accessKeyId: key.id, accessKeySecret: key.secret }, { method: 'GET', path: `/${BUCKET}/by-key` });
    assert.equal(byKey.status, 200, `the key made by \`ossd keys create\` still works after the power cut: ${byKey.status} ${byKey.text}`);
  } finally {
    await ossd?.kill();
    await fs.destroy();
  }
});
