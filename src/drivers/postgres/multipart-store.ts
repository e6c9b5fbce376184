/**
 * Multipart uploads in PostgreSQL (issue 19): the `uploads` and `upload_parts` tables of
 * migrations/001-initial.sql, mirroring src/drivers/sqlite/multipart-store.ts.
 *
 * Every conditional step is guarded by a lock on the upload's row, taken by the first
 * statement of its transaction, so nodes racing on one upload serialise there and no step
 * reads something another node may change before it writes:
 * - part replace: `SELECT … FOR NO KEY UPDATE` on the upload (zero rows: it is gone), then
 *   the upsert, which sees the part a racing node committed before it (READ COMMITTED
 *   takes a new snapshot per statement), so the part it replaces is the one it reports;
 * - abort and complete: `DELETE FROM uploads … RETURNING` (zero rows: another node
 *   aborted or completed it first), then the parts are deleted and returned.
 * Complete then runs the object store's compare-and-set (a conditional UPDATE on the
 * revision) in the same transaction; a changed part or a lost race rolls everything back.
 *
 * Not here: the segments of a completed object (object_segments) are object data, written
 * and read by the object store's compare-and-set (metadata-store.ts), not by this store.
 */
import type { ObjectRecord } from '../../engine/model.js';
import type { PartRecord, UploadRecord } from '../../engine/multipart-model.js';
import type { CompleteResult, MultipartMetadata, PutPartResult, UploadPage, UsedPart } from '../multipart-types.js';
import type { CasResult, HistoryChange } from '../types.js';
import { compareBytewise } from '../sqlite/bytewise.js';
import type { PgClient, PgDatabase } from './db.js';
import { hasNul, lowerBound } from './nul-text.js';
import { recordDereferenced } from './unsettled-store.js';
import { attrsColumn, partFromRow, type PartRow, uploadFromRow, type UploadRow } from '../multipart-rows.js';

/** The object compare-and-set of the metadata store, run on the caller's transaction `c`. */
export type PgCas = (
  c: PgClient,
  bucket: string,
  key: string,
  expectedRevision: number | null,
  next: ObjectRecord,
  history?: HistoryChange,
) => Promise<CasResult>;

/** Thrown inside a transaction to roll it back and answer `result`. */
class Rollback {
  constructor(readonly result: CompleteResult) {}
}

const PART_COLUMNS = 'part_number, size, etag, crc, blob, mtime_ms';

export class PgMultipartStore implements MultipartMetadata {
  constructor(
    private readonly db: PgDatabase,
    /** Recorded on the unsettled rows of blobs this node's commits dereference. */
    private readonly nodeId: string,
    /** The object store's compare-and-set; CompleteMultipartUpload needs it (metadata-store.ts passes it). */
    private readonly cas?: PgCas,
  ) {}

  /** Any upload in the bucket (DeleteBucket refuses a bucket with one). */
  async anyUpload(bucket: string, c: Pick<PgClient, 'query'> = this.db.pool): Promise<boolean> {
    return (await c.query('SELECT 1 FROM uploads WHERE bucket = $1 LIMIT 1', [bucket])).rowCount! > 0;
  }

