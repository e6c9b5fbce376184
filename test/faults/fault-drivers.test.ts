/**
 * Disk errors injected into the real server's drivers (src/drivers/faulty.ts, enabled by
 * the OSSD_FAULTS test hook, src/drivers/faults-config.ts): the Nth call of a blob
 * writer's write/sync, of the metadata compare-and-swap, of the WAL's or the append log's fdatasync fails
 * with EIO or ENOSPC. Each time: the failing request gets a clear OSS error (507
 * InsufficientStorage for ENOSPC, 500 InternalError for EIO; never a hang or a crash),
 * the store stays consistent (earlier bytes and CRC intact, nothing partial visible, no
 * orphan blob or uncommitted tail), and the next request at the same position succeeds.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FaultPlan } from '../../src/drivers/faulty.js';
import { parseFaults } from '../../src/drivers/faults-config.js';
import { toOssError } from '../../src/protocol/errors/render.js';
import { appendAttempt, type Attempt, crcOf, randomBody } from '../helpers/fault-appends.js';
import { blobFiles, blobProblems, createBucket, getObject, headObject, listAll } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { errorCode, raw, type RawResponse } from '../helpers/raw-http.js';

const BUCKET = 'faulty';
/** Faults injected into the real server over this file, for RELIABILITY.md. */
let injected = 0;

async function withFaults(spec: string, run: (ossd: Ossd) => Promise<void>): Promise<void> {
  // The journal flusher's background commits would shift the WAL call count: keep it quiet.
  const ossd = await startOssd({ env: { OSSD_FAULTS: spec, OSSD_TEST_FAULTS: '1', OSSD_JOURNAL_FLUSH_MS: '600000' } });
  try {
    assert.match(ossd.output(), /fault injection \(test hook\) is active/);
    await createBucket(ossd, BUCKET);
    await run(ossd);
  } finally {
    await ossd.kill();
    ossd.cleanup();
  }
}

function expectError(res: RawResponse, status: number, code: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(errorCode(res), code, what);
  assert.ok(res.headers['x-oss-request-id'], `${what}: x-oss-request-id`);
  injected++;
}

/** GET and HEAD show exactly `bytes` (and their CRC-64) for an appendable object. */
async function expectObject(ossd: Ossd, key: string, bytes: Buffer): Promise<void> {
  const got = await getObject(ossd, BUCKET, key);
  assert.equal(got.status, 200, `GET ${key}`);
  assert.ok(got.body.equals(bytes), `${key}: ${got.body.length} bytes, ${bytes.length} expected`);
  assert.equal(got.crc, crcOf(bytes), `${key}: CRC-64`);
  const head = await headObject(ossd, BUCKET, key);
  assert.equal(head.status, 200);
  assert.equal(head.contentLength, bytes.length, `${key}: HEAD length`);
  assert.equal(head.crc, crcOf(bytes));
}

async function expectHealthy(ossd: Ossd): Promise<void> {
  assert.equal(ossd.proc.exitCode, null, 'ossd is still running');
  assert.equal((await raw(ossd, { method: 'GET', path: '/-/health', sign: 'none' })).status, 200);
}

async function put(ossd: Ossd, key: string, body: Buffer): Promise<RawResponse> {
  return raw(ossd, { method: 'PUT', path: `/${BUCKET}/${key}`, body });
}

