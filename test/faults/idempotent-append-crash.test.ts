/**
 * Exactly-once appends across kill -9 (docs/extensions.md "Exactly-once appends"; issue 17):
 * an append's Idempotency-Key record is durable with the append itself, in its transaction.
 *
 * Mutations, each made in the server, this file run, then restored (checked 2026-12-05):
 *   - the record written by a transaction of its own, after the append's commit (in
 *     src/engine/append.ts appendHeld, the record passed to a second compareAndSwap with
 *     KEEP_CURRENT once the append's succeeded): "an append whose WAL fsync failed" fails,
 *     the retry answers 409 PositionNotEqualToLength (the append is on disk, its record is not);
 *   - no lookup of the key (src/engine/append.ts appendOnce): the first three tests fail (409);
 *   - the rollback at recovery not dropping the record (src/engine/recovery.ts,
 *     forgetRolledBack not passed): "an append rolled back at recovery" fails (its retry is
 *     answered 200 from the record, as if its bytes were there);
 *   - the undo of an append whose bytes could not be synced not dropping the record
 *     (src/engine/append.ts finish()): "an append whose blob fdatasync failed" fails the same way.
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crcOf, randomBody } from '../helpers/fault-appends.js';
import { blobFiles, createBucket, getObject } from '../helpers/fault-store.js';
import { answerOf, keyedAppend } from '../helpers/keyed-appends.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';

const BUCKET = 'idem-crash';

function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'ossd-idem-'));
}

async function expectBytes(ossd: Ossd, key: string, want: Buffer, what: string): Promise<void> {
  const got = await getObject(ossd, BUCKET, key);
  assert.equal(got.status, 200, what);
  assert.equal(got.body.length, want.length, `${what}: length`);
  assert.ok(got.body.equals(want), `${what}: bytes`);
  assert.equal(got.crc, crcOf(want), `${what}: CRC-64`);
}

/**
 * Keyed appends (small, journaled, and large, their own blob writes, in turn) until the
 * `nth` WAL fsync fails one; kill -9, restart, retry it with its key. Whether it had been
 * committed (its bytes there after the restart).
 */
