/**
 * CompleteMultipartUpload's rules, as pure functions (multipart.md §4, §8, §9): the order
 * of the listed parts, their match against the uploaded ones, the size limit, and the
 * ETag and CRC-64 of the result. The ETag and CRC come from the parts' stored values;
 * no byte is read again.
 */
import { createHash } from 'node:crypto';
import { crc64Combine, crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import type { Segment } from './model.js';
import { MIN_PART_SIZE, type PartRecord } from './multipart-model.js';

export interface ListedPart {
  partNumber: number;
  /** As the client sent it: quoted or not, any case (multipart.md §4). */
  etag: string;
}

export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toUpperCase();
}

/** §4 step 3: part numbers strictly ascending (gaps allowed). */
export function checkPartOrder(listed: readonly ListedPart[]): void {
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) {
      throw new OssError('InvalidPartOrder', undefined, { PartNumber: String(listed[i]!.partNumber) });
    }
  }
}

/**
 * §4 steps 4–5: every listed part was uploaded with that ETag (else InvalidPart), then every
 * part but the last is at least 100 KiB (else EntityTooSmall). Returns the uploaded parts
 * in the listed order.
 */
export function resolveParts(listed: readonly ListedPart[], uploaded: readonly PartRecord[]): PartRecord[] {
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  const parts = listed.map((l) => {
    const p = byNumber.get(l.partNumber);
    if (!p || p.etag !== normalizeEtag(l.etag)) {
      throw new OssError('InvalidPart', undefined, { PartNumber: String(l.partNumber), ETag: l.etag });
    }
    return p;
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < MIN_PART_SIZE) {
      throw new OssError('EntityTooSmall', undefined, {
        PartNumber: String(p.partNumber),
        ProposedSize: String(p.size),
        MinSizeAllowed: String(MIN_PART_SIZE),
      });
    }
  });
  return parts;
}

/** §8: MD5 of the concatenated upper-case hex part ETags, upper-case hex, then `-N`. */
export function multipartEtag(parts: readonly PartRecord[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(p.etag.toUpperCase(), 'latin1');
  return `${md5.digest('hex').toUpperCase()}-${parts.length}`;
}

/** §9: the parts' CRCs folded left with crc64Combine (crc64.md §3). */
export function multipartCrc(parts: readonly PartRecord[]): string {
  let crc = 0n;
  for (const p of parts) crc = crc64Combine(crc, BigInt(p.crc), p.size);
  return crc64ToDecimal(crc);
}

/** The object's data: the non-empty parts' blobs in order. */
export function segmentsOf(parts: readonly PartRecord[]): Segment[] {
  return parts.filter((p) => p.blob !== null && p.size > 0).map((p) => ({ blob: p.blob!, size: p.size, crc: p.crc }));
}
