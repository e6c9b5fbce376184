/**
 * SQLite tables for multipart uploads (multipart.md), in the same meta.db:
 *   uploads(bucket, key, upload_id, ...)       one row per in-progress upload
 *   upload_parts(upload_id, part_number, ...)  the latest part per number; `blob` is its file
 *   object_segments(bucket, key, idx, ...)     the part blobs a completed object is made of
 * A completed object's row has blob = NULL and its bytes are its segments in idx order, so
 * Complete moves part rows to segment rows in one transaction and copies no bytes. Every
 * table is created with IF NOT EXISTS: older data folders gain them on open.
 */
import type Database from 'better-sqlite3';
import type { ObjectRecord, Segment } from '../../engine/model.js';
import type { PartRecord, UploadRecord } from '../../engine/multipart-model.js';
import type { CompleteResult, MultipartMetadata, PutPartResult, UploadPage, UsedPart } from '../multipart-types.js';
import type { CasResult, HistoryChange } from '../types.js';
import { compareBytewise } from './bytewise.js';
import { attrsColumn, partFromRow, type PartRow, uploadFromRow, type UploadRow } from '../multipart-rows.js';

export const MULTIPART_SCHEMA = `
CREATE TABLE IF NOT EXISTS uploads (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  initiated_ms INTEGER NOT NULL,
  attrs TEXT NOT NULL,
  forbid_overwrite INTEGER NOT NULL,
  PRIMARY KEY (bucket, key, upload_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS upload_parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  crc TEXT NOT NULL,
  blob TEXT,
  mtime_ms INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS upload_parts_blob ON upload_parts(blob) WHERE blob IS NOT NULL;

CREATE TABLE IF NOT EXISTS object_segments (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  crc TEXT NOT NULL,
  PRIMARY KEY (bucket, key, idx)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS object_segments_blob ON object_segments(blob);
`;

function sameSegments(a: Segment[] | undefined, b: Segment[] | undefined): boolean {
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
  return (a ?? []).every((s, i) => s.blob === b![i]!.blob && s.size === b![i]!.size);
}

type Cas = (bucket: string, key: string, expectedRevision: number | null, next: ObjectRecord | null, history?: HistoryChange) => CasResult;
/** `frees`: the write deletes rows (it may use the space reserve on a full disk). */
type Write = <T>(run: () => T, frees?: boolean) => Promise<T>;

export class SqliteMultipart implements MultipartMetadata {
  private readonly stmt;

