/**
 * AppendObject (append.md §3). Type and position are checked before the body is read
 * and again under a per-key lock; the body is written beyond the committed length; the
 * commit is a compare-and-set on the revision that was checked.
 *
 * Durability without paying two fsyncs in a row: the appended bytes are fdatasynced
 * while the metadata commit (its own WAL fsync) runs, and the client is answered only
 * when both are on disk (small bodies instead go into the metadata commit itself, see
 * JOURNAL_MAX). Until then readers keep seeing the object as it was before the
 * append (`visible`). Should the machine die between the two, the row may be on disk
 * without its bytes; recovery (recovery.ts) checks the last append of the object (its
 * blob was recorded as unsettled before the append wrote it, unsettled.ts; a journaled
 * one has its journal rows) against its CRC and rolls it back to `appendBase`. That append was never
 * acknowledged, so nothing acknowledged is lost.
 */
import { type BlobStore, type BlobWriter, type MetadataStore, type ObjectState, outcomeUnknown } from '../drivers/types.js';
import { appendableEtag, newRecord, type ObjectAttributes } from './attributes.js';
import type { BucketService } from './buckets.js';
import { crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import { ingest, type IngestResult } from './ingest.js';
import type { JournalFlusher } from './journal-flusher.js';
import { BoundedMap } from './bounded-map.js';
import { KeyedMutex } from './keyed-mutex.js';
import { MemoryWriter } from './inline.js';
import { type BucketRecord, MAX_OBJECT_SIZE, type ObjectRecord } from './model.js';
import { type Collect, planNewCurrent, withVersion } from './versioning.js';
import { commitSeal } from './seal.js';
import { appendLimitExceeded, appendSizeLimit } from './append-limit.js';
import type { BodyInput } from './objects.js';
import type { HoldOutcome, UnsettledBlobs } from './unsettled.js';
import { AppendKeys, type AppendOutcome, fingerprintOf, forgetRolledBack, recordAppendKey, withFingerprint } from './idempotency.js';
import { SegmentAppender } from './segment-append.js';

type AppendTarget = Pick<ObjectRecord, 'type' | 'size' | 'sealedMs'> | undefined;

/**
 * Why an append at `position` cannot go onto `current`; undefined when it can. A sealed
 * object is no longer appendable (SealAppendObject: "the object becomes non-appendable"):
 * 409 ObjectNotAppendable, whatever the position (seal.ts, docs/errors.md).
 */
export function appendRefusal(current: AppendTarget, position: number, contentLength: number | undefined, limit = MAX_OBJECT_SIZE): OssError | undefined {
  if (current && (current.type !== 'Appendable' || current.sealedMs !== undefined)) return new OssError('ObjectNotAppendable');
  const length = current?.size ?? 0;
  if (position !== length) return new OssError('PositionNotEqualToLength', undefined, { nextPosition: String(length) });
  if (contentLength !== undefined && length + contentLength > limit) return appendTooLarge(limit, length);
  return undefined;
}

export function checkAppendable(current: AppendTarget, position: number, contentLength: number | undefined, limit = MAX_OBJECT_SIZE): void {
  const refusal = appendRefusal(current, position, contentLength, limit);
  if (refusal) throw refusal;
}

/**
 * append.md §8 (project decision): CopyObject and UploadPartCopy cannot be performed on
 * appendable objects, as the append-upload guides say; refused with 400 InvalidArgument
 * (docs/errors.md) before anything is written at the destination.
 */
export function refuseAppendableSource(rec: ObjectRecord, operation: string, key: string): void {
  if (rec.type === 'Appendable') {
    throw new OssError('InvalidArgument', `${operation} cannot be performed on appendable objects.`, { Key: key });
  }
}

/**
 * append.md §6 / README open question 1: the 5 GiB limit on append is 400 InvalidArgument.
 * A bucket's lower append size limit (append-limit.ts) has its own error, naming the limit
 * and the object's length.
 */
export function appendTooLarge(limit = MAX_OBJECT_SIZE, length = 0): OssError {
  if (limit < MAX_OBJECT_SIZE) return appendLimitExceeded(limit, length);
  return new OssError('InvalidArgument', 'The object size after append exceeds 5GB.');
}

/**
 * The answer to an append at `position` whose commit found `now` instead of the object it
 * was checked against, when it cannot be committed onto `now`: the refusal `now` gives,
 * compared and reported from that one record (a PositionNotEqualToLength whose next
 * position is the position sent would contradict itself). Should `now` accept the
 * position after all (another version of the same length was made current while the
 * bytes went into the old one's file), nothing was appended and a retry will be: 503.
 */
export function refusalFrom(now: ObjectRecord | undefined, position: number): OssError {
  return (
    appendRefusal(now, position, undefined) ??
    new OssError('ServiceUnavailable', 'The object was replaced while the append was written; nothing was appended. Retry the append.')
  );
}

/**
 * Appends up to this size are journaled in the metadata database with their commit
 * (drivers/sqlite/journal-store.ts): one WAL fsync, shared by concurrent appends, makes
 * the length and the bytes durable together. Larger ones fsync their blob in parallel
 * with the commit instead.
 */
const JOURNAL_MAX = 64 * 1024;

/** Keys whose last append is remembered: those being appended to now, with room to spare. */
const LAST_APPENDED_MAX = 4096;

interface InFlight {
  revision: number;
  previous: ObjectRecord | undefined;
}

/**
 * Whether an append whose compare-and-set against `expected` failed can commit its bytes,
 * written at `length`, onto `now` instead. Yes when only the revision moved (e.g.
 * PutObjectAcl: same appendable object, same length, same blob, so the bytes are still
 * exactly at its end), and when the append wrote a blob of its own (`ownBlob`, at
 * length 0) and `now` is missing or empty: an append at 0 fits any of those (a delete,
 * another version's removal, a delete undone). Every other change refuses the append.
 */
function commitOnto(now: ObjectRecord | undefined, expected: ObjectRecord | undefined, length: number, ownBlob: boolean): boolean {
  if (appendRefusal(now, length, undefined)) return false;
  return ownBlob ? length === 0 : now !== undefined && expected !== undefined && now.blob === expected.blob;
}

export class Appender {
  private readonly locks = new KeyedMutex();
  private readonly inFlight = new Map<string, InFlight>();
  /** What the last append to each key committed (lockedCurrent()). */
  private readonly lastAppended = new BoundedMap<string, ObjectRecord>(LAST_APPENDED_MAX);
  /** Records of appends made with an Idempotency-Key (idempotency.ts). */
  private readonly keys: AppendKeys;
  /** Appends on an immutable blob store: one new segment each (segment-append.ts). */
  private readonly segments: SegmentAppender | undefined;
  /**
   * Called with each newly sealed record, once its seal is durable and before the client
   * is answered (follow reads end with reason `sealed` there). A second seal of a sealed
   * object changes nothing and calls nothing.
   */
  readonly sealListeners: Array<(sealed: ObjectRecord) => void> = [];

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly buckets: BucketService,
    private readonly onBackgroundError: (e: unknown) => void,
    private readonly flusher: JournalFlusher,
    /** Collects the blobs of versions a creating append replaced (a Suspended bucket's null version). */
    private readonly collect: Collect,
    /** Bytes beyond the committed length and new files are held there until settled (unsettled.ts). */
    private readonly unsettled: UnsettledBlobs,
    /** Told of each append committed as a segment (compaction.ts). */
    onSegmentAppended: (rec: ObjectRecord) => void = () => undefined,
  ) {
    this.keys = new AppendKeys(meta);
    this.segments = blobs.mutable ? undefined : new SegmentAppender(meta, blobs, unsettled, collect, onBackgroundError, onSegmentAppended);
  }

  /** What readers see of a row: the state before an append whose bytes are not yet durable. */
  visible<T extends ObjectState>(bucket: string, key: string, rec: T | undefined): T | ObjectRecord | undefined {
    const pending = rec && this.inFlight.get(`${bucket}\0${key}`);
    return pending && pending.revision === rec.revision ? pending.previous : rec;
  }

  async append(bucket: string, key: string, position: number, input: BodyInput, attrs: ObjectAttributes): Promise<ObjectRecord> {
    return (await this.appendOnce(bucket, key, position, input, attrs, undefined)).record;
  }

  /**
   * An append that may carry an Idempotency-Key (`token`, idempotency.ts): a retry of a
   * recorded append is answered from its record, under the key's lock (so a retry racing
   * its original waits for it), before the position is checked.
   */
  async appendOnce(bucket: string, key: string, position: number, input: BodyInput, attrs: ObjectAttributes, token: string | undefined): Promise<AppendOutcome> {
    const b = await this.buckets.require(bucket);
    const k = `${bucket}\0${key}`;
    const limit = appendSizeLimit(b);
    // While other appends to the key hold or wait for its lock, a fast refusal before
    // queueing. It uses what readers see: an append whose bytes are still becoming
    // durable is not yet there for anyone (else a 409 here and a 404 on GET could
    // contradict each other). Under the lock that append has finished. (With the lock
    // free, the check under it comes just as soon, and is the only lookup.)
    if (token === undefined && this.locks.busy(k)) checkAppendable(this.visible(bucket, key, await this.meta.objectState(bucket, key)), position, input.contentLength, limit);
    return this.locks.run(k, async () => {
      const recorded = token === undefined ? undefined : await this.keys.recorded(bucket, key, token);
      if (recorded) return { record: await this.keys.replay(recorded, position, input), replay: true };
      const current = await this.lockedCurrent(bucket, key, k, position, input.contentLength, limit);
      try {
        const appended = await this.appendLocked(b, key, current, input, attrs, token);
        this.lastAppended.set(k, appended);
        return { record: appended, replay: false };
      } catch (e) {
        this.lastAppended.delete(k);
        // Lost to the same keyed append committed by another node (a retry sent to two
        // nodes at once): answered as that one, like any retry (idempotency.ts).
        const lost = token === undefined ? undefined : fingerprintOf(e);
        const won = lost && (await this.keys.recorded(bucket, key, token!));
        if (lost && won) return { record: this.keys.replayLost(won, lost), replay: true };
        throw e;
      }
    });
  }

  /**
   * SealAppendObject (seal.ts): under the key's lock, as appends are, so that a seal and
   * the appends racing it are linearized: the seal finds every append before it durable,
   * and every append after it is refused.
   */
  async seal(bucket: string, key: string, position: number): Promise<ObjectRecord> {
    const b = await this.buckets.require(bucket);
    const k = `${bucket}\0${key}`;
    return this.locks.run(k, async () => {
      this.lastAppended.delete(k);
      const { record, sealedNow } = await commitSeal(this.meta, b, key, position);
      if (sealedNow) for (const listener of this.sealListeners) listener(record);
      return record;
    });
  }

  /**
   * The object as an append under the key's lock finds it. The record the last append to
   * the key committed saves reading the row back, when the new append fits it. It is a
   * hint: should another operation have changed the object since (a delete of an empty
   * object, say), the compare-and-set fails and the append is committed onto, or refused
   * by, the row it finds then (commitOnto(), refusalFrom()); an append is only refused
   * on a fresh read.
   */
  private async lockedCurrent(
    bucket: string,
    key: string,
    k: string,
    position: number,
    contentLength: number | undefined,
    limit: number,
  ): Promise<ObjectRecord | undefined> {
    const last = this.lastAppended.get(k);
    if (last && !appendRefusal(last, position, contentLength, limit)) return last;
    const current = await this.meta.getObject(bucket, key);
    checkAppendable(current, position, contentLength, limit);
    return current;
  }

  /**
   * An append that writes its file (a new blob, or bytes beyond the committed length of
   * an existing one) holds the blob as unsettled from before the write until it is
   * committed and durable or rolled back (unsettled.ts): after a crash, recovery checks
   * and trims exactly those blobs. Journaled appends to an existing blob write no file
   * here (their journal rows are what recovery replays).
   */
  private async appendLocked(
    b: BucketRecord,
    key: string,
    current: ObjectRecord | undefined,
    input: BodyInput,
    attrs: ObjectAttributes,
    token: string | undefined,
  ): Promise<ObjectRecord> {
    if (this.segments) return this.segments.append(b, key, current, input, attrs, token);
    // An append at 0 always writes a blob of its own, even onto an empty object that has
    // one (recovery leaves that state, the file empty, or lost with a power cut): a new id,
    // never the empty object's file (created again, or removed by a rollback). Its commit
    // then fits whatever empty or missing object it finds (commitOnto()), and the empty
    // object's file is collected after it.
    const create = !current?.blob || current.size === 0;
    const blob = create ? this.blobs.newBlobId() : current.blob!;
    const hold: AppendHold = { outcome: 'settled' };
    try {
      return await this.appendHeld(b, key, current, input, attrs, blob, create, hold, token);
    } finally {
      if (hold.recorded) this.unsettled.release(blob, hold.outcome);
    }
  }

  private async appendHeld(
    b: BucketRecord,
    key: string,
    current: ObjectRecord | undefined,
    input: BodyInput,
    attrs: ObjectAttributes,
    blob: string,
    /** `blob` is a new one, for this append's file (appendLocked). */
    create: boolean,
    hold: AppendHold,
    /** The Idempotency-Key: recorded by the commit itself (idempotency.ts). */
    token: string | undefined,
  ): Promise<ObjectRecord> {
    const bucket = b.name;
    const length = current?.size ?? 0;
    /** Resolves once the blob's unsettled row is durable: before its file is created or written. */
    const held = (): Promise<void> => (hold.recorded ??= this.unsettled.hold(blob));
    let writer: BlobWriter | undefined;
    let result: IngestResult;
    // Small bodies are collected in memory, to be journaled with the commit (one fsync for
    // both). Onto an existing blob they are not even written into its file here: they are
    // staged until the flusher writes them (journal-flusher.ts).
    const journaled = input.contentLength !== undefined && input.contentLength > 0 && input.contentLength <= JOURNAL_MAX;
    const memory = journaled ? new MemoryWriter() : undefined;
    // A larger append writes into the file beyond the staged bytes: those go in first.
    if (!journaled && !create) await this.flusher.writeStaged(blob);
    // Recorded while the body arrives; awaited before the file is opened.
    if (!journaled) held().catch(() => undefined);
    const open = memory
      ? async () => memory
      : async () => {
          await held();
          return (writer = await this.blobs.openWriter(blob, create));
        };
    try {
      result = await ingest(input.body, open, {
        startOffset: length,
        initialCrc: current ? BigInt(current.crc) : 0n,
        // A body without Content-Length is refused whole once it passes the limit.
        maxBytes: Math.max(0, appendSizeLimit(b) - length),
        tooLarge: () => appendTooLarge(appendSizeLimit(b), length),
        expectedLength: input.contentLength,
        expectedMd5: input.contentMd5,
        needMd5: false,
        chunksOwned: input.chunksOwned,
      });
    } catch (e) {
      if (!memory) hold.outcome = await this.rollback(writer, blob, create, length);
      if (!create && (e as NodeJS.ErrnoException).code === 'ENOENT') {
        const now = await this.meta.getObject(bucket, key);
        if (now?.blob !== blob) {
          // A put or delete replaced the object while the body streamed and its blob was
          // already collected: answer as OSS would now (append.md §6), not with a 5xx.
          throw refusalFrom(now, length);
        }
      }
      throw e;
    }
    const data = memory && result.wrote ? memory.bytes() : undefined;
    if (data && create) {
      // A creating append still makes its file, so the row references one; the bytes go
      // in unsynced (the journal keeps them durable) and the flusher syncs the file.
      try {
        await held();
        writer = await this.blobs.openWriter(blob, true);
        await writer.write([data], 0);
      } catch (e) {
        hold.outcome = await this.rollback(writer, blob, true, 0);
        throw e;
      }
    }
    const durable = writer && !journaled ? writer.sync() : Promise.resolve();
    durable.catch(() => undefined); // awaited below; never an unhandled rejection
    const k = `${bucket}\0${key}`;
    const body = {
      type: 'Appendable' as const,
      size: length + result.bytes,
      etag: appendableEtag(result.crc, length + result.bytes),
      crc: crc64ToDecimal(result.crc),
      blob: result.wrote || !create ? blob : null,
    };
    // Appends change the current version in place; only the creating one makes a version (append.md §9).
    let plan = current ? undefined : await planNewCurrent(this.meta, b, key, undefined);
    // Metadata, tags and storage class only at creation; the ACL on every append (append.md §2.1).
    const build = (base: ObjectRecord | undefined): ObjectRecord => {
      const appendBase = { size: base ? length : -1, crc: base?.crc ?? '0' };
      return base
        ? { ...base, ...body, appendBase, acl: attrs.acl ?? base.acl, mtimeMs: Date.now(), revision: this.meta.newRevision() }
        : withVersion({ ...newRecord(b, key, body, attrs, this.meta.newRevision()), appendBase }, plan ?? { archives: false });
    };
    const journal = data ? { kind: 'journal' as const, blob, offset: length, data } : undefined;
    // Staged before the commit: once the commit is visible, readers may need the bytes.
    const staged = journal && !create ? this.flusher.stage(blob, length, journal.data) : undefined;
    const unstage = (): void => {
      if (staged) this.flusher.unstage(blob, staged);
    };
    // Whether this append runs an expiry round is decided once, for all its attempts (idempotency.ts).
    const keyRecord = token === undefined ? undefined : recordAppendKey(token, length);
    let expected = current;
    for (;;) {
      const next = build(expected);
      // A journaled append is durable the moment its commit is: nothing to hide meanwhile.
      if (!journaled) this.inFlight.set(k, { revision: next.revision, previous: expected });
      let cas;
      try {
        const keyed = keyRecord?.(current?.crc ?? '0', next);
        cas = await this.meta.compareAndSwap(bucket, key, expected?.revision ?? null, next, journal, expected ? undefined : plan?.history, keyed);
      } catch (e) {
        unstage();
        this.inFlight.delete(k);
        await durable.catch(() => undefined);
        // A commit that may be on disk keeps its bytes: recovery checks them against its CRC.
        if (outcomeUnknown(e)) {
          hold.outcome = 'unsettled';
          await writer?.close().catch(() => undefined);
        } else hold.outcome = await this.rollback(writer, blob, create && result.wrote, length);
        throw e;
      }
      if (cas.ok) {
        for (const old of cas.removed ?? []) this.collect(old);
        if (staged) this.flusher.committed(blob, staged);
        else if (journal) this.flusher.markDirty(blob, next.size);
        const appended = await this.finish(k, next, expected, durable, writer, blob, create && result.wrote, length, hold);
        // An empty object's own blob, replaced by this append's (`create` above); only now,
        // as finish() puts the empty object back should the bytes fail to become durable.
        if (cas.previous?.blob && cas.previous.blob !== next.blob) this.collect(cas.previous);
        return appended;
      }
      this.inFlight.delete(k);
      const now = cas.current;
      if (commitOnto(now, expected, length, create)) {
        // A new object needs its versioning plan made again: the history may have changed too.
        if (!now) plan = await planNewCurrent(this.meta, b, key, undefined);
        expected = now;
        continue;
      }
      // Another writer changed the key between our check and our commit (a put, a delete):
      // nothing of ours is visible; answer from the row found now, as OSS would.
      unstage();
      await durable.catch(() => undefined);
      hold.outcome = await this.rollback(writer, blob, create && result.wrote, length);
      const crcBefore = current?.crc ?? '0';
      throw withFingerprint(refusalFrom(now, length), { position: length, bytes: result.bytes, crcBefore, crcAfter: crc64ToDecimal(result.crc) });
    }
  }

  /** Waits for the bytes to be durable; if they cannot be, the commit is undone before anyone was told. */
  private async finish(
    k: string,
    next: ObjectRecord,
    previous: ObjectRecord | undefined,
    durable: Promise<void>,
    writer: BlobWriter | undefined,
    blob: string,
    created: boolean,
    length: number,
    hold: AppendHold,
  ): Promise<ObjectRecord> {
    try {
      await durable;
    } catch (e) {
      const restored = previous ? { ...previous, revision: this.meta.newRevision() } : null;
      // The append's Idempotency-Key record, if any, goes with it (idempotency.ts).
      const undone = await this.meta.compareAndSwap(next.bucket, next.key, next.revision, restored, undefined, undefined, forgetRolledBack(restored)).then(
        () => true,
        (err: unknown) => void this.onBackgroundError(err),
      );
      hold.outcome = await this.rollback(writer, blob, created, length);
      // A commit that could not be undone: recovery checks that append's bytes against its CRC.
      if (!undone) hold.outcome = 'unsettled';
      throw e;
    } finally {
      this.inFlight.delete(k);
    }
    await writer?.close();
    return next;
  }

  /**
   * Undo an uncommitted append: cut the file back to the committed length, or drop a new
   * blob. The cut is made durable before the hold ends ('settled' lets its row go): else a
   * power cut could bring the bytes back with no row to have them trimmed. A removal is
   * made durable before its row goes by the row's batch (unsettled.ts).
   */
  private async rollback(writer: BlobWriter | undefined, blob: string, created: boolean, length: number): Promise<HoldOutcome> {
    try {
      if (writer) {
        try {
          if (!created) {
            await writer.truncate(length);
            await writer.sync();
          }
        } finally {
          await writer.close();
        }
      } else if (!created) {
        const size = await this.blobs.size(blob);
        if (size !== undefined && size > length) await this.blobs.truncate(blob, length);
      }
      if (created) await this.blobs.remove(blob);
      return created ? 'removed' : 'settled';
    } catch (e) {
      // Bytes beyond the committed length are invisible; recovery trims them (the blob stays unsettled).
      this.onBackgroundError(e);
      return 'unsettled';
    }
  }
}

/** An append's hold on its blob as unsettled (appendLocked). */
interface AppendHold {
  /** Set once the append asked for the hold. */
  recorded?: Promise<void>;
  outcome: HoldOutcome;
}
