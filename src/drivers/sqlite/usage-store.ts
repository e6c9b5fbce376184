/**
 * Objects and bytes per bucket, kept by SQLite triggers in the transaction of every
 * change to `objects` (current versions) and `object_versions` (noncurrent ones), so
 * they are always exact, whichever code path (put, append, copy, multipart, delete,
 * versioning, recovery, an `ossd` CLI command) changed the rows, and survive a crash with
 * the rows themselves. Reading them costs one row per bucket, never a scan of the objects;
 * the metrics endpoint reads them on every scrape (server/metrics.ts).
 *
 * A store made before this table: it is filled once, in the transaction that creates the
 * triggers, by one aggregate over the objects (the only scan, and only on that upgrade).
 */
import type Database from 'better-sqlite3';
import type { BucketUsage } from '../types.js';

const TABLE = `
CREATE TABLE bucket_usage (
  bucket TEXT PRIMARY KEY,
  objects INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  noncurrent_versions INTEGER NOT NULL DEFAULT 0,
  noncurrent_bytes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;`;

/** Adds (sign 1) or removes (sign -1) a row of `objects` or a noncurrent version. */
function bump(row: 'NEW' | 'OLD', sign: 1 | -1, current: boolean): string {
  const [count, bytes] = current ? ['objects', 'bytes'] : ['noncurrent_versions', 'noncurrent_bytes'];
  return `INSERT INTO bucket_usage (bucket, ${count}, ${bytes}) VALUES (${row}.bucket, ${sign}, ${sign} * ${row}.size)
    ON CONFLICT (bucket) DO UPDATE SET ${count} = ${count} + excluded.${count}, ${bytes} = ${bytes} + excluded.${bytes};`;
}

// Delete markers hold no bytes and are no object: not counted as versions.
const TRIGGERS = `
CREATE TRIGGER bucket_usage_object_insert AFTER INSERT ON objects BEGIN ${bump('NEW', 1, true)} END;
CREATE TRIGGER bucket_usage_object_delete AFTER DELETE ON objects BEGIN ${bump('OLD', -1, true)} END;
CREATE TRIGGER bucket_usage_object_resize AFTER UPDATE OF size ON objects WHEN NEW.size != OLD.size BEGIN
  UPDATE bucket_usage SET bytes = bytes + NEW.size - OLD.size WHERE bucket = NEW.bucket;
END;
CREATE TRIGGER bucket_usage_version_insert AFTER INSERT ON object_versions WHEN NEW.delete_marker = 0 BEGIN ${bump('NEW', 1, false)} END;
CREATE TRIGGER bucket_usage_version_delete AFTER DELETE ON object_versions WHEN OLD.delete_marker = 0 BEGIN ${bump('OLD', -1, false)} END;
CREATE TRIGGER bucket_usage_bucket_delete AFTER DELETE ON buckets BEGIN DELETE FROM bucket_usage WHERE bucket = OLD.name; END;
`;

/** Fills the table from the rows (once, on the upgrade of an older store). */
const SEED = `
INSERT INTO bucket_usage (bucket, objects, bytes) SELECT bucket, count(*), coalesce(sum(size), 0) FROM objects GROUP BY bucket;
INSERT INTO bucket_usage (bucket, noncurrent_versions, noncurrent_bytes)
  SELECT bucket, count(*), coalesce(sum(size), 0) FROM object_versions WHERE delete_marker = 0 GROUP BY bucket
  ON CONFLICT (bucket) DO UPDATE SET noncurrent_versions = excluded.noncurrent_versions, noncurrent_bytes = excluded.noncurrent_bytes;
`;

export class SqliteBucketUsage {
  private readonly all;

  /** Call after `objects`, `object_versions` and `buckets` exist. */
  constructor(db: Database.Database) {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bucket_usage'").get() !== undefined;
    if (!exists) db.transaction(() => db.exec(TABLE + TRIGGERS + SEED))();
    // Every bucket, those without objects too (0). One row per bucket.
    this.all = db.prepare(`
      SELECT b.name AS bucket, coalesce(u.objects, 0) AS objects, coalesce(u.bytes, 0) AS bytes,
        coalesce(u.noncurrent_versions, 0) AS noncurrentVersions, coalesce(u.noncurrent_bytes, 0) AS noncurrentBytes
      FROM buckets b LEFT JOIN bucket_usage u ON u.bucket = b.name ORDER BY b.name`);
  }

  list(): BucketUsage[] {
    return this.all.all() as BucketUsage[];
  }
}
