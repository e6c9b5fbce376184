/** The engine's data model: what a bucket and an object version are (objects.md §0). */
import type { CorsConfiguration } from './cors.js';

export type ObjectType = 'Normal' | 'Appendable' | 'Multipart' | 'Symlink';
export type BucketAcl = 'private' | 'public-read' | 'public-read-write';
export type ObjectAcl = BucketAcl | 'default';

export const BUCKET_ACLS: readonly BucketAcl[] = ['private', 'public-read', 'public-read-write'];
export const OBJECT_ACLS: readonly ObjectAcl[] = ['default', 'private', 'public-read', 'public-read-write'];
export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
/** Appendable objects support only these (README §11, ossutil append doc). */
export const APPENDABLE_STORAGE_CLASSES = ['Standard', 'IA', 'Archive'] as const;

/** 5 GiB: the largest object PutObject or AppendObject may produce (append.md §6). */
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * 1024;

export interface BucketRecord {
  name: string;
  createdMs: number;
  acl: BucketAcl;
  storageClass: string;
  redundancy: string;
  /** PutBucketCors configuration (cors.ts); absent when none is set. */
  cors?: CorsConfiguration;
  /** Bucket versioning (buckets.md §7); absent while it was never enabled. */
  versioning?: VersioningStatus;
  /** PutBucketTags tag set, in the order given (protocol/bucket-tagging.ts); absent when none is set. */
  tags?: Array<[string, string]>;
  /**
   * ossd extension (docs/extensions.md "Append size limit"): the largest size, in bytes, an
   * append may make an appendable object of this bucket; absent: OSS's 5 GiB.
   */
  appendSizeLimit?: number;
}

export type VersioningStatus = 'Enabled' | 'Suspended';

/** Standard HTTP headers stored with an object and returned on GET/HEAD. */
export const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

/**
 * Server-side encryption headers, kept in an object's `headers` with the standard ones and
 * returned on GET/HEAD (protocol/encryption.ts checks them). The bytes are not encrypted yet.
 */
export const ENCRYPTION_HEADERS = ['x-oss-server-side-encryption', 'x-oss-server-side-data-encryption', 'x-oss-server-side-encryption-key-id'] as const;

/** One piece of a segmented object's data: a non-empty part blob (multipart.md §4). */
export interface Segment {
  blob: string;
  size: number;
  /** CRC-64 of this segment, unsigned decimal. */
  crc: string;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  type: ObjectType;
  size: number;
  /** Upper-case hex, without quotes. */
  etag: string;
  /** CRC-64/XZ of the whole object, unsigned decimal (crc64.md). */
  crc: string;
  /** Blob holding the bytes; null for an empty object that never had data. */
  blob: string | null;
  /**
   * Multipart objects: the part blobs holding the bytes, in order (blob is then null).
   * Complete copies no bytes (multipart.md §4); GET streams the segments in turn.
   */
  segments?: Segment[];
  mtimeMs: number;
  contentType: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
  acl: ObjectAcl;
  tags: Array<[string, string]>;
  storageClass: string;
  /** Bumped on every change: the compare-and-set token for appends. */
  revision: number;
  /** Only for type Symlink: the key (same bucket) the link points to (objects.md §9). */
  symlinkTarget?: string;
  /**
   * For an appendable object: the length and CRC before its last append (-1: it did not
   * exist). The last append's data is made durable in parallel with its commit, so
   * recovery checks that append's bytes against the CRC and rolls back to this state if
   * they did not reach the disk (recovery.ts). Never acknowledged in that case.
   */
  appendBase?: { size: number; crc: string };
  /**
   * SealAppendObject (seal.ts): when the appendable object was first sealed, in ms since
   * the epoch (`x-oss-sealed-time`); a sealed object takes no more appends. Absent: not sealed.
   */
  sealedMs?: number;
  /** The version id (buckets.md §7); absent for the `null` version (written while versioning was off). */
  versionId?: string;
  /** A delete marker: no data, only ever a noncurrent row or the newest version of a key (objects.md §6). */
  deleteMarker?: true;
}

/**
 * What tells one appendable object from another at the same key (a delete and a new
 * append make a new object): its blob, or on an immutable blob store, where its bytes are
 * segments (segment-append.ts), its first segment's blob, which compaction never merges
 * (compaction.ts). Null while it has no bytes.
 */
export function appendableIdentity(rec: Pick<ObjectRecord, 'blob' | 'segments'>): string | null {
  return rec.blob ?? rec.segments?.[0]?.blob ?? null;
}

/** The id OSS gives versions written while versioning was never enabled or suspended. */
export const NULL_VERSION = 'null';

export function versionIdOf(rec: ObjectRecord): string {
  return rec.versionId ?? NULL_VERSION;
}
