/**
 * Work in flight on blob files, recorded so that recovery after a crash visits only the
 * blobs it touched, never the whole store (drivers UnsettledStore, sqlite/unsettled-store.ts;
 * recovery.ts). Every write that can leave a file behind the metadata:
 * - a new blob file (put, copy, part, creating append) until its commit or removal;
 * - an append writing beyond an appendable object's committed length, until it committed
 *   (and its bytes are durable) or was cut back;
 * holds its blob here first: `hold` resolves once a row for the blob is durable, and the
 * file is created or written only after that. `release` ends the hold; the row is deleted
 * in a batch a little later (a new hold meanwhile reuses it: consecutive large appends to
 * one object record it once). The rows of blobs a commit left unreferenced are written by
 * the commit itself; `discard` removes such a file, then deletes the row.
 *
 * A removed file's row is deleted only once the removal is durable: each batch first
 * makes the removals it covers durable (BlobStore.syncRemovals, one folder fsync per
 * folder), then deletes the rows. Else a power cut could bring the file back with no row,
 * a leftover that no start would ever visit.
 *
 * A row deleted late only costs recovery one visit. A row missing while work is in flight
 * could hide a leftover, so a row is deleted only when nothing holds its blob, and a
 * hold's own row only by its seq: a commit that dereferenced the blob meanwhile replaced
 * it (seq 0), and that row stays until the file is gone.
 */
import type { BlobStore, UnsettledStore } from '../drivers/types.js';
import { isDiskFull } from './errors.js';

/** How long a released row waits before it is deleted (batched: one metadata write for many). */
const CLEAR_AFTER_MS = 1000;

/** How a hold ended: settled (committed or cut back), its file removed, or unknown (the row must stay for recovery). */
export type HoldOutcome = 'settled' | 'removed' | 'unsettled';

interface Hold {
  active: number;
  seq: number;
  recorded: Promise<void>;
}

let lastSeq = 0;

export class UnsettledBlobs {
  private readonly holds = new Map<string, Hold>();
  /** Rows to delete with the next batch: blob → seq (0: whatever row the blob has; its file was removed). */
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private clearing: Promise<void> = Promise.resolve();
  /** File removals (`discard`) in progress. */
  private removals = 0;
  /** Released holds whose row is still being written. */
  private settling = 0;
  /** After close: no more batches (the store is closing); what is left, the next start visits. */
  private closed = false;

  constructor(
    private readonly store: UnsettledStore,
    private readonly blobs: Pick<BlobStore, 'syncRemovals'>,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Work that may leave `blob`'s file unsettled is about to start: resolves once that is recorded durably. */
  hold(blob: string): Promise<void> {
    let h = this.holds.get(blob);
    if (!h) {
      const seq = this.pending.get(blob);
      if (seq !== undefined && seq > 0) {
        // Its row is still there: keep it instead of deleting and writing it again.
        this.pending.delete(blob);
        h = { active: 0, seq, recorded: Promise.resolve() };
      } else {
        const next = ++lastSeq;
        h = { active: 0, seq: next, recorded: this.store.add(blob, next) };
        h.recorded.catch(() => undefined); // the holder awaits it
      }
      this.holds.set(blob, h);
    }
    h.active++;
    return h.recorded;
  }

  /** Whether work is in flight on `blob`, or its row is still there (a replaced blob about to be removed). */
  isHeld(blob: string): boolean {
    return this.holds.has(blob) || this.pending.has(blob);
  }

  /** The work on `blob` is over. */
  release(blob: string, outcome: HoldOutcome = 'settled'): void {
    const h = this.holds.get(blob);
    if (!h) return;
    if (--h.active > 0) return;
    this.holds.delete(blob);
    if (outcome === 'unsettled') return;
    const seq = outcome === 'removed' ? 0 : h.seq;
    // Only a row that was written can be deleted (or kept for the next hold to reuse).
    this.settling++;
    void h.recorded
      .then(
        () => this.schedule(blob, seq),
        () => (seq === 0 ? this.schedule(blob, 0) : undefined),
      )
      .finally(() => this.settling--);
  }

  /**
   * Removes a blob's file (one a commit left unreferenced, or a new one whose write
   * failed), then its row. Also ends a hold of the blob, if any. If the removal fails the
   * row stays, for recovery.
   */
  async discard(blob: string, remove: () => Promise<void>): Promise<void> {
    this.removals++;
    try {
      await remove();
      this.schedule(blob, 0);
      this.release(blob, 'removed');
    } catch (e) {
      this.release(blob, 'unsettled');
      throw e;
    } finally {
      this.removals--;
    }
  }

  private schedule(blob: string, seq: number): void {
    this.pending.set(blob, seq === 0 || this.pending.get(blob) === 0 ? 0 : seq);
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, CLEAR_AFTER_MS);
    this.timer.unref();
  }

  /** Deletes the rows of released blobs now (nothing holds them), the removals among them made durable first. */
  flush(): Promise<void> {
    const batch: Array<{ blob: string; seq: number }> = [];
    for (const [blob, seq] of this.pending) if (!this.holds.has(blob)) batch.push({ blob, seq });
    for (const e of batch) this.pending.delete(e.blob);
    if (batch.length === 0) return this.clearing;
    const removed = batch.filter((e) => e.seq === 0).map((e) => e.blob);
    this.clearing = this.clearing
      .then(async () => {
        if (removed.length > 0) await this.blobs.syncRemovals(removed);
        await this.store.clear(batch);
      })
      .catch((e: unknown) => {
        // The rows stay (all of the batch's, a removal that may not be durable too):
        // recovery visits them at the next start, which is all they cost.
        if (!isDiskFull(e)) this.onError(e);
      });
    return this.clearing;
  }

  /** Blobs held right now (tests and the shutdown log). */
  get inFlight(): number {
    return this.holds.size + this.removals + this.settling;
  }

  /** Waits (at most `timeoutMs`) for the work in flight to end, then deletes the rows it released. */
  async settle(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await this.flush();
  }

  /** A clean stop: settle, and no batch after it, so the next start finds nothing to visit. */
  async close(timeoutMs: number): Promise<void> {
    await this.settle(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
