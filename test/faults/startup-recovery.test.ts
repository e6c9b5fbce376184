/**
 * Start-up work does not grow with the store (issue 15, hole 8; src/engine/recovery.ts,
 * src/engine/unsettled.ts). A store of 2,000 appendable objects and 50 objects in blob
 * files, then:
 * - a clean stop (SIGTERM) and a start: recovery looks at no blob at all. Shown from
 *   outside too: a tail appended by hand to every appendable blob file and a stray file in
 *   blobs/ are left as they are (a recovery that visits objects trims and removes them);
 * - large appends and large PUTs cut mid-body, kill -9, and a start: recovery looks at
 *   exactly the blobs of that work, trims the appends' tails, removes the PUTs' files,
 *   and leaves the hand-made leftovers of the other 1,997 objects alone. The objects read
 *   back as acknowledged;
 * - `ossd sweep` (also while the server runs), then a start: the whole store is swept
 *   once, the hand-made leftovers found; and a data folder from before the registry is
 *   swept whole at its first start.
 *
 * Fails on the code before the registry (recovery scanned every appendable object and
 * every blob file at each start): after the clean stop all 2,000 hand-made tails were
 * trimmed ("2000 !== 0"). Checked by running this file against a build of main. Fails
 * when the hold of a large append is removed from src/engine/append.ts: 3 blobs visited
 * instead of 6, the cut appends' tails stay: checked. Fails when engine.close() no longer
 * settles the registry (src/engine/engine.ts): the clean restart visits the blobs of the
 * writes of the last second before the stop, and trims their hand-made tails: checked.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { appendAttempt, crcOf, randomBody } from '../helpers/fault-appends.js';
import { blobFiles, createBucket, getObject, startPartialUpload, waitFor } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const OSSD = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');
const BUCKET = 'restart';
const APPENDABLES = 2000;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Recovery {
  visitedBlobs: number;
  fullSweep: boolean;
  trimmedAppendables: number;
  removedOrphans: number;
  rolledBackAppends: number;
}

/** The recovery line ossd logs at start (src/server/server.ts). */
function recoveryOf(ossd: Ossd): Recovery {
  const m = /"recovery":(\{[^}]*\})/.exec(ossd.output());
  assert.ok(m, `ossd logged no recovery line:\n${ossd.output().slice(-2000)}`);
  return JSON.parse(m[1]!) as Recovery;
}

