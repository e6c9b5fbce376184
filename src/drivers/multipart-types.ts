/**
 * The metadata primitives multipart upload needs (multipart.md): upload and part rows, and
 * one transaction that turns an upload into an object. Like the rest of the driver
 * interface they hold no OSS rules; validation lives in src/engine/multipart.ts.
 */
import type { ObjectRecord } from '../engine/model.js';
import type { PartRecord, UploadRecord } from '../engine/multipart-model.js';
import type { HistoryChange } from './types.js';

export interface UploadPage {
  prefix: string;
  /** Exclusive lower bound on the key (bytewise), or on (key, uploadId) when afterUploadId is set. */
  afterKey: string;
  afterUploadId?: string;
  /** Inclusive lower bound on the key, used instead of the `after` bounds when set (skipping a common prefix). */
  fromKey?: string;
  limit: number;
}

export type PutPartResult = { ok: true; previous: PartRecord | undefined } | { ok: false };

export type CompleteResult =
  | { status: 'ok'; previous: ObjectRecord | undefined; removed: ObjectRecord[]; discarded: PartRecord[] }
  | { status: 'no-upload' }
  /** A part the object would use was replaced or is gone since it was read. */
  | { status: 'parts-changed' }
  /** The object's revision is no longer the expected one. */
  | { status: 'conflict' };

export interface UsedPart {
  partNumber: number;
  blob: string | null;
}

export interface MultipartMetadata {
  insertUpload(upload: UploadRecord): Promise<void>;
  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined>;
  /** Records (or replaces) a part only while its upload exists; returns the part it replaced. */
  putPart(bucket: string, key: string, uploadId: string, part: PartRecord): Promise<PutPartResult>;
  /** Parts with a number > afterPartNumber, ascending. */
  listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<PartRecord[]>;
  /** Removes the upload and its parts and returns the parts; undefined when there is no such upload. */
  deleteUpload(bucket: string, key: string, uploadId: string): Promise<PartRecord[] | undefined>;
  /** Uploads of a bucket in (key, uploadId) order, keys starting with the prefix. */
  listUploads(bucket: string, page: UploadPage): Promise<UploadRecord[]>;
  /**
   * One transaction: if the upload exists, each `used` part still has the given blob, and
   * the object's revision is `expectedRevision` (null = absent), replace the object with
   * `next` and remove the upload with all its parts. Durable when the promise resolves.
   */
  completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    used: UsedPart[],
    expectedRevision: number | null,
    next: ObjectRecord,
    /** Noncurrent versions changed in the same transaction (versioning). */
    history?: HistoryChange,
  ): Promise<CompleteResult>;
}
