/**
 * The row codec of buckets, shared by the SQLite and PostgreSQL stores (their `buckets`
 * tables have the same columns: sqlite/schema.ts, postgres/migrations/001).
 */
import type { CorsConfiguration } from '../engine/cors.js';
import type { BucketAcl, BucketRecord, VersioningStatus } from '../engine/model.js';

export interface BucketRow {
  name: string;
  created_ms: number;
  acl: string;
  storage_class: string;
  redundancy: string;
  /** Added by a later migration (schema.ts ADDED_COLUMNS): CORS configuration JSON. */
  cors?: string | null;
  versioning?: string | null;
  /** PutBucketTags: the tag set as JSON `[[key, value], …]`; NULL when none is set. */
  tags?: string | null;
  /** The append size limit extension: bytes; NULL when none is set. */
  append_limit?: number | null;
}

/** Every column of a bucket row, `name` first. */
export const BUCKET_COLUMNS = ['name', 'created_ms', 'acl', 'storage_class', 'redundancy', 'cors', 'versioning', 'tags', 'append_limit'] as const satisfies ReadonlyArray<keyof BucketRow>;

export function bucketFromRow(r: BucketRow): BucketRecord {
  return {
    name: r.name,
    createdMs: r.created_ms,
    acl: r.acl as BucketAcl,
    storageClass: r.storage_class,
    redundancy: r.redundancy,
    ...(r.cors ? { cors: JSON.parse(r.cors) as CorsConfiguration } : {}),
    ...(r.versioning ? { versioning: r.versioning as VersioningStatus } : {}),
    ...(r.tags ? { tags: JSON.parse(r.tags) as Array<[string, string]> } : {}),
    ...(r.append_limit !== null && r.append_limit !== undefined ? { appendSizeLimit: r.append_limit } : {}),
  };
}

export function bucketToRow(b: BucketRecord): BucketRow {
  return {
    name: b.name,
    created_ms: b.createdMs,
    acl: b.acl,
    storage_class: b.storageClass,
    redundancy: b.redundancy,
    cors: b.cors ? JSON.stringify(b.cors) : null,
    versioning: b.versioning ?? null,
    tags: b.tags && b.tags.length > 0 ? JSON.stringify(b.tags) : null,
    append_limit: b.appendSizeLimit ?? null,
  };
}
