/**
 * Noncurrent object versions and delete markers (buckets.md §7), in the same meta.db:
 *   object_versions(seq, bucket, key, version_id, delete_marker, ...object columns)
 *   version_segments(seq, idx, ...)   the part blobs of a noncurrent multipart version
 * The current version of a key stays in `objects`, so reads, listings and appends of
 * current objects cost what they cost without versioning. `seq` increases with every row
 * added: within a key, a higher seq is a newer version, and the current row is newer
 * than all of them. Used only inside the metadata store's transactions.
 */
import type Database from 'better-sqlite3';
import { NULL_VERSION, type ObjectRecord, type Segment } from '../../engine/model.js';
import type { VersionEntry } from '../types.js';
import { insertSql, OBJECT_ROW_COLUMNS, type ObjectRow, objectFromRow, objectToRow } from './rows.js';
import { ADDED_VERSION_COLUMNS, addMissingColumns, OBJECT_COLUMNS } from './schema.js';

export const VERSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS object_versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  delete_marker INTEGER NOT NULL,
  ${OBJECT_COLUMNS},
  symlink_target TEXT,
  base_size INTEGER,
  base_crc TEXT,
  sealed_ms INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS object_versions_order ON object_versions(bucket, key, seq);
CREATE UNIQUE INDEX IF NOT EXISTS object_versions_id ON object_versions(bucket, key, version_id);
CREATE INDEX IF NOT EXISTS object_versions_blob ON object_versions(blob) WHERE blob IS NOT NULL;

CREATE TABLE IF NOT EXISTS version_segments (
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  crc TEXT NOT NULL,
  PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS version_segments_blob ON version_segments(blob);
`;

/** The rank of a current row: above every seq (VersionEntry). */
export const CURRENT_RANK = Number.MAX_SAFE_INTEGER;

interface VersionRow extends ObjectRow {
  seq: number;
  delete_marker: number;
}

export class SqliteVersions {
  private readonly stmt;

  constructor(db: Database.Database) {
    db.exec(VERSIONS_SCHEMA);
    addMissingColumns(db, ADDED_VERSION_COLUMNS);
    this.stmt = {
      insert: db.prepare(insertSql('object_versions', ['bucket', 'key', 'delete_marker', ...OBJECT_ROW_COLUMNS])),
      insertSegment: db.prepare('INSERT INTO version_segments (seq, idx, blob, size, crc) VALUES (?, ?, ?, ?, ?)'),
      segments: db.prepare('SELECT blob, size, crc FROM version_segments WHERE seq = ? ORDER BY idx'),
      remove: db.prepare('DELETE FROM object_versions WHERE seq = ?'),
      removeSegments: db.prepare('DELETE FROM version_segments WHERE seq = ?'),
      byId: db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key = ? AND version_id = ?'),
      ofKey: db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC'),
      ofKeyBelow: db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
      after: db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key > ? ORDER BY key, seq DESC LIMIT ?'),
      from: db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key >= ? ORDER BY key, seq DESC LIMIT ?'),
      update: db.prepare(
        'UPDATE object_versions SET acl = @acl, tags = @tags, revision = @revision WHERE bucket = @bucket AND key = @key AND version_id = @version_id',
      ),
      any: db.prepare('SELECT 1 FROM object_versions WHERE bucket = ? LIMIT 1'),
      blobRef: db.prepare('SELECT 1 FROM object_versions WHERE blob = ? LIMIT 1'),
      segmentRef: db.prepare('SELECT 1 FROM version_segments WHERE blob = ? LIMIT 1'),
    };
  }

  /** Adds a row as the newest noncurrent version of its key. */
  insert(rec: ObjectRecord): void {
    const row = { ...objectToRow(rec), version_id: rec.versionId ?? NULL_VERSION, delete_marker: rec.deleteMarker ? 1 : 0 };
    const seq = this.stmt.insert.run(row).lastInsertRowid;
    (rec.segments ?? []).forEach((s, i) => this.stmt.insertSegment.run(seq, i, s.blob, s.size, s.crc));
  }

  /** Removes the named versions and returns them, or returns undefined (removing nothing) if one is missing. */
  take(bucket: string, key: string, versionIds: string[]): ObjectRecord[] | undefined {
    const rows = versionIds.map((id) => this.stmt.byId.get(bucket, key, id) as VersionRow | undefined);
    if (rows.some((r) => r === undefined)) return undefined;
    return (rows as VersionRow[]).map((r) => {
      const rec = this.recordOf(r);
      this.stmt.remove.run(r.seq);
      this.stmt.removeSegments.run(r.seq);
      return rec;
    });
  }

  /** Changes a noncurrent version's ACL and tags in place; false when it is gone. */
  update(rec: ObjectRecord): boolean {
    const row = { ...objectToRow(rec), version_id: rec.versionId ?? NULL_VERSION };
    return this.stmt.update.run(row).changes === 1;
  }

  get(bucket: string, key: string, versionId: string): VersionEntry | undefined {
    const row = this.stmt.byId.get(bucket, key, versionId) as VersionRow | undefined;
    return row ? this.entryOf(row) : undefined;
  }

  /** Newest first. */
  ofKey(bucket: string, key: string): ObjectRecord[] {
    return (this.stmt.ofKey.all(bucket, key) as VersionRow[]).map((r) => this.recordOf(r));
  }

  /** One key's versions older than `rank`, newest first. */
  ofKeyBelow(bucket: string, key: string, rank: number, limit: number): VersionEntry[] {
    return (this.stmt.ofKeyBelow.all(bucket, key, rank, limit) as VersionRow[]).map((r) => this.entryOf(r));
  }

  /** Versions of keys > after (or >= from), in (key, newest first) order. */
  page(bucket: string, after: string, from: string | undefined, limit: number): VersionEntry[] {
    const rows = (from !== undefined ? this.stmt.from.all(bucket, from, limit) : this.stmt.after.all(bucket, after, limit)) as VersionRow[];
    return rows.map((r) => this.entryOf(r));
  }

  anyInBucket(bucket: string): boolean {
    return this.stmt.any.get(bucket) !== undefined;
  }

  isBlobReferenced(blob: string): boolean {
    return this.stmt.blobRef.get(blob) !== undefined || this.stmt.segmentRef.get(blob) !== undefined;
  }

  private entryOf(row: VersionRow): VersionEntry {
    return { record: this.recordOf(row), rank: row.seq };
  }

  private recordOf(row: VersionRow): ObjectRecord {
    const rec = objectFromRow(row);
    if (row.delete_marker) rec.deleteMarker = true;
    if (rec.blob !== null) return rec;
    const segments = this.stmt.segments.all(row.seq) as Segment[];
    return segments.length > 0 ? { ...rec, segments } : rec;
  }
}
