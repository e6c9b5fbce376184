/**
 * Inline blobs: the whole content of small objects (engine/inline.ts inlineMax()), kept
 * in meta.db instead of a file of their own. A small put then costs one WAL fsync shared
 * with its neighbours (group commit) instead of a file create, write, fdatasync and
 * directory fsync of its own, and a small GET one indexed read instead of open, read and
 * close (the design MinIO calls inline data).
 *
 * Rows are written inside the compare-and-set that commits their object and dropped
 * inside the one that removes their last reference (metadata-store.ts casSync), so an
 * inline blob exists exactly while some object, version or segment points at it: nothing
 * to collect afterwards, nothing for the orphan sweep.
 *
 * Table: inline_blobs(blob, data). A rowid table (not WITHOUT ROWID): rows are large.
 */
import type Database from 'better-sqlite3';
import type { InlineBlobs } from '../types.js';

export const INLINE_SCHEMA = `
CREATE TABLE IF NOT EXISTS inline_blobs (
  blob TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL
);
`;

export class SqliteInlineBlobs implements InlineBlobs {
  private readonly stmt;

  constructor(db: Database.Database) {
    db.exec(INLINE_SCHEMA);
    this.stmt = {
      insert: db.prepare('INSERT INTO inline_blobs (blob, data) VALUES (?, ?)'),
      read: db.prepare('SELECT data FROM inline_blobs WHERE blob = ?').pluck(),
      drop: db.prepare('DELETE FROM inline_blobs WHERE blob = ?'),
      list: db.prepare('SELECT blob FROM inline_blobs ORDER BY blob').pluck(),
    };
  }

  async read(blob: string): Promise<Buffer | undefined> {
    return this.stmt.read.get(blob) as Buffer | undefined;
  }

  async *list(): AsyncIterable<string> {
    yield* this.stmt.list.all() as string[];
  }

  /** Inside the write transaction that commits the object. */
  insertSync(blob: string, data: Buffer): void {
    this.stmt.insert.run(blob, data);
  }

  /** Inside the write transaction that removed the blob's last reference. */
  dropSync(blob: string): void {
    this.stmt.drop.run(blob);
  }
}
