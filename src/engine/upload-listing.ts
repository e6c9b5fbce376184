/**
 * ListMultipartUploads paging (multipart.md §6): uploads in (key, initiation) order, which
 * is (key, upload id) order because ids start with their time (multipart-model.ts). With
 * only key-marker, keys after it; with both markers, also the later uploads of that key.
 * Keys holding the delimiter after the prefix roll up into common prefixes, each counted
 * against max-uploads; the scan then seeks past the whole prefix, as listing.ts does.
 */
import type { MultipartMetadata } from '../drivers/multipart-types.js';
import { prefixSuccessor } from './listing.js';
import type { UploadRecord } from './multipart-model.js';

export interface UploadListQuery {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

export interface UploadListResult {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key (or common prefix) returned, and the last upload id ('' after a prefix). */
  nextKeyMarker: string;
  nextUploadIdMarker: string;
}

function rollUp(key: string, q: UploadListQuery): string | undefined {
  if (q.delimiter === '') return undefined;
  const at = key.indexOf(q.delimiter, q.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + q.delimiter.length);
}

export async function listUploads(meta: MultipartMetadata, bucket: string, q: UploadListQuery): Promise<UploadListResult> {
  const out: UploadListResult = { uploads: [], commonPrefixes: [], isTruncated: false, nextKeyMarker: '', nextUploadIdMarker: '' };
  let afterKey = q.keyMarker;
  // upload-id-marker is ignored without key-marker (§6).
  let afterUploadId = q.keyMarker !== '' && q.uploadIdMarker !== '' ? q.uploadIdMarker : undefined;
  let fromKey: string | undefined;
  // A key-marker that is a common prefix (a previous page's NextKeyMarker) resumes after it.
  if (afterUploadId === undefined && afterKey.startsWith(q.prefix) && rollUp(afterKey, q) === afterKey) {
    fromKey = prefixSuccessor(afterKey);
    if (fromKey === undefined) return out;
  }
  const limit = Math.min(Math.max(q.maxUploads + 1, 16), 1001);
  for (;;) {
    const rows = await meta.listUploads(bucket, { prefix: q.prefix, afterKey, afterUploadId, fromKey, limit });
    fromKey = undefined;
    for (const row of rows) {
      if (out.uploads.length + out.commonPrefixes.length >= q.maxUploads) {
        out.isTruncated = true;
        return out;
      }
      const cp = rollUp(row.key, q);
      if (cp === undefined) {
        out.uploads.push(row);
        out.nextKeyMarker = afterKey = row.key;
        out.nextUploadIdMarker = afterUploadId = row.uploadId;
        continue;
      }
      out.commonPrefixes.push(cp);
      out.nextKeyMarker = cp;
      out.nextUploadIdMarker = '';
      fromKey = prefixSuccessor(cp);
      if (fromKey === undefined) return out;
      break;
    }
    if (fromKey === undefined && rows.length < limit) return out;
  }
}
