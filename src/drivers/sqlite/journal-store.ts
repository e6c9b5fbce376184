/**
 * The append journal: small appended bodies, written into the metadata database in the
 * same transaction that commits the append. One WAL fsync then makes both the new
 * length and the bytes durable, and concurrent appends share it (group commit). The
 * bytes are also written to the blob file (unsynced); a background flush fdatasyncs the
 * file and deletes the journal rows (engine/journal-flusher.ts); recovery replays
 * whatever rows remain (engine/recovery.ts).
 *
 * Table: append_journal(blob, offset, data), one row per journaled append.
 */
import type Database from 'better-sqlite3';
import type { JournalEntry, JournalStore } from '../types.js';

export const JOURNAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS append_journal (
  blob TEXT NOT NULL,
  offset INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (blob, offset)
) WITHOUT ROWID;
`;

export class SqliteJournal implements JournalStore {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly write: <T>(run: () => T) => Promise<T>,
  ) {
    db.exec(JOURNAL_SCHEMA);
    this.stmt = {
      insert: db.prepare('INSERT OR REPLACE INTO append_journal (blob, offset, data) VALUES (?, ?, ?)'),
      blobs: db.prepare('SELECT DISTINCT blob FROM append_journal'),
      entries: db.prepare('SELECT offset, data FROM append_journal WHERE blob = ? ORDER BY offset'),
      clear: db.prepare('DELETE FROM append_journal WHERE blob = ? AND offset < ?'),
    };
  }

  /** Inside a write transaction (the append's compare-and-set). */
  insertSync(entry: JournalEntry): void {
    this.stmt.insert.run(entry.blob, entry.offset, entry.data);
  }

  async blobs(): Promise<string[]> {
    return (this.stmt.blobs.all() as Array<{ blob: string }>).map((r) => r.blob);
  }

  async entries(blob: string): Promise<Array<{ offset: number; data: Buffer }>> {
    return this.stmt.entries.all(blob) as Array<{ offset: number; data: Buffer }>;
  }

  clear(done: Array<{ blob: string; end: number }>): Promise<void> {
    return this.write(() => {
      for (const d of done) this.stmt.clear.run(d.blob, d.end);
    });
  }
}
