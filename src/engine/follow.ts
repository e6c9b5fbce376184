/**
 * Follow reads (docs/extensions.md "Follow reads"): a reader of an appendable object that
 * stays open and receives the bytes of each append as it commits. HTTP-free: the handler
 * (handlers/follow-read.ts) gives a sink that applies backpressure, tells when the client
 * went away, and ends the response.
 *
 * Never polls: the reader sleeps until the key's change notifier wakes it (object-changes.ts)
 * or one of its deadlines passes. At each wake-up it reads the current object through the
 * ordinary read path (ObjectService.open, which hides an append whose bytes are not yet
 * durable), so it sends only bytes below the committed length in the metadata store: the
 * bytes of an append that failed half-way (client gone mid-body, a CRC or MD5 mismatch)
 * lie beyond that length and are never read.
 */
import type { MetadataStore } from '../drivers/types.js';
import { OssError } from './errors.js';
import { appendableIdentity, type ObjectRecord, versionIdOf } from './model.js';
import type { ObjectChange, ObjectChanges } from './object-changes.js';
import type { ObjectService } from './objects.js';
import { FollowReads, SHARED_MAX } from './follow-reads.js';

/** Why a follow read ended; `client-gone` is never sent (there is no one to send it to). */
export type FollowEnd = 'idle-timeout' | 'max-duration' | 'sealed' | 'replaced' | 'deleted' | 'shutdown' | 'client-gone';

/**
 * Where a follow read sends its bytes and its end (the HTTP response, handlers/follow-read.ts).
 * Methods rather than closures: an object of a class costs less than a closure and its
 * context per reader, and there may be 10,000 readers.
 */
export interface FollowSink {
  /** Hands bytes to the reader: true when it can take more at once; else resolves once it can (true), or false when it is gone. */
  write(chunk: Buffer): boolean | Promise<boolean>;
  /** Calls `gone` when the reader goes away (at once if it already has). Not an AbortSignal: an EventTarget per reader costs memory. */
  watchGone(gone: () => void): void;
  unwatchGone(gone: () => void): void;
  /** The read ended, for this reason; called once, after every byte was handed over. */
  ended(reason: FollowEnd): void;
  /** The read failed (the metadata store or a blob could not be read); called once instead of ended(). */
  failed(error: unknown): void;
}

export interface FollowRequest {
  bucket: string;
  key: string;
  /** The object as the GET found it: the appendable object followed. */
  start: ObjectRecord;
  /** The first byte to send (≤ start.size). */
  offset: number;
  /** Ends the read after this long without a new byte. */
  idleMs: number;
  /** Ends the read after this long in all. */
  maxMs: number;
  sink: FollowSink;
}

/** Reads in a row that found another object than the one just looked up, before the read fails. */
const MAX_MISSES = 5;

/**
 * Sealed (SealAppendObject, helper "seal"): the record carries `sealedMs` once that work is
 * merged; until then no object is ever sealed.
 */
function isSealed(rec: ObjectRecord): boolean {
  return (rec as { sealedMs?: number }).sealedMs !== undefined;
}

/** How often the deadlines of follow reads are checked. Their limits are whole seconds: a quarter second late is within them. */
const SWEEP_MS = 250;

/**
 * The idle and maximum deadlines of every follow read, checked by one sweep every SWEEP_MS
 * while there are readers, rather than a timer per reader: a Timeout with its closure costs
 * ~200 bytes, and there may be 10,000 readers (BENCH.md "Follow reads").
 */
class FollowDeadlines {
  private readonly reads = new Set<FollowRead>();
  private sweeper: NodeJS.Timeout | undefined;

