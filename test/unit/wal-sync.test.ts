/**
 * WalSync (src/drivers/sqlite/wal-sync.ts): where a commit's WAL fdatasync runs. On the
 * event loop only when the owner says nothing else is going on and no other batch is
 * syncing; otherwise on the thread pool. A failure either way refuses everything after.
 * The fdatasyncs are counted through the driver's own hooks, on a real file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { WalSync, walSyncHooks } from '../../src/drivers/sqlite/wal-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'ossd-wal-sync-'));
const wal = join(dir, 'meta.db-wal');
writeFileSync(wal, 'frames');
after(() => rmSync(dir, { recursive: true, force: true }));

const real = { ...walSyncHooks };
const calls = { onLoop: 0, onPool: 0 };
walSyncHooks.fdatasyncSync = (fd) => {
  calls.onLoop++;
  real.fdatasyncSync(fd);
};
walSyncHooks.fdatasync = (fd) => {
  calls.onPool++;
  return real.fdatasync(fd);
};

describe('WalSync', { timeout: 30_000 }, () => {
  afterEach(() => {
    calls.onLoop = 0;
    calls.onPool = 0;
  });

  it('syncs on the event loop when the owner allows it and nothing else is syncing', async () => {
    const sync = new WalSync(wal, () => true);
    await sync.commit(new Set(['k']));
    assert.deepEqual(calls, { onLoop: 1, onPool: 0 });
    sync.close();
  });

  it('syncs on the thread pool when the owner does not allow it, another batch is syncing, or the batch also waits for the append log', async () => {
    let allowed = false;
    const sync = new WalSync(wal, () => allowed);
    const first = sync.commit(new Set(['a']));
    allowed = true;
    const second = sync.commit(new Set(['b'])); // the first is still syncing
    await Promise.all([first, second]);
    await sync.commit(new Set(['c']), Promise.resolve());
    assert.deepEqual(calls, { onLoop: 0, onPool: 3 });
    sync.close();
  });

  it('a failed fsync on the event loop refuses that batch and every one after, as on the pool', async () => {
    const failing = walSyncHooks.fdatasyncSync;
    walSyncHooks.fdatasyncSync = () => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    };
    try {
      const sync = new WalSync(wal, () => true);
      await assert.rejects(sync.commit(new Set(['k'])), (e: NodeJS.ErrnoException) => e.code === 'EIO');
      assert.ok(sync.failed);
      await assert.rejects(sync.commit(new Set(['k2'])));
      await assert.rejects(sync.barrier('k'));
      sync.close();
    } finally {
      walSyncHooks.fdatasyncSync = failing;
    }
  });
});
