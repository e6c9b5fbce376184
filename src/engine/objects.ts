/**
 * Object rules, written once (design.md "engine"): put, append, read, copy, delete and
 * ACL changes. Every write follows the same order: stream the bytes to a blob and make
 * them durable, then make them visible with one metadata compare-and-set, then collect
 * what the write replaced. A crash before the commit leaves only an unreferenced blob
 * (or bytes beyond an appendable object's committed length), which recovery removes: the
 * blob was recorded as unsettled before its file was written (unsettled.ts).
 */
import { Readable } from 'node:stream';
import {
  type BlobReader,
  type BlobStore,
  type BlobWriter,
  type CasResult,
  type CommittedBytes,
  isInlineBlob,
  type MetadataStore,
  newInlineBlobId,
  outcomeUnknown,
} from '../drivers/types.js';
import { newRecord, type ObjectAttributes, onlyEncryption, withoutEncryption } from './attributes.js';
import type { BucketService } from './buckets.js';
import { type Conditions, evaluateConditions, type ConditionOutcome } from './conditions.js';
import { crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import { ingest, type IngestOptions, type IngestResult } from './ingest.js';
import { inlineMax, inlineObject, MemoryWriter } from './inline.js';
import { Appender, refuseAppendableSource } from './append.js';
import type { AppendOutcome } from './idempotency.js';
import { withStaged } from './staged-read.js';
import type { JournalFlusher } from './journal-flusher.js';
import type { UnsettledBlobs } from './unsettled.js';
import type { ObjectChanges } from './object-changes.js';
import { BlobLeases } from './blob-leases.js';
import { segmentedStream } from './segmented-object.js';
import { DEFAULT_GC_GRACE_MS, DeferredRemovals } from './deferred-removals.js';
import { type BucketRecord, MAX_OBJECT_SIZE, type ObjectAcl, type ObjectRecord } from './model.js';
import {
  type DeleteOutcome,
  deleteVersion,
  deleteWithMarker,
  noSuchKey,
  planNewCurrent,
  requireVersion,
  updateVersion,
  withVersion,
} from './versioning.js';

export interface BodyInput {
  body: AsyncIterable<Buffer | string>;
  contentLength?: number;
  contentMd5?: Buffer;
  /**
   * The body's chunks belong to nobody else (a request body read off the network): once
   * written, their memory is freed at once (free-now.ts). Never for bytes something else
   * may still read, such as a stored object's being copied.
   */
  chunksOwned?: boolean;
}

export interface OpenedObject {
  record: ObjectRecord;
  /** Reads bytes [start, end) of the committed object. */
  stream(start: number, end: number): Readable;
  /** Bytes [start, end) in one buffer (single-blob objects), for small bodies. */
  read?(start: number, end: number): Promise<Buffer>;
  /** Up to buf.length committed bytes at `position` into the caller's buffer (objects in one file, nothing staged). */
  readAt?(buf: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export type CopyDirective = 'COPY' | 'REPLACE';

export interface CopyRequest {
  source: { bucket: string; key: string; versionId?: string };
  conditions: Conditions;
  metadataDirective: CopyDirective;
  /** x-oss-tagging-directive (objects.md §5); absent means COPY. */
  taggingDirective?: CopyDirective;
  attrs: ObjectAttributes;
  forbidOverwrite: boolean;
}

const entityTooLarge = (): OssError => new OssError('EntityTooLarge');

export class ObjectService {
  private readonly appender: Appender;
  /** Segment blobs being read by a GET are removed only when it ends (blob-leases.ts). */
  readonly leases = new BlobLeases();
  /** Bodies up to this length are stored inline (inline.ts). */
  private readonly inlineMax = inlineMax();
  /** On an immutable blob store, dereferenced blobs wait out a grace period (deferred-removals.ts). */
  readonly removals: DeferredRemovals | undefined;

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly buckets: BucketService,
    private readonly onBackgroundError: (e: unknown) => void,
    private readonly flusher: JournalFlusher,
    /** New blob files are held there until committed or removed (unsettled.ts). */
    private readonly unsettled: UnsettledBlobs,
    /** Told after each commit that changes a key's current object: wakes follow reads (follow.ts). */
    private readonly changes: ObjectChanges,
    options: { gcGraceMs?: number; onSegmentAppended?: (rec: ObjectRecord) => void } = {},
  ) {
    this.removals = blobs.mutable ? undefined : new DeferredRemovals(options.gcGraceMs ?? DEFAULT_GC_GRACE_MS);
    this.appender = new Appender(meta, blobs, buckets, onBackgroundError, flusher, (gone) => this.collect(gone, null), unsettled, options.onSegmentAppended);
    // Follow reads of a sealed object end with reason `sealed` (follow.ts).
    this.appender.sealListeners.push((sealed) => changes.notify(sealed.bucket, sealed.key, 'sealed'));
  }

  /** The current version (or the named one) as readers see it. */
  async head(bucket: string, key: string, versionId?: string): Promise<ObjectRecord> {
    return (await this.find(bucket, key, versionId)).record;
  }

  /** The record to read and how to look it up again (a concurrent write may replace it). */
  private async find(bucket: string, key: string, versionId: string | undefined) {
    const b = await this.buckets.require(bucket);
    const lookup = async (): Promise<ObjectRecord | undefined> => {
      if (versionId === undefined) return this.appender.visible(bucket, key, await this.meta.getObject(bucket, key));
      const { record } = await requireVersion(this.meta, bucket, key, versionId);
      return this.appender.visible(bucket, key, record);
    };
    const record = await lookup();
    if (!record) throw await noSuchKey(this.meta, b, key);
    return { record, lookup };
  }

  /** The row as writers must see it (compare-and-set tokens), even while an append is becoming durable. */
  private async latest(bucket: string, key: string): Promise<ObjectRecord> {
    await this.buckets.require(bucket);
    const rec = await this.meta.getObject(bucket, key);
    if (!rec) throw new OssError('NoSuchKey', undefined, { Key: key });
    return rec;
  }

  /** The committed object (the current version, or the named one) and a reader bound to exactly its committed bytes. */
  async open(bucket: string, key: string, versionId?: string): Promise<OpenedObject> {
    // A concurrent overwrite may remove the blob between the lookup and the open; the
    // lookup is then simply repeated against the new row.
    for (let attempt = 0; ; attempt++) {
      const { record, lookup } = await this.find(bucket, key, versionId);
      if (record.segments) {
        // Lease the segments, then check the row is still the one read: a replacing write
        // committed before the lease may already have removed them (multipart.md §4).
        const release = this.leases.acquire(record.segments.map((s) => s.blob));
        // (On an immutable store no dereferenced blob goes before the grace period: no check needed.)
        if (this.blobs.mutable && (await lookup().catch(() => undefined))?.revision !== record.revision && attempt < 5) {
          release();
          continue;
        }
        const segments = record.segments;
        return {
          record,
          stream: (start, end) => segmentedStream(this.blobs, segments, start, Math.min(end, record.size)),
          close: async () => release(),
        };
      }
      if (record.blob === null) return emptyObject(record);
      if (isInlineBlob(record.blob)) {
        const data = await this.meta.inline.read(record.blob);
        if (data) return inlineObject(record, data);
        if (attempt < 5) continue; // replaced meanwhile: look the key up again
        throw Object.assign(new Error(`inline blob ${record.blob} is gone`), { code: 'ENOENT' });
      }
      let reader: BlobReader;
      try {
        // Appendable objects: their newest bytes may still be staged in memory.
        const staged = record.type === 'Appendable' ? this.flusher.stagedOf(record.blob) : [];
        reader = withStaged(await this.blobs.openReader(record.blob), staged);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw e;
      }
      const readAt = reader.readAt?.bind(reader);
      return {
        record,
        stream: (start, end) => reader.stream(start, Math.min(end, record.size)),
        read: (start, end) => reader.read(start, Math.min(end, record.size)),
        ...(readAt ? { readAt: (buf: Buffer, position: number) => readAt(buf.subarray(0, Math.max(0, record.size - position)), position) } : {}),
        close: () => reader.close(),
      };
    }
  }

  async put(
    bucket: string,
    key: string,
    input: BodyInput,
    attrs: ObjectAttributes,
    forbidOverwrite: boolean,
  ): Promise<ObjectRecord> {
    const b = await this.buckets.require(bucket);
    if (forbidOverwrite && (await this.meta.getObject(bucket, key))) throw fileAlreadyExists(key);
    if (input.contentLength !== undefined && input.contentLength > MAX_OBJECT_SIZE) throw entityTooLarge();
    const { r, blob, bytes } = await this.storeBody(input);
    const next = newRecord(
      b,
      key,
      { type: 'Normal', size: r.bytes, etag: r.md5.toString('hex').toUpperCase(), crc: crc64ToDecimal(r.crc), blob },
      attrs,
      this.meta.newRevision(),
    );
    return this.commitReplacing(next, forbidOverwrite, b, bytes);
  }

  /**
   * The bytes of a new object: a body of known small length is kept in memory and stored
   * inline with the commit (inline.ts); anything else goes to a new blob file, durable
   * before the commit.
   */
  private async storeBody(input: BodyInput): Promise<{ r: IngestResult; blob: string | null; bytes?: CommittedBytes }> {
    if (input.contentLength === undefined || input.contentLength > this.inlineMax) {
      const file = this.blobs.newBlobId();
      const r = await this.writeNewBlob(file, input, MAX_OBJECT_SIZE, entityTooLarge);
      return { r, blob: r.wrote ? file : null };
    }
    const memory = new MemoryWriter();
    const r = await ingest(input.body, async () => memory, newBodyOptions(input, MAX_OBJECT_SIZE, entityTooLarge));
    if (!r.wrote) return { r, blob: null };
    const blob = newInlineBlobId();
    return { r, blob, bytes: { kind: 'inline', blob, data: memory.bytes() } };
  }

  /** SealAppendObject: see seal.ts. */
  seal(bucket: string, key: string, position: number): Promise<ObjectRecord> {
    return this.appender.seal(bucket, key, position);
  }

  /** Called with each object when it is first sealed, once the seal is durable (append.ts sealListeners). */
  onSealed(listener: (sealed: ObjectRecord) => void): void {
    this.appender.sealListeners.push(listener);
  }

  /** AppendObject (append.md): see append.ts. */
  append(bucket: string, key: string, position: number, input: BodyInput, attrs: ObjectAttributes): Promise<ObjectRecord> {
    return this.appender.append(bucket, key, position, input, attrs).then((rec) => (this.changes.notify(bucket, key, 'appended'), rec));
  }

  /** AppendObject with an optional Idempotency-Key (idempotency.ts, docs/extensions.md). */
  appendOnce(bucket: string, key: string, position: number, input: BodyInput, attrs: ObjectAttributes, token: string | undefined): Promise<AppendOutcome> {
    return this.appender.appendOnce(bucket, key, position, input, attrs, token).then((outcome) => {
      if (!outcome.replay) this.changes.notify(bucket, key, 'appended');
      return outcome;
    });
  }

  async copy(bucket: string, key: string, req: CopyRequest): Promise<{ record: ObjectRecord; source: ObjectRecord } | 'not-modified'> {
    const b = await this.buckets.require(bucket);
    await this.buckets.require(req.source.bucket);
    const src = await this.open(req.source.bucket, req.source.key, req.source.versionId).catch(deleteMarkerSource);
    try {
      const rec = src.record;
      refuseAppendableSource(rec, 'CopyObject', req.source.key);
      const outcome: ConditionOutcome = evaluateConditions(req.conditions, rec.etag, rec.mtimeMs);
      if (outcome === 'not-modified') return 'not-modified';
      // In a versioned bucket a copy onto itself makes a new version, with bytes of its own.
      const sameObject = req.source.bucket === bucket && req.source.key === key && b.versioning === undefined && req.source.versionId === undefined;
      const base = req.metadataDirective === 'REPLACE' ? req.attrs : copiedAttributes(rec, req.attrs);
      // objects.md §5: tagging directive Copy (the default) keeps the source's tags whatever
      // x-oss-tagging says; Replace takes x-oss-tagging (absent: no tags).
      const attrs = { ...base, tags: req.taggingDirective === 'REPLACE' ? (req.attrs.tags ?? []) : rec.tags };
      if (sameObject) {
        // Copy onto itself: a metadata update, same bytes and blob (objects.md §5).
        const next = { ...newRecord(b, key, rec, attrs, this.meta.newRevision()), blob: rec.blob };
        const cas = await this.meta.compareAndSwap(bucket, key, rec.revision, next);
        if (!cas.ok) throw new OssError('PreconditionFailed', 'The source object changed during the copy.');
        return { record: next, source: rec };
      }
      if (req.forbidOverwrite && (await this.meta.getObject(bucket, key))) throw fileAlreadyExists(key);
      const { r, blob, bytes } = await this.storeBody({ body: src.stream(0, rec.size), contentLength: rec.size });
      // A Symlink source is copied as a symlink to the same target (objects.md §5).
      const link = rec.symlinkTarget === undefined ? {} : { symlinkTarget: rec.symlinkTarget };
      const next = newRecord(b, key, { type: rec.type, size: r.bytes, etag: rec.etag, crc: crc64ToDecimal(r.crc), blob, ...link }, attrs, this.meta.newRevision());
      return { record: await this.commitReplacing(next, req.forbidOverwrite, b, bytes), source: rec };
    } finally {
      await src.close();
    }
  }

  /** DeleteObject: 204 whether or not the key existed (objects.md §6); in a versioned bucket, a delete marker. */
  async delete(bucket: string, key: string, versionId?: string): Promise<DeleteOutcome> {
    const b = await this.buckets.require(bucket);
    const collect = (gone: ObjectRecord | undefined) => this.collect(gone, null);
    if (versionId !== undefined) {
      // A version deleted by id may or may not have been the current one: followers look.
      const outcome = await deleteVersion(this.meta, bucket, key, versionId, collect).finally(() => this.changes.notify(bucket, key, 'changed'));
      // A bucket that never had versioning names no version in its answer, not even `null`
      // (alibabacloud-oss-go-sdk-v2 TestDeleteObject: versionId=null, no x-oss-version-id).
      return b.versioning === undefined ? { ...outcome, versionId: undefined } : outcome;
    }
    if (b.versioning !== undefined) return deleteWithMarker(this.meta, b, key, collect).then((outcome) => (this.changes.notify(bucket, key, 'deleted'), outcome));
    for (;;) {
      const current = await this.meta.getObject(bucket, key);
      if (!current) return { deleteMarker: false };
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, null);
      if (cas.ok) {
        this.changes.notify(bucket, key, 'deleted');
        this.collect(cas.previous, null);
        return { deleteMarker: false };
      }
    }
  }

  /** Resolves with the changed record (its version id answers the request on a versioned bucket). */
  setAcl(bucket: string, key: string, acl: ObjectAcl, versionId?: string): Promise<ObjectRecord> {
    return this.changeInPlace(bucket, key, versionId, (rec) => ({ ...rec, acl }));
  }

  /** Put/DeleteObjectTagging (objects.md §10): only the tags change, never type, length, ETag or CRC (append.md §8). */
  setTags(bucket: string, key: string, tags: Array<[string, string]>, versionId?: string): Promise<ObjectRecord> {
    return this.changeInPlace(bucket, key, versionId, (rec) => ({ ...rec, tags }));
  }

  /** Changes attributes of the current version (or the named one) in place: no new version, same bytes. */
  private async changeInPlace(bucket: string, key: string, versionId: string | undefined, change: (rec: ObjectRecord) => ObjectRecord): Promise<ObjectRecord> {
    if (versionId !== undefined) {
      await this.buckets.require(bucket);
      return updateVersion(this.meta, bucket, key, versionId, change);
    }
    for (;;) {
      const current = await this.latest(bucket, key);
      const changed = { ...change(current), revision: this.meta.newRevision() };
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, changed);
      if (cas.ok) return changed;
    }
  }

  /**
   * Writes a whole new blob and makes it durable; removes it again on any failure. The
   * blob is held as unsettled (unsettled.ts) from before its file exists: when the result
   * says it was written, the caller releases it once committed (commitReplacing does) or
   * removed.
   */
  async writeNewBlob(blob: string, input: BodyInput, maxBytes: number, tooLarge: () => OssError) {
    let writer: BlobWriter | undefined;
    // Recorded while the first bytes arrive; the file is created only once that is durable.
    const held = this.unsettled.hold(blob);
    const open = async (): Promise<BlobWriter> => {
      await held;
      return (writer = await this.blobs.openWriter(blob, true));
    };
    try {
      const r = await ingest(input.body, open, newBodyOptions(input, maxBytes, tooLarge));
      if (writer) {
        await writer.sync();
        await writer.close();
      } else this.unsettled.release(blob); // an empty body: no file
      return r;
    } catch (e) {
      if (writer) {
        await writer.close().catch(() => undefined);
        await this.unsettled.discard(blob, () => this.blobs.remove(blob)).catch((err) => this.onBackgroundError(err));
      } else this.unsettled.release(blob);
      throw e;
    }
  }

  /** A new revision from the metadata store (for records made outside this service, symlinks.ts). */
  newRevision(): number {
    return this.meta.newRevision();
  }

  /**
   * Commits a record as the key's new current version (also PutSymlink, symlinks.ts), then
   * collects what it replaced: the old current unless versioning keeps it.
   */
  async commitReplacing(record: ObjectRecord, forbidOverwrite: boolean, bucket?: BucketRecord, bytes?: CommittedBytes): Promise<ObjectRecord> {
    const b = bucket ?? (await this.buckets.require(record.bucket));
    try {
      let attempt = record;
      for (;;) {
        const current = await this.meta.getObject(record.bucket, record.key);
        if (current && forbidOverwrite) throw fileAlreadyExists(record.key);
        const plan = await planNewCurrent(this.meta, b, record.key, current);
        const next = withVersion(attempt, plan);
        const cas = await this.meta.compareAndSwap(next.bucket, next.key, current?.revision ?? null, next, bytes, plan.history);
        if (cas.ok) {
          if (next.blob !== null) this.unsettled.release(next.blob);
          this.collectReplaced(cas, plan.archives, next.blob);
          return next;
        }
        // Lost to a writer that committed meanwhile: this version becomes current after that
        // one, so it is stamped no earlier (versions list newest first, by Last-Modified too,
        // also when the writers are nodes whose clocks differ a little).
        attempt = { ...record, mtimeMs: Math.max(Date.now(), cas.current?.mtimeMs ?? 0) };
      }
    } catch (e) {
      // A commit that may be on disk keeps its blob, and its unsettled row: recovery keeps
      // the blob if the row is there and removes it if not. An inline blob was only ever
      // written by a commit that succeeded.
      const file = record.blob !== null && !isInlineBlob(record.blob) ? record.blob : undefined;
      if (file && outcomeUnknown(e)) this.unsettled.release(file, 'unsettled');
      else if (file) await this.unsettled.discard(file, () => this.blobs.remove(file)).catch((err) => this.onBackgroundError(err));
      throw e;
    }
  }

  /** After a committed swap: collects the replaced current (unless versioning kept it) and the noncurrent versions it removed. */
  collectReplaced(cas: CasResult & { ok: true }, archived: boolean, keptBlob: string | null): void {
    // A new current object (put, copy, complete, symlink, a new version): followers of the old one end.
    if (cas.previous) this.changes.notify(cas.previous.bucket, cas.previous.key, 'replaced');
    if (!archived) this.collect(cas.previous, keptBlob);
    for (const old of cas.removed ?? []) this.collect(old, null);
  }

  /** Removes the blobs a committed write replaced (crash before this: recovery finds them through their unsettled rows, which the commit wrote). */
  collect(previous: ObjectRecord | undefined, keptBlob: string | null): void {
    if (!previous) return;
    const blobs = previous.blob !== null ? [previous.blob] : (previous.segments ?? []).map((s) => s.blob);
    this.collectBlobs(blobs.filter((blob) => blob !== keptBlob));
  }

  /** Removes blobs a committed write dereferenced: once no reader here leases them, and on an immutable store after the grace period. */
  collectBlobs(blobs: readonly string[]): void {
    for (const blob of blobs) {
      // Inline blobs went with the commit that dropped their last reference (inline-store.ts).
      if (isInlineBlob(blob)) continue;
      const remove = (): void => this.leases.collect(blob, () => void this.unsettled.discard(blob, () => this.blobs.remove(blob)).catch((e) => this.onBackgroundError(e)));
      if (this.removals) this.removals.schedule(remove);
      else remove();
    }
  }
}

