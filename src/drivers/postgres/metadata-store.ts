/**
 * PostgreSQL metadata driver (issue 19; docs/storage.md "Scale-out design"): the same
 * MetadataStore as the embedded SQLite store (sqlite/metadata-store.ts), shared by N
 * stateless ossd nodes. Schema: migrations/001-initial.sql and 002-metadata-core.sql.
 *
 * - Every compare-and-set is one conditional statement in one transaction
 *   (object-cas.ts): zero rows means another writer, on any node, won.
 * - Keys are COLLATE "C": listings are bytewise, as OSS's (and SQLite's BINARY).
 * - Reads that need more than one statement to be consistent (a version listing) run in
 *   one REPEATABLE READ transaction; a row and its segments are read by one statement.
 * - Nothing is cached but the bucket usage figures (usage-cache.ts), which the interface
 *   asks for synchronously.
 *
 * Multipart uploads and the unsettled registry are separate stores on the same database
 * (multipart-store.ts and unsettled-store.ts, `new PgMultipartStore(db, nodeId)`, …),
 * handed to the constructor; CompleteMultipartUpload commits its object through
 * object-cas.ts casInTransaction, in its own transaction.
 */
import type { BucketRecord, ObjectRecord } from '../../engine/model.js';
import { versionIdOf } from '../../engine/model.js';
import { BUCKET_COLUMNS, type BucketRow, bucketFromRow, bucketToRow } from '../bucket-rows.js';
import { mergeVersionPage } from '../version-merge.js';
import type { MultipartMetadata } from '../multipart-types.js';
import { compareBytewise } from '../sqlite/bytewise.js';
import type {
  AppendKeyChange,
  BucketUsage,
  CasResult,
  CommittedBytes,
  HistoryChange,
  KEEP_CURRENT,
  ListPage,
  MetadataStore,
  ObjectState,
  UnsettledStore,
  VersionEntry,
  VersionPage,
} from '../types.js';
import { PgAppendKeys, applyAppendKeys } from './append-key-store.js';
import type { PgClient, PgDatabase } from './db.js';
import { PgInlineBlobs, insertInline } from './inline-store.js';
import { PgJournal, insertJournal } from './journal-store.js';
import { hasNul, lowerBound } from './nul-text.js';
import { casInTransaction, LostSwap } from './object-cas.js';
import { OBJECT_SELECT, type ObjectRowWithSegments, type Queryable, recordFromRow } from './object-rows.js';
import { withOutcome } from './outcome.js';
import type { PgRevisions } from './revisions.js';
import { UsageCache } from './usage-cache.js';
import { CURRENT_RANK, versionById, versionPage, versionsOfKey, versionsOfKeyBelow } from './version-store.js';
import { objectFromRow, type ObjectRow } from '../sqlite/rows.js';

/** The stores of the same database that another part of the driver implements. */
export interface PgSubStores {
  multipart: MultipartMetadata;
  unsettled: UnsettledStore;
  /** Revisions unique across nodes, drawn in blocks from the object_revision sequence. */
  revisions: PgRevisions;
}

export class PgMetadataStore implements MetadataStore {
  readonly multipart: MultipartMetadata;
  readonly unsettled: UnsettledStore;
  readonly journal: PgJournal;
  readonly inline: PgInlineBlobs;
  readonly appendKeys: PgAppendKeys;
  private readonly usage: UsageCache;
  private readonly revisions: PgRevisions;

  /**
   * Use open() to also migrate the schema and load the usage figures.
   * @param nodeId this node's name in the cluster (recorded with the unsettled rows its commits write)
   * @param options.closeDatabase whether close() also ends the pool (default true)
   */
  constructor(
    readonly db: PgDatabase,
    readonly nodeId: string,
    stores: PgSubStores,
    private readonly options: { closeDatabase?: boolean } = {},
  ) {
    this.multipart = stores.multipart;
    this.unsettled = stores.unsettled;
    this.revisions = stores.revisions;
    this.journal = new PgJournal(db);
    this.inline = new PgInlineBlobs(db);
    this.appendKeys = new PgAppendKeys(db);
    this.usage = new UsageCache(db);
  }

  /** Migrates the schema (under the advisory lock: nodes may start together) and opens the store. */
  static async open(db: PgDatabase, nodeId: string, stores: PgSubStores, options: { closeDatabase?: boolean } = {}): Promise<PgMetadataStore> {
    await db.migrate();
    const store = new PgMetadataStore(db, nodeId, stores, options);
    await store.refreshUsage();
    return store;
  }

  /** A revision no other node hands out (docs/storage.md "Revisions unique across nodes"). */
  newRevision(): number {
    return this.revisions.take();
  }

