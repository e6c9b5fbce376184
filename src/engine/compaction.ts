/**
 * Compaction of segmented appendable objects (immutable blob stores, segment-append.ts):
 * every append adds a segment, so a 100,000-append object would be 100,000 small blobs
 * and a GET 100,000 requests. In the background, an object with more than `above`
 * segments has a run of them merged into one new blob (streamed, a multipart upload on
 * S3) and swapped in with a compare-and-set on the revision. Appends racing it only add
 * segments at the end: the swap is retried onto any row whose segment list still starts
 * with the segments up to the end of the merged run; anything else (a put, a delete)
 * makes the merged blob useless, and it is removed. The merged-away blobs are removed
 * after the grace period (deferred-removals.ts), so readers holding the old list are safe.
 *
 * Which run (mergeRun), newest first as in RocksDB's universal compaction: from the last
 * segment leftwards, take each older segment no larger than the run's total so far, and
 * merge once the run holds FAN_IN segments. Sizes then stay roughly geometric, each byte is
 * rewritten only a few times (about 7 for 100,000 appends of any sizes, measured by the
 * unit test), and a merged blob never sits left of a larger one. When an object has more
 * than `above` segments anyway, the last FAN_IN are merged with every older one they
 * outgrow. (The rule before this one merged runs of one size tier and, past `above`, any
 * four neighbours: a large segment then absorbed a few small ones again and again, and a
 * 48,000-append bench object cost 24.7 GB of S3 writes for 48 MB: ~500 rewrites a byte.)
 * The first segment is never merged: it names the object (model.ts appendableIdentity:
 * follow reads and Idempotency-Key records tell a new object at the key by it).
 *
 * One node at a time per object: the work runs under a lease (CompactionLeases), local
 * here; a cluster plugs in leases kept by its metadata store.
 */
import type { BlobStore, BlobWriter, MetadataStore } from '../drivers/types.js';
import { Crc64, crc64Combine, crc64ToDecimal } from './crc64.js';
import type { ObjectRecord, Segment } from './model.js';
import { segmentedStream } from './segmented-object.js';
import type { UnsettledBlobs } from './unsettled.js';

/** Segments one merge takes (at least). */
const FAN_IN = 4;
/** Compact an object once it has more segments than this (default). */
export const DEFAULT_COMPACT_ABOVE = 16;

/** Leases that keep two nodes from compacting one object at once. */
export interface CompactionLeases {
  /** The lease `name`, if no one holds it: resolves with its release, or undefined. */
  tryAcquire(name: string): Promise<(() => Promise<void>) | undefined>;
}

/** Leases within this process (a single node; PostgreSQL leases replace them in a cluster). */
export class LocalLeases implements CompactionLeases {
  private readonly held = new Set<string>();

  async tryAcquire(name: string): Promise<(() => Promise<void>) | undefined> {
    if (this.held.has(name)) return undefined;
    this.held.add(name);
    return async () => void this.held.delete(name);
  }
}

/**
 * Segments [start, end) to merge: the newest segments with every older one no larger than
 * their total so far, once they are FAN_IN or more; else, with more than `above` segments,
 * the last FAN_IN and every older one they outgrow. Never the first segment, and never a
 * single segment (merging one leaves as many as before).
 */
export function mergeRun(segments: readonly Pick<Segment, 'size'>[], above: number): { start: number; end: number } | undefined {
  const end = segments.length;
  if (end < 3) return undefined;
  let start = end - 1;
  let total = segments[start]!.size;
  const takeOutgrown = (): void => {
    while (start > 1 && segments[start - 1]!.size <= total) total += segments[--start]!.size;
  };
  takeOutgrown();
  if (end - start >= FAN_IN) return { start, end };
  if (end <= above) return undefined;
  while (start > 1 && end - start < FAN_IN) total += segments[--start]!.size;
  takeOutgrown();
  return { start, end };
}

/** Whether `rec` still starts with exactly these segments. */
function startsWith(rec: ObjectRecord | undefined, prefix: readonly Segment[]): rec is ObjectRecord & { segments: Segment[] } {
  const segs = rec?.type === 'Appendable' ? rec.segments : undefined;
  return segs !== undefined && segs.length >= prefix.length && prefix.every((s, i) => segs[i]!.blob === s.blob);
}

