/** Multipart upload state (multipart.md intro): uploads, their parts, and the limits. */
import { randomBytes } from 'node:crypto';
import type { ObjectAttributes } from './attributes.js';

/** Part numbers 1–10000 (multipart.md intro). */
export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10000;
/** Every part but the last must be at least 100 KiB, checked at Complete (multipart.md §4 step 5). */
export const MIN_PART_SIZE = 100 * 1024;
/** A part is at most 5 GiB (multipart.md §2). */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

export interface UploadRecord {
  bucket: string;
  key: string;
  uploadId: string;
  initiatedMs: number;
  /** The object attributes given at Initiate; the completed object gets them (multipart.md §4). */
  attrs: ObjectAttributes;
  /** x-oss-forbid-overwrite given at Initiate, enforced at Complete (multipart.md §1, §4 step 6). */
  forbidOverwrite: boolean;
  /**
   * `?uploads&sequential` at Initiate: parts must come in order, 1, 2, 3…, and none may be
   * uploaded again (multipart.md; docs/errors.md). Absent on uploads initiated without it.
   */
  sequential?: boolean;
}

export interface PartRecord {
  partNumber: number;
  size: number;
  /** MD5 of the part, upper-case hex without quotes (multipart.md §2). */
  etag: string;
  /** CRC-64 of the part, unsigned decimal. */
  crc: string;
  /** null for an empty part. */
  blob: string | null;
  mtimeMs: number;
}

let lastMs = 0;
let counter = 0;

/**
 * A new upload id: 32 upper-case hex characters like OSS's (multipart.md §1). The first 16
 * are the time and a counter, so ids of one key sort in initiation order and
 * ListMultipartUploads can page by (key, upload id) (multipart.md §6).
 */
export function newUploadId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xffff) {
    lastMs++;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  return (time + counter.toString(16).padStart(4, '0') + randomBytes(8).toString('hex')).toUpperCase();
}