  // ---- buckets ----

  async getBucket(name: string): Promise<BucketRecord | undefined> {
    const { rows } = await this.db.query<BucketRow>('SELECT * FROM buckets WHERE name = $1', [name]);
    return rows[0] ? bucketFromRow(rows[0]) : undefined;
  }

  async insertBucket(bucket: BucketRecord): Promise<boolean> {
    const row = bucketToRow(bucket);
    const r = await this.db.query(
      `INSERT INTO buckets (${BUCKET_COLUMNS.join(', ')}) VALUES (${BUCKET_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (name) DO NOTHING`,
      BUCKET_COLUMNS.map((c) => row[c] ?? null),
    );
    this.usage.changed();
    return r.rowCount === 1;
  }

  async updateBucket(bucket: BucketRecord): Promise<boolean> {
    const row = bucketToRow(bucket);
    const r = await this.db.query(
      `UPDATE buckets SET ${BUCKET_COLUMNS.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE name = $1`,
      BUCKET_COLUMNS.map((c) => row[c] ?? null),
    );
    return r.rowCount === 1;
  }

  async deleteBucketIfEmpty(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    const result = await this.db.tx(async (c) => {
      // Locks the bucket row first: two deletes of one bucket answer one 'deleted', one 'missing'.
      const { rows } = await c.query<{ busy: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) OR EXISTS (SELECT 1 FROM object_versions WHERE bucket = $1)
           OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1) AS busy
         FROM buckets WHERE name = $1 FOR UPDATE`,
        [name],
      );
      if (!rows[0]) return 'missing';
      // buckets.md §2: objects, noncurrent versions, delete markers and in-progress multipart uploads keep a bucket.
      if (rows[0].busy) return 'not-empty';
      await c.query('DELETE FROM buckets WHERE name = $1', [name]);
      return 'deleted';
    });
    this.usage.changed();
    return result;
  }

  async listBuckets(prefix: string, after: string, limit: number): Promise<BucketRecord[]> {
    const { rows } = await this.db.query<BucketRow>('SELECT * FROM buckets WHERE name > $1 AND starts_with(name, $2) ORDER BY name LIMIT $3', [
      after,
      prefix,
      limit,
    ]);
    return rows.map(bucketFromRow);
  }

  // ---- objects ----

  getObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return currentObject(this.db, bucket, key);
  }

  async objectState(bucket: string, key: string): Promise<ObjectState | undefined> {
    const { rows } = await this.db.query<Omit<ObjectState, 'sealedMs'> & { sealed_ms: number | null }>(
      'SELECT type, size, revision, sealed_ms FROM objects WHERE bucket = $1 AND key = $2',
      [bucket, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { sealed_ms: sealed, ...state } = row;
    return sealed === null ? state : { ...state, sealedMs: sealed };
  }

  async compareAndSwap(
    bucket: string,
    key: string,
    expectedRevision: number | null,
    next: ObjectRecord | null | typeof KEEP_CURRENT,
    bytes?: CommittedBytes,
    history?: HistoryChange,
    appendKeys?: AppendKeyChange,
  ): Promise<CasResult> {
    try {
      const done = await this.db.tx(async (c) => {
        const r = await casInTransaction(c, this.nodeId, bucket, key, expectedRevision, next, history);
        if (bytes?.kind === 'journal') await insertJournal(c, bytes);
        if (bytes?.kind === 'inline') await insertInline(c, bytes.blob, bytes.data);
        if (appendKeys) await applyAppendKeys(c, bucket, key, appendKeys);
        return r;
      });
      this.usage.changed();
      return done;
    } catch (e) {
      if (!(e instanceof LostSwap)) throw withOutcome(e);
      return { ok: false, current: await this.getObject(bucket, key) };
    }
  }

  history(bucket: string, key: string): Promise<ObjectRecord[]> {
    return versionsOfKey(this.db, bucket, key);
  }

  getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | undefined> {
    return this.snapshot(async (c) => {
      const current = await currentObject(c, bucket, key);
      if (current && versionIdOf(current) === versionId) return { record: current, rank: CURRENT_RANK };
      return versionById(c, bucket, key, versionId);
    });
  }

  listVersions(bucket: string, page: VersionPage): Promise<VersionEntry[]> {
    return this.snapshot(async (c) => {
      const out: VersionEntry[] = [];
      let afterKey = page.afterKey;
      let from = page.from;
      if (page.after) {
        // A key-marker holding U+0000 names no stored key (nul-text.ts): it has no versions to resume.
        if (!hasNul(page.after.key)) out.push(...(await versionsOfKeyBelow(c, bucket, page.after.key, page.after.rank, page.limit)));
        afterKey = page.after.key;
        from = undefined;
      }
      const n = page.limit - out.length;
      if (n > 0) {
        if (from === undefined && compareBytewise(afterKey, page.prefix) < 0) from = page.prefix;
        const currents = await objectPage(c, bucket, afterKey, from, n);
        const older = await versionPage(c, bucket, afterKey, from, n);
        out.push(...mergeVersionPage(currents.map((r) => ({ record: objectFromRow(r), rank: CURRENT_RANK })), older, n));
      }
      return out.filter((e) => e.record.key.startsWith(page.prefix));
    });
  }

  async listObjects(bucket: string, page: ListPage): Promise<ObjectRecord[]> {
    // Every key with the prefix is >= the prefix, so start there unless the marker is further.
    // `from` (the end of a skipped common prefix) replaces `after` when set (ListPage).
    const from = page.from ?? (compareBytewise(page.after, page.prefix) >= 0 ? undefined : page.prefix);
    const rows = await objectPage(this.db, bucket, page.after, from, page.limit);
    const out: ObjectRecord[] = [];
    for (const r of rows) {
      if (!r.key.startsWith(page.prefix)) break;
      out.push(objectFromRow(r));
    }
    return out;
  }

  // ---- blobs ----

  async isBlobReferenced(blob: string): Promise<boolean> {
    const { rows } = await this.db.query<{ referenced: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM objects WHERE blob = $1) OR EXISTS (SELECT 1 FROM object_segments WHERE blob = $1)
         OR EXISTS (SELECT 1 FROM object_versions WHERE blob = $1) OR EXISTS (SELECT 1 FROM version_segments WHERE blob = $1)
         OR EXISTS (SELECT 1 FROM upload_parts WHERE blob = $1) AS referenced`,
      [blob],
    );
    return rows[0]!.referenced;
  }