  add(read: FollowRead): void {
    this.reads.add(read);
    // Unref'd: pending follow reads alone do not keep a process alive (the server's socket does).
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  delete(read: FollowRead): void {
    this.reads.delete(read);
    if (this.reads.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    // A read that ends leaves the set during the loop: a Set iterates on safely.
    for (const read of this.reads) read.checkDeadlines(now);
  }
}

export class FollowService {
  private readonly reads: FollowReads;
  private readonly deadlines = new FollowDeadlines();

  constructor(
    private readonly objects: ObjectService,
    private readonly meta: MetadataStore,
    private readonly changes: ObjectChanges,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    this.reads = new FollowReads(objects);
  }

  /**
   * Starts a follow read and returns at once: it sends what the object has from `offset`,
   * then each append as it commits, until one of FollowEnd happens, then calls
   * `sink.ended()` (or `sink.failed()`). Nothing waits for it: between wake-ups a reader is
   * only its FollowRead, held by its key's listeners, the deadline sweep and the reader's
   * 'close' listener, with no suspended async function (each would keep its frames and promises:
   * the 10,000-reader memory bound, BENCH.md "Follow reads").
   */
  follow(req: FollowRequest): void {
    new FollowRead(this.objects, this.meta, this.reads, this.deadlines, req, this.onError).start(this.changes);
  }
}

/** One follow read: its position, the object it follows, its deadlines and its wake-ups. */
class FollowRead {
  private offset: number;
  /** The followed object's blob once it has bytes (an append at 0 gives an empty object its first blob). */
  private blob: string | null;
  /** Set by a notification that ends the read whatever the metadata says (deleted, replaced, shutdown), or by a deadline. */
  private ended: FollowEnd | undefined;
  /** The sink has been told (ended or failed): nothing more happens. */
  private finished = false;
  /** A notification came since the last look at the object. */
  private dirty = true;
  /** A catch-up (read the object, send its new bytes) is under way: wake-ups meanwhile only set `dirty`. */
  private running = false;
  /** Set while a write waits for a slow reader: the end of the read interrupts it. */
  private interrupt: (() => void) | undefined;
  private lastByteAt: number;
  private readonly maxAt: number;
  private changes: ObjectChanges | undefined;
  /** Reads in a row that found the key holding another object (catchUp()). */
  private misses = 0;

  constructor(
    private readonly objects: ObjectService,
    private readonly meta: MetadataStore,
    private readonly reads: FollowReads,
    private readonly deadlines: FollowDeadlines,
    private readonly req: FollowRequest,
    private readonly onError: (e: unknown) => void,
  ) {
    this.offset = req.offset;
    this.blob = req.start.size > 0 ? appendableIdentity(req.start) : null;
    this.lastByteAt = Date.now();
    this.maxAt = this.lastByteAt + req.maxMs;
  }

  // Arrow properties: one function each, registered and unregistered as is.
  private readonly onChange = (change: ObjectChange | 'shutdown'): void => {
    if (change === 'deleted' || change === 'replaced' || change === 'shutdown') return this.end(change);
    this.dirty = true;
    this.pump();
  };

  private readonly onGone = (): void => this.end('client-gone');

  /** Called by the deadline sweep. */
  checkDeadlines(now: number): void {
    if (now >= this.maxAt) return this.end('max-duration');
    // Idle counts while the reader waits for bytes, not while it is slow to take them.
    if (!this.running && now >= this.lastByteAt + this.req.idleMs) this.end('idle-timeout');
  }

  start(changes: ObjectChanges): void {
    // Subscribed before the first look at the object: no commit falls between the two.
    this.changes = changes;
    changes.subscribe(this.req.bucket, this.req.key, this.onChange);
    this.req.sink.watchGone(this.onGone);
    this.deadlines.add(this);
    this.pump();
  }

  private end(reason: FollowEnd): void {
    this.ended ??= reason;
    this.interrupt?.();
    this.pump();
  }

  /** Catches up if something changed, ends the read if it is over; never waits itself. */
  private pump(): void {
    if (this.running || this.finished) return;
    if (this.ended) return this.finish();
    if (!this.dirty) return;
    this.running = true;
    this.catchUpAll().then(
      () => {
        this.running = false;
        // A wake-up or the end may have come between the loop's last look and now.
        this.pump();
      },
      (e: unknown) => {
        this.running = false;
        this.finish(e);
      },
    );
  }

  private async catchUpAll(): Promise<void> {
    while (this.dirty && !this.ended) {
      this.dirty = false;
      const outcome = await this.catchUp();
      if (outcome) this.ended ??= outcome;
    }
  }

  /**
   * Runs inside whatever ended the read (a commit's notify(), the deadline sweep, the
   * response's 'close' event): it must not throw into them, so a failing sink is reported
   * to the engine's error handler instead.
   */
  private finish(error?: unknown): void {
    this.finished = true;
    this.deadlines.delete(this);
    this.changes?.unsubscribe(this.req.bucket, this.req.key, this.onChange);
    try {
      this.req.sink.unwatchGone(this.onGone);
      if (error === undefined) return this.req.sink.ended(this.ended ?? 'shutdown');
      this.onError(error);
      this.req.sink.failed(error);
    } catch (e) {
      this.onError(e);
    }
  }

  /** Sends the committed bytes past `offset`; says why the read ends, if it does. */
  private async catchUp(): Promise<FollowEnd | undefined> {
    let rec: ObjectRecord;
    try {
      // The committed length, from the metadata store (an append not yet durable is hidden).
      rec = await this.objects.head(this.req.bucket, this.req.key);
    } catch (e) {
      // No current object (deleted, or a delete marker on top).
      if (e instanceof OssError && e.code === 'NoSuchKey') return 'deleted';
      throw e;
    }
    const gone = await this.replacedBy(rec);
    if (gone) return gone;
    if (rec.size > this.offset) {
      this.blob ??= appendableIdentity(rec);
      const sent = rec.size - this.offset <= SHARED_MAX ? await this.sendShared(rec) : await this.sendStreamed(rec);
      if (!sent) {
        // The key held another object by the time the bytes were read: look again.
        if (++this.misses > MAX_MISSES) throw new Error(`follow read of ${rec.key}: the object keeps changing under the read`);
        this.dirty = true;
        return undefined;
      }
      this.misses = 0;
    }
    // Every byte below the sealed length has gone out first.
    if (!this.ended && isSealed(rec)) return 'sealed';
    return undefined;
  }

  /** The new bytes, read once for every follower of the key at this offset (follow-reads.ts). */
  private async sendShared(rec: ObjectRecord): Promise<boolean> {
    const data = await this.reads.shared(rec, this.offset, rec.size);
    if (!data) return false;
    await this.write(data);
    return true;
  }

  /** A long catch-up, streamed at the pace the reader takes it. */
  private async sendStreamed(rec: ObjectRecord): Promise<boolean> {
    const held = await this.reads.open(rec, rec.size);
    if (!held) return false;
    const stream = held.opened.stream(this.offset, rec.size);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (!(await this.write(chunk))) break;
      }
    } finally {
      stream.destroy();
      held.release();
    }
    return true;
  }

