/**
 * The inline blobs of a data folder (small objects' bytes, kept in meta.db's
 * inline_blobs table: src/drivers/sqlite/inline-store.ts), read from outside the server
 * with a read-only connection, as the fault tests read blob files from outside.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface InlineRow {
  blob: string;
  data: Buffer;
}

export function inlineBlobRows(dataDir: string): InlineRow[] {
  const path = join(dataDir, 'meta.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'inline_blobs'").get();
    return table ? (db.prepare('SELECT blob, data FROM inline_blobs ORDER BY blob').all() as InlineRow[]) : [];
  } finally {
    db.close();
  }
}