describe('OSSD_FAULTS parsing and the fault plan', () => {
  it('parses rules and refuses malformed ones', () => {
    assert.deepEqual(parseFaults('blob.write:3:ENOSPC, meta.cas:5+:EIO'), [
      { method: 'blob.write', nth: 3, sticky: false, code: 'ENOSPC' },
      { method: 'meta.cas', nth: 5, sticky: true, code: 'EIO' },
    ]);
    for (const bad of ['blob.write:0:EIO', 'blob.write:3', 'disk.write:1:EIO', 'blob.write:1:EPERM', 'blob.write:x:EIO']) {
      assert.throws(() => parseFaults(bad), /OSSD_FAULTS/, bad);
    }
  });

  it('fails exactly the Nth call (or every call from the Nth on) with an errno-shaped error', () => {
    const plan = new FaultPlan(parseFaults('blob.write:2:ENOSPC,meta.cas:2+:EIO,fs.fdatasync:1:EIO'));
    const writes = [1, 2, 3].map(() => plan.check('blob.write'));
    assert.deepEqual(writes.map((e) => e?.code), [undefined, 'ENOSPC', undefined]);
    assert.equal(writes[1]!.errno, -28);
    assert.deepEqual([1, 2, 3].map(() => plan.check('meta.cas')?.errno), [undefined, -5, -5]);
    assert.equal(plan.check('blob.sync'), undefined);
    assert.equal(plan.check('fs.fdatasync')?.code, 'EIO');
  });

  it('maps errno errors to OSS errors in one place', () => {
    const e = (code: string): Error => Object.assign(new Error(code), { code });
    assert.equal(toOssError(e('ENOSPC')).code, 'InsufficientStorage');
    assert.equal(toOssError(e('SQLITE_FULL')).code, 'InsufficientStorage');
    assert.equal(toOssError(e('EIO')).code, 'InternalError');
    assert.match(toOssError(e('EIO')).message, /I\/O error/);
    assert.equal(toOssError(e('SQLITE_IOERR_FSYNC')).code, 'InternalError');
    assert.equal(toOssError(new Error('x')).code, 'InternalError');
  });
});