/** Runs `f` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await f(items[next++]!);
  }));
}

describe('start-up recovery visits only the work that was in flight', { timeout: 600_000 }, () => {
  it('a clean restart visits no blob; a restart after kill -9 visits only the blobs of the cut work', async () => {
    let ossd = await startOssd();
    const dataDir = ossd.dataDir;
    try {
      await createBucket(ossd, BUCKET);
      const bodies = new Map<string, Buffer>();
      const keys = Array.from({ length: APPENDABLES }, (_, i) => `app/${String(i).padStart(5, '0')}`);
      await pool(keys, 16, async (key) => {
        const body = randomBody(100);
        const a = await appendAttempt(ossd, BUCKET, key, 0, body, []);
        assert.equal(a.status, 200, `append ${key}`);
        bodies.set(key, body);
      });
      await pool(Array.from({ length: 50 }, (_, i) => `file/${i}`), 8, async (key) => {
        assert.equal((await raw(ossd, { method: 'PUT', path: `/${BUCKET}/${key}`, body: randomBody(100 * KiB) })).status, 200);
      });
      await ossd.stop();

      // Leftovers no crash of ossd can make, planted while it is stopped: found only by a scan.
      const owner = new Map([...bodies].map(([key, body]) => [body.toString('hex'), key]));
      const appendableFiles = new Map<string, string>(); // key → file
      for (const f of blobFiles(dataDir)) {
        const key = f.size === 100 ? owner.get(readFileSync(f.path).toString('hex')) : undefined;
        if (key) appendableFiles.set(key, f.path);
      }
      assert.equal(appendableFiles.size, APPENDABLES, 'one blob file per appendable object');
      for (const file of appendableFiles.values()) appendFileSync(file, 'planted tail');
      mkdirSync(join(dataDir, 'blobs', 'ee'), { recursive: true });
      const stray = join(dataDir, 'blobs', 'ee', 'ee'.repeat(16));
      writeFileSync(stray, 'stray');

      ossd = await startOssd({ dataDir });
      const trimmed = [...appendableFiles.values()].filter((f) => statSync(f).size !== 100 + 'planted tail'.length).length;
      assert.equal(trimmed, 0, 'no appendable blob was trimmed');
      assert.equal(readFileSync(stray, 'utf8'), 'stray', 'the blob folder was not listed');
      const clean = recoveryOf(ossd);
      assert.equal(clean.fullSweep, false);
      assert.equal(clean.visitedBlobs, 0, 'a start after a clean stop looks at no blob');

      // Work in flight at a kill: three large appends and three large puts, each cut mid-body.
      const cutKeys = keys.slice(0, 3);
      const uploads = [
        ...cutKeys.map((key) => startPartialUpload(ossd, 'POST', `/${BUCKET}/${key}?append&position=100`, 2 * MiB, MiB)),
        ...[0, 1, 2].map((i) => startPartialUpload(ossd, 'PUT', `/${BUCKET}/cut/${i}`, 2 * MiB, MiB)),
      ];
      await waitFor('the cut bodies mostly on disk', () => {
        const files = blobFiles(dataDir);
        const grown = cutKeys.every((k) => statSync(appendableFiles.get(k)!).size >= 512 * KiB);
        return uploads.every((u) => u.sent() === MiB) && grown && files.filter((f) => f.size >= 512 * KiB).length >= 6;
      }, 60_000); // generous: the machine may be busy with other test files
      await ossd.kill();
      for (const u of uploads) assert.equal((await u.done).status, undefined, 'no answer to a cut body');

      ossd = await startOssd({ dataDir });
      const crashed = recoveryOf(ossd);
      assert.equal(crashed.fullSweep, false);
      assert.equal(crashed.visitedBlobs, 6, 'exactly the blobs of the three appends and the three puts');
      assert.equal(crashed.trimmedAppendables, 3);
      assert.equal(crashed.removedOrphans, 3);
      assert.equal(crashed.rolledBackAppends, 0);
      for (const key of cutKeys) {
        assert.equal(statSync(appendableFiles.get(key)!).size, 100, `${key}: the cut append's tail is trimmed`);
        const got = await getObject(ossd, BUCKET, key);
        assert.equal(got.status, 200);
        assert.ok(got.body.equals(bodies.get(key)!), `${key}: the acknowledged bytes`);
        assert.equal(got.crc, crcOf(bodies.get(key)!));
      }
      for (const i of [0, 1, 2]) assert.equal((await getObject(ossd, BUCKET, `cut/${i}`)).status, 404);
      const untouched = keys.slice(3).filter((k) => statSync(appendableFiles.get(k)!).size === 100 + 'planted tail'.length);
      assert.equal(untouched.length, APPENDABLES - 3, 'the other appendable blobs were not visited');
      assert.equal(readFileSync(stray, 'utf8'), 'stray');
      const sample = await getObject(ossd, BUCKET, keys[APPENDABLES - 1]!);
      assert.ok(sample.body.equals(bodies.get(keys[APPENDABLES - 1]!)!), 'a hand-made tail stays invisible');
      // Appending at the acknowledged length overwrites the hand-made tail.
      const last = keys[APPENDABLES - 1]!;
      const more = randomBody(20);
      assert.equal((await appendAttempt(ossd, BUCKET, last, 100, more, [])).status, 200);
      assert.ok((await getObject(ossd, BUCKET, last)).body.equals(Buffer.concat([bodies.get(last)!, more])));

    } finally {
      await ossd.kill();
      ossd.cleanup();
    }
  });
  it('ossd sweep (also while the server runs), and a folder from before the registry: the next start sweeps the whole store, once', async () => {
    let ossd = await startOssd();
    const dataDir = ossd.dataDir;
    try {
      await createBucket(ossd, BUCKET);
      const bodies = Array.from({ length: 20 }, () => randomBody(100));
      for (const [i, body] of bodies.entries()) assert.equal((await appendAttempt(ossd, BUCKET, `small/${i}`, 0, body, [])).status, 200);
      await ossd.stop();
      const files = blobFiles(dataDir).filter((f) => f.size === 100);
      assert.equal(files.length, 20);
      for (const f of files) appendFileSync(f.path, 'planted tail');
      const stray = join(dataDir, 'blobs', 'ee', 'ee'.repeat(16));
      mkdirSync(join(dataDir, 'blobs', 'ee'), { recursive: true });
      writeFileSync(stray, 'stray');

      ossd = await startOssd({ dataDir });
      assert.equal(recoveryOf(ossd).visitedBlobs, 0);
      const sweep = spawnSync(process.execPath, [OSSD, 'sweep', '--data-dir', dataDir], { encoding: 'utf8' });
      assert.equal(sweep.status, 0, sweep.stderr);
      await ossd.stop();
      ossd = await startOssd({ dataDir });
      const swept = recoveryOf(ossd);
      assert.equal(swept.fullSweep, true);
      assert.equal(swept.trimmedAppendables, 20, 'the hand-made tails are found by the sweep');
      assert.equal(swept.removedOrphans, 1);
      assert.throws(() => statSync(stray), { code: 'ENOENT' });
      assert.ok(files.every((f) => statSync(f.path).size === 100));
      await ossd.stop();
      ossd = await startOssd({ dataDir });
      assert.equal(recoveryOf(ossd).visitedBlobs, 0, 'the sweep was once');

      // A data folder from before the registry (no unsettled_blobs table) is swept whole at its first start.
      await ossd.stop();
      writeFileSync(stray, 'stray again');
      const db = new Database(join(dataDir, 'meta.db'));
      db.exec('DROP TABLE unsettled_blobs');
      db.close();
      ossd = await startOssd({ dataDir });
      const legacy = recoveryOf(ossd);
      assert.equal(legacy.fullSweep, true);
      assert.equal(legacy.removedOrphans, 1);
      for (const [i, body] of bodies.entries()) assert.ok((await getObject(ossd, BUCKET, `small/${i}`)).body.equals(body));
    } finally {
      await ossd.kill();
      ossd.cleanup();
    }
  });
});
