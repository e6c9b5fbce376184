/**
 * The object compare-and-set of the PostgreSQL metadata store, run inside a transaction
 * the caller opened (PgDatabase.tx): the store's compareAndSwap, and CompleteMultipartUpload
 * (the multipart store calls casInTransaction in its own transaction, as SQLite's does).
 *
 * The compare is ONE conditional statement on the key's current row (object-rows.ts):
 * INSERT … ON CONFLICT DO NOTHING for a create, UPDATE/DELETE … WHERE revision = $expected
 * for a replace or delete, SELECT … WHERE revision = $expected FOR UPDATE when only the
 * noncurrent versions change. Zero rows: another writer (maybe on another node) won, and
 * the transaction is rolled back (LostSwap). Everything after it runs while this
 * transaction holds the row's lock (or its claim of absence), so no other swap of the key
 * interleaves: noncurrent versions, segment rows, inline rows, and the unsettled rows of
 * blobs the swap left without a reference.
 */
import { type ObjectRecord, type Segment } from '../../engine/model.js';
import { type CasResult, type HistoryChange, isInlineBlob, KEEP_CURRENT } from '../types.js';
import {
  CLAIM_ABSENT,
  DELETE_OBJECT,
  INSERT_OBJECT,
  insertValues,
  LOCK_OBJECT,
  type ObjectRowWithSegments,
  type Queryable,
  recordFromRow,
  RELEASE_ABSENT,
  UPDATE_OBJECT,
  updateValues,
} from './object-rows.js';
import { insertVersion, SEGMENTS_FROM_ARRAYS, segmentArrays, takeVersions, updateVersion } from './version-store.js';

/** Thrown inside the transaction when the swap is lost: the caller rolls back and reports the current row. */
export class LostSwap extends Error {
  constructor() {
    super('compare-and-set lost');
  }
}

/** A successful swap (the CasResult when ok). */
export interface SwapDone {
  ok: true;
  previous: ObjectRecord | undefined;
  removed: ObjectRecord[];
}

/**
 * The compare-and-set of (bucket, key) inside the open transaction `c`: throws LostSwap
 * when the revision is not `expectedRevision` (null: no row) or a version named by
 * `history` is missing; the caller must then roll back.
 */
export async function casInTransaction(
  c: Queryable,
  nodeId: string,
  bucket: string,
  key: string,
  expectedRevision: number | null,
  next: ObjectRecord | null | typeof KEEP_CURRENT,
  history?: HistoryChange,
): Promise<SwapDone> {
  const previous = await compareAndLock(c, bucket, key, expectedRevision, next);
  // A single in-place update (PutObjectAcl/Tagging on a noncurrent version) changes nothing else.
  for (const v of history?.update ?? []) if (!(await updateVersion(c, v))) throw new LostSwap();
  const removed = history?.remove?.length ? await takeVersions(c, bucket, key, history.remove) : [];
  if (!removed) throw new LostSwap();
  if (next !== KEEP_CURRENT) {
    if (history?.archive && previous) await insertVersion(c, previous);
    await saveSegments(c, bucket, key, previous?.blob === null ? previous.segments : undefined, next?.blob === null ? next.segments : undefined);
  }
  for (const marker of history?.add ?? []) await insertVersion(c, marker);
  const gone = [...(next !== KEEP_CURRENT && previous ? [previous] : []), ...removed];
  await dropDereferenced(c, nodeId, gone, next === KEEP_CURRENT ? null : next);
  return { ok: true, previous, removed };
}

/** The conditional statement: the row it replaced (or locked), undefined when there was none. */
async function compareAndLock(
  c: Queryable,
  bucket: string,
  key: string,
  expected: number | null,
  next: ObjectRecord | null | typeof KEEP_CURRENT,
): Promise<ObjectRecord | undefined> {
  if (expected === null) {
    if (next !== null && next !== KEEP_CURRENT) {
      if ((await c.query(INSERT_OBJECT, insertValues(next))).rowCount !== 1) throw new LostSwap();
    } else {
      if ((await c.query(CLAIM_ABSENT, [bucket, key])).rowCount !== 1) throw new LostSwap();
      await c.query(RELEASE_ABSENT, [bucket, key]);
    }
    return undefined;
  }
  const sql = next === KEEP_CURRENT ? LOCK_OBJECT : next === null ? DELETE_OBJECT : UPDATE_OBJECT;
  const values = next === KEEP_CURRENT || next === null ? [bucket, key, expected] : updateValues(bucket, key, next, expected);
  const { rows } = await c.query<ObjectRowWithSegments>(sql, values);
  if (rows.length !== 1) throw new LostSwap();
  return recordFromRow(rows[0]!);
}

