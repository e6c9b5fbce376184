/** ListObjectVersions (listing.md §4): the listing algorithm over every version of every key. */
import type { MetadataStore, VersionEntry } from '../drivers/types.js';
import { OssError } from './errors.js';
import { type ListShape, walkListing } from './listing.js';
import { versionIdOf } from './model.js';

export interface VersionListQuery extends ListShape {
  keyMarker: string;
  /** Only with keyMarker: resume after this version of that key. */
  versionIdMarker?: string;
}

export interface VersionListResult {
  versions: VersionEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

interface Cursor {
  key: string;
  /** Resume within `key` below this rank; absent: after every version of `key`. */
  rank?: number;
}

export async function listVersions(meta: MetadataStore, bucket: string, q: VersionListQuery): Promise<VersionListResult> {
  let start: Cursor = { key: q.keyMarker };
  if (q.versionIdMarker !== undefined) {
    if (q.keyMarker === '') {
      throw new OssError('InvalidArgument', 'version-id-marker requires key-marker.', { ArgumentName: 'version-id-marker' });
    }
    const marked = await meta.getVersion(bucket, q.keyMarker, q.versionIdMarker);
    // A marker version that is gone since: resume after its key.
    if (marked) start = { key: q.keyMarker, rank: marked.rank };
  }
  const r = await walkListing(q, start, q.keyMarker, {
    fetch: (after: Cursor, from, limit) =>
      meta.listVersions(bucket, {
        prefix: q.prefix,
        afterKey: after.key,
        ...(after.rank !== undefined && from === undefined ? { after: { key: after.key, rank: after.rank } } : {}),
        from,
        limit,
      }),
    cursorOf: (e) => ({ key: e.record.key, rank: e.rank }),
    keyOf: (e) => e.record.key,
  });
  const result: VersionListResult = { versions: r.contents, commonPrefixes: r.commonPrefixes, isTruncated: r.isTruncated };
  if (r.isTruncated && r.last !== undefined) {
    result.nextKeyMarker = r.last;
    if (r.lastRow) result.nextVersionIdMarker = versionIdOf(r.lastRow.record);
  }
  return result;
}
