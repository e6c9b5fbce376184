/**
 * Named leases in PostgreSQL (issue 19, docs/storage.md "Background work under leases"):
 * background work (gc, compaction:<bucket>, recover:<dead node>) and node liveness
 * (node:<id>) have one holder at a time, until its lease expires. Each operation is one
 * statement, so two nodes racing for a lease serialise on its row and exactly one wins.
 *
 * Times are the database's clock (clock_timestamp()), not the nodes': nodes whose clocks
 * disagree still agree on when a lease expires. Work done under a lease must be
 * idempotent: a holder that stalls past its expiry may still finish while the next holder
 * starts, which costs repeated work, never wrong results.
 */
import type { PgDatabase } from './db.js';

/** Now in ms since the epoch, by the database's clock. */
export const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

export class PgLeases {
  constructor(
    private readonly db: PgDatabase,
    /** The holder name this node takes leases under. */
    private readonly nodeId: string,
  ) {}

  /**
   * Takes the lease for `ttlMs` if it is free, expired or already this node's (then it is
   * renewed); true when this node holds it now.
   */
  async take(name: string, ttlMs: number): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO leases AS l (name, holder, expires_ms) VALUES ($1, $2, ${NOW_MS} + $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
       WHERE l.expires_ms < ${NOW_MS} OR l.holder = excluded.holder
       RETURNING 1`,
      [name, this.nodeId, ttlMs],
    );
    return r.rowCount === 1;
  }

  /**
   * Extends a lease this node holds (expired too, as long as nobody took it since: nobody
   * else did its work meanwhile); false when another node holds it now or it is gone.
   */
  async renew(name: string, ttlMs: number): Promise<boolean> {
    const r = await this.db.query(`UPDATE leases SET expires_ms = ${NOW_MS} + $3 WHERE name = $1 AND holder = $2`, [name, this.nodeId, ttlMs]);
    return r.rowCount === 1;
  }

  /** Gives the lease up if this node holds it (another node may take it at once); false when it did not. */
  async release(name: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, this.nodeId]);
    return r.rowCount === 1;
  }

  /** Who holds the lease now (undefined: nobody, or it expired). */
  async holder(name: string): Promise<string | undefined> {
    const r = await this.db.query<{ holder: string }>(`SELECT holder FROM leases WHERE name = $1 AND expires_ms >= ${NOW_MS}`, [name]);
    return r.rows[0]?.holder;
  }

  /** Names with the prefix whose lease expired (`node:` finds the nodes that stopped renewing: dead). */
  async expired(prefix: string): Promise<string[]> {
    const r = await this.db.query<{ name: string }>(
      `SELECT name FROM leases WHERE starts_with(name, $1) AND expires_ms < ${NOW_MS} ORDER BY name`,
      [prefix],
    );
    return r.rows.map((row) => row.name);
  }
}

/**
 * The engine's compaction leases (engine/compaction.ts CompactionLeases) on PostgreSQL: the
 * nodes of a cluster never compact the same object at once. A holder that dies keeps the
 * object until the lease expires; compaction is idempotent (docs/storage.md), so a lease
 * that expires under a slow holder costs repeated work, never a wrong result.
 */
export class PgCompactionLeases {
  constructor(
    private readonly leases: PgLeases,
    /** Longer than any one compaction (a merge of a few segments). */
    private readonly ttlMs = 10 * 60_000,
  ) {}

  async tryAcquire(name: string): Promise<(() => Promise<void>) | undefined> {
    if (!(await this.leases.take(name, this.ttlMs))) return undefined;
    return async () => void (await this.leases.release(name));
  }
}
