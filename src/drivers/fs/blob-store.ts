/**
 * Local-file blob driver. Layout under the data folder:
 *   blobs/<first two hex chars>/<32-hex blob id>   one file per blob
 *   staging/                                      reserved for interrupted writes; emptied at start
 * A new blob is created with O_EXCL in its final place; it becomes visible to clients
 * only when the metadata store commits a row pointing at it, so an interrupted write is
 * an unreferenced file that recovery removes (the engine records it as unsettled before
 * creating it, engine/unsettled.ts). Appendable objects grow in place:
 * bytes beyond the committed length are invisible and are cut off on failure or at
 * recovery. Descriptors of appendable blobs stay open between appends (writer-cache.ts).
 */
import { randomBytes } from 'node:crypto';
import fs, { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RemovalHolds } from '../removal-holds.js';
import type { BlobReader, BlobStore, BlobWriter } from '../types.js';
import { closeFd, DirSyncer, dropWritten, fdatasyncFd, fsyncDir, ftruncateFd, openFd, readFd, writevFd } from './fd.js';
import { WriterCache } from './writer-cache.js';

const BLOB_ID = /^[0-9a-f]{32}$/;

export class FsBlobStore implements BlobStore {
  /** Files grow in place: appends write beyond the committed length (append.ts). */
  readonly mutable = true;
  private readonly blobsDir: string;
  private readonly stagingDir: string;
  /** Shard folders already known to exist (and to have been fsynced into blobs/). */
  private readonly knownShards = new Set<string>();
  private readonly dirSyncer = new DirSyncer();
  private readonly writers = new WriterCache(256);
  /** New blobs whose directory entry has not been fsynced yet (syncBlob does it once). */
  private readonly unsyncedEntries = new Set<string>();
  /** holdRemovals(): remove() waits while a backup holds them. */
  private readonly removalHolds = new RemovalHolds();

