/**
 * Object rows this store read or wrote lately, each used only while the row in the
 * database still has its revision. Reading the revision alone costs a quarter of
 * reading the row: better-sqlite3 builds a 19-column object for SELECT *, about 5 µs of
 * a small append's or GET's CPU, and an append reads its row twice (the position check
 * and the compare-and-set).
 *
 * Why a matching revision is enough: revisions are never reused (engine/revision.ts)
 * and every write of an object row sets a new one, so the row that has revision R is
 * the row we kept for R. That holds even for an entry kept by a transaction that was
 * rolled back afterwards: then no row has its revision, and the entry is never used.
 *
 * Entries are shared: the records handed out must not be modified (the engine treats
 * records as immutable and builds new ones).
 */
import { BoundedMap } from '../../engine/bounded-map.js';
import type { ObjectRecord } from '../../engine/model.js';
import type { ObjectRow } from './rows.js';

export interface RecentRow {
  row: ObjectRow;
  rec: ObjectRecord;
}

/** Enough for the keys being appended to or read right now; each entry is about 1 KB. */
const LIMIT = 4096;

export class RecentRows {
  private readonly entries = new BoundedMap<string, RecentRow>(LIMIT);

  /** Whether anything is kept for the key (if not, checking its revision first is wasted). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The entry for `key` if it was kept at `revision`. */
  at(key: string, revision: number): RecentRow | undefined {
    const e = this.entries.get(key);
    return e !== undefined && e.rec.revision === revision ? e : undefined;
  }

  keep(key: string, entry: RecentRow): void {
    this.entries.set(key, entry);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
