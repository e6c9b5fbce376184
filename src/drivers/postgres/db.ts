/**
 * The PostgreSQL connection of a node (issue 19, docs/storage.md "Scale-out design"): one
 * `pg` pool shared by every part of the driver (metadata, multipart, keys, leases), a
 * transaction helper, and the migrations run at start under the advisory lock
 * (migrations.ts). The pool is the only state: a node keeps nothing another node needs.
 */
import pg from 'pg';
import { OssError } from '../../engine/errors.js';
import type { MetadataQueryCounts } from '../types.js';
import { LEDGER_SQL, LOCK_SQL, migrations } from './migrations.js';

// bigint (int8) columns come back as JavaScript numbers: sizes, times and revisions all
// stay below 2^53 (README: 5 GiB objects, ms timestamps, revision blocks).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type PgClient = pg.PoolClient;

/** SQLSTATEs after which a transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export class PgDatabase {
  readonly pool: pg.Pool;
  /** Statements run with every BEGIN, the last of which must return one row (node-liveness.ts: this process still holds its node lease). */
  private fence: { sql: string; refusal: string } | undefined;
  private readonly closing: Array<() => Promise<void>> = [];
  /**
   * What this node asked of PostgreSQL (the ossd_postgres_* metrics, and the cluster
   * bench's "where the time goes"): transactions (tx() attempts and single statements)
   * and round trips (statements sent, BEGIN and COMMIT included). Counted here, not read
   * from pg_stat_database, which mixes in other databases and autovacuum and lags up to
   * 10 s behind idle connections.
   */
  readonly counts: MetadataQueryCounts = { transactions: 0, roundTrips: 0 };

  constructor(
    readonly url: string,
    /** Connections the pool may open (each node: its requests' transactions, plus LISTEN). */
    max = 16,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max });
    // An idle client's error (the server restarted) must not crash the process: the pool drops it.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (c) => this.countQueries(c));
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.counts.transactions++;
    return this.pool.query<R>(text, values);
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED: every compare-and-set is a conditional
   * statement, so it needs no stronger isolation); COMMIT when it resolves, ROLLBACK when
   * it throws. A serialization failure or deadlock runs it again, up to 5 times.
   * `modes` are BEGIN's transaction modes (e.g. `ISOLATION LEVEL REPEATABLE READ READ ONLY`):
   * they must be set before the fence's statements run, which a SET TRANSACTION in `fn` is not.
   */
  async tx<T>(fn: (c: PgClient) => Promise<T>, modes?: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      this.counts.transactions++;
      // The pool listens for errors of idle clients only: a connection lost during the
      // transaction (server restart, pg_terminate_backend) would otherwise be an uncaught
      // exception. The failing query reports it; such a client is destroyed, not reused.
      let broken: Error | undefined;
      const onError = (err: Error): void => void (broken ??= err);
      c.on('error', onError);
      try {
        await this.begin(c, modes);
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (e) {
        // A FATAL error ended the session; a ROLLBACK that fails means the connection is gone.
        if (e instanceof pg.DatabaseError && e.severity !== 'ERROR') broken ??= e;
        await c.query('ROLLBACK').catch((err: Error) => void (broken ??= err));
        if (attempt < 5 && RETRYABLE.has((e as { code?: string }).code ?? '')) continue;
        throw e;
      } finally {
        c.removeListener('error', onError);
        c.release(broken);
      }
    }
  }

  /** Counts every query of a new pooled connection as a round trip (pool.query and transactions alike go through one). */
  private countQueries(c: pg.PoolClient): void {
    const counts = this.counts;
    const query = c.query;
    c.query = function (this: pg.PoolClient, ...args: unknown[]) {
      counts.roundTrips++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof c.query;
  }

  /**
   * Fences every transaction from now on (node-liveness.ts): `sql` (statements without
   * parameters) runs with BEGIN, in the same round trip, and a transaction whose fence's
   * last statement finds no row is refused with a retryable 503 before it wrote anything.
   */
  fenceWith(sql: string, refusal: string): void {
    this.fence = { sql, refusal };
  }

  private async begin(c: PgClient, modes: string | undefined): Promise<void> {
    const begin = modes ? `BEGIN ${modes}` : 'BEGIN';
    // A read-only transaction commits nothing, so it needs no fence (and a REPEATABLE READ
    // one would take its snapshot at the fence's first statement, before the lock).
    if (!this.fence || /\bREAD ONLY\b/i.test(begin)) {
      await c.query(begin);
      return;
    }
    // A simple query of several statements: one round trip, one result each (and each its own snapshot).
    const results = (await c.query(`${begin}; ${this.fence.sql}`)) as unknown as pg.QueryResult[];
    if (results.at(-1)?.rowCount !== 1) throw new OssError('ServiceUnavailable', this.fence.refusal);
  }

  /** Runs `fn` when the database is closed, before the pool ends (a clean stop releases the node lease). */
  beforeClose(fn: () => Promise<void>): void {
    this.closing.push(fn);
  }

  /** Applies the pending migrations: one transaction holding the migration advisory lock. */
  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query(LOCK_SQL);
      await c.query(LEDGER_SQL);
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM ossd_schema_migrations')).rows.map((r) => r.version));
      for (const m of migrations()) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO ossd_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
    });
  }

  async close(): Promise<void> {
    for (const fn of this.closing.splice(0)) await fn().catch(() => undefined);
    await this.pool.end();
  }
}
