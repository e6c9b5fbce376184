/**
 * SIGKILL of the real ossd process in the middle of appends and uploads, then restart
 * on the same data folder (design.md "traps": acknowledge only what is durable, an
 * append is all-or-nothing; src/engine/recovery.ts). After every restart: each object is
 * its acknowledged appends plus, possibly, appends that were in flight at the kill,
 * never torn bytes; the blob folder holds exactly the committed bytes (uncommitted tails
 * trimmed, no orphans) and staging/ is empty.
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
  type ChurnOutcome,
  churner,
  crcOf,
  explainBytes,
  logUniformSize,
  prng,
  randomBody,
  unexpectedAnswers,
} from '../helpers/fault-appends.js';
import {
  blobFiles,
  blobProblems,
  createBucket,
  getObject,
  headObject,
  listAll,
  sleep,
  stagingEntries,
  startPartialUpload,
  waitFor,
} from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const LONG = process.env.OSSD_LONG_TESTS === '1';
const CYCLES = LONG ? 50 : 3;
const KEYS = Array.from({ length: 8 }, (_, i) => `storm/key-${i}`);
/** Created and deleted in a loop during the storm: the source of orphan blobs. */
const CHURNS = ['storm/churn-0', 'storm/churn-1', 'storm/churn-2'];
const CLIENTS_PER_KEY = 3;
const MAX_BODY = 256 * 1024;
/** Objects past this size are deleted between cycles, so long runs stay small on disk. */
const RESET_SIZE = 4 * 1024 * 1024;
const BUCKET = 'fault-crash';
const MiB = 1024 * 1024;

function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'ossd-fault-'));
}

/**
 * After a restart, a churned key holds one whole body that was acknowledged or in
 * flight, or nothing; and its last acknowledged append, if no DELETE followed, is there.
 */
async function checkChurned(ossd: Ossd, key: string, ledger: Attempt[], outcome: ChurnOutcome): Promise<Buffer> {
  assert.equal(outcome.unexpected, undefined);
  const got = await getObject(ossd, BUCKET, key);
  const bytes = got.status === 200 ? got.body : Buffer.alloc(0);
  if (got.status === 200) {
    assert.ok(
      ledger.some((a) => a.key === key && (a.state === 'acked' || a.state === 'uncertain') && a.body.equals(bytes)),
      `${key}: ${bytes.length} recovered bytes are no body that was acknowledged or in flight`,
    );
    assert.equal(got.crc, crcOf(bytes));
  } else {
    assert.equal(got.code, 'NoSuchKey');
  }
  if (outcome.mustExist) assert.ok(bytes.equals(outcome.mustExist.body), `${key}: its last acknowledged append survives`);
  return bytes;
}

it(`append storm with SIGKILL, ${CYCLES} kill cycles: acknowledged appends survive, nothing torn, space reclaimed`, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays sizes and timings)`);
  const rand = prng(seed);
  const dataDir = tempDataDir();
  let ossd: Ossd = await startOssd({ dataDir });
  /** What each key is known to hold at the start of a cycle (verified after the last restart). */
  const base = new Map<string, Buffer>(KEYS.map((k) => [k, Buffer.alloc(0)]));
  /** Totals for RELIABILITY.md; an acknowledged append missing after a restart fails the test. */
  const totals = { cycles: 0, acked: 0, inFlight: 0 };
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
      const churnLedger: Attempt[] = [];
      const churning = Promise.all(CHURNS.map((k) => churner(ossd, BUCKET, k, churnLedger, () => stopped, () => logUniformSize(rand, MAX_BODY))));
      await sleep(200 + Math.floor(rand() * 600));
      const killed = ossd.kill();
      stopped = true;
      await killed;
      await Promise.all(appenders);
      const churned = await churning;

      assert.deepEqual(unexpectedAnswers(ledger), [], `cycle ${cycle}: every answer was a 200, a 409 or (wrong MD5) a 400`);
      assert.deepEqual(unexpectedAnswers(churnLedger), []);
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
      const churnedObjects: Array<{ key: string; bytes: Buffer }> = [];
      for (const [i, key] of CHURNS.entries()) churnedObjects.push({ key, bytes: await checkChurned(ossd, key, churnLedger, churned[i]!) });
      const all = [...objects, ...churnedObjects].filter((o) => o.bytes.length > 0);
      const listed = await listAll(ossd, BUCKET);
      assert.deepEqual(
        listed.map((o) => `${o.key}:${o.size}`),
        all.map((o) => `${o.key}:${o.bytes.length}`).sort(),
        'the listing shows exactly the recovered objects',
      );
      // Reclaim: appendable blobs cut back to their committed length, no orphans, staging empty.
      assert.deepEqual(blobProblems(dataDir, all), [], `cycle ${cycle}: blob folder after recovery`);
      assert.deepEqual(stagingEntries(dataDir), []);
      t.diagnostic(`cycle ${cycle}: ${acked} acknowledged, ${inFlight} in flight at the kill, ${beyond} bytes of in-flight appends committed`);
      totals.cycles++;
      totals.acked += acked;
      totals.inFlight += inFlight;

      for (const { key } of churnedObjects) assert.equal((await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` })).status, 204);
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
    }
    t.diagnostic(`totals: ${totals.cycles} kill cycles, ${totals.acked} appends acknowledged, 0 acknowledged lost, ${totals.inFlight} in flight at a kill`);
  } finally {
    await ossd.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('SIGKILL in the middle of a 50 MiB PutObject and a 50 MiB append: nothing of either remains', async () => {
  const dataDir = tempDataDir();
  let ossd: Ossd = await startOssd({ dataDir });
  try {
    await createBucket(ossd, BUCKET);
    const previous = Buffer.from('previous value');
    const put = await raw(ossd, { method: 'PUT', path: `/${BUCKET}/big-old`, body: previous });
    assert.equal(put.status, 200);
    const first = await appendAttempt(ossd, BUCKET, 'big-app', 0, Buffer.from('abc'), []);
    assert.equal(first.status, 200);
    const original = new Set(blobFiles(dataDir).map((f) => f.name));
    assert.equal(original.size, 2);

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
      return (
        uploads.every((u) => u.sent() === half) &&
        files.length === 4 &&
        files.every((f) => f.size >= 20 * MiB || (original.has(f.name) && f.size === previous.length))
      );
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