function sameSegment(a: Segment, b: Segment): boolean {
  return a.blob === b.blob && a.size === b.size;
}

/**
 * Rewrites the segment rows of (bucket, key) when a swap changes them. An append on an
 * immutable blob store adds one segment after the others: only that row is inserted, so
 * an object of many appends costs one row per append, not its whole list.
 */
async function saveSegments(c: Queryable, bucket: string, key: string, before: Segment[] | undefined, after: Segment[] | undefined): Promise<void> {
  const b = before ?? [];
  const a = after ?? [];
  const keep = b.length <= a.length && b.every((s, i) => sameSegment(s, a[i]!)) ? b.length : 0;
  if (keep === a.length && keep === b.length) return;
  if (keep < b.length) await c.query('DELETE FROM object_segments WHERE bucket = $1 AND key = $2', [bucket, key]);
  const added = a.slice(keep);
  if (added.length === 0) return;
  const start = a.slice(0, keep).reduce((n, s) => n + s.size, 0);
  // start_offset: the byte of the object where the segment begins (a running sum).
  await c.query(
    `INSERT INTO object_segments (bucket, key, idx, blob, size, crc, start_offset)
     SELECT $1, $5, $6 + t.n - 1, t.blob, t.size, t.crc, $7 + coalesce(sum(t.size) OVER (ORDER BY t.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
     FROM ${SEGMENTS_FROM_ARRAYS}`,
    [bucket, ...segmentArrays(added), key, keep, start],
  );
}

/** Every blob a record refers to: its own, or its segments'. */
function blobsOf(rec: ObjectRecord): string[] {
  return rec.blob !== null ? [rec.blob] : (rec.segments ?? []).map((s) => s.blob);
}

/** SQL: nothing refers to the blob `b` any more (no object, segment, version or part). */
function unreferencedSql(b: string): string {
  return `NOT EXISTS (SELECT 1 FROM objects WHERE blob = ${b})
       AND NOT EXISTS (SELECT 1 FROM object_segments WHERE blob = ${b})
       AND NOT EXISTS (SELECT 1 FROM object_versions WHERE blob = ${b})
       AND NOT EXISTS (SELECT 1 FROM version_segments WHERE blob = ${b})
       AND NOT EXISTS (SELECT 1 FROM upload_parts WHERE blob = ${b})`;
}

/**
 * Inside a commit: the file blobs among `blobs` that nothing references any more are
 * recorded in unsettled_blobs (seq 0, with the time they lost their last reference, for
 * the GC grace period) by the same transaction, so that a crash before their removal
 * leaves a row to find them by. One statement. Also for the multipart store (replaced or
 * aborted parts).
 */
export async function recordDereferenced(c: Queryable, nodeId: string, blobs: ReadonlyArray<string | null>): Promise<void> {
  const files = [...new Set(blobs.filter((b): b is string => b !== null && !isInlineBlob(b)))];
  if (files.length === 0) return;
  await c.query(
    `INSERT INTO unsettled_blobs (blob, seq, node_id, recorded_ms) SELECT t.blob, 0, $2, $3 FROM unnest($1::text[]) AS t(blob)
     WHERE ${unreferencedSql('t.blob')}
     ON CONFLICT (blob) DO UPDATE SET seq = 0, node_id = excluded.node_id, recorded_ms = excluded.recorded_ms`,
    [files, nodeId, Date.now()],
  );
}

/**
 * After a swap: inline rows of the records it removed that lost their last reference are
 * dropped (inline blobs live exactly as long as a reference to them), and file blobs that
 * lost theirs are recorded as unsettled. Blobs the new row keeps are not even looked up:
 * an append keeps its blob (or its earlier segments).
 */
async function dropDereferenced(c: Queryable, nodeId: string, gone: ObjectRecord[], next: ObjectRecord | null): Promise<void> {
  const kept = new Set(next ? blobsOf(next) : []);
  const candidates = gone.flatMap(blobsOf).filter((b) => !kept.has(b));
  const inline = candidates.filter((b) => isInlineBlob(b));
  if (inline.length > 0) await c.query(`DELETE FROM inline_blobs i WHERE i.blob = ANY($1::text[]) AND ${unreferencedSql('i.blob')}`, [inline]);
  await recordDereferenced(c, nodeId, candidates);
}

/** A lost swap's result: the row as it is now. */
export function lost(current: ObjectRecord | undefined): CasResult {
  return { ok: false, current };
}