  async insertUpload(u: UploadRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO uploads (bucket, key, upload_id, initiated_ms, attrs, forbid_overwrite) VALUES ($1, $2, $3, $4, $5, $6)',
      [u.bucket, u.key, u.uploadId, u.initiatedMs, attrsColumn(u), u.forbidOverwrite],
    );
  }

  async getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined> {
    if (hasNul(uploadId)) return undefined; // no stored id holds U+0000 (nul-text.ts)
    const r = await this.db.query<UploadRow>('SELECT * FROM uploads WHERE bucket = $1 AND key = $2 AND upload_id = $3', [bucket, key, uploadId]);
    return r.rows[0] ? uploadFromRow(r.rows[0]) : undefined;
  }

  async putPart(bucket: string, key: string, uploadId: string, p: PartRecord): Promise<PutPartResult> {
    if (hasNul(uploadId)) return { ok: false };
    return this.db.tx(async (c): Promise<PutPartResult> => {
      // The guard: the upload exists, and no other part of it commits meanwhile.
      const up = await c.query('SELECT 1 FROM uploads WHERE bucket = $1 AND key = $2 AND upload_id = $3 FOR NO KEY UPDATE', [bucket, key, uploadId]);
      if (up.rowCount === 0) return { ok: false };
      // `prev` reads the row as it was before this statement's upsert (one snapshot).
      const r = await c.query<PartRow>(
        `WITH prev AS (SELECT ${PART_COLUMNS} FROM upload_parts WHERE upload_id = $1 AND part_number = $2),
         put AS (
           INSERT INTO upload_parts (upload_id, part_number, size, etag, crc, blob, mtime_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
             crc = excluded.crc, blob = excluded.blob, mtime_ms = excluded.mtime_ms
           RETURNING 1
         )
         SELECT prev.* FROM prev, put`,
        [uploadId, p.partNumber, p.size, p.etag, p.crc, p.blob, p.mtimeMs],
      );
      const prev = r.rows[0] ? partFromRow(r.rows[0]) : undefined;
      if (prev && prev.blob !== p.blob) await recordDereferenced(c, this.nodeId, [prev.blob]);
      return { ok: true, previous: prev };
    });
  }

  async listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<PartRecord[]> {
    if (hasNul(uploadId)) return [];
    const r = await this.db.query<PartRow>(
      `SELECT ${PART_COLUMNS} FROM upload_parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3`,
      [uploadId, afterPartNumber, limit],
    );
    return r.rows.map(partFromRow);
  }

  deleteUpload(bucket: string, key: string, uploadId: string): Promise<PartRecord[] | undefined> {
    return this.db.tx(async (c) => {
      const parts = await this.takeUpload(c, bucket, key, uploadId);
      if (parts) await recordDereferenced(c, this.nodeId, parts.map((p) => p.blob));
      return parts;
    });
  }

  /** Deletes the upload (the guard: zero rows, someone else took it) and its parts; returns the parts. */
  private async takeUpload(c: PgClient, bucket: string, key: string, uploadId: string): Promise<PartRecord[] | undefined> {
    if (hasNul(uploadId)) return undefined;
    const up = await c.query('DELETE FROM uploads WHERE bucket = $1 AND key = $2 AND upload_id = $3 RETURNING 1', [bucket, key, uploadId]);
    if (up.rowCount === 0) return undefined;
    const parts = await c.query<PartRow>(`DELETE FROM upload_parts WHERE upload_id = $1 RETURNING ${PART_COLUMNS}`, [uploadId]);
    return parts.rows.map(partFromRow).sort((a, b) => a.partNumber - b.partNumber);
  }

  async listUploads(bucket: string, page: UploadPage): Promise<UploadRecord[]> {
    // Every key with the prefix is >= the prefix, so start there unless the marker is further.
    const markerBeforePrefix = compareBytewise(page.afterKey, page.prefix) < 0;
    const order = 'ORDER BY key, upload_id LIMIT';
    // Markers holding U+0000 become bounds without it (nul-text.ts). After a key-marker no
    // stored key equals, its upload-id-marker no longer matters: (key, id) > (marker, id) is key > marker.
    const from = lowerBound(page.fromKey ?? page.prefix, true);
    const afterKey = lowerBound(page.afterKey, false);
    const afterUploadId = page.afterUploadId === undefined || hasNul(page.afterKey) ? undefined : lowerBound(page.afterUploadId, false).value;
    const r =
      page.fromKey !== undefined || markerBeforePrefix
        ? await this.db.query<UploadRow>(`SELECT * FROM uploads WHERE bucket = $1 AND key ${from.op} $2 ${order} $3`, [bucket, from.value, page.limit])
        : afterUploadId !== undefined
          ? await this.db.query<UploadRow>(
              `SELECT * FROM uploads WHERE bucket = $1 AND (key, upload_id) > ($2, $3) ${order} $4`,
              [bucket, page.afterKey, afterUploadId, page.limit],
            )
          : await this.db.query<UploadRow>(`SELECT * FROM uploads WHERE bucket = $1 AND key > $2 ${order} $3`, [bucket, afterKey.value, page.limit]);
    const out: UploadRecord[] = [];
    for (const row of r.rows) {
      if (!row.key.startsWith(page.prefix)) break;
      out.push(uploadFromRow(row));
    }
    return out;
  }

  async completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    used: UsedPart[],
    expectedRevision: number | null,
    next: ObjectRecord,
    history?: HistoryChange,
  ): Promise<CompleteResult> {
    const cas = this.cas;
    if (!cas) throw new Error('PgMultipartStore: completeUpload needs the object store compare-and-set');
    try {
      return await this.db.tx(async (c): Promise<CompleteResult> => {
        const parts = await this.takeUpload(c, bucket, key, uploadId);
        if (!parts) return { status: 'no-upload' };
        const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
        for (const u of used) if (byNumber.get(u.partNumber)?.blob !== u.blob) throw new Rollback({ status: 'parts-changed' });
        const swapped = await cas(c, bucket, key, expectedRevision, next, history);
        if (!swapped.ok) throw new Rollback({ status: 'conflict' });
        const kept = new Set(used.map((u) => u.partNumber));
        const discarded = parts.filter((p) => !kept.has(p.partNumber));
        await recordDereferenced(c, this.nodeId, discarded.map((p) => p.blob));
        return { status: 'ok', previous: swapped.previous, removed: swapped.removed ?? [], discarded };
      });
    } catch (e) {
      if (e instanceof Rollback) return e.result;
      throw e;
    }
  }
}
