/**
 * The unsettled blobs registry in PostgreSQL (issue 19; the SQLite one,
 * src/drivers/sqlite/unsettled-store.ts, explains what a row means). Each row also names
 * the node that recorded it and when (`node_id`, `recorded_ms`), because the blob store is
 * shared: a node recovers only its own rows at start (list()), and the rows of a dead node
 * are settled by another node under the `recover:<node>` lease (`foreign`, dead-nodes.ts).
 */
import type { ForeignUnsettled, UnsettledStore } from '../types.js';
import { isInlineBlob } from '../types.js';
import type { PgClient, PgDatabase } from './db.js';

/** Every column that can hold a blob id (object data, versions, parts, segments). */
const REFERENCED = `(
  EXISTS (SELECT 1 FROM objects WHERE blob = $1) OR
  EXISTS (SELECT 1 FROM object_versions WHERE blob = $1) OR
  EXISTS (SELECT 1 FROM upload_parts WHERE blob = $1) OR
  EXISTS (SELECT 1 FROM object_segments WHERE blob = $1) OR
  EXISTS (SELECT 1 FROM version_segments WHERE blob = $1)
)`;

/** Whether anything in the metadata still refers to the blob (on `c`: inside a transaction it sees that transaction's writes). */
export async function isBlobReferenced(c: Pick<PgClient, 'query'>, blob: string): Promise<boolean> {
  return (await c.query<{ r: boolean }>(`SELECT ${REFERENCED} AS r`, [blob])).rows[0]!.r;
}

/**
 * Inside a commit's transaction: the file blobs among `blobs` that nothing references any
 * more are recorded as unsettled (seq 0, by this node, now), so a crash before they are
 * removed leaves a row to find them by. One statement per blob: the check and the insert
 * see the same snapshot of this transaction. Inline blobs have no file and are skipped.
 */
export async function recordDereferenced(c: PgClient, nodeId: string, blobs: ReadonlyArray<string | null>): Promise<void> {
  const now = Date.now();
  for (const blob of new Set(blobs)) {
    if (blob === null || isInlineBlob(blob)) continue;
    await c.query(
      `INSERT INTO unsettled_blobs (blob, seq, node_id, recorded_ms) SELECT $1, 0, $2, $3 WHERE NOT ${REFERENCED}
       ON CONFLICT (blob) DO UPDATE SET seq = 0, node_id = excluded.node_id, recorded_ms = excluded.recorded_ms`,
      [blob, nodeId, now],
    );
  }
}

export class PgUnsettledStore implements UnsettledStore {
  /** The rows of dead nodes (dead-nodes.ts): set by a server node, which keeps a liveness lease (node-liveness.ts). */
  foreign?: ForeignUnsettled;

  constructor(
    private readonly db: PgDatabase,
    /** This node: recorded on every row it adds, and the rows list() returns. */
    private readonly nodeId: string,
  ) {}

  async add(blob: string, seq: number): Promise<void> {
    // The newest hold's seq (and node), so an older hold's late clear leaves the row; but a
    // commit's seq 0 stays until the blob is removed.
    await this.db.query(
      `INSERT INTO unsettled_blobs (blob, seq, node_id, recorded_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (blob) DO UPDATE SET seq = excluded.seq, node_id = excluded.node_id, recorded_ms = excluded.recorded_ms
       WHERE unsettled_blobs.seq <> 0`,
      [blob, seq, this.nodeId, Date.now()],
    );
  }

  /** Inside a commit's transaction: these blobs lost their last reference with it (no reference check: the caller made it). */
  async dereferenced(c: PgClient, blobs: Iterable<string>): Promise<void> {
    const now = Date.now();
    for (const blob of blobs) {
      await c.query(
        `INSERT INTO unsettled_blobs (blob, seq, node_id, recorded_ms) VALUES ($1, 0, $2, $3)
         ON CONFLICT (blob) DO UPDATE SET seq = 0, node_id = excluded.node_id, recorded_ms = excluded.recorded_ms`,
        [blob, this.nodeId, now],
      );
    }
  }

  async clear(entries: ReadonlyArray<{ blob: string; seq: number }>): Promise<void> {
    if (entries.length === 0) return;
    const anySeq = entries.filter((e) => e.seq === 0).map((e) => e.blob);
    const held = entries.filter((e) => e.seq !== 0);
    await this.db.tx(async (c) => {
      if (anySeq.length > 0) await c.query('DELETE FROM unsettled_blobs WHERE blob = ANY($1::text[])', [anySeq]);
      if (held.length > 0) {
        // A hold is this node's: another node's newer hold on the blob stays.
        await c.query(
          `DELETE FROM unsettled_blobs u USING unnest($1::text[], $2::bigint[]) AS h(blob, seq)
           WHERE u.blob = h.blob AND u.seq = h.seq AND u.node_id = $3`,
          [held.map((e) => e.blob), held.map((e) => e.seq), this.nodeId],
        );
      }
    });
  }

  /** This node's rows (its recovery at start); other nodes' rows are theirs, or a collector's (dead-nodes.ts). */
  async list(): Promise<string[]> {
    const r = await this.db.query<{ blob: string }>('SELECT blob FROM unsettled_blobs WHERE node_id = $1 ORDER BY blob', [this.nodeId]);
    return r.rows.map((row) => row.blob);
  }
}
