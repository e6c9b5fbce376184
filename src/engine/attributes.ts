/** The caller-supplied attributes of a new object, and how they become a record. */
import { type BucketRecord, ENCRYPTION_HEADERS, type ObjectAcl, type ObjectRecord, type ObjectType } from './model.js';

export interface ObjectAttributes {
  contentType?: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
  acl?: ObjectAcl;
  tags?: Array<[string, string]>;
  storageClass?: string;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function emptyAttributes(): ObjectAttributes {
  return { headers: {}, meta: {} };
}

export interface RecordBody {
  type: ObjectType;
  size: number;
  etag: string;
  crc: string;
  blob: string | null;
  /** Symlink objects only (objects.md §9). */
  symlinkTarget?: string;
}

/**
 * A new object of bucket `b`. With no storage class requested the object takes the bucket's;
 * `x-oss-storage-class` overrides it for that object (OSS page 0017-00000131; docs/operations.md).
 * `revision`: a new one from the metadata store (MetadataStore.newRevision()).
 */
export function newRecord(b: Pick<BucketRecord, 'name' | 'storageClass'>, key: string, body: RecordBody, attrs: ObjectAttributes, revision: number): ObjectRecord {
  return {
    bucket: b.name,
    key,
    ...body,
    mtimeMs: Date.now(),
    contentType: attrs.contentType ?? DEFAULT_CONTENT_TYPE,
    headers: { ...attrs.headers },
    meta: { ...attrs.meta },
    acl: attrs.acl ?? 'default',
    tags: attrs.tags ?? [],
    storageClass: attrs.storageClass ?? b.storageClass,
    revision,
  };
}

/** The server-side encryption headers among stored `headers`. */
export function onlyEncryption(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENCRYPTION_HEADERS) {
    if (headers[name] !== undefined) out[name] = headers[name];
  }
  return out;
}

/** Stored `headers` without the server-side encryption ones. */
export function withoutEncryption(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const name of ENCRYPTION_HEADERS) delete out[name];
  return out;
}

/** Appendable ETag: CRC-64 then length, 16 hex digits each (append.md §5.1). */
export function appendableEtag(crc: bigint, size: number): string {
  return (crc.toString(16).padStart(16, '0') + size.toString(16).padStart(16, '0')).toUpperCase();
}