  constructor(dataDir: string) {
    this.blobsDir = join(dataDir, 'blobs');
    this.stagingDir = join(dataDir, 'staging');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.blobsDir, { recursive: true });
    await fsp.mkdir(this.stagingDir, { recursive: true });
  }

  newBlobId(): string {
    return randomBytes(16).toString('hex');
  }

  private shardOf(blob: string): string {
    if (!BLOB_ID.test(blob)) throw new Error(`invalid blob id ${JSON.stringify(blob)}`);
    return join(this.blobsDir, blob.slice(0, 2));
  }

  private pathOf(blob: string): string {
    return join(this.shardOf(blob), blob);
  }

  private async ensureShard(shard: string): Promise<void> {
    if (this.knownShards.has(shard)) return;
    await fsp.mkdir(shard, { recursive: true });
    await this.dirSyncer.sync(this.blobsDir);
    this.knownShards.add(shard);
  }

  async openWriter(blob: string, create: boolean): Promise<BlobWriter> {
    const shard = this.shardOf(blob);
    if (!create) {
      const fd = await this.writers.acquire(blob, () => openFd(join(shard, blob), constants.O_RDWR));
      return new FdBlobWriter(fd, undefined, this.dirSyncer, () => this.writers.release(blob));
    }
    await this.ensureShard(shard);
    const fd = await openFd(join(shard, blob), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
    this.unsyncedEntries.add(blob);
    return new FdBlobWriter(fd, shard, this.dirSyncer, () => closeFd(fd), () => this.unsyncedEntries.delete(blob));
  }

  async openReader(blob: string): Promise<BlobReader> {
    return new FdBlobReader(await openFd(this.pathOf(blob), 'r'));
  }

  async syncBlob(blob: string): Promise<boolean> {
    let writer: BlobWriter;
    try {
      writer = await this.openWriter(blob, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    try {
      // The directory too, once, for a new blob: the journal may hold its only durable record.
      const entry = this.unsyncedEntries.delete(blob) ? this.dirSyncer.sync(this.shardOf(blob)) : undefined;
      await Promise.all([writer.sync(), entry]);
    } finally {
      await writer.close();
    }
    return true;
  }

  async writeAt(blob: string, offset: number, data: Buffer): Promise<void> {
    const shard = this.shardOf(blob);
    await this.ensureShard(shard);
    const fd = await openFd(join(shard, blob), constants.O_RDWR | constants.O_CREAT, 0o644);
    const writer = new FdBlobWriter(fd, shard, this.dirSyncer, () => closeFd(fd));
    try {
      await writer.write([data], offset);
      await writer.sync();
    } finally {
      await writer.close();
    }
  }

  async remove(blob: string): Promise<void> {
    await this.removalHolds.wait();
    this.writers.forget(blob);
    this.unsyncedEntries.delete(blob);
    try {
      await fsp.unlink(this.pathOf(blob));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async syncRemovals(blobs: Iterable<string>): Promise<void> {
    const shards = new Set<string>();
    for (const blob of blobs) if (BLOB_ID.test(blob)) shards.add(this.shardOf(blob));
    // DirSyncer: an fsync that starts after these unlinks, shared with concurrent callers.
    // A folder that does not exist holds no entry to make durable (a blob never created).
    const sync = (shard: string): Promise<void> =>
      this.dirSyncer.sync(shard).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      });
    await Promise.all([...shards].map(sync));
  }

  async size(blob: string): Promise<number | undefined> {
    try {
      return (await fsp.stat(this.pathOf(blob))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async truncate(blob: string, length: number): Promise<void> {
    const fd = await openFd(this.pathOf(blob), 'r+');
    try {
      await ftruncateFd(fd, length);
      await fdatasyncFd(fd);
    } finally {
      await closeFd(fd);
    }
  }

  async *list(): AsyncIterable<string> {
    for (const shard of (await fsp.readdir(this.blobsDir)).sort()) {
      let names: string[];
      try {
        names = await fsp.readdir(join(this.blobsDir, shard));
      } catch {
        continue;
      }
      for (const name of names) if (BLOB_ID.test(name)) yield name;
    }
  }

  holdRemovals(): () => void {
    return this.removalHolds.hold();
  }

  /**
   * Copies every blob file into `dir`/blobs/, or with `link` hard-links it (copies it when
   * `dir` is on another file system), then makes the copies and folders durable. A hard
   * link shares the file: such a backup guards against deletes, overwrites and metadata
   * damage, not against the file's bytes being damaged or the disk failing.
   */
  async exportTo(dir: string, link: boolean): Promise<{ linked: number; copied: number }> {
    const out = { linked: 0, copied: 0 };
    const shards = new Set<string>();
    for await (const blob of this.list()) {
      const shard = join(dir, 'blobs', blob.slice(0, 2));
      if (!shards.has(shard)) {
        await fsp.mkdir(shard, { recursive: true });
        shards.add(shard);
      }
      const target = join(shard, blob);
      try {
        if (!link) throw Object.assign(new Error('copy'), { code: 'COPY' });
        await fsp.link(this.pathOf(blob), target);
        out.linked++;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // removed before the hold: nothing the snapshot refers to
        if (code !== 'COPY' && code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
        try {
          await fsp.copyFile(this.pathOf(blob), target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        const fd = await openFd(target, 'r+');
        try {
          await fdatasyncFd(fd);
        } finally {
          await closeFd(fd);
        }
        out.copied++;
      }
    }
    for (const shard of shards) await fsyncDir(shard);
    await fsyncDir(join(dir, 'blobs')).catch(() => undefined);
    return out;
  }

  async clearStaging(): Promise<void> {
    for (const name of await fsp.readdir(this.stagingDir)) {
      await fsp.rm(join(this.stagingDir, name), { recursive: true, force: true });
    }
    await fsyncDir(this.stagingDir);
  }
}

/**
 * Early writeback: once this many bytes have been written since the last fdatasync, one
 * is started in the background (at most one at a time per writer). Linux would otherwise
 * leave a large body in the page cache until the final fdatasync, which then waits for
 * all of it (35 ms for 64 MiB here); started early, the disk writes while the rest of the
 * body still arrives and the final fdatasync has only the tail left. Node has no
 * sync_file_range, the usual tool for this, so a plain fdatasync it is.
 */
const EARLY_SYNC_BYTES = Number(process.env.OSSD_EARLY_SYNC_BYTES ?? 1024 * 1024);

/**
 * Writes up to this size are made on the event loop (writevSync): copying a few KiB
 * into the page cache takes microseconds, less than handing it to a pool thread and
 * waking the loop again (a small append's write is then no longer a round trip). SQLite
 * writes its WAL frames the same way.
 */
const SYNC_WRITE_MAX = 64 * 1024;

/**
 * Early fdatasyncs in flight across all writers at most. Many concurrent uploads each
 * syncing every MiB made many more journal commits for the same bytes (64 concurrent
 * 64 MiB puts slowed down); past this a writer just skips its early sync, and its
 * final fdatasync covers the bytes.
 */
const EARLY_SYNCS_MAX = 2;
let earlySyncs = 0;

/** A blob writer's fdatasync, replaceable by the OSSD_FAULTS test hook only (drivers/faults-config.ts). */
export const blobSyncHooks = { fdatasync: fdatasyncFd };

class FdBlobWriter implements BlobWriter {
  private unsynced = 0;
  private background: Promise<void> | undefined;
  /** A failed background fdatasync: the data may not be on disk, and the kernel reports it only once. */
  private backgroundFailure: unknown;

  constructor(
    private readonly fd: number,
    /** Set for a new file: its directory entry must be fsynced once too. */
    private newInDir: string | undefined,
    private readonly dirSyncer: DirSyncer,
    private readonly release: () => Promise<void>,
    /** Called once the new file's directory entry is durable. */
    private readonly entrySynced?: () => void,
  ) {}

  async write(chunks: readonly Buffer[], position: number): Promise<void> {
    const rest = chunks.filter((c) => c.length > 0);
    const inline = rest.reduce((n, c) => n + c.length, 0) <= SYNC_WRITE_MAX;
    let at = position;
    while (rest.length > 0) {
      // A short write (a full disk reports ENOSPC on the next call) continues where it stopped.
      const n = inline ? fs.writevSync(this.fd, rest, at) : await writevFd(this.fd, rest, at);
      at += n;
      this.unsynced += n;
      dropWritten(rest, n);
    }
    if (EARLY_SYNC_BYTES > 0 && this.unsynced >= EARLY_SYNC_BYTES && !this.background && earlySyncs < EARLY_SYNCS_MAX) this.startBackgroundSync();
  }

  private startBackgroundSync(): void {
    this.unsynced = 0;
    earlySyncs++;
    this.background = blobSyncHooks.fdatasync(this.fd)
      .catch((e: unknown) => {
        this.backgroundFailure ??= e;
      })
      .finally(() => {
        earlySyncs--;
        this.background = undefined;
      });
  }

  async sync(): Promise<void> {
    await this.background;
    if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
    this.unsynced = 0;
    const dir = this.newInDir;
    this.newInDir = undefined;
    // The data and the new directory entry are independent: flush both at once.
    await Promise.all([blobSyncHooks.fdatasync(this.fd), dir === undefined ? undefined : this.dirSyncer.sync(dir).then(this.entrySynced)]);
  }

  async truncate(length: number): Promise<void> {
    await this.background;
    return ftruncateFd(this.fd, length);
  }

  async close(): Promise<void> {
    // Never release the descriptor under a running fdatasync: its number could be reused.
    await this.background;
    return this.release();
  }
}

class FdBlobReader implements BlobReader {
  constructor(private readonly fd: number) {}

  stream(start: number, end: number): Readable {
    return new FdRangeStream(this.fd, start, end);
  }

  async read(start: number, end: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(end - start, 0));
    let done = 0;
    while (done < buf.length) {
      const n = await readFd(this.fd, buf, done, buf.length - done, start + done);
      if (n === 0) throw new Error('blob is shorter than its committed length');
      done += n;
    }
    return buf;
  }

  readAt(buf: Buffer, position: number): Promise<number> {
    return readFd(this.fd, buf, 0, buf.length, position);
  }

  close(): Promise<void> {
    return closeFd(this.fd);
  }
}

/** 1 MiB reads: fewer syscalls for large objects (the bench's `minimal` does the same). */
const READ_CHUNK = 1024 * 1024;

/**
 * Bytes [start, end) of a descriptor as a stream. Not fs.createReadStream: a stream over a
 * raw fd closes that fd when destroyed (a client gone mid-download), autoClose: false
 * notwithstanding, and the reader's own close() would then close whatever file or socket
 * had reused the number. This stream never closes the descriptor; the reader does.
 */
class FdRangeStream extends Readable {
  private position: number;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: READ_CHUNK });
    this.position = start;
  }

  override _read(): void {
    const want = Math.min(READ_CHUNK, this.end - this.position);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(want);
    readFd(this.fd, buf, 0, want, this.position).then(
      (n) => {
        if (n === 0) return this.destroy(new Error('blob is shorter than its committed length'));
        this.position += n;
        this.push(n === want ? buf : buf.subarray(0, n));
      },
      (e: Error) => this.destroy(e),
    );
  }
}
