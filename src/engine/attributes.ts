/** The caller-supplied attributes of a new object, and how they become a record. */
import type { ObjectAcl, ObjectRecord, ObjectType } from './model.js';
import { nextRevision } from './revision.js';

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

export function newRecord(bucket: string, key: string, body: RecordBody, attrs: ObjectAttributes): ObjectRecord {
  return {
    bucket,
    key,
    ...body,
    mtimeMs: Date.now(),
    contentType: attrs.contentType ?? DEFAULT_CONTENT_TYPE,
    headers: { ...attrs.headers },
    meta: { ...attrs.meta },
    acl: attrs.acl ?? 'default',
    tags: attrs.tags ?? [],
    storageClass: attrs.storageClass ?? 'Standard',
    revision: nextRevision(),
  };
}

/** Appendable ETag: CRC-64 then length, 16 hex digits each (append.md §5.1). */
export function appendableEtag(crc: bigint, size: number): string {
  return (crc.toString(16).padStart(16, '0') + size.toString(16).padStart(16, '0')).toUpperCase();
}
