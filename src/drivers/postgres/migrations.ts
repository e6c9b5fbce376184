/**
 * Schema migrations of the PostgreSQL metadata store (issue 19). Each step is a file
 * `migrations/NNN-name.sql` in the source tree, applied once, in order, and recorded in
 * `ossd_schema_migrations`. Nodes that start together serialise on one transaction-level
 * advisory lock (MIGRATION_LOCK), so each step runs exactly once and a node that waited
 * sees the schema complete; a step that fails rolls back with its record, and the
 * next start retries it.
 *
 * The driver (not written yet: it needs the `pg` client) runs `migrationScript`'s steps
 * through its own connection; test/helpers/postgres-migrate.ts runs them through psql.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The .sql files live beside this file's source, not in dist/ (tsc copies only TypeScript). */
const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../src/drivers/postgres/migrations/', import.meta.url));

/**
 * The advisory lock key of migrations: any constant no other user of the database takes;
 * this one is "ossd" in ASCII (0x6f737364), a 64-bit key in pg_advisory_xact_lock(bigint).
 */
export const MIGRATION_LOCK = 0x6f737364;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in version order; the numbers are unique and start at 1 without gaps. */
export function migrations(dir = MIGRATIONS_DIR): Migration[] {
  const found = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = /^(\d{3})-([a-z0-9-]+)\.sql$/.exec(file);
      if (!m) throw new Error(`migration file ${file} is not named NNN-name.sql`);
      return { version: Number(m[1]), name: `${m[1]}-${m[2]}`, sql: readFileSync(`${dir}/${file}`, 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  found.forEach((mig, i) => {
    if (mig.version !== i + 1) throw new Error(`migrations must be numbered 001, 002, ... without gaps: found ${mig.name}`);
  });
  return found;
}

/** Taken first, in the migrating transaction: waits for any other node migrating. */
export const LOCK_SQL = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;

/** Created (if missing) under the lock: which versions ran. */
export const LEDGER_SQL = `CREATE TABLE IF NOT EXISTS ossd_schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;
