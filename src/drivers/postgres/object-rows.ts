/**
 * Object rows of the PostgreSQL metadata store: the SQL that reads them (with their
 * segments, in the same statement, so a row and its segment list always come from one
 * snapshot) and their conversion to engine records. The column codec is the SQLite
 * store's (sqlite/rows.ts): 001-initial.sql keeps the columns identical on purpose.
 */
import type pg from 'pg';
import { NULL_VERSION, type ObjectRecord, type Segment } from '../../engine/model.js';
import { OBJECT_ROW_COLUMNS, type ObjectRow, objectFromRow, objectToRow } from '../sqlite/rows.js';

/** A pool or a client inside a transaction: both run a query. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A row as read with OBJECT_SEGMENTS / VERSION_SEGMENTS: the segments as JSON, null when none or when the row has a blob. */
export interface ObjectRowWithSegments extends ObjectRow {
  segments: Segment[] | null;
}

export interface VersionRow extends ObjectRowWithSegments {
  seq: number;
  delete_marker: boolean;
}

/**
 * The segment list of the objects row aliased `o`, as a JSON array in idx order (only for
 * rows without a blob: multipart objects, and appendable objects on an immutable blob store).
 */
export function objectSegmentsSql(o: string): string {
  return `CASE WHEN ${o}.blob IS NULL THEN (SELECT json_agg(json_build_object('blob', s.blob, 'size', s.size, 'crc', s.crc) ORDER BY s.idx)
    FROM object_segments s WHERE s.bucket = ${o}.bucket AND s.key = ${o}.key) END AS segments`;
}

/** The same for the object_versions row aliased `v`. */
export function versionSegmentsSql(v: string): string {
  return `CASE WHEN ${v}.blob IS NULL THEN (SELECT json_agg(json_build_object('blob', s.blob, 'size', s.size, 'crc', s.crc) ORDER BY s.idx)
    FROM version_segments s WHERE s.seq = ${v}.seq) END AS segments`;
}

/** `SELECT` list of an object row with its segments. */
export const OBJECT_SELECT = `o.*, ${objectSegmentsSql('o')}`;
export const VERSION_SELECT = `v.*, ${versionSegmentsSql('v')}`;

export function recordFromRow(row: ObjectRowWithSegments): ObjectRecord {
  const rec = objectFromRow(row);
  return row.segments && row.segments.length > 0 ? { ...rec, segments: row.segments } : rec;
}

export function recordFromVersionRow(row: VersionRow): ObjectRecord {
  const rec = recordFromRow(row);
  if (row.delete_marker) rec.deleteMarker = true;
  return rec;
}

/** Parameter values of OBJECT_ROW_COLUMNS, in order. */
export function rowValues(row: ObjectRow): unknown[] {
  return OBJECT_ROW_COLUMNS.map((c) => row[c]);
}

/** `$first, $first+1, …` for n parameters. */
export function placeholders(first: number, n: number): string {
  return Array.from({ length: n }, (_, i) => `$${first + i}`).join(', ');
}

/** Creates the row only if the key has none: the compare-and-set of a create (expected revision null). */
export const INSERT_OBJECT = `INSERT INTO objects (bucket, key, ${OBJECT_ROW_COLUMNS.join(', ')})
  VALUES (${placeholders(1, OBJECT_ROW_COLUMNS.length + 2)}) ON CONFLICT (bucket, key) DO NOTHING RETURNING revision`;

/**
 * The compare-and-set of a replace: one UPDATE that writes only if the revision is still
 * $3, returning the row it replaced (PostgreSQL 15 has no RETURNING OLD: the CTE locks the
 * old row and the UPDATE joins it). In READ COMMITTED a writer that committed first makes
 * the CTE re-check `revision = $3` on the new row version: zero rows, the swap is lost.
 */
export const UPDATE_OBJECT = `WITH old AS (SELECT * FROM objects WHERE bucket = $1 AND key = $2 AND revision = $3 FOR UPDATE)
  UPDATE objects o SET ${OBJECT_ROW_COLUMNS.map((c, i) => `${c} = $${i + 4}`).join(', ')}
  FROM old WHERE o.bucket = old.bucket AND o.key = old.key
  RETURNING old.*, ${objectSegmentsSql('old')}`;

/** The compare-and-set of a delete. */
export const DELETE_OBJECT = `DELETE FROM objects o WHERE bucket = $1 AND key = $2 AND revision = $3 RETURNING ${OBJECT_SELECT}`;

/** The compare-and-set of a swap that keeps the current row (history changes only): locks it if its revision is still $3. */
export const LOCK_OBJECT = `SELECT ${OBJECT_SELECT} FROM objects o WHERE bucket = $1 AND key = $2 AND revision = $3 FOR UPDATE`;

/**
 * A swap that expects no row and writes none (a delete marker for an absent key): the
 * absence is claimed by inserting a placeholder row (ON CONFLICT: someone has a row, the
 * swap is lost), which a concurrent create waits on until this transaction commits, and
 * deleting it again in the same transaction. Nobody ever sees the placeholder.
 */
export const CLAIM_ABSENT = `INSERT INTO objects (bucket, key, type, size, etag, crc, mtime_ms, content_type, headers, meta, acl, tags, storage_class, revision)
  VALUES ($1, $2, 'Normal', 0, '', '0', 0, '', '{}', '{}', 'default', '[]', '', -1) ON CONFLICT (bucket, key) DO NOTHING RETURNING revision`;
export const RELEASE_ABSENT = 'DELETE FROM objects WHERE bucket = $1 AND key = $2 AND revision = -1';

/** Values of INSERT_OBJECT for a record. */
export function insertValues(rec: ObjectRecord): unknown[] {
  return [rec.bucket, rec.key, ...rowValues(objectToRow(rec))];
}

/** Values of UPDATE_OBJECT for a record replacing revision `expected` of (bucket, key). */
export function updateValues(bucket: string, key: string, rec: ObjectRecord, expected: number): unknown[] {
  return [bucket, key, expected, ...rowValues(objectToRow(rec))];
}

/** The row of a noncurrent version: the null version is 'null' there (NULL in `objects`). */
export function versionRowValues(rec: ObjectRecord): unknown[] {
  return rowValues({ ...objectToRow(rec), version_id: rec.versionId ?? NULL_VERSION });
}
