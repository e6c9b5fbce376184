/**
 * The grace period of an immutable blob store (BlobStore.mutable false: S3): a blob a
 * commit dereferenced is removed only GRACE later. A reader that looked the object up
 * before the commit holds the old segment list, perhaps on another node, and fetches its
 * segments one after another for as long as its GET lasts; it must never find one gone.
 * (A local file can be unlinked at once: a reader keeps an open file, and in-process
 * leases cover multipart segments, blob-leases.ts.) A crash during the grace leaves the
 * blob's unsettled row, written by the dereferencing commit: recovery removes it.
 */

/** Default grace period: 15 minutes, far longer than any GET should take. */
export const DEFAULT_GC_GRACE_MS = 15 * 60 * 1000;

export class DeferredRemovals {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly graceMs: number) {}

  /** Runs `remove` after the grace period (unless the engine closes first: its row stays for recovery). */
  schedule(remove: () => void): void {
    if (this.closed) return;
    if (this.graceMs <= 0) {
      remove();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      remove();
    }, this.graceMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Removals still waiting (tests). */
  get pending(): number {
    return this.timers.size;
  }

  /** Drops the waiting removals: the next start's recovery removes those blobs. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