  async objectOfBlob(blob: string): Promise<ObjectRecord | undefined> {
    const { rows } = await this.db.query<ObjectRow>('SELECT * FROM objects WHERE blob = $1 LIMIT 1', [blob]);
    return rows[0] ? objectFromRow(rows[0]) : undefined;
  }

  async *appendableObjects(): AsyncIterable<ObjectRecord> {
    // Materialised first: recovery writes while it walks these rows.
    const { rows } = await this.db.query<ObjectRow>("SELECT * FROM objects WHERE type = 'Appendable'");
    for (const row of rows) yield objectFromRow(row);
  }

  // ---- the store ----


  bucketUsage(): BucketUsage[] {
    return this.usage.list();
  }

  /** Resolves once bucketUsage() reflects every commit made before the call (tests, start-up). */
  refreshUsage(): Promise<void> {
    return this.usage.refresh();
  }

  /** PostgreSQL reports a failed commit to its caller; nothing makes this store refuse writes until a restart. */
  writeFailure(): Error | undefined {
    return undefined;
  }

  async snapshotTo(_dir: string): Promise<void> {
    throw new Error(
      'ossd backup copies only the embedded SQLite metadata store: back up the PostgreSQL metadata with pg_dump ' +
        '(or your PostgreSQL backups), and the blobs with the S3 store\'s own tools',
    );
  }

  async close(): Promise<void> {
    this.usage.close();
    if (this.options.closeDatabase !== false) await this.db.close();
  }

  /** Runs `fn` in one read-only REPEATABLE READ transaction: its statements see one snapshot. */
  private snapshot<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
    return this.db.tx(fn, 'ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }
}

/** The current row of a key with its segments (one statement: one snapshot). */
async function currentObject(c: Queryable, bucket: string, key: string): Promise<ObjectRecord | undefined> {
  const { rows } = await c.query<ObjectRowWithSegments>(`SELECT ${OBJECT_SELECT} FROM objects o WHERE bucket = $1 AND key = $2`, [bucket, key]);
  return rows[0] ? recordFromRow(rows[0]) : undefined;
}

/**
 * Current rows of keys > after (or >= from when set), bytewise: a range scan of the
 * primary key; the prefix is matched by the caller, not with LIKE, so any character in
 * it stays a plain range.
 */
async function objectPage(c: Queryable, bucket: string, after: string, from: string | undefined, limit: number): Promise<ObjectRow[]> {
  const bound = lowerBound(from ?? after, from !== undefined);
  const { rows } = await c.query<ObjectRow>(`SELECT * FROM objects WHERE bucket = $1 AND key ${bound.op} $2 ORDER BY key LIMIT $3`, [bucket, bound.value, limit]);
  return rows;
}
