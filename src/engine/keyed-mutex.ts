/**
 * One async lock per key. An optimisation for appends to the same object: they queue
 * instead of racing for the same file region. Correctness does not depend on it: the
 * metadata compare-and-set is what decides (design.md "append is a compare-and-set").
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Whether someone holds or waits for the key's lock. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Number of keys with a holder or waiters (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
