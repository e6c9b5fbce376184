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

function rollUp(key: string, q: ListShape): string | undefined {
  if (q.delimiter === '') return undefined;
  const at = key.indexOf(q.delimiter, q.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + q.delimiter.length);
}

/** The shape of a listing: which keys, how they roll up, how many entries. */
export interface ListShape {
  prefix: string;
  delimiter: string;
  maxKeys: number;
}

/** Where a walk's rows come from: rows after a cursor (or from a key, inclusive), in listing order. */
export interface RowSource<R, C> {
  fetch(after: C, from: string | undefined, limit: number): Promise<R[]>;
  cursorOf(row: R): C;
  keyOf(row: R): string;
}

export interface WalkResult<R> {
  contents: R[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: the next marker when truncated. */
  last: string | undefined;
  /** The last row returned, when the last entry is a row and not a common prefix. */
  lastRow: R | undefined;
}

/**
 * The listing algorithm over any ordered rows (objects, versions): `start` is the cursor
 * to resume after and `startKey` its key (a marker that is a common prefix skips it).
 */
export async function walkListing<R, C>(q: ListShape, start: C, startKey: string, src: RowSource<R, C>): Promise<WalkResult<R>> {
  const contents: R[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let lastRow: R | undefined;
  const done = (isTruncated: boolean): WalkResult<R> => ({ contents, commonPrefixes, isTruncated, last, lastRow });
  let cursor = start;
  let from: string | undefined;
  // A marker that is itself a common prefix (a previous page's NextMarker) resumes after
  // the whole prefix, or the same prefix would be listed again.
  const markerPrefix = startKey.startsWith(q.prefix) ? rollUp(startKey, q) : undefined;
  if (markerPrefix !== undefined && markerPrefix === startKey) {
    from = prefixSuccessor(markerPrefix);
    if (from === undefined) return done(false);
  }
  const batchSize = Math.min(Math.max(q.maxKeys + 1, 16), 1001);
  for (;;) {
    const rows = await src.fetch(cursor, from, batchSize);
    from = undefined;
    if (rows.length === 0) return done(false);
    for (const row of rows) {
      if (contents.length + commonPrefixes.length >= q.maxKeys) return done(true);
      const key = src.keyOf(row);
      const cp = rollUp(key, q);
      if (cp === undefined) {
        contents.push(row);
        last = key;
        lastRow = row;
        cursor = src.cursorOf(row);
        continue;
      }
      commonPrefixes.push(cp);
      last = cp;
      lastRow = undefined;
      const skip = prefixSuccessor(cp);
      if (skip === undefined) return done(false);
      from = skip;
      break;
    }
    if (from === undefined && rows.length < batchSize) return done(false);
  }
}

export async function listObjects(meta: MetadataStore, bucket: string, q: ListQuery): Promise<ListResult> {
  const r = await walkListing(q, q.after, q.after, {
    fetch: (after: string, from, limit) => meta.listObjects(bucket, { prefix: q.prefix, after, from, limit }),
    cursorOf: (row) => row.key,
    keyOf: (row) => row.key,
  });
  return { contents: r.contents, commonPrefixes: r.commonPrefixes, isTruncated: r.isTruncated, last: r.last };
}
