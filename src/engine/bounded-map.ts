/**
 * A Map that keeps at most `limit` entries: setting one past the limit drops the one set
 * longest ago. For caches of things a fresh read can always replace.
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
    if (!this.entries.delete(key) && this.entries.size >= this.limit) {
      for (const oldest of this.entries.keys()) {
        this.entries.delete(oldest);
        break;
      }
    }
    this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
