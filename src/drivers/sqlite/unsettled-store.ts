/**
 * The registry of unsettled blobs: the only blobs recovery has to look at after a crash
 * (engine/recovery.ts, engine/unsettled.ts), so that start-up work grows with the work
 * that was in flight, not with the store. A blob is unsettled while its file may not
 * match the metadata:
 * - work in flight recorded by the engine before it starts (seq > 0): a new blob file
 *   being written and not yet committed, or an append writing beyond an appendable
 *   object's committed length. Recorded durably (its own group commit) before the file
 *   is created or written, deleted (by seq) once the work committed or was rolled back;
 * - a file blob that a commit left without any reference (seq 0): recorded by that very
 *   commit's transaction (dereferencedSync), deleted once the file is removed.
 *
 * Table: unsettled_blobs(blob TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID.
 * The row `*` stands for every blob: it is written when the table is created in a data
 * folder that already holds objects (made by a version of ossd without this registry),
 * and makes the next recovery sweep the whole store once.
 */
import type Database from 'better-sqlite3';
import type { UnsettledStore } from '../types.js';
import { EVERY_BLOB } from '../types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS unsettled_blobs (
  blob TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Barrier key of registry writes (wal-sync.ts): no reader waits for them. */
export const UNSETTLED_KEY = '\0unsettled';

/** Makes the next recovery sweep the whole store (`ossd sweep`): the row `*`, in a connection of its own. */
export function markEveryBlobUnsettled(db: Database.Database): void {
  db.exec(SCHEMA);
  db.prepare('INSERT OR REPLACE INTO unsettled_blobs (blob, seq) VALUES (?, 0)').run(EVERY_BLOB);
}

export class SqliteUnsettled implements UnsettledStore {
  private readonly stmt;

  /**
   * @param write queues a write for the store's group commit; resolves once it is durable
   * @param legacy the data folder has objects from before this registry (see above)
   */
  constructor(
    db: Database.Database,
    private readonly write: <T>(run: () => T) => Promise<T>,
    legacy: boolean,
  ) {
    const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unsettled_blobs'").get() !== undefined;
    db.exec(SCHEMA);
    this.stmt = {
      // The newest hold's seq, so that an older hold's late clear leaves the row; but a
      // commit's seq 0 stays until the file is removed.
      add: db.prepare('INSERT INTO unsettled_blobs (blob, seq) VALUES (?, ?) ON CONFLICT (blob) DO UPDATE SET seq = excluded.seq WHERE seq <> 0'),
      dereferenced: db.prepare('INSERT OR REPLACE INTO unsettled_blobs (blob, seq) VALUES (?, 0)'),
      clearSeq: db.prepare('DELETE FROM unsettled_blobs WHERE blob = ? AND seq = ?'),
      clearAny: db.prepare('DELETE FROM unsettled_blobs WHERE blob = ?'),
      list: db.prepare('SELECT blob FROM unsettled_blobs ORDER BY blob').pluck(),
    };
    if (!existed && legacy) this.stmt.dereferenced.run(EVERY_BLOB);
  }

  add(blob: string, seq: number): Promise<void> {
    return this.write(() => void this.stmt.add.run(blob, seq));
  }

  /** Inside a commit's transaction: these file blobs lost their last reference with it. */
  dereferencedSync(blobs: Iterable<string>): void {
    for (const blob of blobs) this.stmt.dereferenced.run(blob);
  }

  clear(entries: ReadonlyArray<{ blob: string; seq: number }>): Promise<void> {
    return this.write(() => {
      for (const e of entries) {
        if (e.seq === 0) this.stmt.clearAny.run(e.blob);
        else this.stmt.clearSeq.run(e.blob, e.seq);
      }
    });
  }

  async list(): Promise<string[]> {
    return this.stmt.list.all() as string[];
  }
}
