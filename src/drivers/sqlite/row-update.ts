/**
 * UPDATEs of an object row that assign only the columns whose values changed. SQLite
 * rewrites an index entry only when the UPDATE assigns one of its columns, so an append
 * (size, CRC, ETag, revision, mtime) no longer rewrites its `objects_blob` entry: one
 * WAL page less in every append's commit. One prepared statement per set of columns;
 * few sets occur (appends, ACL and tagging changes, overwrites), and past CACHE_LIMIT
 * the statement that assigns every column serves the rest.
 */
import type Database from 'better-sqlite3';
import { OBJECT_ROW_COLUMNS, type ObjectRow } from './rows.js';

const CACHE_LIMIT = 64;

export class ObjectRowUpdates {
  private readonly cache = new Map<string, Database.Statement>();
  private readonly all: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.all = this.prepare(OBJECT_ROW_COLUMNS);
  }

  /** Writes `next` over the row that holds `current` (same bucket and key). */
  update(current: ObjectRow, next: ObjectRow): void {
    const changed = OBJECT_ROW_COLUMNS.filter((c) => next[c] !== current[c]);
    if (changed.length > 0) this.statement(changed).run(next);
  }

  private statement(columns: ReadonlyArray<(typeof OBJECT_ROW_COLUMNS)[number]>): Database.Statement {
    const id = columns.join(',');
    let st = this.cache.get(id);
    if (!st) {
      if (this.cache.size >= CACHE_LIMIT) return this.all;
      st = this.prepare(columns);
      this.cache.set(id, st);
    }
    return st;
  }

  private prepare(columns: readonly string[]): Database.Statement {
    return this.db.prepare(`UPDATE objects SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE bucket = @bucket AND key = @key`);
  }
}
