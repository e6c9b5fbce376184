/**
 * AppendObject on an immutable blob store (BlobStore.mutable false: an S3 bucket), where
 * no blob can grow (docs/storage.md "Scale-out design"). An appendable object there is a
 * segmented object, as a completed multipart upload is: `blob` null, its bytes the
 * `segments` in order. Each append:
 * 1. streams its body into a NEW blob (the staged segment), recorded as unsettled first,
 *    and waits until the store acknowledged it (durable);
 * 2. commits with one compare-and-set on the revision it checked:
 *    `segments = [...current.segments, segment]`, CRC chained with crc64Combine;
 * 3. on a lost race, commits onto the row it finds instead when that row still takes an
 *    append at this position (appendable, unsealed, the same length), else deletes the
 *    staged segment and answers from that row (409 PositionNotEqualToLength with its
 *    next position, or ObjectNotAppendable).
 * The bytes are durable before the commit, so the commit is the acknowledgement: no
 * journal, no bytes beyond a committed length, nothing to trim or roll back at recovery,
 * and no hiding of an in-flight append from readers. A crash leaves at most a staged
 * segment that nothing references, which recovery deletes through its unsettled row.
 */
import { type BlobStore, type BlobWriter, type MetadataStore, outcomeUnknown } from '../drivers/types.js';
import { appendableEtag, newRecord, type ObjectAttributes } from './attributes.js';
import { appendRefusal, appendTooLarge, refusalFrom } from './append.js';
import { appendSizeLimit } from './append-limit.js';
import { crc64Combine, crc64ToDecimal } from './crc64.js';
import { recordAppendKey, withFingerprint } from './idempotency.js';
import { ingest, type IngestResult } from './ingest.js';
import type { BucketRecord, ObjectRecord, Segment } from './model.js';
import type { BodyInput } from './objects.js';
import type { UnsettledBlobs } from './unsettled.js';
import { type Collect, planNewCurrent, withVersion } from './versioning.js';

