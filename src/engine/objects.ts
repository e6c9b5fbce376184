/**
 * Object rules, written once (design.md "engine"): put, append, read, copy, delete and
 * ACL changes. Every write follows the same order: stream the bytes to a blob and make
 * them durable, then make them visible with one metadata compare-and-set, then collect
 * what the write replaced. A crash before the commit leaves only an unreferenced blob
 * (or bytes beyond an appendable object's committed length), which recovery removes.
 */
import { Readable } from 'node:stream';
import type { BlobReader, BlobStore, BlobWriter, MetadataStore } from '../drivers/types.js';
import { appendableEtag, newRecord, type ObjectAttributes } from './attributes.js';
import type { BucketService } from './buckets.js';
import { type Conditions, evaluateConditions, type ConditionOutcome } from './conditions.js';
import { crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import { ingest } from './ingest.js';
import { KeyedMutex } from './keyed-mutex.js';
import { BlobLeases } from './blob-leases.js';
import { segmentedStream } from './segmented-object.js';
import { MAX_OBJECT_SIZE, type ObjectAcl, type ObjectRecord } from './model.js';
import { nextRevision } from './revision.js';

export interface BodyInput {
  body: AsyncIterable<Buffer | string>;
  contentLength?: number;
  contentMd5?: Buffer;
}

export interface OpenedObject {
  record: ObjectRecord;
  /** Reads bytes [start, end) of the committed object. */
  stream(start: number, end: number): Readable;
  close(): Promise<void>;
}

export type CopyDirective = 'COPY' | 'REPLACE';

export interface CopyRequest {
  source: { bucket: string; key: string };
  conditions: Conditions;
  metadataDirective: CopyDirective;
  /** x-oss-tagging-directive (objects.md §5); absent means COPY. */
  taggingDirective?: CopyDirective;
  attrs: ObjectAttributes;
  forbidOverwrite: boolean;
}

const entityTooLarge = (): OssError => new OssError('EntityTooLarge');

export class ObjectService {
  private readonly appendLocks = new KeyedMutex();
  /** Segment blobs being read by a GET are removed only when it ends (blob-leases.ts). */
  readonly leases = new BlobLeases();

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly buckets: BucketService,
    private readonly onBackgroundError: (e: unknown) => void,
  ) {}

  async head(bucket: string, key: string): Promise<ObjectRecord> {
    await this.buckets.require(bucket);
    const rec = await this.meta.getObject(bucket, key);
    if (!rec) throw new OssError('NoSuchKey', undefined, { Key: key });
    return rec;
  }

  /** The committed object and a reader bound to exactly its committed bytes. */
  async open(bucket: string, key: string): Promise<OpenedObject> {
    await this.buckets.require(bucket);
    // A concurrent overwrite may remove the blob between the lookup and the open; the
    // lookup is then simply repeated against the new row.
    for (let attempt = 0; ; attempt++) {
      const record = await this.meta.getObject(bucket, key);
      if (!record) throw new OssError('NoSuchKey', undefined, { Key: key });
      if (record.segments) {
        // Lease the segments, then check the row is still the one read: a replacing write
        // committed before the lease may already have removed them (multipart.md §4).
        const release = this.leases.acquire(record.segments.map((s) => s.blob));
        if ((await this.meta.getObject(bucket, key))?.revision !== record.revision && attempt < 5) {
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
      let reader: BlobReader;
      try {
        reader = await this.blobs.openReader(record.blob);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw e;
      }
      return {
        record,
        stream: (start, end) => reader.stream(start, Math.min(end, record.size)),
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
    await this.buckets.require(bucket);
    if (forbidOverwrite && (await this.meta.getObject(bucket, key))) throw fileAlreadyExists(key);
    if (input.contentLength !== undefined && input.contentLength > MAX_OBJECT_SIZE) throw entityTooLarge();
    const blob = this.blobs.newBlobId();
    const r = await this.writeNewBlob(blob, input, MAX_OBJECT_SIZE, entityTooLarge);
    const next = newRecord(
      bucket,
      key,
      { type: 'Normal', size: r.bytes, etag: r.md5.toString('hex').toUpperCase(), crc: crc64ToDecimal(r.crc), blob: r.wrote ? blob : null },
      attrs,
    );
    return this.commitReplacing(next, forbidOverwrite);
  }

  /**
   * AppendObject (append.md §3): type and position are checked before the body is
   * read; the body goes beyond the committed length; the commit is a compare-and-set on
   * the revision that was checked. Appends to one key queue on a lock so they never
   * write the same file region at once.
   */
  async append(
    bucket: string,
    key: string,
    position: number,
    input: BodyInput,
    attrs: ObjectAttributes,
  ): Promise<ObjectRecord> {
    await this.buckets.require(bucket);
    checkAppendable(await this.meta.getObject(bucket, key), position, input.contentLength);
    return this.appendLocks.run(`${bucket}\0${key}`, async () => {
      const current = await this.meta.getObject(bucket, key);
      checkAppendable(current, position, input.contentLength);
      return this.appendLocked(bucket, key, current, input, attrs);
    });
  }

  private async appendLocked(
    bucket: string,
    key: string,
    current: ObjectRecord | undefined,
    input: BodyInput,
    attrs: ObjectAttributes,
  ): Promise<ObjectRecord> {
    const length = current?.size ?? 0;
    const create = !current?.blob;
    const blob = current?.blob ?? this.blobs.newBlobId();
    let writer: BlobWriter | undefined;
    let result;
    try {
      result = await ingest(input.body, async () => (writer = await this.blobs.openWriter(blob, create)), {
        startOffset: length,
        initialCrc: current ? BigInt(current.crc) : 0n,
        maxBytes: MAX_OBJECT_SIZE - length,
        tooLarge: appendTooLarge,
        expectedLength: input.contentLength,
        expectedMd5: input.contentMd5,
      });
      if (writer) await writer.sync();
    } catch (e) {
      await this.rollbackAppend(writer, blob, create, length);
      if (!create && (e as NodeJS.ErrnoException).code === 'ENOENT') {
        const now = await this.meta.getObject(bucket, key);
        if (now?.blob !== blob) {
          // A put or delete replaced the object while the body streamed and its blob was
          // already collected: answer as OSS would now (append.md §6), not with a 5xx.
          checkAppendable(now, length, undefined);
          throw new OssError('PositionNotEqualToLength', undefined, { nextPosition: String(now?.size ?? 0) });
        }
      }
      throw e;
    }
    await writer?.close();
    const body = {
      type: 'Appendable' as const,
      size: length + result.bytes,
      etag: appendableEtag(result.crc, length + result.bytes),
      crc: crc64ToDecimal(result.crc),
      blob: result.wrote || !create ? blob : null,
    };
    // Metadata, tags and storage class only at creation; the ACL on every append (append.md §2.1).
    const build = (base: ObjectRecord | undefined): ObjectRecord =>
      base
        ? { ...base, ...body, acl: attrs.acl ?? base.acl, mtimeMs: Date.now(), revision: nextRevision() }
        : newRecord(bucket, key, body, attrs);
    let expected = current;
    for (;;) {
      const next = build(expected);
      let cas;
      try {
        cas = await this.meta.compareAndSwap(bucket, key, expected?.revision ?? null, next);
      } catch (e) {
        await this.rollbackAppend(undefined, blob, create && result.wrote, length);
        throw e;
      }
      if (cas.ok) return next;
      // Only the revision moved (e.g. PutObjectACL): same appendable object, same length,
      // same blob, so our bytes are still exactly at its end. Commit on top of it.
      const now = cas.current;
      if (now && expected && now.type === 'Appendable' && now.size === length && now.blob === expected.blob) {
        expected = now;
        continue;
      }
      // Another writer changed the key between our check and our commit (another
      // process, or a put/delete): nothing of ours is visible; answer as OSS would now.
      await this.rollbackAppend(undefined, blob, create && result.wrote, length);
      checkAppendable(now, length, undefined);
      throw new OssError('PositionNotEqualToLength', undefined, { nextPosition: String(now?.size ?? 0) });
    }
  }

  /** Undo an uncommitted append: cut the file back to the committed length, or drop a new blob. */
  private async rollbackAppend(writer: BlobWriter | undefined, blob: string, created: boolean, length: number): Promise<void> {
    try {
      if (writer) {
        if (!created) await writer.truncate(length);
        await writer.close();
      } else if (!created) {
        const size = await this.blobs.size(blob);
        if (size !== undefined && size > length) await this.blobs.truncate(blob, length);
      }
      if (created) await this.blobs.remove(blob);
    } catch (e) {
      // Bytes beyond the committed length are invisible; recovery trims them.
      this.onBackgroundError(e);
    }
  }

  async copy(bucket: string, key: string, req: CopyRequest): Promise<{ record: ObjectRecord } | 'not-modified'> {
    await this.buckets.require(bucket);
    await this.buckets.require(req.source.bucket);
    const src = await this.open(req.source.bucket, req.source.key);
    try {
      const rec = src.record;
      // append.md §8 (project decision): CopyObject cannot be performed on appendable
      // objects, as the append-upload guides say; nothing is written at the destination.
      if (rec.type === 'Appendable') {
        // Code: 400 InvalidArgument (documented in docs/errors.md).
        throw new OssError('InvalidArgument', 'CopyObject cannot be performed on appendable objects.', {
          Key: req.source.key,
        });
      }
      const outcome: ConditionOutcome = evaluateConditions(req.conditions, rec.etag, rec.mtimeMs, 'x-oss-copy-source-');
      if (outcome === 'not-modified') return 'not-modified';
      const sameObject = req.source.bucket === bucket && req.source.key === key;
      const base = req.metadataDirective === 'REPLACE' ? req.attrs : copiedAttributes(rec, req.attrs);
      // objects.md §5: tagging directive Copy (the default) keeps the source's tags whatever
      // x-oss-tagging says; Replace takes x-oss-tagging (absent: no tags).
      const attrs = { ...base, tags: req.taggingDirective === 'REPLACE' ? (req.attrs.tags ?? []) : rec.tags };
      if (sameObject) {
        // Copy onto itself: a metadata update, same bytes and blob (objects.md §5).
        const next = { ...newRecord(bucket, key, rec, attrs), blob: rec.blob };
        const cas = await this.meta.compareAndSwap(bucket, key, rec.revision, next);
        if (!cas.ok) throw new OssError('PreconditionFailed', 'The source object changed during the copy.');
        return { record: next };
      }
      if (req.forbidOverwrite && (await this.meta.getObject(bucket, key))) throw fileAlreadyExists(key);
      const blob = this.blobs.newBlobId();
      const r = await this.writeNewBlob(blob, { body: src.stream(0, rec.size), contentLength: rec.size }, MAX_OBJECT_SIZE, entityTooLarge);
      // A Symlink source is copied as a symlink to the same target (objects.md §5).
      const link = rec.symlinkTarget === undefined ? {} : { symlinkTarget: rec.symlinkTarget };
      const next = newRecord(bucket, key, { type: rec.type, size: r.bytes, etag: rec.etag, crc: crc64ToDecimal(r.crc), blob: r.wrote ? blob : null, ...link }, attrs);
      return { record: await this.commitReplacing(next, req.forbidOverwrite) };
    } finally {
      await src.close();
    }
  }

  /** DeleteObject: 204 whether or not the key existed (objects.md §6). */
  async delete(bucket: string, key: string): Promise<void> {
    await this.buckets.require(bucket);
    for (;;) {
      const current = await this.meta.getObject(bucket, key);
      if (!current) return;
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, null);
      if (cas.ok) {
        this.collect(cas.previous, null);
        return;
      }
    }
  }

  async setAcl(bucket: string, key: string, acl: ObjectAcl): Promise<void> {
    for (;;) {
      const current = await this.head(bucket, key);
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, { ...current, acl, revision: nextRevision() });
      if (cas.ok) return;
    }
  }

  /** Put/DeleteObjectTagging (objects.md §10): only the tags change, never type, length, ETag or CRC (append.md §8). */
  async setTags(bucket: string, key: string, tags: Array<[string, string]>): Promise<void> {
    for (;;) {
      const current = await this.head(bucket, key);
      const cas = await this.meta.compareAndSwap(bucket, key, current.revision, { ...current, tags, revision: nextRevision() });
      if (cas.ok) return;
    }
  }

  /** Writes a whole new blob and makes it durable; removes it again on any failure. */
  async writeNewBlob(blob: string, input: BodyInput, maxBytes: number, tooLarge: () => OssError) {
    let writer: BlobWriter | undefined;
    try {
      const r = await ingest(input.body, async () => (writer = await this.blobs.openWriter(blob, true)), {
        startOffset: 0,
        initialCrc: 0n,
        maxBytes,
        tooLarge,
        expectedLength: input.contentLength,
        expectedMd5: input.contentMd5,
      });
      if (writer) {
        await writer.sync();
        await writer.close();
      }
      return r;
    } catch (e) {
      if (writer) {
        await writer.close().catch(() => undefined);
        await this.blobs.remove(blob).catch((err) => this.onBackgroundError(err));
      }
      throw e;
    }
  }

  /** Commits a record over whatever the key holds, then collects the replaced blob (also PutSymlink, symlinks.ts). */
  async commitReplacing(next: ObjectRecord, forbidOverwrite: boolean): Promise<ObjectRecord> {
    try {
      for (;;) {
        const current = await this.meta.getObject(next.bucket, next.key);
        if (current && forbidOverwrite) throw fileAlreadyExists(next.key);
        const cas = await this.meta.compareAndSwap(next.bucket, next.key, current?.revision ?? null, next);
        if (cas.ok) {
          this.collect(cas.previous, next.blob);
          return next;
        }
      }
    } catch (e) {
      if (next.blob) await this.blobs.remove(next.blob).catch((err) => this.onBackgroundError(err));
      throw e;
    }
  }

  /** Removes the blobs a committed write replaced (crash before this: the orphan sweep does it). */
  collect(previous: ObjectRecord | undefined, keptBlob: string | null): void {
    if (!previous) return;
    const blobs = previous.blob !== null ? [previous.blob] : (previous.segments ?? []).map((s) => s.blob);
    for (const blob of blobs) {
      if (blob === keptBlob) continue;
      this.leases.collect(blob, () => void this.blobs.remove(blob).catch((e) => this.onBackgroundError(e)));
    }
  }
}

function checkAppendable(current: ObjectRecord | undefined, position: number, contentLength: number | undefined): void {
  if (current && current.type !== 'Appendable') throw new OssError('ObjectNotAppendable');
  const length = current?.size ?? 0;
  if (position !== length) {
    throw new OssError('PositionNotEqualToLength', undefined, { nextPosition: String(length) });
  }
  if (contentLength !== undefined && length + contentLength > MAX_OBJECT_SIZE) throw appendTooLarge();
}

/** append.md §6 / README open question 1: the 5 GiB limit on append is 400 InvalidArgument. */
function appendTooLarge(): OssError {
  return new OssError('InvalidArgument', 'The object size after append exceeds 5GB.');
}

function fileAlreadyExists(key: string): OssError {
  return new OssError('FileAlreadyExists', undefined, { Key: key });
}

/** COPY directive: the source's content type, standard headers and user metadata. */
function copiedAttributes(src: ObjectRecord, requested: ObjectAttributes): ObjectAttributes {
  return {
    contentType: src.contentType,
    headers: { ...src.headers },
    meta: { ...src.meta },
    acl: requested.acl,
    storageClass: requested.storageClass ?? src.storageClass,
  };
}

function emptyObject(record: ObjectRecord): OpenedObject {
  return { record, stream: () => Readable.from([]), close: async () => undefined };
}
