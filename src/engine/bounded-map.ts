/**
 * A Map that keeps about `limit` entries: past the limit, the eighth set longest ago is
 * dropped at once (one pass, not one iterator per new key). For caches of things a fresh
 * read can always replace.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    // Re-inserted last, so that the oldest entries are the first in iteration order.
    if (!this.entries.delete(key) && this.entries.size >= this.limit) this.dropOldest(Math.ceil(this.limit / 8));
    this.entries.set(key, value);
  }

  private dropOldest(n: number): void {
    for (const oldest of this.entries.keys()) {
      if (n-- <= 0) return;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
