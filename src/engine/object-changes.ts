/**
 * Wake-ups for follow reads (follow.ts, docs/extensions.md "Follow reads"): the engine
 * tells the listeners of a key, right after a commit, that its current object changed.
 * A listener is only woken: what changed it reads from the metadata store, so a
 * notification carries no bytes and no length, and a lost or duplicated one costs at
 * most a wake-up (the reader's timers still end it).
 *
 * The in-process implementation is the default. A multi-node deployment (PostgreSQL
 * metadata) would implement the same interface over LISTEN/NOTIFY: notify() runs
 * `NOTIFY ossd_object_changes, '<bucket> <key> <change>'` (after the commit, as here), one
 * LISTEN connection per process hands what arrives to its local listeners, and
 * shutdown() stops listening. Neither the engine nor the followers change.
 */

/**
 * What a commit did to a key's current object. `replaced` and `deleted` are certain (the
 * followed object is gone); `changed` only asks listeners to look (a version deleted by
 * id: it may or may not have been the current one).
 */
export type ObjectChange = 'appended' | 'sealed' | 'replaced' | 'deleted' | 'changed';

/** `shutdown`: the server is stopping; every listener ends. */
export type ChangeListener = (change: ObjectChange | 'shutdown') => void;

export interface ObjectChanges {
  /** Called by the engine after a commit of (bucket, key) is durable; wakes its listeners. */
  notify(bucket: string, key: string, change: ObjectChange): void;
  /** Registers a listener of the key; the function returned removes it (idempotent). */
  subscribe(bucket: string, key: string, listener: ChangeListener): () => void;
  /** How many listeners are registered (tests and logs: a reader that left must leave none behind). */
  readonly listeners: number;
  /**
   * The server is stopping: every listener hears `shutdown`, and later subscribers at once.
   * Resolves when no listener is left, or after `waitMs`.
   */
  shutdown(waitMs: number): Promise<void>;
}

/** Listeners in this process, by key. Listeners run synchronously in notify(): they only set flags and wake. */
export class LocalObjectChanges implements ObjectChanges {
  private readonly byKey = new Map<string, Set<ChangeListener>>();
  private count = 0;
  private stopping = false;
  /** Set by shutdown() while it waits for the last listener to go. */
  private onEmpty: (() => void) | undefined;

  notify(bucket: string, key: string, change: ObjectChange): void {
    const set = this.byKey.get(`${bucket}\0${key}`);
    if (set) for (const listener of [...set]) listener(change);
  }

  subscribe(bucket: string, key: string, listener: ChangeListener): () => void {
    const k = `${bucket}\0${key}`;
    let set = this.byKey.get(k);
    if (!set) this.byKey.set(k, (set = new Set()));
    set.add(listener);
    this.count++;
    if (this.stopping) queueMicrotask(() => listener('shutdown'));
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.count--;
      set.delete(listener);
      if (set.size === 0 && this.byKey.get(k) === set) this.byKey.delete(k);
      if (this.count === 0) this.onEmpty?.();
    };
  }

  get listeners(): number {
    return this.count;
  }

  async shutdown(waitMs: number): Promise<void> {
    this.stopping = true;
    for (const set of [...this.byKey.values()]) for (const listener of [...set]) listener('shutdown');
    if (this.count === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.onEmpty = resolve;
      timer = setTimeout(resolve, waitMs);
    });
    clearTimeout(timer);
    this.onEmpty = undefined;
  }
}
