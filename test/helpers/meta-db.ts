/**
 * Rows of a data folder's meta.db, read from outside the server with a read-only
 * connection, as the fault tests read blob files from outside: inline blobs (small
 * objects' bytes, src/drivers/sqlite/inline-store.ts) and the append journal
 * (src/drivers/sqlite/journal-store.ts, with its append log).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readLogRecord } from '../../src/drivers/sqlite/append-log.js';

export interface InlineRow {
  blob: string;
  data: Buffer;
}

/** Rows of `table` (all of them when it does not exist yet: none). */
function rows<T>(dataDir: string, table: string, sql: string): T[] {
  const path = join(dataDir, 'meta.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const exists = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table);
    return exists ? (db.prepare(sql).all() as T[]) : [];
  } finally {
    db.close();
  }
}

export function inlineBlobRows(dataDir: string): InlineRow[] {
  return rows(dataDir, 'inline_blobs', 'SELECT blob, data FROM inline_blobs ORDER BY blob');
}

export interface JournalRow {
  blob: string;
  offset: number;
  data: Buffer;
}

interface StoredJournalRow extends JournalRow {
  log_segment: number | null;
  log_position: number | null;
  length: number | null;
}

/**
 * The append journal: small appends' bytes not yet written into their blob files and
 * synced (the file may lag behind them), from the row or the append log it points into.
 */
export function journalRows(dataDir: string): JournalRow[] {
  const stored = rows<StoredJournalRow>(dataDir, 'append_journal', 'SELECT * FROM append_journal ORDER BY blob, offset');
  return stored.map((r) => ({
    blob: r.blob,
    offset: r.offset,
    data: r.log_segment === null ? r.data : readLogRecord(join(dataDir, 'append-log'), { segment: r.log_segment, position: r.log_position! }, r.length!),
  }));
}

/** Journaled appends whose bytes the journal flusher has not yet written into their blob files and synced. */
export function journalRowCount(dataDir: string): number {
  return rows<{ n: number }>(dataDir, 'append_journal', 'SELECT count(*) AS n FROM append_journal')[0]?.n ?? 0;
}

/** Waits (up to `ms`) until every journaled append is in its blob file: file sizes are then exactly the committed lengths. */
export async function journalFlushed(dataDir: string, ms = 5000): Promise<void> {
  for (const until = Date.now() + ms; journalRowCount(dataDir) > 0; ) {
    if (Date.now() > until) throw new Error(`append journal still has ${journalRowCount(dataDir)} rows after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