  /** Whether `rec`, the key's current object now, is no longer the object followed (and why). */
  private async replacedBy(rec: ObjectRecord): Promise<FollowEnd | undefined> {
    const start = this.req.start;
    if (versionIdOf(rec) !== versionIdOf(start)) {
      // Another version is current: the one followed became noncurrent, or was deleted by id.
      const kept = await this.meta.getVersion(start.bucket, start.key, versionIdOf(start));
      return kept && !kept.record.deleteMarker ? 'replaced' : 'deleted';
    }
    // An appendable object never shrinks, and keeps its blob once it has bytes.
    if (rec.type !== 'Appendable' || rec.size < this.offset) return 'replaced';
    if (this.blob !== null && rec.size > 0 && appendableIdentity(rec) !== this.blob) return 'replaced';
    return undefined;
  }

  /** Writes one chunk and waits for the reader to take it; false when the read ended meanwhile. */
  private async write(chunk: Buffer): Promise<boolean> {
    if (this.ended || chunk.length === 0) return !this.ended;
    let taken = this.req.sink.write(chunk);
    if (taken !== true && taken !== false) {
      // The reader is slow: wait for it, unless the read ends meanwhile. (Not Promise.race
      // with a promise kept for the whole read: each race would leave a reaction on it.)
      const drained = taken;
      taken = await new Promise<boolean>((resolve, reject) => {
        this.interrupt = () => resolve(false);
        drained.then(resolve, reject);
      });
      this.interrupt = undefined;
    }
    if (!taken) {
      this.end('client-gone');
      return false;
    }
    this.offset += chunk.length;
    this.lastByteAt = Date.now();
    return true;
  }
}
