/**
 * The row codec of multipart uploads and parts, shared by the SQLite and PostgreSQL stores
 * (their tables have the same columns: sqlite/multipart-store.ts, postgres/migrations/001).
 */
import type { PartRecord, UploadRecord } from '../engine/multipart-model.js';

export interface UploadRow {
  bucket: string;
  key: string;
  upload_id: string;
  initiated_ms: number;
  attrs: string;
  /** SQLite's INTEGER 0/1, PostgreSQL's boolean. */
  forbid_overwrite: number | boolean;
}

export interface PartRow {
  part_number: number;
  size: number;
  etag: string;
  crc: string;
  blob: string | null;
  mtime_ms: number;
}

/**
 * The upload's attributes column also holds `sequential: true` for a sequential upload (no
 * schema change: rows written before it simply lack the field).
 */
export function attrsColumn(u: UploadRecord): string {
  return JSON.stringify(u.sequential === true ? { ...u.attrs, sequential: true } : u.attrs);
}

export function uploadFromRow(r: UploadRow): UploadRecord {
  const { sequential, ...attrs } = JSON.parse(r.attrs) as UploadRecord['attrs'] & { sequential?: boolean };
  return {
    bucket: r.bucket,
    key: r.key,
    uploadId: r.upload_id,
    initiatedMs: r.initiated_ms,
    attrs,
    forbidOverwrite: Boolean(r.forbid_overwrite),
    ...(sequential === true ? { sequential: true } : {}),
  };
}

export function partFromRow(r: PartRow): PartRecord {
  return { partNumber: r.part_number, size: r.size, etag: r.etag, crc: r.crc, blob: r.blob, mtimeMs: r.mtime_ms };
}