export class SegmentAppender {
  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly unsettled: UnsettledBlobs,
    /** Collects the blobs of versions a creating append replaced (a Suspended bucket's null version). */
    private readonly collect: Collect,
    private readonly onBackgroundError: (e: unknown) => void,
    /** Told of every committed append (compaction watches the number of segments). */
    private readonly onCommitted: (rec: ObjectRecord) => void,
  ) {}

  /** Appends `input` at `current`'s length (checked by the caller under the key's lock). */
  async append(b: BucketRecord, key: string, current: ObjectRecord | undefined, input: BodyInput, attrs: ObjectAttributes, token: string | undefined): Promise<ObjectRecord> {
    const length = current?.size ?? 0;
    const { result, segment } = await this.stage(b, length, input);
    try {
      return await this.commit(b, key, current, length, result, segment, attrs, token);
    } catch (e) {
      if (segment) {
        // A commit that may be on disk keeps its segment (and its unsettled row): recovery
        // keeps the blob if the row references it, deletes it if not.
        if (outcomeUnknown(e)) this.unsettled.release(segment.blob, 'unsettled');
        else await this.drop(segment.blob);
      }
      throw e;
    }
  }

  /** The body as a new blob, acknowledged by the store; no segment for an empty body. */
  private async stage(b: BucketRecord, length: number, input: BodyInput): Promise<{ result: IngestResult; segment?: Segment }> {
    const blob = this.blobs.newBlobId();
    const limit = appendSizeLimit(b);
    // Recorded while the body arrives; the blob is created only once that is durable.
    const held = this.unsettled.hold(blob);
    held.catch(() => undefined);
    let writer: BlobWriter | undefined;
    try {
      const result = await ingest(
        input.body,
        async () => {
          await held;
          return (writer = await this.blobs.openWriter(blob, true));
        },
        {
          startOffset: 0,
          // The segment's own CRC: chained onto the object's at commit (crc64Combine), so a
          // commit onto another row of the same length needs no second pass over the bytes.
          initialCrc: 0n,
          maxBytes: Math.max(0, limit - length),
          tooLarge: () => appendTooLarge(limit, length),
          expectedLength: input.contentLength,
          expectedMd5: input.contentMd5,
          needMd5: false,
          chunksOwned: input.chunksOwned,
        },
      );
      if (!writer) {
        this.unsettled.release(blob); // an empty body: nothing staged
        return { result };
      }
      await writer.sync();
      await writer.close();
      return { result, segment: { blob, size: result.bytes, crc: crc64ToDecimal(result.crc) } };
    } catch (e) {
      if (writer) {
        await writer.close().catch(() => undefined);
        await this.drop(blob);
      } else this.unsettled.release(blob);
      throw e;
    }
  }

  /** Deletes a staged segment nothing references (never committed): no grace period needed. */
  private async drop(blob: string): Promise<void> {
    await this.unsettled.discard(blob, () => this.blobs.remove(blob)).catch((e) => this.onBackgroundError(e));
  }

  private async commit(
    b: BucketRecord,
    key: string,
    current: ObjectRecord | undefined,
    length: number,
    result: IngestResult,
    segment: Segment | undefined,
    attrs: ObjectAttributes,
    token: string | undefined,
  ): Promise<ObjectRecord> {
    // Appends change the current version in place; only the creating one makes a version (append.md §9).
    let plan = current ? undefined : await planNewCurrent(this.meta, b, key, undefined);
    // Metadata, tags and storage class only at creation; the ACL on every append (append.md §2.1).
    const build = (base: ObjectRecord | undefined): ObjectRecord => {
      const baseCrc = BigInt(base?.crc ?? '0');
      const crc = segment ? crc64Combine(baseCrc, result.crc, segment.size) : baseCrc;
      const size = length + result.bytes;
      const segments = [...(base?.segments ?? []), ...(segment ? [segment] : [])];
      const body = {
        type: 'Appendable' as const,
        size,
        etag: appendableEtag(crc, size),
        crc: crc64ToDecimal(crc),
        blob: null,
        segments: segments.length > 0 ? segments : undefined,
        appendBase: undefined,
      };
      return base
        ? { ...base, ...body, acl: attrs.acl ?? base.acl, mtimeMs: Date.now(), revision: this.meta.newRevision() }
        : withVersion({ ...newRecord(b, key, body, attrs, this.meta.newRevision()), segments: body.segments }, plan ?? { archives: false });
    };
    // Whether this append runs an expiry round is decided once, for all its attempts (idempotency.ts).
    const keyRecord = token === undefined ? undefined : recordAppendKey(token, length);
    let expected = current;
    for (;;) {
      const next = build(expected);
      const keyed = keyRecord?.(expected?.crc ?? '0', next);
      const cas = await this.meta.compareAndSwap(b.name, key, expected?.revision ?? null, next, undefined, expected ? undefined : plan?.history, keyed);
      if (cas.ok) {
        if (segment) this.unsettled.release(segment.blob);
        for (const old of cas.removed ?? []) this.collect(old);
        this.onCommitted(next);
        return next;
      }
      const now = cas.current;
      // Another writer committed first. Its row may still take this append at the same
      // position (an ACL change, compaction, a delete before an append at 0): the staged
      // segment goes onto it. Else the append is refused as that row refuses it.
      // (The caller deletes the staged segment.)
      if (appendRefusal(now, length, undefined)) {
        const crcBefore = expected?.crc ?? '0';
        const crcAfter = segment ? crc64ToDecimal(crc64Combine(BigInt(crcBefore), result.crc, segment.size)) : crcBefore;
        throw withFingerprint(refusalFrom(now, length), { position: length, bytes: result.bytes, crcBefore, crcAfter });
      }
      if (!now) plan = await planNewCurrent(this.meta, b, key, undefined);
      expected = now;
    }
  }
}
