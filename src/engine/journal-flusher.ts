/**
 * Moves journaled appends out of the metadata database (drivers journal-store.ts): every
 * flushMs() it fdatasyncs the blobs that received journaled bytes, then deletes their
 * journal rows below the length synced. Off the request path: an append is acknowledged
 * once its journal row is committed. A blob removed meanwhile just loses its rows.
 */
import type { BlobStore, MetadataStore } from '../drivers/types.js';

/** How long journaled bytes may wait for their blob's fdatasync (OSSD_JOURNAL_FLUSH_MS for tests). */
function flushMs(): number {
  return Number(process.env.OSSD_JOURNAL_FLUSH_MS ?? 100);
}

export class JournalFlusher {
  /** blob → end offset of its journaled bytes so far. */
  private dirty = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly onError: (e: unknown) => void,
  ) {}

  markDirty(blob: string, end: number): void {
    this.dirty.set(blob, Math.max(end, this.dirty.get(blob) ?? 0));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush()).catch(this.onError);
    }, flushMs());
  }

  private async flush(): Promise<void> {
    const batch = this.dirty;
    this.dirty = new Map();
    const done: Array<{ blob: string; end: number }> = [];
    await Promise.all(
      [...batch].map(async ([blob, end]) => {
        try {
          // Gone (deleted or replaced): its rows are moot.
          const present = await this.blobs.syncBlob(blob);
          done.push({ blob, end: present ? end : Number.MAX_SAFE_INTEGER });
        } catch (e) {
          this.onError(e);
          // Keep the rows; try again with the next flush.
          this.dirty.set(blob, Math.max(end, this.dirty.get(blob) ?? 0));
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
