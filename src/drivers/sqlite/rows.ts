/** Conversion between SQLite rows and engine records (bucket rows: ../bucket-rows.ts). */
import { NULL_VERSION, type ObjectAcl, type ObjectRecord, type ObjectType } from '../../engine/model.js';

export interface ObjectRow {
  bucket: string;
  key: string;
  type: string;
  size: number;
  etag: string;
  crc: string;
  blob: string | null;
  mtime_ms: number;
  content_type: string;
  headers: string;
  meta: string;
  acl: string;
  tags: string;
  storage_class: string;
  revision: number;
  /** Added by a later migration (schema.ts ADDED_COLUMNS); null unless type is Symlink. */
  symlink_target: string | null;
  base_size: number | null;
  base_crc: string | null;
  /** NULL (or 'null' in object_versions) for the null version. */
  version_id: string | null;
  /** SealAppendObject: ms since the epoch; NULL while not sealed. */
  sealed_ms: number | null;
}

/** Every column of an object row but its key (bucket, key): `objects` and `object_versions` (which adds seq and delete_marker). */
export const OBJECT_ROW_COLUMNS = [
  'type',
  'size',
  'etag',
  'crc',
  'blob',
  'mtime_ms',
  'content_type',
  'headers',
  'meta',
  'acl',
  'tags',
  'storage_class',
  'revision',
  'symlink_target',
  'base_size',
  'base_crc',
  'version_id',
  'sealed_ms',
] as const satisfies ReadonlyArray<keyof ObjectRow>;

/** `INSERT INTO table (columns…) VALUES (@columns…)`, named parameters as in the row objects. */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
}

export function objectFromRow(r: ObjectRow): ObjectRecord {
  return {
    bucket: r.bucket,
    key: r.key,
    type: r.type as ObjectType,
    size: r.size,
    etag: r.etag,
    crc: r.crc,
    blob: r.blob,
    mtimeMs: r.mtime_ms,
    contentType: r.content_type,
    headers: JSON.parse(r.headers) as Record<string, string>,
    meta: JSON.parse(r.meta) as Record<string, string>,
    acl: r.acl as ObjectAcl,
    tags: JSON.parse(r.tags) as Array<[string, string]>,
    storageClass: r.storage_class,
    revision: r.revision,
    ...(r.symlink_target !== null && r.symlink_target !== undefined ? { symlinkTarget: r.symlink_target } : {}),
    ...(r.base_size !== null && r.base_size !== undefined && r.base_crc !== null ? { appendBase: { size: r.base_size, crc: r.base_crc } } : {}),
    ...(r.version_id !== null && r.version_id !== undefined && r.version_id !== NULL_VERSION ? { versionId: r.version_id } : {}),
    ...(r.sealed_ms !== null && r.sealed_ms !== undefined ? { sealedMs: r.sealed_ms } : {}),
  };
}

export function objectToRow(o: ObjectRecord): ObjectRow {
  return {
    bucket: o.bucket,
    key: o.key,
    type: o.type,
    size: o.size,
    etag: o.etag,
    crc: o.crc,
    blob: o.blob,
    mtime_ms: o.mtimeMs,
    content_type: o.contentType,
    headers: JSON.stringify(o.headers),
    meta: JSON.stringify(o.meta),
    acl: o.acl,
    tags: JSON.stringify(o.tags),
    storage_class: o.storageClass,
    revision: o.revision,
    symlink_target: o.symlinkTarget ?? null,
    base_size: o.appendBase?.size ?? null,
    base_crc: o.appendBase?.crc ?? null,
    version_id: o.versionId ?? null,
    sealed_ms: o.sealedMs ?? null,
  };
}
