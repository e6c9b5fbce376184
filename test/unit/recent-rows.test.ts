/**
 * The SQLite store's recently read and written rows (src/drivers/sqlite/recent-rows.ts):
 * a kept row serves reads and compare-and-sets only while the database row still has
 * its revision. Real SQLite in a temporary folder; a second connection plays another
 * writer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/drivers/sqlite/metadata-store.js';
import type { CommittedBytes } from '../../src/drivers/types.js';
import type { ObjectRecord } from '../../src/engine/model.js';
import { nextRevision } from '../../src/engine/revision.js';
import { tempDirs } from '../helpers/engine-fixtures.js';

const tempDir = tempDirs('ossd-recent-rows-');

function record(key: string, size: number, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    bucket: 'b',
    key,
    type: 'Appendable',
    size,
    etag: `"E${size}"`,
    crc: String(size * 7),
    blob: '0123456789abcdef0123456789abcdef',
    mtimeMs: 1_700_000_000_000 + size,
    contentType: 'text/plain',
    headers: { 'Cache-Control': 'no-cache' },
    meta: { owner: 'me' },
    acl: 'default',
    tags: [['t', 'v']],
    storageClass: 'Standard',
    revision: nextRevision(),
    appendBase: { size: 0, crc: '0' },
    ...extra,
  };
}

async function storeWithBucket(): Promise<{ dir: string; meta: SqliteMetadataStore }> {
  const dir = tempDir();
  const meta = new SqliteMetadataStore(dir);
  await meta.insertBucket({ name: 'b', createdMs: 1, acl: 'private', storageClass: 'Standard', redundancy: 'LRS' });
  return { dir, meta };
}

describe('recently written object rows', { timeout: 30_000 }, () => {
  it('serve the record a fresh read of the database returns, whatever fields it has', async () => {
    const { dir, meta } = await storeWithBucket();
    const written = [
      record('plain', 1),
      record('versioned', 2, { versionId: 'CAEQ-version', type: 'Normal', appendBase: undefined }),
      record('null-version', 3, { versionId: 'null', type: 'Normal', appendBase: undefined }),
      record('link', 4, { type: 'Symlink', symlinkTarget: 'plain', appendBase: undefined }),
    ];
    for (const r of written) assert.equal((await meta.compareAndSwap('b', r.key, null, r)).ok, true);
    const fresh = new SqliteMetadataStore(dir);
    try {
      for (const r of written) assert.deepEqual(await meta.getObject('b', r.key), await fresh.getObject('b', r.key), r.key);
    } finally {
      await fresh.close();
      await meta.close();
    }
  });

  it('are read again once another writer gave the row a new revision', async () => {
    const { dir, meta } = await storeWithBucket();
    const first = record('k', 10);
    await meta.compareAndSwap('b', 'k', null, first);
    assert.equal((await meta.getObject('b', 'k'))?.size, 10);
    const other = new Database(join(dir, 'meta.db'));
    const moved = nextRevision();
    other.prepare('UPDATE objects SET size = 25, revision = ? WHERE bucket = ? AND key = ?').run(moved, 'b', 'k');
    other.close();
    const now = await meta.getObject('b', 'k');
    assert.equal(now?.size, 25);
    assert.equal(now?.revision, moved);
    // The compare-and-set checks the row too: the kept revision is no longer the row's.
    const stale = await meta.compareAndSwap('b', 'k', first.revision, record('k', 11));
    assert.equal(stale.ok, false);
    assert.equal(stale.ok ? undefined : stale.current?.size, 25);
    await meta.close();
  });

  it('are not served when the write that kept them was rolled back', async () => {
    const { meta } = await storeWithBucket();
    const first = record('k', 10);
    await meta.compareAndSwap('b', 'k', null, first);
    // The row is replaced, then the journal insert of the same write throws: its savepoint rolls back.
    const broken = { kind: 'journal', blob: first.blob, offset: 10, data: undefined } as unknown as CommittedBytes;
    await assert.rejects(meta.compareAndSwap('b', 'k', first.revision, record('k', 20), broken));
    assert.equal((await meta.getObject('b', 'k'))?.revision, first.revision);
    assert.equal((await meta.getObject('b', 'k'))?.size, 10);
    const next = record('k', 30);
    assert.equal((await meta.compareAndSwap('b', 'k', first.revision, next)).ok, true);
    assert.equal((await meta.getObject('b', 'k'))?.size, 30);
    await meta.close();
  });

  it('are forgotten with a deleted row', async () => {
    const { meta } = await storeWithBucket();
    const first = record('k', 10);
    await meta.compareAndSwap('b', 'k', null, first);
    assert.equal((await meta.compareAndSwap('b', 'k', first.revision, null)).ok, true);
    assert.equal(await meta.getObject('b', 'k'), undefined);
    assert.equal((await meta.compareAndSwap('b', 'k', first.revision, record('k', 11))).ok, false);
    await meta.close();
  });
});
