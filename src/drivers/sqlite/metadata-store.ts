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
import { isDiskFull } from '../../engine/errors.js';
import { type BucketRecord, type ObjectRecord, versionIdOf } from '../../engine/model.js';
import {
  type AppendKeyChange,
  type BucketUsage,
  type CasResult,
  type CommittedBytes,
  type HistoryChange,
  isInlineBlob,
  KEEP_CURRENT,
  type ListPage,
  type MetadataStore,
  type ObjectState,
  type VersionEntry,
  type VersionPage,
} from '../types.js';
import { CURRENT_RANK, SqliteVersions } from './version-store.js';
import { compareBytewise } from './bytewise.js';
import { SpaceReserve } from './space-reserve.js';
import { SqliteJournal } from './journal-store.js';
import { SqliteInlineBlobs } from './inline-store.js';
import { SqliteAppendKeys } from './append-key-store.js';
import { WalSync } from './wal-sync.js';
import { ADDED_COLUMNS, addMissingColumns, SCHEMA } from './schema.js';
import { ObjectRowUpdates } from './row-update.js';
import { type BucketRow, bucketFromRow, bucketToRow } from '../bucket-rows.js';
import { mergeVersionPage } from '../version-merge.js';
import { type ObjectRow, OBJECT_ROW_COLUMNS, insertSql, objectFromRow, objectToRow } from './rows.js';
import { type RecentRow, RecentRows } from './recent-rows.js';
import { SqliteMultipart } from './multipart-store.js';
import { SqliteUnsettled, UNSETTLED_KEY } from './unsettled-store.js';
import { SqliteBucketUsage } from './usage-store.js';
import { snapshotSync, syncSnapshot } from './snapshot.js';
import { nextRevision } from '../../engine/revision.js';

interface QueuedWrite {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  touches?: string;
  /** Deletes something: may use the space reserve on a full disk (space-reserve.ts). */
  frees?: boolean;
  result?: unknown;
  error?: unknown;
  failed?: boolean;
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private queue: QueuedWrite[] = [];
  /** Journaled appends in `queue` (journal-store.ts beginBatch()). */
  private queuedAppends = 0;
  private flushScheduled = false;
  /**
   * runBatch in one transaction. Built once: db.transaction() makes a new wrapper (four
   * functions and their properties) per call, 2% of a lone client's append.
   */
  private readonly transaction: (batch: QueuedWrite[]) => void;
  private readonly stmt;
  private readonly rowUpdates: ObjectRowUpdates;
  /** Uploads, parts and multipart segments (multipart-store.ts). */
  readonly multipart: SqliteMultipart;
  /** Small appends' bytes until their blob is synced (journal-store.ts). */
  readonly journal: SqliteJournal;
  /** Small objects' bytes (inline-store.ts). */
  readonly inline: SqliteInlineBlobs;
  /** Appends made with an Idempotency-Key (append-key-store.ts). */
  readonly appendKeys: SqliteAppendKeys;
  /** Blobs recovery must look at after a crash (unsettled-store.ts). */
  readonly unsettled: SqliteUnsettled;
  private readonly wal: WalSync;
  /** Noncurrent versions and delete markers (version-store.ts). */
  private readonly versions: SqliteVersions;
  private readonly reserve: SpaceReserve;
  /** Objects and bytes per bucket, kept by triggers (usage-store.ts). */
  private readonly usageCounters: SqliteBucketUsage;
  /** Object rows read or written lately, checked by revision (recent-rows.ts). */
  private readonly recent = new RecentRows();

