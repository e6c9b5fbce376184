/**
 * Follow reads (docs/extensions.md "Follow reads"): a reader of an appendable object that
 * stays open and receives the bytes of each append as it commits. HTTP-free: the handler
 * (handlers/follow-read.ts) gives a `write` that applies backpressure and a hook
 * for a client that went away.
 *
 * Never polls: the reader sleeps until the key's change notifier wakes it (object-changes.ts)
 * or one of its two timers fires. At each wake-up it reads the current object through the
 * ordinary read path (ObjectService.open, which hides an append whose bytes are not yet
 * durable), so it sends only bytes below the committed length in the metadata store: the
 * bytes of an append that failed half-way (client gone mid-body, a CRC or MD5 mismatch)
 * lie beyond that length and are never read.
 */
import type { MetadataStore } from '../drivers/types.js';
import { OssError } from './errors.js';
import { appendableIdentity, type ObjectRecord, versionIdOf } from './model.js';
import type { ObjectChanges } from './object-changes.js';
import type { ObjectService } from './objects.js';
import { FollowReads, SHARED_MAX } from './follow-reads.js';

/** Why a follow read ended; `client-gone` is never sent (there is no one to send it to). */
export type FollowEnd = 'idle-timeout' | 'max-duration' | 'sealed' | 'replaced' | 'deleted' | 'shutdown' | 'client-gone';

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
  /** Hands bytes to the reader; resolves once it can take more (true), or false when it is gone. */
  write(chunk: Buffer): Promise<boolean>;
  /** Calls `gone` when the reader goes away; returns what unregisters it. (Not an AbortSignal: an EventTarget per reader costs memory, and there may be 10,000 readers.) */
  onGone(gone: () => void): () => void;
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

export class FollowService {
  private readonly reads: FollowReads;

  constructor(
    private readonly objects: ObjectService,
    private readonly meta: MetadataStore,
    private readonly changes: ObjectChanges,
  ) {
    this.reads = new FollowReads(objects);
  }

  /** Sends what the object has from `offset`, then each append as it commits, until one of FollowEnd happens. */
  follow(req: FollowRequest): Promise<FollowEnd> {
    return new FollowRead(this.objects, this.meta, this.reads, req).run(this.changes);
  }
}

/** One follow read: its position, the object it follows, its timers and its wake-up. */
class FollowRead {
  private offset: number;
  /** The followed object's blob once it has bytes (an append at 0 gives an empty object its first blob). */
  private blob: string | null;
  /** Set by a notification that ends the read whatever the metadata says (deleted, replaced, shutdown), or by a timer. */
  private ended: FollowEnd | undefined;
  /** A notification came since the last look at the object. */
  private dirty = true;
  private wake: (() => void) | undefined;
  /** Set while a write waits for a slow reader: the end of the read interrupts it. */
  private interrupt: (() => void) | undefined;
  private lastByteAt = Date.now();
  /** Reads in a row that found the key holding another object (catchUp()). */
  private misses = 0;

  constructor(
    private readonly objects: ObjectService,
    private readonly meta: MetadataStore,
    private readonly reads: FollowReads,
    private readonly req: FollowRequest,
  ) {
    this.offset = req.offset;
    this.blob = req.start.size > 0 ? appendableIdentity(req.start) : null;
  }

  private end(reason: FollowEnd): void {
    this.ended ??= reason;
    this.interrupt?.();
    this.wake?.();
  }

  async run(changes: ObjectChanges): Promise<FollowEnd> {
    const { bucket, key } = this.req;
    // Subscribed before the first look at the object: no commit falls between the two.
    const unsubscribe = changes.subscribe(bucket, key, (change) => {
      if (change === 'deleted' || change === 'replaced' || change === 'shutdown') this.end(change);
      this.dirty = true;
      this.wake?.();
    });
    const forget = this.req.onGone(() => this.end('client-gone'));
    const maxTimer = setTimeout(() => this.end('max-duration'), this.req.maxMs);
    try {
      for (;;) {
        if (this.ended) return this.ended;
        if (this.dirty) {
          this.dirty = false;
          const outcome = await this.catchUp();
          if (outcome) this.end(outcome);
          continue;
        }
        await this.sleep();
      }
    } finally {
      clearTimeout(maxTimer);
      forget();
      unsubscribe();
    }
  }

  /** Until a notification, the end of the read, or the idle timeout. */
  private async sleep(): Promise<void> {
    const idleLeft = this.lastByteAt + this.req.idleMs - Date.now();
    if (idleLeft <= 0) return this.end('idle-timeout');
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(() => this.end('idle-timeout'), idleLeft);
    });
    clearTimeout(timer);
    this.wake = undefined;
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
    // Not Promise.race with a promise kept for the whole read: each race would leave a reaction on it.
    const taken = await new Promise<boolean>((resolve, reject) => {
      this.interrupt = () => resolve(false);
      this.req.write(chunk).then(resolve, reject);
    });
    this.interrupt = undefined;
    if (!taken) {
      this.end('client-gone');
      return false;
    }
    this.offset += chunk.length;
    this.lastByteAt = Date.now();
    return true;
  }
}
