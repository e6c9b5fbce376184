/**
 * Cuts a byte stream into append batches: a batch is sent when it reaches `maxBytes` or
 * `maxDelayMs` after its first byte arrived, whichever comes first (so a slow producer's
 * lines reach the object within maxDelayMs, and a fast one's in large appends). Batches
 * that queue up while an append is in flight are merged, up to maxBytes, into the next one.
 * The producer waits (backpressure) while `maxQueued` bytes wait to be sent.
 */
export class Batcher {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private ready: Buffer[] = [];
  private readyBytes = 0;
  private ended = false;
  private failure: unknown;
  private wakeConsumer: (() => void) | undefined;
  private roomWaiters: Array<() => void> = [];

  constructor(
    readonly maxBytes: number,
    readonly maxDelayMs: number,
    readonly maxQueued: number = 8 * maxBytes,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.maxBytes) this.cut();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.cut(), this.maxDelayMs);
  }

  /** The input ended: what is pending becomes the last batch. */
  end(): void {
    this.cut();
    this.ended = true;
    this.wake();
  }

  /** The input failed: the consumer's next() throws `e`. */
  fail(e: unknown): void {
    this.failure = e ?? new Error('input failed');
    clearTimeout(this.timer);
    this.wake();
  }

  hasRoom(): boolean {
    return this.readyBytes + this.pendingBytes < this.maxQueued;
  }

  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** The next batch (at most maxBytes), or null when the input has ended and all was taken. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.ready.length > 0) return this.take();
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  private take(): Buffer {
    const parts: Buffer[] = [];
    let bytes = 0;
    while (this.ready.length > 0 && bytes + this.ready[0]!.length <= this.maxBytes) {
      const b = this.ready.shift()!;
      parts.push(b);
      bytes += b.length;
    }
    this.readyBytes -= bytes;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
  }

  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingBytes === 0) return;
    const all = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // A chunk larger than maxBytes becomes several batches of at most maxBytes.
    for (let off = 0; off < all.length; off += this.maxBytes) this.ready.push(all.subarray(off, off + this.maxBytes));
    this.readyBytes += all.length;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }
}
