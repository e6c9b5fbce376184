/**
 * Objects and bytes per bucket (drivers/sqlite/usage-store.ts): the counters kept by
 * triggers on every commit equal an aggregate over the rows after puts, appends, copies,
 * multipart uploads, deletes and versioned deletes, survive a restart, and a store from
 * before the counters gets them filled once when it is opened.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { body, DRIVER_PAIRS, makeEngine, metadataSql, tempDirs } from '../helpers/engine-fixtures.js';
import { versionIdOf } from '../../src/engine/model.js';

const tempDir = tempDirs('ossd-usage-');

type Usage = Array<{ bucket: string; objects: number; bytes: number; noncurrentVersions: number; noncurrentBytes: number }>;

/** What the counters must say, computed the slow way: an aggregate over every row (SQL both stores run). */
async function aggregate(dir: string, pair = 'sqlite+file'): Promise<Usage> {
  const db = await metadataSql(dir, pair);
  try {
    const rows = await db.query(`
      SELECT b.name AS bucket,
        (SELECT count(*) FROM objects o WHERE o.bucket = b.name) AS "objects",
        (SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM objects o WHERE o.bucket = b.name) AS "bytes",
        (SELECT count(*) FROM object_versions v WHERE v.bucket = b.name AND NOT delete_marker) AS "noncurrentVersions",
        (SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM object_versions v WHERE v.bucket = b.name AND NOT delete_marker) AS "noncurrentBytes"
      FROM buckets b ORDER BY b.name`);
    return rows.map((r) => ({ ...r })) as Usage;
  } finally {
    await db.close();
  }
}

/**
 * The engine's usage figures once they include every commit made so far: the PostgreSQL
 * store serves them from a cache refreshed after commits (postgres/usage-cache.ts).
 */
async function usageNow(engine: Engine): Promise<Usage> {
  const meta = engine.meta as { refreshUsage?: () => Promise<void> };
  await meta.refreshUsage?.();
  return engine.bucketUsage();
}

const attrs = emptyAttributes();

async function workload(engine: Engine): Promise<void> {
  await engine.buckets.create('b', 'private', 'Standard', 'LRS');
  await engine.buckets.create('empty', 'private', 'Standard', 'LRS');
  await engine.objects.put('b', 'small', body('12345'), attrs, false);
  await engine.objects.put('b', 'big', body(Buffer.alloc(200_000, 7)), attrs, false);
  await engine.objects.put('b', 'small', body('123'), attrs, false);
  const a = await engine.objects.append('b', 'log', 0, body('hello '), attrs);
  await engine.objects.append('b', 'log', a.size, body('world'), attrs);
  await engine.objects.copy('b', 'copy', { source: { bucket: 'b', key: 'big' }, conditions: {}, metadataDirective: 'COPY', attrs, forbidOverwrite: false });
  const up = await engine.multipart.initiate('b', 'mp', attrs, false);
  await engine.multipart.uploadPart('b', 'mp', up.uploadId, 1, body(Buffer.alloc(100 * 1024, 1)));
  await engine.multipart.uploadPart('b', 'mp', up.uploadId, 2, body('tail'));
  await engine.multipart.complete('b', 'mp', up.uploadId, { parts: 'all', forbidOverwrite: false });
  await engine.objects.delete('b', 'copy');
  // Versioned: an overwrite keeps a noncurrent version, a delete adds a marker (not counted).
  await engine.buckets.setVersioning('b', 'Enabled');
  const first = await engine.objects.put('b', 'v', body('version one'), attrs, false);
  await engine.objects.put('b', 'v', body('two'), attrs, false);
  await engine.objects.delete('b', 'small');
  await engine.objects.delete('b', 'v', versionIdOf(first));
}

for (const pair of DRIVER_PAIRS) {
  describe(`bucket usage counters (${pair})`, { timeout: 60_000 }, () => {
    // Fails when a trigger of usage-store.ts is removed (e.g. bucket_usage_object_resize: the appends' bytes are missing): checked.
    it('equal an aggregate over the rows after every kind of write, and after a restart', async () => {
      const dir = tempDir();
      let engine = await makeEngine(dir, pair);
      await workload(engine);
      const expected = await aggregate(dir, pair);
      assert.deepEqual(expected.find((u) => u.bucket === 'b'), {
        bucket: 'b', objects: 4, bytes: 200_000 + 11 + 100 * 1024 + 4 + 3, noncurrentVersions: 1, noncurrentBytes: 3,
      });
      assert.deepEqual(await usageNow(engine), expected);
      await engine.close();
      engine = await makeEngine(dir, pair);
      assert.deepEqual(await usageNow(engine), expected);
      await engine.buckets.delete('empty');
      assert.deepEqual((await usageNow(engine)).map((u) => u.bucket), ['b']);
      await engine.close();
    });
  });
}

describe('bucket usage counters of an older store', { timeout: 60_000 }, () => {
  // Fails when the SEED statements of usage-store.ts are left out: checked.
  it('are filled once from the rows when a store from before them is opened', async () => {
    const dir = tempDir();
    let engine = await makeEngine(dir);
    await workload(engine);
    await engine.close();
    const db = new Database(join(dir, 'meta.db'));
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bucket_usage_%'").pluck().all() as string[]) db.exec(`DROP TRIGGER ${t}`);
    db.exec('DROP TABLE bucket_usage');
    db.close();
    engine = await makeEngine(dir);
    assert.deepEqual(engine.bucketUsage(), await aggregate(dir));
    await engine.objects.put('b', 'after-upgrade', body('x'), attrs, false);
    assert.deepEqual(engine.bucketUsage(), await aggregate(dir));
    await engine.close();
  });
});
