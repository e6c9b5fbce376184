/**
 * On-disk layout of the SQLite metadata store: one database file `meta.db` (WAL mode,
 * synchronous=FULL so a resolved commit is on disk). Keys are TEXT compared with the
 * BINARY collation, i.e. memcmp over UTF-8: exactly OSS's bytewise key order.
 */
import type Database from 'better-sqlite3';

/** The columns of an object version, in `objects` and in `object_versions` (version-store.ts). */
export const OBJECT_COLUMNS = `
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  crc TEXT NOT NULL,
  blob TEXT,
  mtime_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  headers TEXT NOT NULL,
  meta TEXT NOT NULL,
  acl TEXT NOT NULL,
  tags TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  revision INTEGER NOT NULL`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  acl TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  redundancy TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  ${OBJECT_COLUMNS},
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob) WHERE blob IS NOT NULL;

-- Appends made with an Idempotency-Key (append-key-store.ts): written by the transaction
-- that commits the append. ordinal: the order a key's records were stored in (the newest
-- are kept); created_ms: for expiry.
CREATE TABLE IF NOT EXISTS append_keys (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  token TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  position INTEGER NOT NULL,
  length INTEGER NOT NULL,
  crc_before TEXT NOT NULL,
  crc_after TEXT NOT NULL,
  blob TEXT,
  created_ms INTEGER NOT NULL,
  UNIQUE (bucket, key, token)
);
CREATE INDEX IF NOT EXISTS append_keys_order ON append_keys(bucket, key, ordinal);
CREATE INDEX IF NOT EXISTS append_keys_age ON append_keys(created_ms);
`;

/**
 * Columns added after a table was first created. Opening a database adds any that are
 * missing (`ALTER TABLE ... ADD COLUMN`, instant in SQLite), so older data directories
 * keep working. `symlink_target`: the target key of a Symlink object (objects.md §9).
 */
export interface AddedColumn {
  table: string;
  column: string;
  decl: string;
}

export const ADDED_COLUMNS: readonly AddedColumn[] = [
  { table: 'objects', column: 'symlink_target', decl: 'TEXT' },
  { table: 'objects', column: 'base_size', decl: 'INTEGER' },
  { table: 'objects', column: 'base_crc', decl: 'TEXT' },
  // A bucket's CORS configuration as JSON (src/engine/cors.ts); NULL when none is set.
  { table: 'buckets', column: 'cors', decl: 'TEXT' },
  // Versioning (version-store.ts): the bucket's status, and the current row's version id (NULL: the null version).
  { table: 'buckets', column: 'versioning', decl: 'TEXT' },
  { table: 'objects', column: 'version_id', decl: 'TEXT' },
  // PutBucketTags (protocol/bucket-tagging.ts): the bucket's tag set as JSON; NULL when none is set.
  { table: 'buckets', column: 'tags', decl: 'TEXT' },
  // SealAppendObject (engine/seal.ts): when the object was first sealed, ms since the epoch; NULL: not sealed.
  { table: 'objects', column: 'sealed_ms', decl: 'INTEGER' },
  // The append size limit extension (docs/extensions.md): bytes; NULL: OSS's 5 GiB.
  { table: 'buckets', column: 'append_limit', decl: 'INTEGER' },
];

/** Columns added to `object_versions` (version-store.ts) after it was first created. */
export const ADDED_VERSION_COLUMNS: readonly AddedColumn[] = [{ table: 'object_versions', column: 'sealed_ms', decl: 'INTEGER' }];

/** Adds those of `columns` that their table lacks (ALTER TABLE ... ADD COLUMN). */
export function addMissingColumns(db: Database.Database, columns: readonly AddedColumn[]): void {
  for (const c of columns) {
    const cols = db.prepare(`PRAGMA table_info(${c.table})`).all() as Array<{ name: string }>;
    if (!cols.some((col) => col.name === c.column)) db.exec(`ALTER TABLE ${c.table} ADD COLUMN ${c.column} ${c.decl}`);
  }
}
