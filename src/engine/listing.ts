/**
 * The delimiter/marker algorithm shared by ListObjects and ListObjectsV2 (listing.md).
 * Keys come from the driver in bytewise order; a key whose rest (after the prefix)
 * holds the delimiter rolls up into a common prefix, and the scan then jumps past every
 * key of that prefix in one seek, so a folder of a million keys costs one row, not a
 * million.
 */
import type { MetadataStore } from '../drivers/types.js';
import type { ObjectRecord } from './model.js';

export interface ListQuery {
  prefix: string;
  delimiter: string;
  /** Exclusive: list keys after this one (marker, start-after or decoded continuation token). */
  after: string;
  maxKeys: number;
}

export interface ListResult {
  contents: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: the next marker when truncated. */
  last: string | undefined;
}

/** Smallest string greater than every string that starts with `s` (code point order = UTF-8 byte order). */
export function prefixSuccessor(s: string): string | undefined {
  const cps = Array.from(s);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip surrogates
    if (next <= 0x10ffff) return cps.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

function rollUp(key: string, q: ListQuery): string | undefined {
  if (q.delimiter === '') return undefined;
  const at = key.indexOf(q.delimiter, q.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + q.delimiter.length);
}

export async function listObjects(meta: MetadataStore, bucket: string, q: ListQuery): Promise<ListResult> {
  const contents: ObjectRecord[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let after = q.after;
  let from: string | undefined;
  // A marker that is itself a common prefix (a previous page's NextMarker) resumes after
  // the whole prefix, or the same prefix would be listed again.
  const markerPrefix = after.startsWith(q.prefix) ? rollUp(after, q) : undefined;
  if (markerPrefix !== undefined && markerPrefix === after) {
    from = prefixSuccessor(markerPrefix);
    if (from === undefined) return { contents, commonPrefixes, isTruncated: false, last };
  }
  const batchSize = Math.min(Math.max(q.maxKeys + 1, 16), 1001);
  for (;;) {
    const rows = await meta.listObjects(bucket, { prefix: q.prefix, after, from, limit: batchSize });
    from = undefined;
    if (rows.length === 0) return { contents, commonPrefixes, isTruncated: false, last };
    for (const row of rows) {
      if (contents.length + commonPrefixes.length >= q.maxKeys) {
        return { contents, commonPrefixes, isTruncated: true, last };
      }
      const cp = rollUp(row.key, q);
      if (cp === undefined) {
        contents.push(row);
        last = row.key;
        after = row.key;
        continue;
      }
      commonPrefixes.push(cp);
      last = cp;
      const skip = prefixSuccessor(cp);
      if (skip === undefined) return { contents, commonPrefixes, isTruncated: false, last };
      from = skip;
      break;
    }
    if (from === undefined && rows.length < batchSize) {
      return { contents, commonPrefixes, isTruncated: false, last };
    }
  }
}
