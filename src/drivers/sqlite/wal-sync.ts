/**
 * Durability of group commits without blocking the event loop. SQLite runs with
 * synchronous=NORMAL (a commit writes its WAL frames but does not fsync them) and we
 * fdatasync the WAL file ourselves on libuv's thread pool, then resolve the batch's
 * writes. That is what synchronous=FULL does (fsync the WAL after each commit), minus
 * the main thread waiting for the disk: the next batch forms while this one syncs.
 * (Checkpoints keep NORMAL's rule: the WAL is synced before, the database after.)
 *
 * One exception: when the store's owner says nothing else is going on (`syncOnLoop`: the
 * server has no request in flight but the one committing) and no other batch is syncing,
 * the fdatasync runs on the event loop. Nobody waits behind it then, and the thread-pool
 * round trip it saves (two thread wake-ups) was a sixth of a lone client's append:
 * durable 4 KiB appends from one client 1,230 -> 1,435 ops/s. A request that arrives
 * meanwhile waits for that one fsync at most.
 *
 * A committed batch is visible to SQLite readers before its fsync returns, so reads wait
 * at a barrier until no batch touching their key is still pending: nobody can observe a
 * write that a crash could still take back.
 */
import fs from 'node:fs';
import { fdatasyncFd } from '../fs/fd.js';

/** The WAL's fdatasync, replaceable by the OSSD_FAULTS test hook only (drivers/faults-config.ts). */
export const walSyncHooks = { fdatasync: fdatasyncFd, fdatasyncSync: (fd: number): void => fs.fdatasyncSync(fd) };

/** Keys a batch touched; null: it may have touched anything (reads of every key wait). */
export type TouchedKeys = Set<string> | null;

interface PendingBatch {
  keys: TouchedKeys;
  done: Promise<void>;
}

export class WalSync {
  private fd: number | undefined;
  private syncing: PendingBatch[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly walPath: string,
    /** Whether a WAL fsync may run on the event loop now (see above). */
    private readonly syncOnLoop: () => boolean = () => false,
  ) {}

  /**
   * After a COMMIT: resolves once the batch is on disk, its WAL frames and whatever else
   * it wrote (`alsoSyncing`: the append log's fdatasync, sqlite/append-log.ts).
   */
  commit(keys: TouchedKeys, alsoSyncing?: Promise<void>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    // The WAL exists once a first transaction has been written; it stays while we hold the connection.
    this.fd ??= fs.openSync(this.walPath, 'r');
    const batch: PendingBatch = { keys, done: Promise.resolve() };
    const synced = !alsoSyncing && this.syncing.length === 0 && this.syncOnLoop() ? fdatasyncOnLoop(this.fd) : walSyncHooks.fdatasync(this.fd);
    batch.done = (alsoSyncing ? Promise.all([synced, alsoSyncing]) : synced).then(
      () => {
        this.syncing = this.syncing.filter((b) => b !== batch);
      },
      (e: Error) => {
        // The database now holds commits that may not be on disk: nothing more can be
        // promised until a restart runs recovery. Refuse everything from here on.
        this.failure = Object.assign(new Error(`metadata fsync failed (WAL or append log), restart required: ${e.message}`), {
          code: (e as NodeJS.ErrnoException).code ?? 'EIO',
          // This batch may or may not be on disk (types.ts outcomeUnknown).
          outcomeUnknown: true,
        });
        throw this.failure;
      },
    );
    this.syncing.push(batch);
    return batch.done;
  }

  /** Whether a batch that may have touched `key` is not yet on disk. */
  mayBeSyncing(key: string): boolean {
    return this.syncing.some((b) => mayHaveTouched(b, key));
  }

  /** Set once a WAL fsync failed: from then on no write may even be attempted. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Waits until no pending batch may have touched `key` (every pending batch when undefined). */
  async barrier(key?: string): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const blocking = this.syncing.find((b) => key === undefined || mayHaveTouched(b, key));
      if (!blocking) return;
      await blocking.done.catch(() => undefined);
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function mayHaveTouched(batch: PendingBatch, key: string): boolean {
  return batch.keys === null || batch.keys.has(key);
}

function fdatasyncOnLoop(fd: number): Promise<void> {
  try {
    walSyncHooks.fdatasyncSync(fd);
    return Promise.resolve();
  } catch (e) {
    return Promise.reject(e as Error);
  }
}