  /** @param options.syncOnLoop whether nothing else is going on, so a WAL fsync may run on the event loop (wal-sync.ts) */
  constructor(private readonly dataDir: string, options: { syncOnLoop?: () => boolean } = {}) {
    this.db = new Database(join(dataDir, 'meta.db'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL, and wal-sync.ts fsyncs the WAL after every commit off the event loop:
    // a resolved write survives a crash, as with FULL.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint every 4,000 WAL pages (16 MiB), not SQLite's 1,000: a small append or put
    // rewrites the same few pages (its row's, the header's), and a longer WAL copies each
    // of them into meta.db once per checkpoint instead of four times. Measured on the bench:
    // 4 KiB puts from 64 clients +9%, appends +4%; 10,000 was no better than 4,000.
    this.db.pragma('wal_autocheckpoint = 4000');
    // A data folder made before the unsettled registry: its first recovery sweeps it whole.
    const existingStore = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() !== undefined;
    this.db.exec(SCHEMA);
    addMissingColumns(this.db, ADDED_COLUMNS);
    const db = this.db;
    this.rowUpdates = new ObjectRowUpdates(db);
    this.transaction = db.transaction((batch: QueuedWrite[]) => this.runBatch(batch));
    this.stmt = {
      getBucket: db.prepare('SELECT * FROM buckets WHERE name = ?'),
      insertBucket: db.prepare(
        'INSERT OR IGNORE INTO buckets (name, created_ms, acl, storage_class, redundancy) VALUES (@name, @created_ms, @acl, @storage_class, @redundancy)',
      ),
      updateBucket: db.prepare(
        'UPDATE buckets SET acl = @acl, storage_class = @storage_class, redundancy = @redundancy, cors = @cors, versioning = @versioning, tags = @tags, append_limit = @append_limit WHERE name = @name',
      ),
      anyObject: db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1'),
      deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
      listBuckets: db.prepare(
        'SELECT * FROM buckets WHERE name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?',
      ),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackToSavepoint: db.prepare('ROLLBACK TO write'),
      getObject: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
      // A third of the cost of SELECT *: no 19-column row to build, no JSON to parse.
      objectState: db.prepare('SELECT type, size, revision, sealed_ms FROM objects WHERE bucket = ? AND key = ?'),
      objectRevision: db.prepare('SELECT revision FROM objects WHERE bucket = ? AND key = ?').pluck(),
      insertObject: db.prepare(insertSql('objects', ['bucket', 'key', ...OBJECT_ROW_COLUMNS])),
      deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
      // Range scan on the primary key; the prefix is matched with a range, not LIKE,
      // so it stays an index seek whatever characters the prefix holds.
      listAfter: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?'),
      listFrom: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?'),
      blobRef: db.prepare('SELECT 1 FROM objects WHERE blob = ? LIMIT 1'),
      appendable: db.prepare("SELECT * FROM objects WHERE type = 'Appendable'"),
      objectOfBlob: db.prepare('SELECT * FROM objects WHERE blob = ? LIMIT 1'),
    };
    this.wal = new WalSync(join(dataDir, 'meta.db-wal'), options.syncOnLoop);
    // Journal clean-up changes nothing a reader sees.
    this.journal = new SqliteJournal(db, dataDir, (run) => this.write(run, JOURNAL_KEY), () => this.wal.mayBeSyncing(JOURNAL_KEY));
    this.inline = new SqliteInlineBlobs(db);
    this.appendKeys = new SqliteAppendKeys(db, (bucket, key) => this.wal.barrier(objectKey(bucket, key)));
    this.versions = new SqliteVersions(db);
    this.usageCounters = new SqliteBucketUsage(db);
    this.multipart = new SqliteMultipart(
      db,
      (run, frees) => this.write(run, undefined, frees),
      (b, k, e, n, h) => this.casSync(b, k, e, n, h),
      (blobs) => this.recordDereferenced(blobs),
    );
    this.unsettled = new SqliteUnsettled(db, (run) => this.write(run, UNSETTLED_KEY), existingStore);
    this.reserve = new SpaceReserve(join(dataDir, 'reserve'));
  }

  /**
   * Queues a write for the next group commit. `touches` names the row key readers use
   * (objectKey()), so that only their reads wait for this write to be durable; without
   * it every read waits.
   */
  private write<T>(run: () => T, touches?: string, frees?: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject, touches, frees });
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
    this.journal.beginBatch(this.queuedAppends);
    this.queuedAppends = 0;
    // After a failed WAL fsync nothing more is committed (it could only be lost or confuse recovery).
    const refused = this.wal.failed;
    if (refused) {
      for (const w of batch) w.reject(refused);
      return;
    }
    const frees = batch.some((w) => w.frees);
    try {
      try {
        this.commitBatch(batch);
      } catch (e) {
        // A full disk must not keep deletes from freeing space: spend the reserve on them.
        if (!isDiskFull(e) || !frees || !this.reserve.release()) throw e;
        this.commitBatch(batch);
      }
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    if (frees) setImmediate(() => this.reserve.rearm());
    const touched = batch.every((w) => w.touches !== undefined) ? new Set(batch.map((w) => w.touches!)) : null;
    this.wal.commit(touched, this.journal.sync()).then(
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

  /**
   * One transaction for the whole batch; each write in a savepoint of its own, so a
   * throwing write rolls back alone. (Prepared SAVEPOINT statements, not a nested
   * db.transaction(): that builds a new wrapper per write, a tenth of a small append's
   * commit.)
   */
  private commitBatch(batch: QueuedWrite[]): void {
    try {
      this.transaction(batch);
    } catch (e) {
      this.journal.discardPending();
      throw e;
    }
  }

  /** The body of a batch's transaction (`transaction`). */
  private runBatch(batch: QueuedWrite[]): void {
    for (const w of batch) {
      w.failed = false;
      this.stmt.savepoint.run();
      try {
        w.result = w.run();
        this.stmt.release.run();
      } catch (e) {
        w.failed = true;
        w.error = e;
        // Some errors (a full disk, an I/O error) end the whole transaction: then
        // there is no savepoint left to roll back to, and the COMMIT fails the batch.
        if (this.db.inTransaction) {
          this.stmt.rollbackToSavepoint.run();
          this.stmt.release.run();
        }
      }
    }
    // The bytes of the batch's journaled appends, before COMMIT: if they cannot be
    // written, nothing of the batch is committed.
    this.journal.writePending();
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
      // buckets.md §2: so do noncurrent versions and delete markers.
      if (this.stmt.anyObject.get(name) || this.versions.anyInBucket(name) || this.multipart.anyUpload(name)) return 'not-empty';
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
    const k = objectKey(bucket, key);
    await this.wal.barrier(k);
    return this.currentRow(bucket, key, k)?.rec;
  }

  async objectState(bucket: string, key: string): Promise<ObjectState | undefined> {
    await this.wal.barrier(objectKey(bucket, key));
    const row = this.stmt.objectState.get(bucket, key) as (Omit<ObjectState, 'sealedMs'> & { sealed_ms: number | null }) | undefined;
    if (!row) return undefined;
    const { sealed_ms: sealed, ...state } = row;
    return sealed === null ? state : { ...state, sealedMs: sealed };
  }

  /** The key's row and its record: the one kept in `recent` while its revision is still the row's. */
  private currentRow(bucket: string, key: string, k: string): RecentRow | undefined {
    if (this.recent.has(k)) {
      const revision = this.stmt.objectRevision.get(bucket, key) as number | undefined;
      const kept = revision === undefined ? undefined : this.recent.at(k, revision);
      if (kept) return kept;
    }
    const readRow = (): ObjectRow | undefined => this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
    const entryOf = (row: ObjectRow | undefined): RecentRow | undefined => (row ? { row, rec: this.withSegments(objectFromRow(row)) } : undefined);
    const row = readRow();
    // A row without a blob may be a multipart object: its row and segments from one
    // snapshot (read again inside a transaction; its segments are loaded only there).
    const entry = row?.blob === null && !this.db.inTransaction ? this.db.transaction(() => entryOf(readRow()))() : entryOf(row);
    if (entry) this.recent.keep(k, entry);
    else this.recent.forget(k);
    return entry;
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
    next: ObjectRecord | null | typeof KEEP_CURRENT,
    bytes?: CommittedBytes,
    history?: HistoryChange,
    appendKeys?: AppendKeyChange,
  ): Promise<CasResult> {
    if (bytes?.kind === 'journal') this.queuedAppends++;
    return this.write(() => {
      const r = this.casSync(bucket, key, expectedRevision, next, history);
      if (r.ok && bytes?.kind === 'journal') this.journal.insertSync(bytes);
      if (r.ok && bytes?.kind === 'inline') this.inline.insertSync(bytes.blob, bytes.data);
      if (r.ok && appendKeys) this.appendKeys.applySync(bucket, key, appendKeys);
      return r;
    }, objectKey(bucket, key), next === null || (history?.remove?.length ?? 0) > 0);
  }

  /** The compare-and-set itself, inside a write transaction (also CompleteMultipartUpload's). */
  private casSync(
    bucket: string,
    key: string,
    expectedRevision: number | null,
    next: ObjectRecord | null | typeof KEEP_CURRENT,
    history?: HistoryChange,
  ): CasResult {
    const k = objectKey(bucket, key);
    const kept = this.currentRow(bucket, key, k);
    const current = kept?.rec;
    const currentRevision = current ? current.revision : null;
    if (currentRevision !== expectedRevision) return { ok: false, current };
    // A single in-place update (PutObjectAcl/Tagging on a noncurrent version) changes nothing else.
    if (history?.update && !history.update.every((v) => this.versions.update(v))) return { ok: false, current };
    const removed = history?.remove?.length ? this.versions.take(bucket, key, history.remove) : [];
    if (!removed) return { ok: false, current };
    if (next !== KEEP_CURRENT) {
      if (history?.archive && current) this.versions.insert(current);
      this.replaceCurrent(bucket, key, k, current, kept?.row, next);
    }
    for (const marker of history?.add ?? []) this.versions.insert(marker);
    const gone = [...(next !== KEEP_CURRENT && current ? [current] : []), ...removed];
    this.dropUnreferencedInline(gone);
    // An append keeps its blob: no lookup on that hot path.
    const nextBlob = next !== KEEP_CURRENT && next !== null ? next.blob : null;
    this.recordDereferenced(gone.flatMap((rec) => (rec.blob !== null ? (rec.blob === nextBlob ? [] : [rec.blob]) : (rec.segments ?? []).map((s) => s.blob))));
    return { ok: true, previous: current, removed };
  }

  /**
   * Inside a commit: the file blobs among `blobs` that nothing references any more are
   * recorded as unsettled by the same transaction (unsettled-store.ts), so a crash before
   * the engine removes their files leaves recovery a row to find them by.
   */
  private recordDereferenced(blobs: ReadonlyArray<string | null>): void {
    const files = new Set<string>();
    for (const blob of blobs) if (blob !== null && !isInlineBlob(blob) && !this.referencedSync(blob)) files.add(blob);
    if (files.size > 0) this.unsettled.dereferencedSync(files);
  }

  /** Inline blobs live exactly as long as a reference to them (inline-store.ts). */
  private dropUnreferencedInline(gone: ObjectRecord[]): void {
    for (const rec of gone) {
      if (isInlineBlob(rec.blob) && !this.referencedSync(rec.blob)) this.inline.dropSync(rec.blob);
    }
  }

  private referencedSync(blob: string): boolean {
    return this.stmt.blobRef.get(blob) !== undefined || this.multipart.isBlobReferenced(blob) || this.versions.isBlobReferenced(blob);
  }

  /** `k`: objectKey(bucket, key), as casSync has it. */
  private replaceCurrent(bucket: string, key: string, k: string, current: ObjectRecord | undefined, currentRow: ObjectRow | undefined, next: ObjectRecord | null): void {
    if (next === null) {
      if (currentRow) this.stmt.deleteObject.run(bucket, key);
      this.recent.forget(k);
    } else {
      const nextRow = objectToRow(next);
      if (currentRow) this.rowUpdates.update(currentRow, nextRow);
      else this.stmt.insertObject.run(nextRow);
      // Kept as a read would return it (from the row: no field the row does not hold).
      // Multipart objects' segments are read back with their row instead.
      if (next.blob !== null) this.recent.keep(k, { row: nextRow, rec: objectFromRow(nextRow) });
      else this.recent.forget(k);
    }
    this.multipart.saveSegments(bucket, key, current?.segments, next?.segments);
  }

  async history(bucket: string, key: string): Promise<ObjectRecord[]> {
    await this.wal.barrier(objectKey(bucket, key));
    return this.versions.ofKey(bucket, key);
  }

  async getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | undefined> {
    await this.wal.barrier(objectKey(bucket, key));
    return this.db.transaction(() => {
      const row = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
      const current = row ? this.withSegments(objectFromRow(row)) : undefined;
      if (current && versionIdOf(current) === versionId) return { record: current, rank: CURRENT_RANK };
      return this.versions.get(bucket, key, versionId);
    })();
  }

  async listVersions(bucket: string, page: VersionPage): Promise<VersionEntry[]> {
    await this.wal.barrier();
    return this.db.transaction(() => {
      const out: VersionEntry[] = [];
      let afterKey = page.afterKey;
      let from = page.from;
      if (page.after) {
        out.push(...this.versions.ofKeyBelow(bucket, page.after.key, page.after.rank, page.limit));
        afterKey = page.after.key;
        from = undefined;
      }
      const n = page.limit - out.length;
      if (n > 0) {
        if (from === undefined && compareBytewise(afterKey, page.prefix) < 0) from = page.prefix;
        const currents = (from !== undefined ? this.stmt.listFrom.all(bucket, from, n) : this.stmt.listAfter.all(bucket, afterKey, n)) as ObjectRow[];
        const older = this.versions.page(bucket, afterKey, from, n);
        out.push(...mergeVersionPage(currents.map((r) => ({ record: objectFromRow(r), rank: CURRENT_RANK })), older, n));
      }
      return out.filter((e) => e.record.key.startsWith(page.prefix));
    })();
  }

  async listObjects(bucket: string, page: ListPage): Promise<ObjectRecord[]> {
    await this.wal.barrier();
    // Every key with the prefix is >= the prefix, so start there unless the marker is further.
    // `from` (the end of a skipped common prefix) replaces `after` when set (ListPage).
    const rows = (
      page.from !== undefined
        ? this.stmt.listFrom.all(bucket, page.from, page.limit)
        : compareBytewise(page.after, page.prefix) >= 0
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
    return this.referencedSync(blob);
  }

  async objectOfBlob(blob: string): Promise<ObjectRecord | undefined> {
    const row = this.stmt.objectOfBlob.get(blob) as ObjectRow | undefined;
    return row ? objectFromRow(row) : undefined;
  }

  async *appendableObjects(): AsyncIterable<ObjectRecord> {
    // Materialised first: recovery writes while it walks these rows.
    const rows = this.stmt.appendable.all() as ObjectRow[];
    for (const row of rows) yield objectFromRow(row);
  }

  /** One process writes a data folder: the clock-based revisions of src/engine/revision.ts are unique. */
  newRevision(): number {
    return nextRevision();
  }

  bucketUsage(): BucketUsage[] {
    return this.usageCounters.list();
  }

  writeFailure(): Error | undefined {
    return this.wal.failed;
  }

  async snapshotTo(dir: string): Promise<void> {
    // Synchronous up to the copy's end: see snapshot.ts.
    snapshotSync(this.db, this.dataDir, dir);
    await syncSnapshot(dir);
  }

  async close(): Promise<void> {
    this.flush();
    await this.wal.barrier();
    this.wal.close();
    this.journal.close();
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
