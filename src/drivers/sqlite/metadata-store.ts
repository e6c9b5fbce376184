/**
 * SQLite metadata driver (better-sqlite3). Layout: see schema.ts.
 *
 * Group commit: writes are queued and run together in one transaction on the next
 * turn of the event loop, so N concurrent requests pay for one WAL fsync instead of N.
 * Each queued write runs inside its own savepoint, so one failing write never undoes
 * its neighbours; a failed COMMIT (EIO, ENOSPC) rejects every write of the batch.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { BucketRecord, ObjectRecord } from '../../engine/model.js';
import type { CasResult, JournalEntry, ListPage, MetadataStore } from '../types.js';
import { SqliteJournal } from './journal-store.js';
import { WalSync } from './wal-sync.js';
import { ADDED_COLUMNS, SCHEMA } from './schema.js';
import { type BucketRow, type ObjectRow, bucketFromRow, bucketToRow, objectFromRow, objectToRow } from './rows.js';
import { SqliteMultipart } from './multipart-store.js';

interface QueuedWrite {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  touches?: string;
  result?: unknown;
  error?: unknown;
  failed?: boolean;
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private readonly stmt;
  /** Uploads, parts and multipart segments (multipart-store.ts). */
  readonly multipart: SqliteMultipart;
  /** Small appends' bytes until their blob is synced (journal-store.ts). */
  readonly journal: SqliteJournal;
  private readonly wal: WalSync;

  constructor(dataDir: string) {
    this.db = new Database(join(dataDir, 'meta.db'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL, and wal-sync.ts fsyncs the WAL after every commit off the event loop:
    // a resolved write survives a crash, as with FULL.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    for (const c of ADDED_COLUMNS) {
      const cols = this.db.prepare(`PRAGMA table_info(${c.table})`).all() as Array<{ name: string }>;
      if (!cols.some((col) => col.name === c.column)) this.db.exec(`ALTER TABLE ${c.table} ADD COLUMN ${c.column} ${c.decl}`);
    }
    const db = this.db;
    this.stmt = {
      getBucket: db.prepare('SELECT * FROM buckets WHERE name = ?'),
      insertBucket: db.prepare(
        'INSERT OR IGNORE INTO buckets (name, created_ms, acl, storage_class, redundancy) VALUES (@name, @created_ms, @acl, @storage_class, @redundancy)',
      ),
      updateBucket: db.prepare(
        'UPDATE buckets SET acl = @acl, storage_class = @storage_class, redundancy = @redundancy, cors = @cors WHERE name = @name',
      ),
      anyObject: db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1'),
      deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
      listBuckets: db.prepare(
        'SELECT * FROM buckets WHERE name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?',
      ),
      getObject: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
      insertObject: db.prepare(
        `INSERT INTO objects (bucket, key, type, size, etag, crc, blob, mtime_ms, content_type, headers, meta, acl, tags, storage_class, revision, symlink_target, base_size, base_crc)
         VALUES (@bucket, @key, @type, @size, @etag, @crc, @blob, @mtime_ms, @content_type, @headers, @meta, @acl, @tags, @storage_class, @revision, @symlink_target, @base_size, @base_crc)`,
      ),
      replaceObject: db.prepare(
        `UPDATE objects SET type = @type, size = @size, etag = @etag, crc = @crc, blob = @blob, mtime_ms = @mtime_ms,
           content_type = @content_type, headers = @headers, meta = @meta, acl = @acl, tags = @tags,
           storage_class = @storage_class, revision = @revision, symlink_target = @symlink_target,
           base_size = @base_size, base_crc = @base_crc
         WHERE bucket = @bucket AND key = @key`,
      ),
      deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
      // Range scan on the primary key; the prefix is matched with a range, not LIKE,
      // so it stays an index seek whatever characters the prefix holds.
      listAfter: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?'),
      listFrom: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?'),
      blobRef: db.prepare('SELECT 1 FROM objects WHERE blob = ? LIMIT 1'),
      appendable: db.prepare("SELECT * FROM objects WHERE type = 'Appendable'"),
    };
    // Journal clean-up changes nothing a reader sees.
    this.journal = new SqliteJournal(db, (run) => this.write(run, JOURNAL_KEY));
    this.wal = new WalSync(join(dataDir, 'meta.db-wal'));
    this.multipart = new SqliteMultipart(db, (run) => this.write(run), (b, k, e, n) => this.casSync(b, k, e, n));
  }

  /**
   * Queues a write for the next group commit. `touches` names the row key readers use
   * (objectKey()), so that only their reads wait for this write to be durable; without
   * it every read waits.
   */
  private write<T>(run: () => T, touches?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject, touches });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // After a failed WAL fsync nothing more is committed (it could only be lost or confuse recovery).
    const refused = this.wal.failed;
    if (refused) {
      for (const w of batch) w.reject(refused);
      return;
    }
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throwing write
            // rolls back alone.
            w.result = this.db.transaction(w.run)();
          } catch (e) {
            w.failed = true;
            w.error = e;
          }
        }
      })();
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    const touched = batch.every((w) => w.touches !== undefined) ? new Set(batch.map((w) => w.touches!)) : null;
    this.wal.commit(touched).then(
      () => {
        for (const w of batch) {
          if (w.failed) w.reject(w.error);
          else w.resolve(w.result);
        }
      },
      (e: unknown) => {
        for (const w of batch) w.reject(e);
      },
    );
  }

  async getBucket(name: string): Promise<BucketRecord | undefined> {
    await this.wal.barrier(bucketKey(name));
    const row = this.stmt.getBucket.get(name) as BucketRow | undefined;
    return row ? bucketFromRow(row) : undefined;
  }

  insertBucket(bucket: BucketRecord): Promise<boolean> {
    return this.write(() => this.stmt.insertBucket.run(bucketToRow(bucket)).changes === 1, bucketKey(bucket.name));
  }

  updateBucket(bucket: BucketRecord): Promise<boolean> {
    return this.write(() => this.stmt.updateBucket.run(bucketToRow(bucket)).changes === 1, bucketKey(bucket.name));
  }

  deleteBucketIfEmpty(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    return this.write(() => {
      if (!this.stmt.getBucket.get(name)) return 'missing';
      // buckets.md §2: in-progress multipart uploads also keep a bucket from being deleted.
      if (this.stmt.anyObject.get(name) || this.multipart.anyUpload(name)) return 'not-empty';
      this.stmt.deleteBucket.run(name);
      return 'deleted';
    }, bucketKey(name));
  }

  async listBuckets(prefix: string, after: string, limit: number): Promise<BucketRecord[]> {
    await this.wal.barrier();
    const rows = this.stmt.listBuckets.all(after, prefix, prefix, limit) as BucketRow[];
    return rows.map(bucketFromRow);
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    await this.wal.barrier(objectKey(bucket, key));
    const row = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
    if (row?.blob === null) return this.readSegmented(bucket, key);
    return row ? objectFromRow(row) : undefined;
  }

  /** A row without a blob may be a multipart object: its row and segments from one snapshot. */
  private readSegmented(bucket: string, key: string): ObjectRecord | undefined {
    return this.db.transaction(() => {
      const row = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
      return row ? this.withSegments(objectFromRow(row)) : undefined;
    })();
  }

  private withSegments(rec: ObjectRecord): ObjectRecord {
    if (rec.blob !== null) return rec;
    const segments = this.multipart.loadSegments(rec.bucket, rec.key);
    return segments ? { ...rec, segments } : rec;
  }

  compareAndSwap(
    bucket: string,
    key: string,
    expectedRevision: number | null,
    next: ObjectRecord | null,
    journal?: JournalEntry,
  ): Promise<CasResult> {
    return this.write(() => {
      const r = this.casSync(bucket, key, expectedRevision, next);
      if (r.ok && journal) this.journal.insertSync(journal);
      return r;
    }, objectKey(bucket, key));
  }

  /** The compare-and-set itself, inside a write transaction (also CompleteMultipartUpload's). */
  private casSync(bucket: string, key: string, expectedRevision: number | null, next: ObjectRecord | null): CasResult {
    const row = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
    const current = row ? this.withSegments(objectFromRow(row)) : undefined;
    const currentRevision = current ? current.revision : null;
    if (currentRevision !== expectedRevision) return { ok: false, current };
    if (next === null) {
      if (current) this.stmt.deleteObject.run(bucket, key);
    } else if (current) {
      this.stmt.replaceObject.run(objectToRow(next));
    } else {
      this.stmt.insertObject.run(objectToRow(next));
    }
    this.multipart.saveSegments(bucket, key, current?.segments, next?.segments);
    return { ok: true, previous: current };
  }

  async listObjects(bucket: string, page: ListPage): Promise<ObjectRecord[]> {
    await this.wal.barrier();
    // Every key with the prefix is >= the prefix, so start there unless the marker is further.
    // `from` (the end of a skipped common prefix) replaces `after` when set (ListPage).
    const rows = (
      page.from !== undefined
        ? this.stmt.listFrom.all(bucket, page.from, page.limit)
        : Buffer.compare(Buffer.from(page.after), Buffer.from(page.prefix)) >= 0
          ? this.stmt.listAfter.all(bucket, page.after, page.limit)
          : this.stmt.listFrom.all(bucket, page.prefix, page.limit)
    ) as ObjectRow[];
    const out: ObjectRecord[] = [];
    for (const r of rows) {
      if (!r.key.startsWith(page.prefix)) break;
      out.push(objectFromRow(r));
    }
    return out;
  }

  async isBlobReferenced(blob: string): Promise<boolean> {
    return this.stmt.blobRef.get(blob) !== undefined || this.multipart.isBlobReferenced(blob);
  }

  async *appendableObjects(): AsyncIterable<ObjectRecord> {
    // Materialised first: recovery writes while it walks these rows.
    const rows = this.stmt.appendable.all() as ObjectRow[];
    for (const row of rows) yield objectFromRow(row);
  }

  async close(): Promise<void> {
    this.flush();
    await this.wal.barrier();
    this.wal.close();
    this.db.close();
  }
}

/** The barrier key of a bucket row (wal-sync.ts). */
function bucketKey(name: string): string {
  return `${name}\0`;
}

/** The barrier key of an object row (wal-sync.ts). */
function objectKey(bucket: string, key: string): string {
  return `${bucket}\0${key}`;
}

const JOURNAL_KEY = '\0journal';
