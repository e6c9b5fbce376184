/**
 * Moves journaled appends out of the metadata database (drivers journal-store.ts). A
 * journaled append to an existing blob is acknowledged once its journal row is
 * committed, without touching the blob's file: its bytes are staged here, in memory,
 * and readers take them from here (staged-read.ts). Every flushMs() the flusher writes
 * the staged bytes of each blob into its file with one writev, fdatasyncs it, and then
 * deletes the journal rows below the length synced. So a burst of small appends costs
 * one file write and one fdatasync per blob per flush, all off the request path. A
 * blob removed meanwhile just loses its staged bytes and rows.
 */
import type { BlobStore, MetadataStore } from '../drivers/types.js';

/** How long journaled bytes may wait for their blob's fdatasync (OSSD_JOURNAL_FLUSH_MS for tests). */
function flushMs(): number {
  return Number(process.env.OSSD_JOURNAL_FLUSH_MS ?? 100);
}

/** One journaled append's bytes, in memory until written into its blob. */
export interface StagedBytes {
  readonly offset: number;
  readonly data: Buffer;
  /** Set once its commit is durable: only then may it be written into the file. */
  committed: boolean;
}

const NONE: readonly StagedBytes[] = Object.freeze([]);

export class JournalFlusher {
  /** blob → end offset of its journaled bytes so far. */
  private dirty = new Map<string, number>();
  /** blob → staged appends not yet written into its file, in offset order (one contiguous run). */
  private readonly staged = new Map<string, StagedBytes[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly onError: (e: unknown) => void,
  ) {}

  /**
   * Keeps an append's bytes for readers, before its commit: once the commit is visible a
   * reader may need them. Bytes beyond the committed length are never read, so an
   * append whose commit fails just unstages them.
   */
  stage(blob: string, offset: number, data: Buffer): StagedBytes {
    const entry: StagedBytes = { offset, data, committed: false };
    const list = this.staged.get(blob);
    if (list) list.push(entry);
    else this.staged.set(blob, [entry]);
    return entry;
  }

  unstage(blob: string, entry: StagedBytes): void {
    this.drop(blob, new Set([entry]));
  }

  /** Removes `entries` from the blob's staged list (one pass, however many: a stalled disk can stage many). */
  private drop(blob: string, entries: ReadonlySet<StagedBytes>): void {
    const rest = this.staged.get(blob)?.filter((e) => !entries.has(e)) ?? [];
    if (rest.length > 0) this.staged.set(blob, rest);
    else this.staged.delete(blob);
  }

  /** The append's commit is durable: its bytes go into the file with the next flush. */
  committed(blob: string, entry: StagedBytes): void {
    entry.committed = true;
    this.markDirty(blob, entry.offset + entry.data.length);
  }

  /** Journal rows recovery could not write back (a full disk): staged as committed, written by the next flushes. */
  adopt(blob: string, rows: readonly StagedBytes[]): void {
    for (const r of rows) this.committed(blob, this.stage(blob, r.offset, r.data));
  }

  /** The staged bytes of a blob, for a reader: a snapshot (entries never change; the flusher only drops written ones). */
  stagedOf(blob: string): readonly StagedBytes[] {
    const list = this.staged.get(blob);
    return list ? [...list] : NONE;
  }

  /** A journaled append to a new blob wrote its file itself: the flusher only syncs it. */
  markDirty(blob: string, end: number): void {
    this.dirty.set(blob, Math.max(end, this.dirty.get(blob) ?? 0));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush()).catch(this.onError);
    }, flushMs());
  }

  /**
   * Writes the committed staged bytes of `blob` into its file now, unsynced (their journal
   * rows keep them durable until the next flush). A large append calls this before
   * writing beyond them, so the file never has a hole. False when the blob is gone.
   */
  async writeStaged(blob: string): Promise<boolean> {
    const entries = (this.staged.get(blob) ?? []).filter((e) => e.committed);
    if (entries.length === 0) return true;
    let writer;
    try {
      writer = await this.blobs.openWriter(blob, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.staged.delete(blob);
      return false;
    }
    try {
      // One contiguous run, as appends to a key follow one another: one writev.
      for (const run of contiguousRuns(entries)) await writer.write(run.map((e) => e.data), run[0]!.offset);
    } finally {
      await writer.close();
    }
    this.drop(blob, new Set(entries));
    return true;
  }

  private async flush(): Promise<void> {
    const batch = this.dirty;
    this.dirty = new Map();
    const done: Array<{ blob: string; end: number }> = [];
    await Promise.all(
      [...batch].map(async ([blob, end]) => {
        try {
          // Gone (deleted or replaced): its rows are moot.
          const present = (await this.writeStaged(blob)) && (await this.blobs.syncBlob(blob));
          done.push({ blob, end: present ? end : Number.MAX_SAFE_INTEGER });
        } catch (e) {
          this.onError(e);
          // Keep the rows (and the staged bytes); try again with the next flush.
          this.markDirty(blob, end);
        }
      }),
    );
    if (done.length > 0) await this.meta.journal.clear(done);
  }

  /** Flushes everything now (shutdown, tests). */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running = this.running.then(() => this.flush()).catch(this.onError);
    await this.running;
  }
}

function contiguousRuns(entries: readonly StagedBytes[]): StagedBytes[][] {
  const runs: StagedBytes[][] = [];
  for (const e of [...entries].sort((a, b) => a.offset - b.offset)) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && last.offset + last.data.length === e.offset) run.push(e);
    else runs.push([e]);
  }
  return runs;
}
