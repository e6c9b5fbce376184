/**
 * Applies the PostgreSQL metadata schema (src/drivers/postgres/migrations.ts) through
 * psql, until the driver does it with the `pg` client: one transaction that takes the
 * migration advisory lock, then runs each step not yet recorded (psql's \gset and \if
 * decide, inside the transaction, after the lock), recording it. Several of these at once
 * are what nodes starting together do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEDGER_SQL, LOCK_SQL, migrations } from '../../src/drivers/postgres/migrations.js';
import { psqlFile } from './postgres.js';

/** The psql script: BEGIN, lock, ledger, each pending step with its record, COMMIT. */
export function migrationScript(): string {
  const lines = ['BEGIN;', `${LOCK_SQL};`, `${LEDGER_SQL};`];
  for (const m of migrations()) {
    lines.push(
      `SELECT NOT EXISTS (SELECT 1 FROM ossd_schema_migrations WHERE version = ${m.version}) AS pending_${m.version} \\gset`,
      `\\if :pending_${m.version}`,
      m.sql,
      `INSERT INTO ossd_schema_migrations (version, name) VALUES (${m.version}, '${m.name}');`,
      '\\endif',
    );
  }
  lines.push('COMMIT;');
  return lines.join('\n') + '\n';
}

/** Runs the migrations against `url` (a postgres:// URL) and resolves when committed. */
export async function migrate(url: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ossd-migrate-'));
  try {
    const file = join(dir, 'migrate.sql');
    writeFileSync(file, migrationScript());
    await psqlFile(url, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
