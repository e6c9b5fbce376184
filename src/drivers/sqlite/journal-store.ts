/**
 * The append journal: small appends, committed with their metadata in one group commit
 * and acknowledged once it is durable, whose blob file has not been synced yet. A row
 * says which bytes of which blob (blob, offset, length) and where they are in the append
 * log (append-log.ts), which is fdatasynced with the WAL. The bytes are also staged in
 * memory; a background flush writes them into the blob file, fdatasyncs it and deletes
 * the rows (engine/journal-flusher.ts); recovery replays whatever rows remain
 * (engine/recovery.ts).
 *
 * Table: append_journal(blob, offset, data, log_segment, log_position, length). Rows
 * written before the append log existed hold their bytes in `data` (log_segment NULL);
 * they are read as they are.
 */
import type Database from 'better-sqlite3';
import type { JournalEntry, JournalStore } from '../types.js';
import { AppendLog, type LogPlace } from './append-log.js';
import { type AddedColumn, addMissingColumns } from './schema.js';

export const JOURNAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS append_journal (
  blob TEXT NOT NULL,
  offset INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (blob, offset)
) WITHOUT ROWID;
`;

/** Added with the append log; NULL in rows from before it. */
const LOG_COLUMNS: readonly AddedColumn[] = ['log_segment', 'log_position', 'length'].map((column) => ({ table: 'append_journal', column, decl: 'INTEGER' }));

const NO_BYTES = Buffer.alloc(0);

/** Commits with at most this many journaled appends keep the bytes in the rows (beginBatch(); OSSD_JOURNAL_IN_ROWS_MAX for tests). */
function inRowsMax(): number {
  return Number(process.env.OSSD_JOURNAL_IN_ROWS_MAX ?? 2);
}

interface EntryRow {
  offset: number;
  data: Buffer;
  log_segment: number | null;
  log_position: number | null;
  length: number | null;
}

export class SqliteJournal implements JournalStore {
  private readonly stmt;
  private readonly log: AppendLog;
  private inRows = true;

  /**
   * @param write queues a write for the next group commit
   * @param deletesPending whether a delete of journal rows may not be durable yet (append-log.ts rotate())
   */
  constructor(
    db: Database.Database,
    dataDir: string,
    private readonly write: <T>(run: () => T) => Promise<T>,
    deletesPending: () => boolean,
  ) {
    db.exec(JOURNAL_SCHEMA);
    addMissingColumns(db, LOG_COLUMNS);
    this.stmt = {
      insert: db.prepare(
        'INSERT OR REPLACE INTO append_journal (blob, offset, data, log_segment, log_position, length) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      blobs: db.prepare('SELECT DISTINCT blob FROM append_journal'),
      entries: db.prepare('SELECT offset, data, log_segment, log_position, length FROM append_journal WHERE blob = ? ORDER BY offset'),
      clear: db.prepare('DELETE FROM append_journal WHERE blob = ? AND offset < ?'),
      // A scan of the table, which holds the last flush interval's appends: only when a segment fills up.
      segmentReferenced: db.prepare('SELECT 1 FROM append_journal WHERE log_segment = ? LIMIT 1'),
    };
    this.log = new AppendLog(dataDir, (n) => this.stmt.segmentReferenced.get(n) !== undefined, deletesPending);
  }

  /**
   * Before a commit of `appends` journaled appends. A few go into their rows, as they
   * did before the log: one fsync (the WAL's) instead of two at once, which is what a
   * lone client waits for. Many go into the log: the CPU the rows' pages cost is what
   * limits many clients.
   */
  beginBatch(appends: number): void {
    this.inRows = appends <= inRowsMax();
    if (!this.inRows) this.log.startBatch();
  }

  /** Inside a write transaction (the append's compare-and-set); bytes for the log are written with the commit (writePending). */
  insertSync(entry: JournalEntry): void {
    if (this.inRows) {
      this.stmt.insert.run(entry.blob, entry.offset, entry.data, null, null, null);
      return;
    }
    const at: LogPlace = this.log.add(entry.data);
    this.stmt.insert.run(entry.blob, entry.offset, NO_BYTES, at.segment, at.position, entry.data.length);
  }

  /** At the end of a commit's transaction: writes the bytes its rows point to (a failure fails the commit). */
  writePending(): void {
    this.log.writePending();
  }

  /** The commit failed: nothing it queued is needed. */
  discardPending(): void {
    this.log.discardPending();
  }

  /** After a commit: makes the bytes it wrote durable (undefined when it wrote none). */
  sync(): Promise<void> | undefined {
    return this.log.sync();
  }

  close(): void {
    this.log.close();
  }

  async blobs(): Promise<string[]> {
    return (this.stmt.blobs.all() as Array<{ blob: string }>).map((r) => r.blob);
  }

  async entries(blob: string): Promise<Array<{ offset: number; data: Buffer }>> {
    return (this.stmt.entries.all(blob) as EntryRow[]).map((r) => ({
      offset: r.offset,
      data: r.log_segment === null ? r.data : this.log.read({ segment: r.log_segment, position: r.log_position! }, r.length!),
    }));
  }

  clear(done: Array<{ blob: string; end: number }>): Promise<void> {
    return this.write(() => {
      for (const d of done) this.stmt.clear.run(d.blob, d.end);
    });
  }
}
