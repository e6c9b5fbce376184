/**
 * The engine's side of the unsettled-blobs registry (src/engine/unsettled.ts) over an
 * in-memory store with the SQLite driver's row rules (src/drivers/sqlite/unsettled-store.ts):
 * a hold is durable before its work starts, a released row goes with the next batch, a
 * row that a commit wrote for a dereferenced blob stays until the file is removed.
 *
 * Fails when release() schedules the clear before the row is written (the failed-add
 * case then reuses a row that does not exist): checked. Fails when hold() always writes a
 * new row (the reuse test counts adds): checked. Fails when flush() deletes the row of a
 * removed blob without waiting for syncRemovals (the power-cut orphans of the merge of the
 * registry): checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnsettledStore } from '../../src/drivers/types.js';
import { UnsettledBlobs } from '../../src/engine/unsettled.js';

class MemoryStore implements UnsettledStore {
  readonly rows = new Map<string, number>();
  adds = 0;
  failNextAdd = false;
  /** Resolves adds only when let go (a slow WAL fsync). */
  gate: Promise<void> = Promise.resolve();

  async add(blob: string, seq: number): Promise<void> {
    this.adds++;
    await this.gate;
    if (this.failNextAdd) {
      this.failNextAdd = false;
      throw Object.assign(new Error('full'), { code: 'SQLITE_FULL' });
    }
    if (this.rows.get(blob) !== 0) this.rows.set(blob, seq);
  }

  /** What a commit that drops the blob's last reference writes (dereferencedSync). */
  dereference(blob: string): void {
    this.rows.set(blob, 0);
  }

  async clear(entries: ReadonlyArray<{ blob: string; seq: number }>): Promise<void> {
    for (const e of entries) if (e.seq === 0 || this.rows.get(e.blob) === e.seq) this.rows.delete(e.blob);
  }

  async list(): Promise<string[]> {
    return [...this.rows.keys()];
  }
}

/** The blob store's side: which removals were made durable (BlobStore.syncRemovals). */
class MemoryFolders {
  readonly synced: string[] = [];
  /** Resolves syncs only when let go (a slow folder fsync). */
  gate: Promise<void> = Promise.resolve();
  fail = false;

  async syncRemovals(blobs: Iterable<string>): Promise<void> {
    const list = [...blobs];
    await this.gate;
    if (this.fail) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    this.synced.push(...list);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('unsettled blobs registry (engine side)', { timeout: 30_000 }, () => {
  it('a hold resolves only once its row is written; the row goes with the batch after release', async () => {
    const store = new MemoryStore();
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const u = new UnsettledBlobs(store, new MemoryFolders(), (e) => assert.fail(String(e)));
    let held = false;
    const h = u.hold('a').then(() => (held = true));
    await tick();
    assert.equal(held, false, 'the work waits for the row');
    open();
    await h;
    assert.deepEqual([...store.rows.keys()], ['a']);
    u.release('a');
    await tick();
    assert.deepEqual([...store.rows.keys()], ['a'], 'deleted in a batch, not at once');
    await u.flush();
    assert.deepEqual([...store.rows.keys()], []);
  });

  it('a hold right after a release reuses the row (consecutive large appends write it once)', async () => {
    const store = new MemoryStore();
    const u = new UnsettledBlobs(store, new MemoryFolders(), (e) => assert.fail(String(e)));
    for (let i = 0; i < 5; i++) {
      await u.hold('b');
      u.release('b');
      await tick();
    }
    assert.equal(store.adds, 1);
    await u.flush();
    assert.equal(store.rows.size, 0);
  });

  it('a row that a commit wrote for a dereferenced blob outlives the hold, until the file is removed', async () => {
    const store = new MemoryStore();
    const u = new UnsettledBlobs(store, new MemoryFolders(), (e) => assert.fail(String(e)));
    await u.hold('c');
    store.dereference('c'); // e.g. a delete of the object commits while an append to it is in flight
    u.release('c');
    await tick();
    await u.flush();
    assert.deepEqual([...store.rows], [['c', 0]], "the hold's clear does not take the commit's row");
    await u.discard('c', async () => undefined);
    await u.flush();
    assert.equal(store.rows.size, 0);
  });

  it('a failed add is never taken for a written row', async () => {
    const store = new MemoryStore();
    const u = new UnsettledBlobs(store, new MemoryFolders(), () => undefined);
    store.failNextAdd = true;
    await assert.rejects(u.hold('d'), { code: 'SQLITE_FULL' });
    u.release('d');
    await tick();
    await u.hold('d');
    assert.equal(store.adds, 2, 'the next hold writes its row');
    assert.deepEqual([...store.rows.keys()], ['d']);
  });

  it('close waits for the work in flight, then deletes what it released', async () => {
    const store = new MemoryStore();
    const u = new UnsettledBlobs(store, new MemoryFolders(), (e) => assert.fail(String(e)));
    await u.hold('e');
    setTimeout(() => u.release('e'), 50);
    await u.close(5000);
    assert.equal(u.inFlight, 0);
    assert.equal(store.rows.size, 0);
  });

  it("a removed blob's row goes only once the removal is durable, in one sync for the batch; a failed sync keeps the rows", async () => {
    const store = new MemoryStore();
    const folders = new MemoryFolders();
    let open!: () => void;
    folders.gate = new Promise((r) => (open = r));
    const errors: unknown[] = [];
    const u = new UnsettledBlobs(store, folders, (e) => errors.push(e));
    for (const blob of ['f', 'g']) {
      store.dereference(blob); // a delete's commit left them unreferenced
      await u.discard(blob, async () => undefined);
    }
    await u.hold('h');
    u.release('h'); // settled, not removed: no sync needed for it
    await tick();
    const flushed = u.flush();
    await tick();
    assert.deepEqual([...store.rows.keys()].sort(), ['f', 'g', 'h'], 'no row goes while the removals may still be undone');
    open();
    await flushed;
    assert.deepEqual(folders.synced.sort(), ['f', 'g'], 'the removed blobs only');
    assert.equal(store.rows.size, 0);

    folders.fail = true;
    store.dereference('i');
    await u.discard('i', async () => undefined);
    await u.flush();
    assert.deepEqual([...store.rows], [['i', 0]], 'the row stays for recovery');
    assert.equal(errors.length, 1, 'the failure is reported');
  });
});
