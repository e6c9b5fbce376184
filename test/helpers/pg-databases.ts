/**
 * N PostgreSQL connection pools on one throw-away cluster, migrated, for the unit tests of
 * the PostgreSQL driver that play several nodes (leases, liveness): started before the
 * file's tests and closed after them (nothing when `postgresSkip()`).
 */
import { after, before } from 'node:test';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import { type Postgres, postgresSkip, startPostgres } from './postgres.js';

export function usePgDatabases(n: number): PgDatabase[] {
  let pg: Postgres | undefined;
  const dbs: PgDatabase[] = [];
  before(async () => {
    if (postgresSkip()) return;
    pg = await startPostgres();
    for (let i = 0; i < n; i++) dbs.push(new PgDatabase(pg.url, 4));
    await Promise.all(dbs.map((db) => db.migrate()));
  }, { timeout: 60_000 });
  after(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await pg?.stop();
  });
  return dbs;
}
