/**
 * The unsettled rows of dead nodes, for the live nodes of a cluster to settle (issue 19,
 * docs/storage.md "A node that dies"; the engine's side: engine/dead-nodes.ts). A node is
 * dead when its lease `node:<id>` (node-liveness.ts) is gone or expired. One live node at
 * a time works on it, under the lease `recover:<id>`.
 *
 * Claiming a dead node's rows is one fenced transaction (db.ts `fenceWith`: the claimer
 * itself must be alive) that:
 * 1. takes the dead node's fence lock exclusively (node-liveness.ts): a transaction of
 *    that node in flight, if any, ends first (it holds the lock shared), and a start of a
 *    node of that id waits for this claim;
 * 2. locks its lease row `FOR UPDATE` (inserting an expired one if there is none), and
 *    gives up if the lease was renewed: the node is alive after all;
 * 3. changes the row's holder to a tombstone: the dead process's fence (`holder = its
 *    token`) never matches again, so should it only have been stalled, none of its
 *    transactions commits from now on;
 * 4. moves its held rows (seq > 0: work in flight) to this node, so that if this node dies
 *    in turn they are still some live node's to collect; once settled, the rows of the
 *    blobs removed go back to the dead node as dereferenced (seq 0, recorded now): a
 *    stalled process's upload that lands after the removal is removed again after the grace;
 * 5. reads its dereferenced rows (seq 0), which stay its own until the GC grace period has
 *    passed since they were recorded (a reader on any node may still hold a segment list
 *    naming the blob).
 * A node of the same id that starts meanwhile takes its lease over (node-liveness.ts) only
 * after this transaction (step 1), so its new holds are never among the rows moved.
 */
import type { ClaimedRows, ForeignUnsettled } from '../types.js';
import type { PgDatabase } from './db.js';
import { NOW_MS, type PgLeases } from './leases.js';
import { fenceLockSql, nodeLeaseName } from './node-liveness.js';

/** How long one node may work on a dead node's rows before another may take over (the work is idempotent). */
const RECOVER_LEASE_MS = 10 * 60_000;

/** Dereferenced rows read per claim: the rest come with the next sweep. */
const DEREFERENCED_PER_CLAIM = 10_000;

export class PgForeignUnsettled implements ForeignUnsettled {
  constructor(
    private readonly db: PgDatabase,
    /** This node: its own rows are never foreign. */
    private readonly nodeId: string,
    /** Leases held under this node's name (recover:<node>). */
    private readonly leases: PgLeases,
    readonly intervalMs: number,
  ) {}

  async deadNodes(): Promise<string[]> {
    const r = await this.db.query<{ node_id: string }>(
      `SELECT DISTINCT u.node_id FROM unsettled_blobs u LEFT JOIN leases l ON l.name = 'node:' || u.node_id
       WHERE u.node_id <> $1 AND (l.name IS NULL OR l.expires_ms < ${NOW_MS}) ORDER BY u.node_id`,
      [this.nodeId],
    );
    return r.rows.map((row) => row.node_id);
  }

  async claim(node: string): Promise<ClaimedRows | undefined> {
    const work = `recover:${node}`;
    if (!(await this.leases.take(work, RECOVER_LEASE_MS))) return undefined;
    const done = async (): Promise<void> => void (await this.leases.release(work));
    try {
      const rows = await this.db.tx(async (c) => {
        const lease = nodeLeaseName(node);
        const tombstone = `dead (collected by ${this.nodeId})`;
        await c.query(fenceLockSql('exclusive', '$1'), [lease]);
        await c.query('INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING', [lease, tombstone]);
        const l = await c.query<{ expired: boolean }>(`SELECT expires_ms < ${NOW_MS} AS expired FROM leases WHERE name = $1 FOR UPDATE`, [lease]);
        if (l.rows[0]?.expired !== true) return undefined;
        await c.query('UPDATE leases SET holder = $2 WHERE name = $1', [lease, tombstone]);
        const held = await c.query<{ blob: string; seq: number }>(
          'UPDATE unsettled_blobs SET node_id = $2 WHERE node_id = $1 AND seq <> 0 RETURNING blob, seq',
          [node, this.nodeId],
        );
        const dereferenced = await c.query<{ blob: string; recorded_ms: number }>(
          'SELECT blob, recorded_ms FROM unsettled_blobs WHERE node_id = $1 AND seq = 0 ORDER BY recorded_ms LIMIT $2',
          [node, DEREFERENCED_PER_CLAIM],
        );
        return { held: held.rows, dereferenced: dereferenced.rows.map((r) => ({ blob: r.blob, recordedMs: r.recorded_ms })) };
      });
      if (!rows) {
        await done();
        return undefined;
      }
      return {
        node,
        ...rows,
        settleHeld: async (removed) => {
          const gone = new Set(removed);
          const kept = rows.held.filter((h) => !gone.has(h.blob));
          const again = rows.held.filter((h) => gone.has(h.blob));
          await this.db.tx(async (c) => {
            // By blob and seq, and only while this node's: a commit that dereferenced the blob meanwhile replaced the row (seq 0), which stays.
            const where = 'u.blob = h.blob AND u.seq = h.seq AND u.node_id = $3';
            const byRow = (list: typeof kept): [string[], number[]] => [list.map((h) => h.blob), list.map((h) => h.seq)];
            if (kept.length > 0) await c.query(`DELETE FROM unsettled_blobs u USING unnest($1::text[], $2::bigint[]) AS h(blob, seq) WHERE ${where}`, [...byRow(kept), this.nodeId]);
            if (again.length > 0) {
              await c.query(
                `UPDATE unsettled_blobs u SET seq = 0, node_id = $4, recorded_ms = $5 FROM unnest($1::text[], $2::bigint[]) AS h(blob, seq) WHERE ${where}`,
                [...byRow(again), this.nodeId, node, Date.now()],
              );
            }
          });
        },
        clearDereferenced: async (blobs) => {
          if (blobs.length === 0) return;
          await this.db.query('DELETE FROM unsettled_blobs WHERE blob = ANY($1::text[]) AND node_id = $2 AND seq = 0', [blobs, node]);
        },
        done,
      };
    } catch (e) {
      await done().catch(() => undefined);
      throw e;
    }
  }
}