async function walFailureRun(nth: number): Promise<boolean> {
  const env = { OSSD_FAULTS: `wal.sync:${nth}:EIO`, OSSD_TEST_FAULTS: '1', OSSD_JOURNAL_FLUSH_MS: '600000' };
  const dataDir = tempDataDir();
  let ossd = await startOssd({ dataDir, env });
  try {
    await createBucket(ossd, BUCKET);
    let acked = Buffer.alloc(0);
    let failed: { token: string; position: number; body: Buffer } | undefined;
    for (let i = 0; i < 10 && !failed; i++) {
      const body = randomBody(i % 2 === 0 ? 2000 + i : 100 * 1024 + i);
      const token = `wal-${i}`;
      const a = await keyedAppend(ossd, BUCKET, 'wal', acked.length, body, token);
      if (a.status === 200) acked = Buffer.concat([acked, body]);
      else {
        assert.equal(a.status, 500, a.text);
        failed = { token, position: acked.length, body };
      }
    }
    assert.ok(failed, `wal.sync:${nth}: an append failed with the WAL fsync`);
    await ossd.kill();
    ossd = await startOssd({ dataDir });
    const got = await getObject(ossd, BUCKET, 'wal');
    const held = got.status === 200 ? got.body : Buffer.alloc(0);
    const whole = Buffer.concat([acked, failed.body]);
    const committed = held.equals(whole);
    assert.ok(committed || held.equals(acked), `wal.sync:${nth}: after the restart, the acknowledged appends and the failed one whole or not at all (${held.length} bytes)`);
    const r = await keyedAppend(ossd, BUCKET, 'wal', failed.position, failed.body, failed.token);
    assert.equal(r.status, 200, `wal.sync:${nth}: the retry of the unacknowledged append (${committed ? 'committed' : 'not committed'}): ${r.text}`);
    assert.equal(r.replay, committed, committed ? 'committed before the kill: answered from its record' : 'not committed: appended now');
    assert.deepEqual([r.next, r.crc], [whole.length, crcOf(whole)]);
    await expectBytes(ossd, 'wal', whole, `wal.sync:${nth}: the failed append once`);
    return committed;
  } finally {
    await ossd.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('exactly-once appends across kill -9', { timeout: 300_000 }, () => {
  it('a retry after kill -9 and a restart gets the original answer, also after later appends', async () => {
    const dataDir = tempDataDir();
    let ossd = await startOssd({ dataDir });
    try {
      await createBucket(ossd, BUCKET);
      // Small (journaled with the commit) and large (its own blob writes) bodies.
      const bodies = [randomBody(100), randomBody(200 * 1024), randomBody(3000), randomBody(1)];
      const answers = [];
      let at = 0;
      for (const [i, body] of bodies.entries()) {
        const a = await keyedAppend(ossd, BUCKET, 'k', at, body, `k-${i}`);
        assert.equal(a.status, 200, a.text);
        answers.push(a);
        at += body.length;
      }
      await ossd.kill();
      ossd = await startOssd({ dataDir });
      for (const [i, body] of bodies.entries()) {
        const position = bodies.slice(0, i).reduce((n, b) => n + b.length, 0);
        const r = await keyedAppend(ossd, BUCKET, 'k', position, body, `k-${i}`);
        assert.equal(r.status, 200, `retry ${i} after the restart: ${r.text}`);
        assert.equal(r.replay, true);
        assert.deepEqual(answerOf(r), answerOf(answers[i]!), `retry ${i}: the original answer`);
      }
      const reused = await keyedAppend(ossd, BUCKET, 'k', 0, randomBody(100), 'k-0');
      assert.equal(reused.status, 422, 'another body with a remembered key, after the restart');
      assert.equal(reused.code, 'IdempotencyKeyMismatch');
      await expectBytes(ossd, 'k', Buffer.concat(bodies), 'every body once');
    } finally {
      await ossd.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an append whose WAL fsync failed (committed, never answered 200): its retry after kill -9 is replayed, the body appears once', async (t) => {
    // The Nth fdatasync of the metadata WAL fails: the append committed in it is in the WAL
    // (the page cache keeps it through SIGKILL), but never acknowledged; the server refuses
    // everything after it until restarted (test/faults/fault-drivers.test.ts). Several N,
    // so that the failing fsync is the appends' own commit whatever other writes there are.
    let committedRuns = 0;
    for (const nth of [3, 4, 5, 6]) {
      const committed = await walFailureRun(nth);
      t.diagnostic(`wal.sync:${nth}: the append whose WAL fsync failed was ${committed ? 'committed (its retry replayed)' : 'not committed (its retry appended it)'}`);
      if (committed) committedRuns++;
    }
    // Those commits are what this test is about: with SIGKILL the WAL write survives.
    assert.ok(committedRuns > 0, 'an append of a failed WAL fsync survived the kill (else this test shows nothing)');
  });

  it('an append rolled back at recovery (its bytes lost) forgets its key: a retry after other bytes took its place is refused, not replayed', async () => {
    // As above, with large bodies (their own blob writes): the failed one is committed while
    // its bytes are still being synced, and stays recorded as unsettled for recovery.
    const env = { OSSD_FAULTS: 'wal.sync:4:EIO', OSSD_TEST_FAULTS: '1' };
    const dataDir = tempDataDir();
    let ossd = await startOssd({ dataDir, env });
    try {
      await createBucket(ossd, BUCKET);
      let acked = Buffer.alloc(0);
      let failed: { token: string; position: number; body: Buffer } | undefined;
      for (let i = 0; i < 10 && !failed; i++) {
        const body = randomBody(100 * 1024 + i);
        const a = await keyedAppend(ossd, BUCKET, 'lost', acked.length, body, `lost-${i}`);
        if (a.status === 200) acked = Buffer.concat([acked, body]);
        else failed = { token: `lost-${i}`, position: acked.length, body };
      }
      assert.ok(failed, 'an append failed with the WAL fsync');
      await ossd.kill();
      // The power cut this stands for lost the failed append's unsynced bytes: its file is cut
      // back to the acknowledged length. Its row (and its record) are in the WAL: recovery
      // finds the CRC wrong and rolls the object back, dropping the record in the same swap.
      const files = blobFiles(dataDir);
      assert.equal(files.length, 1);
      assert.equal(files[0]!.size, acked.length + failed.body.length, 'the failed append was written before the kill');
      const fd = openSync(files[0]!.path, 'r+');
      ftruncateSync(fd, acked.length);
      closeSync(fd);
      ossd = await startOssd({ dataDir });
      await expectBytes(ossd, 'lost', acked, 'rolled back to the acknowledged appends');
      // Another writer's bytes take the lost append's place.
      const other = randomBody(failed.body.length);
      const o = await keyedAppend(ossd, BUCKET, 'lost', acked.length, other, 'other-writer');
      assert.equal(o.status, 200, o.text);
      const r = await keyedAppend(ossd, BUCKET, 'lost', failed.position, failed.body, failed.token);
      assert.equal(r.replay, false, 'not answered from the record of an append whose bytes are gone');
      assert.equal(r.status, 409, r.text);
      assert.equal(r.code, 'PositionNotEqualToLength');
      await expectBytes(ossd, 'lost', Buffer.concat([acked, other]), 'the other bytes, and nothing else');
      const kept = await keyedAppend(ossd, BUCKET, 'lost', 0, acked.subarray(0, 100 * 1024), 'lost-0');
      assert.deepEqual([kept.status, kept.replay], [200, true], 'acknowledged appends keep their records');
    } finally {
      await ossd.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an append whose blob fdatasync failed (its commit undone, 500) forgets its key with the undo', async () => {
    const env = { OSSD_FAULTS: 'blob.sync:2:EIO', OSSD_TEST_FAULTS: '1' };
    const dataDir = tempDataDir();
    const ossd = await startOssd({ dataDir, env });
    try {
      await createBucket(ossd, BUCKET);
      const first = randomBody(100_000);
      assert.equal((await keyedAppend(ossd, BUCKET, 'undone', 0, first, 'undone-0')).status, 200);
      const second = randomBody(200_000);
      const failed = await keyedAppend(ossd, BUCKET, 'undone', first.length, second, 'undone-1');
      assert.equal(failed.status, 500, failed.text);
      await expectBytes(ossd, 'undone', first, 'the failed append undone');
      const other = randomBody(200_000);
      assert.equal((await keyedAppend(ossd, BUCKET, 'undone', first.length, other, 'undone-other')).status, 200);
      const r = await keyedAppend(ossd, BUCKET, 'undone', first.length, second, 'undone-1');
      assert.equal(r.replay, false, 'not answered from the record of an undone append');
      assert.equal(r.status, 409, r.text);
      assert.equal(r.code, 'PositionNotEqualToLength');
      await expectBytes(ossd, 'undone', Buffer.concat([first, other]), 'the other bytes, and nothing else');
    } finally {
      await ossd.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
