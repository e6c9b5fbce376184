/**
 * Engine and driver rules for symlinks and tags: the symlink_target column is added to a
 * database created before it existed (schema.ts ADDED_COLUMNS), links round-trip through
 * the store, and tag changes racing appends never lose bytes or tags (compare-and-set).
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteMetadataStore } from '../../src/drivers/sqlite/metadata-store.js';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { body, DRIVER_PAIRS, makeEngine, tempDirs } from '../helpers/engine-fixtures.js';
import { OssError } from '../../src/engine/errors.js';

const tempDir = tempDirs('ossd-links-');

async function readAll(engine: Engine, bucket: string, key: string): Promise<string> {
  const { target } = await engine.symlinks.open(bucket, key, async () => undefined);
  try {
    const chunks: Buffer[] = [];
    for await (const c of target.stream(0, target.record.size)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  } finally {
    await target.close();
  }
}

describe('symlink_target column', { timeout: 120_000 }, () => {
  it('is added to an objects table created without it; old rows read as non-links', async () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'meta.db'));
    // The objects table as the first release created it.
    db.exec(`CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
      etag TEXT NOT NULL, crc TEXT NOT NULL, blob TEXT, mtime_ms INTEGER NOT NULL, content_type TEXT NOT NULL,
      headers TEXT NOT NULL, meta TEXT NOT NULL, acl TEXT NOT NULL, tags TEXT NOT NULL, storage_class TEXT NOT NULL,
      revision INTEGER NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID`);
    db.prepare(`INSERT INTO objects VALUES ('b', 'old', 'Normal', 0, 'E', '0', NULL, 1, 'text/plain', '{}', '{}', 'default', '[["a","1"]]', 'Standard', 7)`).run();
    db.close();

    const store = new SqliteMetadataStore(dir);
    const old = await store.getObject('b', 'old');
    assert.ok(old);
    assert.equal(old.symlinkTarget, undefined);
    assert.deepEqual(old.tags, [['a', '1']]);
    const link = { ...old, type: 'Symlink' as const, symlinkTarget: 'dir/t é', revision: 8 };
    assert.equal((await store.compareAndSwap('b', 'old', 7, link)).ok, true);
    await store.close();

    const reopened = new SqliteMetadataStore(dir);
    assert.equal((await reopened.getObject('b', 'old'))?.symlinkTarget, 'dir/t é');
    const back = { ...link, type: 'Normal' as const, symlinkTarget: undefined, revision: 9 };
    assert.equal((await reopened.compareAndSwap('b', 'old', 8, back)).ok, true);
    assert.equal((await reopened.getObject('b', 'old'))?.symlinkTarget, undefined, 'a put over a link clears the target');
    await reopened.close();
  });
});

for (const pair of DRIVER_PAIRS) {
  describe(`engine: symlinks and tags (${pair})`, { timeout: 120_000 }, () => {
    it('a link follows to its target; missing and chained targets are errors; GetSymlink refuses non-links', async () => {
      const engine = await makeEngine(tempDir(), pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      await engine.objects.put('b', 't', body('target'), emptyAttributes(), false);
      await engine.symlinks.put('b', 'l', 't', emptyAttributes(), false);
      assert.equal(await readAll(engine, 'b', 'l'), 'target');
      assert.equal((await engine.symlinks.get('b', 'l')).symlinkTarget, 't');
      await assert.rejects(engine.symlinks.get('b', 't'), (e: OssError) => e.code === 'NotSymlink');

      await engine.symlinks.put('b', 'dangling', 'missing', emptyAttributes(), false);
      await assert.rejects(readAll(engine, 'b', 'dangling'), (e: OssError) => e.code === 'SymlinkTargetNotExist');
      await engine.symlinks.put('b', 'chain', 'l', emptyAttributes(), false);
      await assert.rejects(engine.symlinks.head('b', 'chain', async () => undefined), (e: OssError) => e.code === 'InvalidTargetType');
      await assert.rejects(engine.symlinks.put('b', 'l', 'x', emptyAttributes(), true), (e: OssError) => e.code === 'FileAlreadyExists');

      let checked = '';
      await engine.symlinks.head('b', 'l', async (k) => void (checked = k));
      assert.equal(checked, 't', 'the target is checked before it is read');
      await engine.close();
    });

    it('tag changes racing appends lose neither bytes nor tags; type, ETag and CRC are the append\'s', async () => {
      const engine = await makeEngine(tempDir(), pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      let position = 0;
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < 20; i++) {
        const part = `part${i};`;
        const rec = await engine.objects.append('b', 'log', position, body(part), emptyAttributes());
        position = rec.size;
        work.push(engine.objects.setTags('b', 'log', [['i', String(i)]]));
      }
      await Promise.all(work);
      const rec = await engine.objects.head('b', 'log');
      assert.equal(rec.type, 'Appendable');
      assert.equal(rec.size, position);
      assert.equal(rec.tags.length, 1);
      const before = { etag: rec.etag, crc: rec.crc, size: rec.size, mtimeMs: rec.mtimeMs };
      await engine.objects.setTags('b', 'log', [['final', 'yes']]);
      const after = await engine.objects.head('b', 'log');
      assert.deepEqual({ etag: after.etag, crc: after.crc, size: after.size, mtimeMs: after.mtimeMs }, before);
      assert.deepEqual(after.tags, [['final', 'yes']]);
      assert.equal(await readAll(engine, 'b', 'log'), Array.from({ length: 20 }, (_, i) => `part${i};`).join(''));
      await engine.close();
    });
  });
}
