/**
 * One process-wide budget for the request-body bytes ossd holds in memory (received, not
 * yet written to a file or, for small bodies kept whole, not yet committed). A body that
 * finds the budget spent stops reading: its socket's buffers fill and Node stops reading
 * the socket (backpressure through TCP), until bytes are given back. Nothing is refused
 * for it.
 *
 * No deadlock: a taker that must wait is queued with what it already holds. Bodies bound
 * for a file write out what they hold before they wait (ingest.ts), so they wait holding
 * nothing. Bodies kept whole in memory (at most 64 KiB, or an XML body) cannot give back
 * before they end; when every byte in use belongs to waiters, nothing could ever be
 * given back, and the oldest waiter is let through over the budget (by at most what it
 * still has to read).
 */

/** Default cap: 64 MiB (--max-buffered-body-bytes). */
export const DEFAULT_BODY_BUDGET = 64 * 1024 * 1024;

interface Waiter {
  bytes: number;
  held: number;
  grant: () => void;
}

export class BodyBudget {
  private inUse = 0;
  /** What the queued waiters hold between them. */
  private heldByWaiters = 0;
  private readonly queue: Waiter[] = [];
  /** Quiet bodies holding a few bytes they could write out (ingest.ts), asked to when someone must wait. */
  private readonly releasers = new Set<() => void>();

  constructor(readonly capacity: number) {}

  /** Bytes held now (may exceed the capacity only by the deadlock escape above). */
  used(): number {
    return this.inUse;
  }

  waiting(): number {
    return this.queue.length;
  }

  /** Takes `bytes` if that can be done at once (nobody waiting, and it fits); false otherwise. */
  tryTake(bytes: number): boolean {
    if (this.queue.length > 0 || !this.fits(bytes)) return false;
    this.inUse += bytes;
    return true;
  }

  /**
   * Takes `bytes`; `held` is what the taker already holds. Returns undefined when taken
   * at once (no promise on the hot path), else a promise that resolves once taken. Waiters
   * are served first come, first served: a later small taker never overtakes them.
   */
  take(bytes: number, held: number): Promise<void> | undefined {
    if (this.tryTake(bytes)) return undefined;
    this.askQuietBodies();
    return new Promise<void>((grant) => {
      this.queue.push({ bytes, held, grant });
      this.heldByWaiters += held;
      this.serve();
    });
  }

  /**
   * A quiet body holding bytes it could write out but would rather not (a few KiB are not
   * worth a file descriptor each: 10,000 stalled uploads would need 10,000 more) is asked
   * to once someone has to wait. `release` is called at most once; unregister when data flows again.
   */
  whenShort(release: () => void): void {
    this.releasers.add(release);
  }

  notShort(release: () => void): void {
    this.releasers.delete(release);
  }

  private askQuietBodies(): void {
    if (this.releasers.size === 0) return;
    const all = [...this.releasers];
    this.releasers.clear();
    for (const release of all) release();
  }

  give(bytes: number): void {
    if (bytes <= 0) return;
    this.inUse -= bytes;
    this.serve();
  }

  /** Fits under the cap, or nothing is in use (a chunk larger than the cap still passes, alone). */
  private fits(bytes: number): boolean {
    return this.inUse + bytes <= this.capacity || this.inUse === 0;
  }

  private serve(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      // Everything in use is held by waiters: nobody else will give any back.
      const stuck = this.inUse <= this.heldByWaiters;
      if (!this.fits(head.bytes) && !stuck) return;
      this.queue.shift();
      this.heldByWaiters -= head.held;
      this.inUse += head.bytes;
      head.grant();
    }
  }
}

let shared = new BodyBudget(DEFAULT_BODY_BUDGET);

/** The process's budget (set once at start-up from the configuration). */
export function bodyBudget(): BodyBudget {
  return shared;
}

export function setBodyBudget(capacity: number): void {
  shared = new BodyBudget(capacity);
}
