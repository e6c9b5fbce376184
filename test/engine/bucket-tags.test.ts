/**
 * Bucket tags in the metadata store (issue 16): the `tags` column is added to a buckets
 * table made before it existed (schema.ts ADDED_COLUMNS), tags survive reopening the data
 * folder, other bucket changes keep them, and the ListBuckets tag filter pages correctly.
 * Fails when `tags` is left out of updateBucket's SQL or of bucketToRow: checked.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DRIVER_PAIRS, makeEngine, tempDirs } from '../helpers/engine-fixtures.js';

const tempDir = tempDirs('ossd-bucket-tags-');

describe('bucket tags in the store', { timeout: 120_000 }, () => {
  it('an old buckets table gains the column; tags persist across reopening and other bucket changes', async () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'meta.db'));
    // The buckets table as the first release created it.
    db.exec('CREATE TABLE buckets (name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, acl TEXT NOT NULL, storage_class TEXT NOT NULL, redundancy TEXT NOT NULL) WITHOUT ROWID');
    db.prepare("INSERT INTO buckets VALUES ('old', 1, 'private', 'Standard', 'LRS')").run();
    db.close();

    const engine = await makeEngine(dir);
    assert.equal((await engine.buckets.require('old')).tags, undefined);
    await engine.buckets.setTags('old', [['team', 'red'], ['env', '']]);
    await engine.buckets.setAcl('old', 'public-read');
    await engine.buckets.setVersioning('old', 'Enabled');
    await engine.close();

    const reopened = await makeEngine(dir);
    const b = await reopened.buckets.require('old');
    assert.deepEqual(b.tags, [['team', 'red'], ['env', '']]);
    assert.equal(b.acl, 'public-read');
    await reopened.buckets.setTags('old', []);
    assert.equal((await reopened.buckets.require('old')).tags, undefined);
    await reopened.close();
  });
});

for (const pair of DRIVER_PAIRS) {
  describe(`bucket tag filter (${pair})`, { timeout: 120_000 }, () => {
    it('tags, ACL and versioning persist across reopening the store', async () => {
      const dir = tempDir();
      const engine = await makeEngine(dir, pair);
      await engine.buckets.create('kept', 'private', 'Standard', 'LRS');
      await engine.buckets.setTags('kept', [['team', 'red'], ['env', '']]);
      await engine.buckets.setAcl('kept', 'public-read');
      await engine.buckets.setVersioning('kept', 'Enabled');
      await engine.close();
      const reopened = await makeEngine(dir, pair);
      const b = await reopened.buckets.require('kept');
      assert.deepEqual([b.tags, b.acl, b.versioning], [[['team', 'red'], ['env', '']], 'public-read', 'Enabled']);
      await reopened.buckets.setTags('kept', []);
      assert.equal((await reopened.buckets.require('kept')).tags, undefined);
      await reopened.close();
    });

    it('the tag filter keeps name order, marker and limit', async () => {
      const engine = await makeEngine(tempDir(), pair);
      for (let i = 0; i < 12; i++) {
        const name = `b-${String(i).padStart(2, '0')}`;
        await engine.buckets.create(name, 'private', 'Standard', 'LRS');
        if (i % 3 === 0) await engine.buckets.setTags(name, [['k', i % 2 === 0 ? 'even' : 'odd']]);
      }
      const names = async (marker: string, limit: number, value?: string): Promise<string[]> =>
        (await engine.buckets.list('b-', marker, limit, value === undefined ? { key: 'k' } : { key: 'k', value })).map((b) => b.name);
      assert.deepEqual(await names('', 100), ['b-00', 'b-03', 'b-06', 'b-09']);
      assert.deepEqual(await names('', 2), ['b-00', 'b-03']);
      assert.deepEqual(await names('b-03', 100), ['b-06', 'b-09']);
      assert.deepEqual(await names('', 100, 'odd'), ['b-03', 'b-09']);
      await engine.close();
    });
  });
}