  constructor(
    db: Database.Database,
    /** Queues a write for the store's group commit. */
    private readonly write: Write,
    /** The object compare-and-set, run inside the caller's transaction. */
    private readonly cas: Cas,
    /** Inside a transaction: records those of these blobs nothing references any more as unsettled (unsettled-store.ts). */
    private readonly dereferenced: (blobs: ReadonlyArray<string | null>) => void,
  ) {
    db.exec(MULTIPART_SCHEMA);
    this.stmt = {
      insertUpload: db.prepare(
        'INSERT INTO uploads (bucket, key, upload_id, initiated_ms, attrs, forbid_overwrite) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getUpload: db.prepare('SELECT * FROM uploads WHERE bucket = ? AND key = ? AND upload_id = ?'),
      deleteUpload: db.prepare('DELETE FROM uploads WHERE bucket = ? AND key = ? AND upload_id = ?'),
      anyUpload: db.prepare('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1'),
      // Row-value comparison keeps (key, upload_id) paging an index range scan.
      uploadsAfterId: db.prepare(
        'SELECT * FROM uploads WHERE bucket = ? AND (key, upload_id) > (?, ?) ORDER BY key, upload_id LIMIT ?',
      ),
      uploadsAfter: db.prepare('SELECT * FROM uploads WHERE bucket = ? AND key > ? ORDER BY key, upload_id LIMIT ?'),
      uploadsFrom: db.prepare('SELECT * FROM uploads WHERE bucket = ? AND key >= ? ORDER BY key, upload_id LIMIT ?'),
      getPart: db.prepare('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number = ?'),
      upsertPart: db.prepare(
        `INSERT INTO upload_parts (upload_id, part_number, size, etag, crc, blob, mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
           crc = excluded.crc, blob = excluded.blob, mtime_ms = excluded.mtime_ms`,
      ),
      partsAfter: db.prepare('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      allParts: db.prepare('SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number'),
      deleteParts: db.prepare('DELETE FROM upload_parts WHERE upload_id = ?'),
      partRef: db.prepare('SELECT 1 FROM upload_parts WHERE blob = ? LIMIT 1'),
      segments: db.prepare('SELECT blob, size, crc FROM object_segments WHERE bucket = ? AND key = ? ORDER BY idx'),
      insertSegment: db.prepare('INSERT INTO object_segments (bucket, key, idx, blob, size, crc) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteSegments: db.prepare('DELETE FROM object_segments WHERE bucket = ? AND key = ?'),
      segmentRef: db.prepare('SELECT 1 FROM object_segments WHERE blob = ? LIMIT 1'),
    };
  }

  // ---- used by the object store, synchronously, inside its reads and transactions ----

  /** The segments of an object row whose blob is NULL (none for ordinary empty objects). */
  loadSegments(bucket: string, key: string): Segment[] | undefined {
    const rows = this.stmt.segments.all(bucket, key) as Segment[];
    return rows.length > 0 ? rows : undefined;
  }

  /** Rewrites the segment rows of (bucket, key) when an object write changes them. */
  saveSegments(bucket: string, key: string, before: Segment[] | undefined, after: Segment[] | undefined): void {
    if (sameSegments(before, after)) return;
    if (before?.length) this.stmt.deleteSegments.run(bucket, key);
    (after ?? []).forEach((s, i) => this.stmt.insertSegment.run(bucket, key, i, s.blob, s.size, s.crc));
  }

  isBlobReferenced(blob: string): boolean {
    return this.stmt.partRef.get(blob) !== undefined || this.stmt.segmentRef.get(blob) !== undefined;
  }

  anyUpload(bucket: string): boolean {
    return this.stmt.anyUpload.get(bucket) !== undefined;
  }

  // ---- MultipartMetadata ----

  async insertUpload(u: UploadRecord): Promise<void> {
    await this.write(() =>
      this.stmt.insertUpload.run(u.bucket, u.key, u.uploadId, u.initiatedMs, attrsColumn(u), u.forbidOverwrite ? 1 : 0),
    );
  }

  async getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined> {
    const row = this.stmt.getUpload.get(bucket, key, uploadId) as UploadRow | undefined;
    return row ? uploadFromRow(row) : undefined;
  }

  putPart(bucket: string, key: string, uploadId: string, p: PartRecord): Promise<PutPartResult> {
    return this.write((): PutPartResult => {
      if (!this.stmt.getUpload.get(bucket, key, uploadId)) return { ok: false };
      const prev = this.stmt.getPart.get(uploadId, p.partNumber) as PartRow | undefined;
      this.stmt.upsertPart.run(uploadId, p.partNumber, p.size, p.etag, p.crc, p.blob, p.mtimeMs);
      if (prev && prev.blob !== p.blob) this.dereferenced([prev.blob]);
      return { ok: true, previous: prev ? partFromRow(prev) : undefined };
    });
  }

  async listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<PartRecord[]> {
    return (this.stmt.partsAfter.all(uploadId, afterPartNumber, limit) as PartRow[]).map(partFromRow);
  }

  deleteUpload(bucket: string, key: string, uploadId: string): Promise<PartRecord[] | undefined> {
    return this.write(() => {
      if (!this.stmt.getUpload.get(bucket, key, uploadId)) return undefined;
      const parts = (this.stmt.allParts.all(uploadId) as PartRow[]).map(partFromRow);
      this.stmt.deleteParts.run(uploadId);
      this.stmt.deleteUpload.run(bucket, key, uploadId);
      this.dereferenced(parts.map((p) => p.blob));
      return parts;
    }, true);
  }

  async listUploads(bucket: string, page: UploadPage): Promise<UploadRecord[]> {
    // Every key with the prefix is >= the prefix, so start there unless the marker is further.
    const markerBeforePrefix = compareBytewise(page.afterKey, page.prefix) < 0;
    const rows = (
      page.fromKey !== undefined
        ? this.stmt.uploadsFrom.all(bucket, page.fromKey, page.limit)
        : markerBeforePrefix
          ? this.stmt.uploadsFrom.all(bucket, page.prefix, page.limit)
          : page.afterUploadId !== undefined
            ? this.stmt.uploadsAfterId.all(bucket, page.afterKey, page.afterUploadId, page.limit)
            : this.stmt.uploadsAfter.all(bucket, page.afterKey, page.limit)
    ) as UploadRow[];
    const out: UploadRecord[] = [];
    for (const r of rows) {
      if (!r.key.startsWith(page.prefix)) break;
      out.push(uploadFromRow(r));
    }
    return out;
  }

  completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    used: UsedPart[],
    expectedRevision: number | null,
    next: ObjectRecord,
    history?: HistoryChange,
  ): Promise<CompleteResult> {
    return this.write((): CompleteResult => {
      if (!this.stmt.getUpload.get(bucket, key, uploadId)) return { status: 'no-upload' };
      const parts = (this.stmt.allParts.all(uploadId) as PartRow[]).map(partFromRow);
      const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
      for (const u of used) if (byNumber.get(u.partNumber)?.blob !== u.blob) return { status: 'parts-changed' };
      const cas = this.cas(bucket, key, expectedRevision, next, history);
      if (!cas.ok) return { status: 'conflict' };
      this.stmt.deleteParts.run(uploadId);
      this.stmt.deleteUpload.run(bucket, key, uploadId);
      const kept = new Set(used.map((u) => u.partNumber));
      const discarded = parts.filter((p) => !kept.has(p.partNumber));
      this.dereferenced(discarded.map((p) => p.blob));
      return { status: 'ok', previous: cas.previous, removed: cas.removed ?? [], discarded };
    });
  }
}