/** objects.md §5: a copy whose source version is a delete marker is 404, as for a missing source. */
function deleteMarkerSource(e: unknown): never {
  if (e instanceof OssError && e.code === 'MethodNotAllowed') throw new OssError('NoSuchKey', undefined, e.details);
  throw e;
}

function fileAlreadyExists(key: string): OssError {
  return new OssError('FileAlreadyExists', undefined, { Key: key });
}

/** COPY directive: the source's content type, standard headers and user metadata. */
function copiedAttributes(src: ObjectRecord, requested: ObjectAttributes): ObjectAttributes {
  return {
    contentType: src.contentType,
    // Encryption follows the copy request, never the source (OSS CopyObject).
    headers: { ...withoutEncryption(src.headers), ...onlyEncryption(requested.headers) },
    meta: { ...src.meta },
    acl: requested.acl,
    storageClass: requested.storageClass ?? src.storageClass,
  };
}

/** ingest() options for the body of a new object (from offset 0, CRC from 0). */
function newBodyOptions(input: BodyInput, maxBytes: number, tooLarge: () => OssError): IngestOptions {
  return { startOffset: 0, initialCrc: 0n, maxBytes, tooLarge, expectedLength: input.contentLength, expectedMd5: input.contentMd5, chunksOwned: input.chunksOwned };
}

function emptyObject(record: ObjectRecord): OpenedObject {
  return { record, stream: () => Readable.from([]), close: async () => undefined };
}
