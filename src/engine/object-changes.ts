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
  /** Registers a listener of the key. */
  subscribe(bucket: string, key: string, listener: ChangeListener): void;
  /**
   * Removes a listener registered with subscribe() (idempotent). A method rather than a
   * function returned by subscribe(): a closure per listener costs memory, and there may
   * be 10,000 listeners.
   */
  unsubscribe(bucket: string, key: string, listener: ChangeListener): void;
  /** How many listeners are registered (tests and logs: a reader that left must leave none behind). */
  readonly listeners: number;
  /**
   * The server is stopping: every listener hears `shutdown`, and later subscribers at once.
   * Resolves when no listener is left, or after `waitMs`.
   */
  shutdown(waitMs: number): Promise<void>;
}

/**
 * Listeners in this process, by key: the listener itself when a key has one (the common
 * case, and a Set per key would cost ~150 bytes per follower), a Set when it has more.
 * Listeners run synchronously in notify(): they only set flags and wake.
 */
export class LocalObjectChanges implements ObjectChanges {
  private readonly byKey = new Map<string, ChangeListener | Set<ChangeListener>>();
  private count = 0;
  private stopping = false;
  /** Set by shutdown() while it waits for the last listener to go. */
  private onEmpty: (() => void) | undefined;

  notify(bucket: string, key: string, change: ObjectChange): void {
    const found = this.byKey.get(`${bucket}\0${key}`);
    if (typeof found === 'function') found(change);
    else if (found) for (const listener of [...found]) listener(change);
  }

  subscribe(bucket: string, key: string, listener: ChangeListener): void {
    const k = `${bucket}\0${key}`;
    const found = this.byKey.get(k);
    if (found === undefined) this.byKey.set(k, listener);
    else if (typeof found === 'function') {
      if (found === listener) return;
      this.byKey.set(k, new Set([found, listener]));
    } else {
      if (found.has(listener)) return;
      found.add(listener);
    }
    this.count++;
    if (this.stopping) queueMicrotask(() => listener('shutdown'));
  }

  unsubscribe(bucket: string, key: string, listener: ChangeListener): void {
    const k = `${bucket}\0${key}`;
    const found = this.byKey.get(k);
    if (found === listener) this.byKey.delete(k);
    else if (typeof found === 'object' && found.delete(listener)) {
      if (found.size === 1) this.byKey.set(k, found.values().next().value as ChangeListener);
    } else return;
    this.count--;
    if (this.count === 0) this.onEmpty?.();
  }

  get listeners(): number {
    return this.count;
  }

  async shutdown(waitMs: number): Promise<void> {
    this.stopping = true;
    for (const found of [...this.byKey.values()]) {
      if (typeof found === 'function') found('shutdown');
      else for (const listener of [...found]) listener('shutdown');
    }
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
