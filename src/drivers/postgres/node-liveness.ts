/**
 * A node's liveness in a cluster (issue 19, docs/storage.md "A node that dies"): the lease
 * `node:<id>`, renewed every third of its TTL, released at a clean stop. A node whose
 * lease lapsed is dead to the others: one of them takes over its unsettled rows and
 * collects its staged segments (dead-nodes.ts).
 *
 * A lapsed lease does not prove a node dead: a node stalled for longer than the TTL (a GC
 * pause, a stopped VM) may wake up in the middle of an append whose staged segment the
 * others just removed, and commit it. So every transaction of a live node is **fenced**:
 * it starts, in the same round trip as BEGIN, by taking the node's fence lock shared (a
 * transaction-scoped advisory lock: in memory, no row written, so commits running at once
 * do not queue on each other) and then checking that this process still holds its lease
 * (holder = this process's own token), in a statement of its own so that its snapshot is
 * taken after the lock. The collector takes the fence lock exclusively before it changes
 * the lease's holder and touches the rows (dead-nodes.ts), so either the commit ends
 * first (and the collector then sees its blob referenced and keeps it) or the commit finds
 * the lease gone and is refused. A process that lost its lease this way never takes it
 * again (its old holds may be gone): it stops, and its supervisor starts it afresh.
 *
 * The holder is `<node id>#<random token>`, one per process: a restarted node takes its
 * lease over at start (its previous process is dead or must be: two processes with one
 * node id fence each other out, and the second one's start wins).
 */
import { randomBytes } from 'node:crypto';
import type { PgDatabase } from './db.js';
import { NOW_MS } from './leases.js';

/** Default lease TTL (`--node-lease-ms`); renewed every third of it. */
export const DEFAULT_NODE_LEASE_MS = 30_000;

export function nodeLeaseName(nodeId: string): string {
  return `node:${nodeId}`;
}

/**
 * The advisory lock (two-key form: its key space is apart from the migrations' one-key
 * lock) fencing a node's commits against the collection of its rows, as SQL taking the
 * node id as parameter `$n` (hashtext: two ids that collide only wait for each other).
 */
export const FENCE_CLASS = 0x6f73;
export function fenceLockSql(mode: 'shared' | 'exclusive', param: string): string {
  return `SELECT pg_advisory_xact_lock${mode === 'shared' ? '_shared' : ''}(${FENCE_CLASS}, hashtext(${param}))`;
}

export interface NodeLivenessOptions {
  ttlMs?: number;
  /** Called once when another process took this node's lease: this process must stop (it may commit nothing more). */
  onLost: (holder: string | undefined) => void;
  /** Renewals that failed for another reason (PostgreSQL unreachable): retried at the next tick. */
  onError?: (e: unknown) => void;
}

export class PgNodeLiveness {
  /** This process's holder name: the node id and a token no other process has. */
  readonly holder: string;
  readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: PgDatabase,
    readonly nodeId: string,
    private readonly options: NodeLivenessOptions,
  ) {
    this.holder = `${nodeId}#${randomBytes(8).toString('hex')}`;
    this.ttlMs = options.ttlMs ?? DEFAULT_NODE_LEASE_MS;
  }

  /** Takes this node's lease (over any previous process of the node id), fences every transaction of `db` with it, and keeps it renewed. */
  static async start(db: PgDatabase, nodeId: string, options: NodeLivenessOptions): Promise<PgNodeLiveness> {
    const live = new PgNodeLiveness(db, nodeId, options);
    const name = nodeLeaseName(nodeId);
    await db.tx(async (c) => {
      // The fence lock first: a transaction of the previous process still in flight ends
      // before the lease changes hands, and before this start's recovery looks at its blobs.
      await c.query(fenceLockSql('exclusive', '$1'), [name]);
      await c.query(
        `INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, ${NOW_MS} + $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms`,
        [name, live.holder, live.ttlMs],
      );
    });
    const lit = escapeLiteral(name);
    db.fenceWith(
      `${fenceLockSql('shared', lit)}; SELECT 1 FROM leases WHERE name = ${lit} AND holder = ${escapeLiteral(live.holder)}`,
      'this node lost its lease node:' + nodeId + ' (declared dead by the cluster): it commits nothing more',
    );
    live.timer = setInterval(() => void live.renew(), Math.max(10, Math.floor(live.ttlMs / 3)));
    live.timer.unref();
    db.beforeClose(() => live.stop());
    return live;
  }

  /** Whether another process took the lease (this one then commits nothing). */
  get isLost(): boolean {
    return this.lost;
  }

  /** Extends the lease; finding it held by another process (or gone) means this process was declared dead. */
  renew(): Promise<void> {
    this.renewing = this.renewing.then(async () => {
      if (this.lost || !this.timer) return;
      try {
        const r = await this.db.query(`UPDATE leases SET expires_ms = ${NOW_MS} + $3 WHERE name = $1 AND holder = $2`, [
          nodeLeaseName(this.nodeId),
          this.holder,
          this.ttlMs,
        ]);
        if (r.rowCount === 1) return;
        this.lost = true;
        clearInterval(this.timer);
        const now = await this.db.query<{ holder: string }>('SELECT holder FROM leases WHERE name = $1', [nodeLeaseName(this.nodeId)]).catch(() => undefined);
        this.options.onLost(now?.rows[0]?.holder);
      } catch (e) {
        this.options.onError?.(e);
      }
    });
    return this.renewing;
  }

  /** A clean stop: no more renewals, the lease released (the others may collect what rows are left, after their grace). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    await this.db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [nodeLeaseName(this.nodeId), this.holder]).catch(() => undefined);
  }
}

/** A string as an SQL literal: the fence runs in BEGIN's round trip, a simple query that takes no parameters. */
function escapeLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
