/**
 * Multipart upload (multipart.md), written once over the driver primitives. Parts follow
 * the write order of docs/storage.md: each part is streamed to its own new blob and made
 * durable, then recorded with one metadata write that succeeds only while the upload
 * exists. Complete copies no bytes: one transaction turns the listed parts into the
 * segments of the object and removes the upload, so a reader sees the old object or the
 * new one. Blobs nothing references any more (replaced parts, unlisted parts, aborted
 * uploads, the replaced object) are removed after the commit, or after a crash by
 * recovery, which finds them through the unsettled rows the commit wrote (unsettled.ts).
 */
import { createHash } from 'node:crypto';
import { type BlobStore, type MetadataStore, outcomeUnknown } from '../drivers/types.js';
import type { ObjectAttributes } from './attributes.js';
import { newRecord } from './attributes.js';
import type { BucketService } from './buckets.js';
import { type Conditions, evaluateConditions } from './conditions.js';
import { crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { ObjectAcl, ObjectRecord } from './model.js';
import { MAX_PART_NUMBER, MAX_PART_SIZE, newUploadId, type PartRecord, type UploadRecord } from './multipart-model.js';
import { checkPartOrder, type ListedPart, multipartCrc, multipartEtag, resolveParts, segmentsOf } from './multipart-rules.js';
import type { IngestResult } from './ingest.js';
import type { BodyInput, ObjectService } from './objects.js';
import { refuseAppendableSource } from './append.js';
import { listUploads, type UploadListQuery, type UploadListResult } from './upload-listing.js';
import { planNewCurrent, withVersion } from './versioning.js';
import type { UnsettledBlobs } from './unsettled.js';

export interface PartCopyRequest {
  source: { bucket: string; key: string; versionId?: string };
  conditions: Conditions;
  /** x-oss-copy-source-range as [first, last] inclusive, already parsed; undefined = whole source. */
  range?: (size: number) => { start: number; end: number } | undefined;
}

export interface PartCopyResult {
  part: PartRecord;
  /** Bytes [start, end) of a source of `sourceSize` bytes. */
  start: number;
  end: number;
  sourceSize: number;
  /** The source version copied from (multipart.md §3: x-oss-copy-source-version-id). */
  source: ObjectRecord;
}

export interface CompleteOptions {
  /** Listed parts, or 'all' for `x-oss-complete-all: yes` (multipart.md §4). */
  parts: ListedPart[] | 'all';
  forbidOverwrite: boolean;
  /** x-oss-object-acl given at Complete (the C++ resumable uploader sends it there). */
  acl?: ObjectAcl;
}

export interface PartsPage {
  upload: UploadRecord;
  parts: PartRecord[];
  isTruncated: boolean;
}

const noSuchUpload = (): OssError => new OssError('NoSuchUpload');
const entityTooLarge = (): OssError => new OssError('EntityTooLarge');

export class MultipartService {
  /** Serializes the order check and the recording of parts of one sequential upload. */
  private readonly sequentialLock = new KeyedMutex();

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly buckets: BucketService,
    private readonly objects: ObjectService,
    private readonly onBackgroundError: (e: unknown) => void,
    /** Part blobs are held there from before their file exists until recorded or removed (unsettled.ts). */
    private readonly unsettled: UnsettledBlobs,
  ) {}

  /** §1: a new upload id; the metadata given now is the completed object's. */
  async initiate(bucket: string, key: string, attrs: ObjectAttributes, forbidOverwrite: boolean, sequential = false): Promise<UploadRecord> {
    await this.buckets.require(bucket);
    const upload: UploadRecord = {
      bucket, key, uploadId: newUploadId(), initiatedMs: Date.now(), attrs, forbidOverwrite, ...(sequential ? { sequential } : {}),
    };
    await this.meta.multipart.insertUpload(upload);
    return upload;
  }

  /** The upload, or 404 NoSuchUpload (also for an upload of another key). */
  async requireUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    await this.buckets.require(bucket);
    const upload = await this.meta.multipart.getUpload(bucket, key, uploadId);
    if (!upload) throw noSuchUpload();
    return upload;
  }

  /** §2: the bucket and the upload are checked before the body is read. */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, input: BodyInput): Promise<PartRecord> {
    const upload = await this.requireUpload(bucket, key, uploadId);
    if (input.contentLength !== undefined && input.contentLength > MAX_PART_SIZE) throw entityTooLarge();
    await this.checkSequential(upload, partNumber);
    const blob = this.blobs.newBlobId();
    const r = await this.objects.writeNewBlob(blob, input, MAX_PART_SIZE, entityTooLarge);
    return this.recordPart(upload, partOf(partNumber, blob, r));
  }

  /**
   * A sequential upload takes part N only when it holds parts 1…N-1 and not N: another part
   * number is 400 PartNotSequential, a part already there 409 PartAlreadyExist (EC
   * 0042-00000108: "For sequential multipart upload, you can't overwrite uploaded parts.").
   * Checked before the body is read, and again when the part is recorded (recordPart).
   */
  private async checkSequential(upload: UploadRecord, partNumber: number): Promise<void> {
    if (upload.sequential !== true) return;
    const [at] = await this.meta.multipart.listParts(upload.uploadId, partNumber - 1, 1);
    if (at?.partNumber === partNumber) {
      throw new OssError('PartAlreadyExist', undefined, { PartNumber: String(partNumber) });
    }
    const [before] = partNumber > 1 ? await this.meta.multipart.listParts(upload.uploadId, partNumber - 2, 1) : [undefined];
    if (at !== undefined || (partNumber > 1 && before?.partNumber !== partNumber - 1)) {
      throw new OssError('PartNotSequential', undefined, { PartNumber: String(partNumber) });
    }
  }

  /**
   * §3: the part is a byte range of an existing object. Appendable sources are refused like
   * CopyObject refuses them (append.md §8, docs/errors.md choices), before anything is written.
   */
  async uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    req: PartCopyRequest,
  ): Promise<PartCopyResult | 'not-modified'> {
    const upload = await this.requireUpload(bucket, key, uploadId);
    await this.checkSequential(upload, partNumber);
    const src = await this.objects.open(req.source.bucket, req.source.key, req.source.versionId);
    try {
      const rec = src.record;
      refuseAppendableSource(rec, 'UploadPartCopy', req.source.key);
      if (evaluateConditions(req.conditions, rec.etag, rec.mtimeMs) === 'not-modified') return 'not-modified';
      const { start, end } = req.range?.(rec.size) ?? { start: 0, end: rec.size };
      if (end - start > MAX_PART_SIZE) throw entityTooLarge();
      const blob = this.blobs.newBlobId();
      const r = await this.objects.writeNewBlob(blob, { body: src.stream(start, end), contentLength: end - start }, MAX_PART_SIZE, entityTooLarge);
      return { part: await this.recordPart(upload, partOf(partNumber, blob, r)), start, end, sourceSize: rec.size, source: rec };
    } finally {
      await src.close();
    }
  }

  /** Records a durable part; the part it replaces is collected (§2 "replaces the earlier part"). */
  private async recordPart(upload: UploadRecord, part: PartRecord): Promise<PartRecord> {
    const { bucket, key, uploadId } = upload;
    let result;
    try {
      // A sequential upload checks its order again and records under one lock, so two
      // uploads of the same next part cannot both be taken.
      result = upload.sequential === true
        ? await this.sequentialLock.run(uploadId, async () => {
          await this.checkSequential(upload, part.partNumber);
          return this.meta.multipart.putPart(bucket, key, uploadId, part);
        })
        : await this.meta.multipart.putPart(bucket, key, uploadId, part);
    } catch (e) {
      // A commit that may be on disk keeps the blob and its unsettled row, for recovery.
      if (!outcomeUnknown(e)) this.removeBlob(part.blob);
      else if (part.blob !== null) this.unsettled.release(part.blob, 'unsettled');
      throw e;
    }
    if (result.ok && part.blob !== null) this.unsettled.release(part.blob);
    if (!result.ok) {
      // Completed or aborted while the body streamed: nothing of this part is visible.
      this.removeBlob(part.blob);
      throw noSuchUpload();
    }
    this.removeBlob(result.previous?.blob ?? null);
    return part;
  }

  /** §4: validates in the documented order, then commits atomically. */
  async complete(bucket: string, key: string, uploadId: string, opts: CompleteOptions): Promise<ObjectRecord> {
    const upload = await this.requireUpload(bucket, key, uploadId);
    const b = await this.buckets.require(bucket);
    const attrs: ObjectAttributes = opts.acl !== undefined ? { ...upload.attrs, acl: opts.acl } : upload.attrs;
    const forbid = opts.forbidOverwrite || upload.forbidOverwrite;
    for (;;) {
      const uploaded = await this.meta.multipart.listParts(uploadId, 0, MAX_PART_NUMBER + 1);
      const listed = opts.parts === 'all' ? uploaded.map((p) => ({ partNumber: p.partNumber, etag: p.etag })) : opts.parts;
      // Complete-all of an upload without parts has nothing to name; a part list that names
      // none (parseCompleteXml) makes an empty object.
      if (listed.length === 0 && opts.parts === 'all') throw new OssError('InvalidPart', 'The upload has no parts to complete.');
      checkPartOrder(listed);
      const parts = resolveParts(listed, uploaded);
      const size = parts.reduce((n, p) => n + p.size, 0);
      const body = { type: 'Multipart' as const, size, etag: multipartEtag(parts), crc: multipartCrc(parts), blob: null };
      const segments = segmentsOf(parts);
      // A sequential upload's object has an MD5 of its whole content, sent as Content-MD5 on
      // GET and HEAD (oss2 tests/test_multipart.py test_multipart_sequential: present for a
      // sequential upload, absent for another); computed here from the parts, in order.
      const objectAttrs = upload.sequential === true
        ? { ...attrs, headers: { ...attrs.headers, 'content-md5': await this.md5Of(parts) } }
        : attrs;
      const current = await this.meta.getObject(bucket, key);
      // §4 step 6.
      if (forbid && current) throw new OssError('FileAlreadyExists', undefined, { Key: key });
      const plan = await planNewCurrent(this.meta, b, key, current);
      const next: ObjectRecord = withVersion({ ...newRecord(b, key, body, objectAttrs, this.meta.newRevision()), ...(segments.length > 0 ? { segments } : {}) }, plan);
      const used = parts.map((p) => ({ partNumber: p.partNumber, blob: p.blob }));
      const r = await this.meta.multipart.completeUpload(bucket, key, uploadId, used, current?.revision ?? null, next, plan.history);
      if (r.status === 'no-upload') throw noSuchUpload();
      // A part was replaced, or the key was written, since we looked: validate again.
      if (r.status !== 'ok') continue;
      this.objects.collectReplaced({ ok: true, previous: r.previous, removed: r.removed }, plan.archives, null);
      for (const p of r.discarded) this.removeBlob(p.blob);
      return next;
    }
  }

  /** Base64 MD5 of the parts' bytes, in order (a part whose blob is gone fails the Complete). */
  private async md5Of(parts: ReadonlyArray<{ blob: string | null; size: number }>): Promise<string> {
    const hash = createHash('md5');
    for (const p of parts) {
      if (p.blob === null || p.size === 0) continue;
      let reader;
      try {
        reader = await this.blobs.openReader(p.blob);
      } catch (e) {
        // Aborted meanwhile: its parts are being removed.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload();
        throw e;
      }
      try {
        for await (const chunk of reader.stream(0, p.size)) hash.update(chunk as Buffer);
      } finally {
        await reader.close();
      }
    }
    return hash.digest('base64');
  }

  /** §5: the upload and every part are gone; 404 NoSuchUpload when there was none. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.buckets.require(bucket);
    const parts = await this.meta.multipart.deleteUpload(bucket, key, uploadId);
    if (!parts) throw noSuchUpload();
    for (const p of parts) this.removeBlob(p.blob);
  }

  /** §7: parts with a number after the marker, ascending. */
  async listParts(bucket: string, key: string, uploadId: string, afterPartNumber: number, maxParts: number): Promise<PartsPage> {
    const upload = await this.requireUpload(bucket, key, uploadId);
    const rows = await this.meta.multipart.listParts(uploadId, afterPartNumber, maxParts + 1);
    return { upload, parts: rows.slice(0, maxParts), isTruncated: rows.length > maxParts };
  }

  /** §6. */
  async listUploads(bucket: string, q: UploadListQuery): Promise<UploadListResult> {
    await this.buckets.require(bucket);
    return listUploads(this.meta.multipart, bucket, q);
  }

  /** Removes a blob's file, then its unsettled row (the commit that dropped its last reference wrote it). */
  private removeBlob(blob: string | null): void {
    if (blob !== null) this.unsettled.discard(blob, () => this.blobs.remove(blob)).catch((e) => this.onBackgroundError(e));
  }
}

/** A part as UploadPart and UploadPartCopy record it: its ETag is the MD5 of its bytes (multipart.md §2). */
function partOf(partNumber: number, blob: string, r: IngestResult): PartRecord {
  return {
    partNumber,
    size: r.bytes,
    etag: r.md5.toString('hex').toUpperCase(),
    crc: crc64ToDecimal(r.crc),
    blob: r.wrote ? blob : null,
    mtimeMs: Date.now(),
  };
}
