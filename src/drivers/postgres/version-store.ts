/**
 * Noncurrent versions and delete markers in PostgreSQL (mirrors sqlite/version-store.ts):
 *   object_versions(seq, bucket, key, version_id, delete_marker, …object columns)
 *   version_segments(seq, idx, blob, size, crc)   the segments of a version without a blob
 * `seq` (an identity) grows with every row added, so within a key a higher seq is a newer
 * version, and the current row (in `objects`) is newer than all of them. The writes run
 * inside the compare-and-set's transaction (object-cas.ts), after its conditional statement
 * locked the key's current row (or claimed its absence).
 */
import type { ObjectRecord, Segment } from '../../engine/model.js';
import type { VersionEntry } from '../types.js';
import { OBJECT_ROW_COLUMNS } from '../sqlite/rows.js';
import { hasNul, lowerBound } from './nul-text.js';
import { placeholders, type Queryable, recordFromVersionRow, VERSION_SELECT, type VersionRow, versionRowValues } from './object-rows.js';

/** The rank of a current row: above every seq (VersionEntry). */
export const CURRENT_RANK = Number.MAX_SAFE_INTEGER;

const INSERT = `INSERT INTO object_versions (bucket, key, delete_marker, ${OBJECT_ROW_COLUMNS.join(', ')})
  VALUES (${placeholders(1, OBJECT_ROW_COLUMNS.length + 3)}) RETURNING seq`;

/** Segment rows of one owner from three arrays (one statement whatever their number). */
export const SEGMENTS_FROM_ARRAYS = 'unnest($2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS t(blob, size, crc, n)';

export function segmentArrays(segments: readonly Segment[]): [string[], number[], string[]] {
  return [segments.map((s) => s.blob), segments.map((s) => s.size), segments.map((s) => s.crc)];
}

/** Adds a row as the newest noncurrent version of its key, with its segments. */
export async function insertVersion(c: Queryable, rec: ObjectRecord): Promise<void> {
  const { rows } = await c.query<{ seq: number }>(INSERT, [rec.bucket, rec.key, rec.deleteMarker === true, ...versionRowValues(rec)]);
  const segments = rec.blob === null ? (rec.segments ?? []) : [];
  if (segments.length === 0) return;
  await c.query(
    `INSERT INTO version_segments (seq, idx, blob, size, crc) SELECT $1, t.n - 1, t.blob, t.size, t.crc FROM ${SEGMENTS_FROM_ARRAYS}`,
    [rows[0]!.seq, ...segmentArrays(segments)],
  );
}

/** Removes the named versions and returns them (in the order named), or undefined when one is missing (then the caller rolls back). */
export async function takeVersions(c: Queryable, bucket: string, key: string, versionIds: string[]): Promise<ObjectRecord[] | undefined> {
  const { rows } = await c.query<VersionRow>(
    `DELETE FROM object_versions v WHERE bucket = $1 AND key = $2 AND version_id = ANY($3::text[]) RETURNING ${VERSION_SELECT}`,
    [bucket, key, versionIds],
  );
  const byId = new Map(rows.map((r) => [r.version_id!, r]));
  if (versionIds.some((id) => !byId.has(id))) return undefined;
  const withSegments = rows.filter((r) => r.segments !== null).map((r) => r.seq);
  if (withSegments.length > 0) await c.query('DELETE FROM version_segments WHERE seq = ANY($1::bigint[])', [withSegments]);
  return versionIds.map((id) => recordFromVersionRow(byId.get(id)!));
}

/** Changes a noncurrent version's ACL and tags in place; false when it is gone. */
export async function updateVersion(c: Queryable, rec: ObjectRecord): Promise<boolean> {
  const r = await c.query(
    'UPDATE object_versions SET acl = $4, tags = $5, revision = $6 WHERE bucket = $1 AND key = $2 AND version_id = $3',
    [rec.bucket, rec.key, rec.versionId ?? 'null', rec.acl, JSON.stringify(rec.tags), rec.revision],
  );
  return r.rowCount === 1;
}

export async function versionById(c: Queryable, bucket: string, key: string, versionId: string): Promise<VersionEntry | undefined> {
  if (hasNul(versionId)) return undefined; // a version-id-marker from a request; no stored id holds U+0000 (nul-text.ts)
  const { rows } = await c.query<VersionRow>(`SELECT ${VERSION_SELECT} FROM object_versions v WHERE bucket = $1 AND key = $2 AND version_id = $3`, [
    bucket,
    key,
    versionId,
  ]);
  return rows[0] ? entryOf(rows[0]) : undefined;
}

/** A key's noncurrent versions, newest first. */
export async function versionsOfKey(c: Queryable, bucket: string, key: string): Promise<ObjectRecord[]> {
  const { rows } = await c.query<VersionRow>(`SELECT ${VERSION_SELECT} FROM object_versions v WHERE bucket = $1 AND key = $2 ORDER BY seq DESC`, [bucket, key]);
  return rows.map(recordFromVersionRow);
}

/** One key's versions older than `rank`, newest first. */
export async function versionsOfKeyBelow(c: Queryable, bucket: string, key: string, rank: number, limit: number): Promise<VersionEntry[]> {
  const { rows } = await c.query<VersionRow>(
    `SELECT ${VERSION_SELECT} FROM object_versions v WHERE bucket = $1 AND key = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
    [bucket, key, rank, limit],
  );
  return rows.map(entryOf);
}

/** Versions of keys > after (or >= from), in (key, newest first) order. */
export async function versionPage(c: Queryable, bucket: string, after: string, from: string | undefined, limit: number): Promise<VersionEntry[]> {
  const bound = lowerBound(from ?? after, from !== undefined);
  const { rows } = await c.query<VersionRow>(
    `SELECT ${VERSION_SELECT} FROM object_versions v WHERE bucket = $1 AND key ${bound.op} $2 ORDER BY key, seq DESC LIMIT $3`,
    [bucket, bound.value, limit],
  );
  return rows.map(entryOf);
}

function entryOf(row: VersionRow): VersionEntry {
  return { record: recordFromVersionRow(row), rank: row.seq };
}
