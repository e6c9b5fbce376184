/**
 * Read leases on blobs, in process. A multipart object is read one segment file after
 * another, so a GET cannot open all its files up front the way a single-blob GET does
 * (POSIX keeps an open file readable after unlink). Instead, a GET holds a lease on the
 * segments of the row it read, and a write that replaces the object defers removing a
 * leased blob until the last reader is done: a reader sees the old object or the new one,
 * never a torn one (multipart.md §4 "complete is atomic", docs/storage.md "collected").
 */
export class BlobLeases {
  private readonly readers = new Map<string, number>();
  private readonly deferred = new Map<string, () => void>();

  /** Leases every blob in `blobs`; the returned function (idempotent) ends the lease. */
  acquire(blobs: readonly string[]): () => void {
    for (const b of blobs) this.readers.set(b, (this.readers.get(b) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const b of blobs) {
        const n = (this.readers.get(b) ?? 1) - 1;
        if (n > 0) {
          this.readers.set(b, n);
          continue;
        }
        this.readers.delete(b);
        const remove = this.deferred.get(b);
        this.deferred.delete(b);
        remove?.();
      }
    };
  }

  /** Runs `remove` now, or when the last lease on `blob` ends. */
  collect(blob: string, remove: () => void): void {
    if (this.readers.has(blob)) this.deferred.set(blob, remove);
    else remove();
  }

  /** Blobs currently leased (tests and diagnostics). */
  get leased(): number {
    return this.readers.size;
  }
}