describe('disk errors in the real server', () => {
  it('ENOSPC on an append\'s blob write: 507, the object unchanged, the same append then succeeds', async () => {
    await withFaults('blob.write:2:ENOSPC', async (ossd) => {
      const first = randomBody(1000);
      assert.equal((await appendAttempt(ossd, BUCKET, 'app', 0, first, [])).status, 200);
      // Over 64 KiB: a smaller append to an existing object is journaled and staged in
      // memory, and its bytes reach the file only with the background flush.
      const second = randomBody(100_000);
      const failed = await raw(ossd, { method: 'POST', path: `/${BUCKET}/app?append&position=1000`, body: second });
      expectError(failed, 507, 'InsufficientStorage', 'append on a full disk');
      assert.match(failed.text, /No space left on device/);
      await expectObject(ossd, 'app', first);
      assert.equal((await headObject(ossd, BUCKET, 'app')).nextPosition, 1000);
      assert.deepEqual(blobProblems(ossd.dataDir, [{ key: 'app', bytes: first }]), [], 'the failed bytes were cut off');
      const again = await appendAttempt(ossd, BUCKET, 'app', 1000, second, []);
      assert.equal(again.status, 200);
      assert.equal(again.next, 101_000);
      await expectObject(ossd, 'app', Buffer.concat([first, second]));
      await expectHealthy(ossd);
    });
  });

  it('ENOSPC on a new object\'s first write: 507, no blob left behind, the put then succeeds', async () => {
    await withFaults('blob.write:1:ENOSPC', async (ossd) => {
      // Over 64 KiB: a smaller body is stored inline, with its commit, and writes no blob file.
      const body = randomBody(100_000);
      expectError(await put(ossd, 'new', body), 507, 'InsufficientStorage', 'put on a full disk');
      assert.equal((await getObject(ossd, BUCKET, 'new')).status, 404);
      assert.deepEqual(blobFiles(ossd.dataDir), [], 'the new blob was removed');
      assert.equal((await put(ossd, 'new', body)).status, 200);
      const got = await getObject(ossd, BUCKET, 'new');
      assert.ok(got.body.equals(body));
      await expectHealthy(ossd);
    });
  });

  it('EIO on the fdatasync of a large append (after its commit): 500, the commit undone, the append then succeeds', async () => {
    // Bodies over 64 KiB are not journaled: their blob is fdatasynced while the row commits.
    await withFaults('blob.sync:2:EIO', async (ossd) => {
      const first = randomBody(100_000);
      assert.equal((await appendAttempt(ossd, BUCKET, 'big', 0, first, [])).status, 200);
      const second = randomBody(200_000);
      const failed = await raw(ossd, { method: 'POST', path: `/${BUCKET}/big?append&position=100000`, body: second });
      expectError(failed, 500, 'InternalError', 'append whose data could not be synced');
      assert.match(failed.text, /I\/O error/);
      await expectObject(ossd, 'big', first);
      assert.deepEqual(blobProblems(ossd.dataDir, [{ key: 'big', bytes: first }]), []);
      assert.equal((await appendAttempt(ossd, BUCKET, 'big', 100_000, second, [])).status, 200);
      await expectObject(ossd, 'big', Buffer.concat([first, second]));
      await expectHealthy(ossd);
    });
  });

  it('EIO on an early-writeback fdatasync of a large put (the final one succeeds): 500, nothing visible, the put then succeeds', async () => {
    // A blob writer fdatasyncs in the background every 1 MiB written (fs/blob-store.ts); the
    // kernel reports a writeback error only once, so the put must fail on that one.
    await withFaults('fs.fdatasync:1:EIO', async (ossd) => {
      const body = randomBody(3 * 1024 * 1024);
      const failed = await put(ossd, 'early', body);
      expectError(failed, 500, 'InternalError', 'put whose early writeback failed');
      assert.equal((await getObject(ossd, BUCKET, 'early')).status, 404);
      assert.deepEqual(blobFiles(ossd.dataDir), [], 'the new blob was removed');
      assert.equal((await put(ossd, 'early', body)).status, 200);
      assert.ok((await getObject(ossd, BUCKET, 'early')).body.equals(body));
      await expectHealthy(ossd);
    });
  });

  it('EIO and ENOSPC on the metadata compare-and-swap of a put and an append: nothing changes, the retry succeeds', async () => {
    await withFaults('meta.cas:2:EIO,meta.cas:5:ENOSPC', async (ossd) => {
      const v1 = randomBody(3000);
      const v2 = randomBody(5000);
      assert.equal((await put(ossd, 'obj', v1)).status, 200); // cas 1
      expectError(await put(ossd, 'obj', v2), 500, 'InternalError', 'overwrite whose commit failed'); // cas 2
      const got = await getObject(ossd, BUCKET, 'obj');
      assert.ok(got.body.equals(v1), 'the previous value stays');
      assert.equal(got.crc, crcOf(v1));
      assert.equal((await put(ossd, 'obj', v2)).status, 200); // cas 3
      assert.ok((await getObject(ossd, BUCKET, 'obj')).body.equals(v2));

      const a = randomBody(700);
      const b = randomBody(90_000);
      assert.equal((await appendAttempt(ossd, BUCKET, 'app', 0, a, [])).status, 200); // cas 4
      const failed = await raw(ossd, { method: 'POST', path: `/${BUCKET}/app?append&position=700`, body: b }); // cas 5
      expectError(failed, 507, 'InsufficientStorage', 'append whose commit found the disk full');
      await expectObject(ossd, 'app', a);
      assert.equal((await appendAttempt(ossd, BUCKET, 'app', 700, b, [])).status, 200); // cas 6
      await expectObject(ossd, 'app', Buffer.concat([a, b]));
      assert.deepEqual(
        blobProblems(ossd.dataDir, [
          { key: 'obj', bytes: v2 },
          { key: 'app', bytes: Buffer.concat([a, b]) },
        ]),
        [],
        'no orphan blob, no uncommitted tail',
      );
      assert.deepEqual((await listAll(ossd, BUCKET)).map((o) => `${o.key}:${o.size}`), ['app:90700', 'obj:5000']);
      await expectHealthy(ossd);
    });
  });

  it('EIO on the metadata WAL fsync: every request refused until a restart, which serves everything acknowledged', async (t) => {
    const ossd = await startOssd({ env: { OSSD_FAULTS: 'wal.sync:4:EIO', OSSD_TEST_FAULTS: '1', OSSD_JOURNAL_FLUSH_MS: '600000' } });
    const dataDir = ossd.dataDir;
    let restarted: Ossd | undefined;
    try {
      await createBucket(ossd, BUCKET);
      const acked = new Map<string, Buffer>();
      let failedKey: string | undefined;
      let failedBody: Buffer | undefined;
      for (let i = 0; i < 10 && failedKey === undefined; i++) {
        const body = randomBody(2000 + i);
        const res = await put(ossd, `k${i}`, body);
        if (res.status === 200) acked.set(`k${i}`, body);
        else {
          expectError(res, 500, 'InternalError', 'put whose WAL fsync failed');
          failedKey = `k${i}`;
          failedBody = body;
        }
      }
      assert.ok(failedKey, 'a write failed');
      assert.ok(acked.size >= 1);
      // The store refuses everything now, reads included: it cannot vouch for its commits.
      const read = await getObject(ossd, BUCKET, [...acked.keys()][0]!);
      assert.equal(read.status, 500);
      assert.equal((await put(ossd, 'later', randomBody(10))).status, 500);
      assert.equal(ossd.proc.exitCode, null, 'no crash');
      await ossd.kill();

      restarted = await startOssd({ dataDir });
      for (const [key, body] of acked) {
        const got = await getObject(restarted, BUCKET, key);
        assert.equal(got.status, 200, key);
        assert.ok(got.body.equals(body), `${key} survives the restart`);
        assert.equal(got.crc, crcOf(body));
      }
      // The unacknowledged put: whole or absent, never partial.
      const maybe = await getObject(restarted, BUCKET, failedKey);
      assert.ok(maybe.status === 404 || maybe.body.equals(failedBody!), `the unacknowledged put is whole or absent: ${maybe.status} ${maybe.body.length} bytes ${maybe.code}\n${restarted.output().slice(-2000)}`);
      assert.equal((await getObject(restarted, BUCKET, 'later')).status, 404);
      assert.equal((await appendAttempt(restarted, BUCKET, 'after', 0, randomBody(100), [])).status, 200);
      t.diagnostic(`${acked.size} acknowledged puts served after the restart; the failed one ${maybe.status === 200 ? 'committed' : 'absent'}`);
    } finally {
      await ossd.kill();
      await restarted?.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('EIO on the append log fsync: the append is refused, then every request until a restart, which serves every acknowledged append', async (t) => {
    // Every journaled append's bytes go to the log (not into its row), so the log's fsyncs are the appends'.
    const env = { OSSD_FAULTS: 'log.sync:4:EIO', OSSD_TEST_FAULTS: '1', OSSD_JOURNAL_FLUSH_MS: '600000', OSSD_JOURNAL_IN_ROWS_MAX: '0' };
    const ossd = await startOssd({ env });
    const dataDir = ossd.dataDir;
    let restarted: Ossd | undefined;
    try {
      await createBucket(ossd, BUCKET);
      const ledger: Attempt[] = [];
      let acked = Buffer.alloc(0);
      let failed: Attempt | undefined;
      for (let i = 0; i < 10 && !failed; i++) {
        const a = await appendAttempt(ossd, BUCKET, 'app', acked.length, randomBody(3000 + i), ledger);
        if (a.state === 'acked') acked = Buffer.concat([acked, a.body]);
        else failed = a;
      }
      assert.ok(failed, 'an append failed');
      injected++;
      assert.equal(failed.status, 500, `the append whose log fsync failed: ${failed.status} ${String(failed.code)}`);
      assert.equal(failed.code, 'InternalError');
      assert.equal(acked.length, 3 * 3000 + 0 + 1 + 2, 'three appends acknowledged before');
      // Nothing can be vouched for now: reads and writes are refused alike.
      assert.equal((await getObject(ossd, BUCKET, 'app')).status, 500);
      assert.equal((await appendAttempt(ossd, BUCKET, 'app', acked.length, randomBody(10), [])).status, 500);
      assert.equal(ossd.proc.exitCode, null, 'no crash');
      await ossd.kill();

      restarted = await startOssd({ dataDir });
      const got = await getObject(restarted, BUCKET, 'app');
      assert.equal(got.status, 200);
      // The unacknowledged append: whole or absent, never partial.
      const withFailed = Buffer.concat([acked, failed.body]);
      assert.ok(got.body.equals(acked) || got.body.equals(withFailed), `acknowledged bytes served, the failed append whole or absent: ${got.body.length} bytes`);
      assert.equal(got.crc, crcOf(got.body));
      assert.equal((await appendAttempt(restarted, BUCKET, 'app', got.body.length, randomBody(100), [])).status, 200);
      t.diagnostic(`the failed append ${got.body.equals(acked) ? 'rolled back' : 'committed'} after the restart`);
    } finally {
      await ossd.kill();
      await restarted?.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reports the faults injected', (t) => {
    t.diagnostic(`fault drivers: ${injected} faults injected into the real server, each answered cleanly`);
    assert.ok(injected >= 6);
  });
});