export class Compactor {
  private readonly queued = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Merges done (tests, metrics). */
  merges = 0;

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly unsettled: UnsettledBlobs,
    /** Removes merged-away blobs after the grace period (ObjectService.collectBlobs). */
    private readonly collectBlobs: (blobs: readonly string[]) => void,
    private readonly onBackgroundError: (e: unknown) => void,
    private readonly above = DEFAULT_COMPACT_ABOVE,
    private readonly leases: CompactionLeases = new LocalLeases(),
  ) {}

  /** After each append committed as a segment: queues the object once it has more than `above` segments. */
  watch(rec: ObjectRecord): void {
    if ((rec.segments?.length ?? 0) > this.above) this.schedule(rec.bucket, rec.key);
  }

  /** Queues one object (one compaction at a time per node: it is background work). */
  schedule(bucket: string, key: string): void {
    const k = `${bucket}\0${key}`;
    if (this.closed || this.queued.has(k)) return;
    this.queued.add(k);
    this.chain = this.chain.then(async () => {
      this.queued.delete(k);
      if (this.closed) return;
      // Bucket names hold no '/': `compact/<bucket>/<key>` names one object (keys never hold NUL).
      const lease = `compact/${bucket}/${key}`;
      // Background work: whatever fails (the lease store included) is reported, never thrown
      // out of the chain (an unhandled rejection would end the process).
      try {
        const release = await this.leases.tryAcquire(lease);
        if (!release) return;
        try {
          // Until the object is down to `above` segments (an object appended to faster than one merge).
          while (!this.closed && (await this.compactOnce(bucket, key)) > 0);
        } finally {
          await release();
        }
      } catch (e) {
        this.onBackgroundError(e);
      }
    });
  }

  /** Waits for the queued work (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** No new work; waits for the merge in progress. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  /**
   * One merge on the object, if it has more than `above` segments: how many segments were
   * merged (0: nothing to do, or the object changed under it).
   */
  async compactOnce(bucket: string, key: string): Promise<number> {
    const rec = await this.meta.getObject(bucket, key);
    if (rec?.type !== 'Appendable' || !rec.segments || rec.segments.length <= this.above) return 0;
    const run = mergeRun(rec.segments, this.above);
    if (!run) return 0;
    const merged = rec.segments.slice(run.start, run.end);
    const prefix = rec.segments.slice(0, run.end);
    let segment: Segment;
    try {
      segment = await this.write(merged);
    } catch (e) {
      // A segment removed while it was read: the object was deleted or replaced meanwhile
      // (its blobs collected once their grace period ended), so there is nothing to merge.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !startsWith(await this.meta.getObject(bucket, key), prefix)) return 0;
      throw e;
    }
    let current: ObjectRecord | undefined = rec;
    for (;;) {
      if (!startsWith(current, prefix)) {
        await this.unsettled.discard(segment.blob, () => this.blobs.remove(segment.blob));
        return 0;
      }
      const segments = [...current.segments.slice(0, run.start), segment, ...current.segments.slice(run.end)];
      // Only the segment list changes: length, CRC, ETag and Last-Modified stay.
      const next: ObjectRecord = { ...current, segments, revision: this.meta.newRevision() };
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, next);
      if (cas.ok) {
        this.unsettled.release(segment.blob);
        this.collectBlobs(merged.map((s) => s.blob));
        this.merges++;
        return merged.length;
      }
      current = cas.current;
    }
  }

  /** The bytes of `merged` as one new blob, durable; checked against their CRCs before it is used. */
  private async write(merged: readonly Segment[]): Promise<Segment> {
    const size = merged.reduce((n, s) => n + s.size, 0);
    const expected = merged.reduce((crc, s) => crc64Combine(crc, BigInt(s.crc), s.size), 0n);
    const blob = this.blobs.newBlobId();
    await this.unsettled.hold(blob);
    let writer: BlobWriter | undefined;
    try {
      writer = await this.blobs.openWriter(blob, true);
      const crc = new Crc64();
      let position = 0;
      for await (const chunk of segmentedStream(this.blobs, merged, 0, size) as AsyncIterable<Buffer>) {
        crc.update(chunk);
        await writer.write([chunk], position);
        position += chunk.length;
      }
      if (position !== size || crc.digest() !== expected) {
        throw new Error(`compaction read ${position} bytes of ${size} with another CRC than the segments': not merged`);
      }
      await writer.sync();
      await writer.close();
    } catch (e) {
      await writer?.close().catch(() => undefined);
      await this.unsettled.discard(blob, () => this.blobs.remove(blob));
      throw e;
    }
    return { blob, size, crc: crc64ToDecimal(expected) };
  }
}
