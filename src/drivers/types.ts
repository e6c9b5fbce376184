/**
 * Driver interfaces. Drivers hold no OSS rules: they offer a conditional update, a
 * list after a marker, bytes in and bytes out (design.md "three layers"). Everything
 * OSS-specific lives in src/engine.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BucketRecord, ObjectRecord } from '../engine/model.js';
import type { MultipartMetadata } from './multipart-types.js';

export type CasResult =
  | {
      ok: true;
      previous: ObjectRecord | undefined;
      /** Noncurrent versions the swap removed (HistoryChange.remove), for their blobs to be collected. */
      removed?: ObjectRecord[];
    }
  | { ok: false; current: ObjectRecord | undefined };

/**
 * Changes to a key's noncurrent versions, made in the same transaction as a
 * compare-and-swap of its current row (versioning, src/engine/versioning.ts).
 */
export interface HistoryChange {
  /** Keep the row being replaced (if any) as the newest noncurrent version, instead of dropping it. */
  archive?: boolean;
  /** Noncurrent versions to remove, by version id ('null' for the null version). Each must exist, or the swap fails. */
  remove?: string[];
  /** Rows (delete markers) to add as the newest noncurrent versions, after an archived one. */
  add?: ObjectRecord[];
  /** Noncurrent versions whose ACL and tags change in place (matched by version id). Applied first; used alone. Each must exist, or the swap fails. */
  update?: ObjectRecord[];
}

/** `next` of a swap that checks the revision and changes only the noncurrent versions. */
export const KEEP_CURRENT = 'keep';

/** One version in listing order: within a key, higher rank first; the current row ranks highest. */
export interface VersionEntry {
  record: ObjectRecord;
  rank: number;
  /** Set by listVersions: the newest version of its key (the current row, or a delete marker). */
  latest?: boolean;
}

export interface VersionPage {
  prefix: string;
  /** Exclusive: versions after this key and rank (a version-id marker); then every later key. */
  after?: { key: string; rank: number };
  /** Exclusive lower bound on keys (bytewise), when `after` is not set. */
  afterKey: string;
  /** Inclusive lower bound on keys, used instead of afterKey/after when set (skipping a common prefix). */
  from?: string;
  limit: number;
}

export interface ListPage {
  prefix: string;
  /** Exclusive lower bound (bytewise). */
  after: string;
  /** Inclusive lower bound, used instead of `after` when set (skipping a common prefix). */
  from?: string;
  limit: number;
}

export interface JournalEntry {
  blob: string;
  offset: number;
  data: Buffer;
}

/** Bytes committed in the same transaction as a compare-and-set. */
export type CommittedBytes =
  /** An append's bytes, journaled until its blob file is synced (journal-store.ts). */
  | ({ kind: 'journal' } & JournalEntry)
  /** The whole content of a small object, kept in the metadata store itself (inline-store.ts). */
  | { kind: 'inline'; blob: string; data: Buffer };

/**
 * Blob ids of inline blobs: the bytes of small objects, stored by the metadata store in
 * the transaction that commits the object (no file, one fsync). Their rows are dropped in
 * the transaction that removes the last reference, so they are never collected or swept.
 */
const INLINE_PREFIX = 'inline-';

/**
 * Time-ordered: 12 hex digits of milliseconds, then 20 random. Indexes on blob ids
 * (inline_blobs' own, objects_blob) then take new ids at their right end, where one
 * group commit's puts share a few pages, instead of one random page each. (File blobs
 * keep fully random ids: their first two digits name their folder.)
 */
export function newInlineBlobId(): string {
  return INLINE_PREFIX + Date.now().toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
}

export function isInlineBlob(blob: string | null | undefined): blob is string {
  return blob?.startsWith(INLINE_PREFIX) === true;
}

/** Reads inline blobs (their rows are written and dropped inside compare-and-set). */
export interface InlineBlobs {
  /** The bytes, or undefined when the blob is gone (its object was replaced meanwhile). */
  read(blob: string): Promise<Buffer | undefined>;
  /** Every inline blob id (consistency checks and tests). */
  list(): AsyncIterable<string>;
}

/** Small appends' bytes kept with the metadata until their blob is fdatasynced. */
export interface JournalStore {
  blobs(): Promise<string[]>;
  entries(blob: string): Promise<Array<{ offset: number; data: Buffer }>>;
  /** Deletes each blob's rows below `end` (those bytes are durable in the blob now). */
  clear(done: Array<{ blob: string; end: number }>): Promise<void>;
}

/** The registry row that stands for every blob (a store from before the registry: recovery sweeps it all once). */
export const EVERY_BLOB = '*';

/**
 * Blobs whose file may not match the metadata after a crash (sqlite/unsettled-store.ts):
 * work in flight on them, recorded before it starts, and file blobs a commit left
 * unreferenced, recorded by that commit. Recovery visits only these.
 */
export interface UnsettledStore {
  /** Records work in flight on `blob` under `seq` (> 0); resolves once durable. A row of seq 0 (a dereferenced blob) keeps seq 0. */
  add(blob: string, seq: number): Promise<void>;
  /** Deletes rows: the one of `seq`, or (seq 0) whatever row the blob has. */
  clear(entries: ReadonlyArray<{ blob: string; seq: number }>): Promise<void>;
  /** Every recorded blob (recovery), possibly EVERY_BLOB. */
  list(): Promise<string[]>;
  /**
   * A registry shared by the nodes of a cluster: the rows of nodes that died, for the live
   * ones to settle (engine/dead-nodes.ts). Absent: one node, whose own start settles its rows.
   */
  readonly foreign?: ForeignUnsettled;
}

/** The unsettled rows of the nodes of a cluster that died (a PostgreSQL registry: postgres/dead-nodes.ts). */
export interface ForeignUnsettled {
  /** How often to look for dead nodes (the node lease's TTL). */
  readonly intervalMs: number;
  /** Nodes other than this one that left rows and whose liveness lapsed. */
  deadNodes(): Promise<string[]>;
  /**
   * Takes over a dead node's rows, unless it is alive after all or another node is at it
   * (undefined). Once this resolves, nothing that node's process does can commit a blob
   * it held (it is fenced out), so its held blobs are settled like this node's own at start.
   */
  claim(node: string): Promise<ClaimedRows | undefined>;
}

/** A dead node's rows, claimed by this node (ForeignUnsettled.claim). */
export interface ClaimedRows {
  node: string;
  /** Work in flight when it died: now this node's rows, until settleHeld(). */
  held: Array<{ blob: string; seq: number }>;
  /** Blobs its commits dereferenced (seq 0), with when (ms since the epoch): removed only after the GC grace. */
  dereferenced: Array<{ blob: string; recordedMs: number }>;
  /**
   * The held blobs are settled: the rows of those kept (referenced) are deleted; those of
   * the removed ones become dereferenced rows of the dead node, recorded now, so that the
   * blob is removed once more after the GC grace period (an upload of a stalled process
   * may still land after the removal).
   */
  settleHeld(removed: readonly string[]): Promise<void>;
  /** Deletes settled rows of `dereferenced` (those still the dead node's). */
  clearDereferenced(blobs: readonly string[]): Promise<void>;
  /** The work is over: another node may claim what is left later. */
  done(): Promise<void>;
}

/**
 * A metadata write rejected with an error marked `outcomeUnknown` (the WAL fsync failed
 * after its COMMIT) may still be on disk: the caller must not remove the blobs it refers
 * to. Recovery at the next start keeps them if the row is there, sweeps them if not.
 */
export function outcomeUnknown(e: unknown): boolean {
  return (e as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown === true;
}

/**
 * An append made with an Idempotency-Key (engine/idempotency.ts), kept so that a retry of
 * it can be answered as the original was. Stored by the compare-and-swap that commits
 * the append itself (AppendKeyChange), so after a crash both are there or neither.
 */
export interface AppendKeyRecord {
  /** The Idempotency-Key header, verbatim. */
  token: string;
  position: number;
  /** Bytes the append added. */
  length: number;
  /** CRC-64 of the object before the append (unsigned decimal): the body's fingerprint chains from it. */
  crcBefore: string;
  /** CRC-64 of the object after the append. */
  crcAfter: string;
  /** The object's blob after the append (null: an empty object that has none); a segmented one's first segment (model.ts appendableIdentity). */
  blob: string | null;
  createdMs: number;
}

/** Changes to a key's append records, made in the same transaction as a compare-and-swap of its row. */
export interface AppendKeyChange {
  /** Stored (replacing a record of the same token for this key), only if the swap succeeds. */
  record?: AppendKeyRecord;
  /** With `record`: then only the key's `keep` newest records (by the order they were stored) stay. */
  keep?: number;
  /** Drops the key's records whose append ends past this length (`position + length > dropBeyond`; -1: all). */
  dropBeyond?: number;
  /** Also drops a few records, of any key, stored before this time (old records go a few at a time). */
  expireBefore?: number;
}

/** Reads append records (they are written inside compare-and-swap). */
export interface AppendKeyStore {
  find(bucket: string, key: string, token: string): Promise<AppendKeyRecord | undefined>;
}

/** The part of an object row that AppendObject's position check reads (a sealed object takes no appends). */
export type ObjectState = Pick<ObjectRecord, 'type' | 'size' | 'revision' | 'sealedMs'>;

export interface MetadataStore {
  getBucket(name: string): Promise<BucketRecord | undefined>;
  /** Inserts unless the name exists; false when it does. */
  insertBucket(bucket: BucketRecord): Promise<boolean>;
  updateBucket(bucket: BucketRecord): Promise<boolean>;
  /** Deletes the bucket only if it holds no objects, no noncurrent versions and no multipart uploads. */
  deleteBucketIfEmpty(name: string): Promise<'deleted' | 'missing' | 'not-empty'>;
  listBuckets(prefix: string, after: string, limit: number): Promise<BucketRecord[]>;

  getObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /** Just the type, length, revision and seal time of the current row: a cheap read for checks that need no more. */
  objectState(bucket: string, key: string): Promise<ObjectState | undefined>;
  /**
   * The one write primitive for objects: replace the row for (bucket, key) with `next`
   * (or delete it when `next` is null) only if its current revision is `expectedRevision`
   * (null = the row must be absent). Durable when the promise resolves.
   */
  compareAndSwap(
    bucket: string,
    key: string,
    expectedRevision: number | null,
    next: ObjectRecord | null | typeof KEEP_CURRENT,
    /** Bytes to store in the same transaction: an append's journal entry, or a small object's inline content. */
    bytes?: CommittedBytes,
    /** Noncurrent versions changed in the same transaction. */
    history?: HistoryChange,
    /** Append records (Idempotency-Key) changed in the same transaction, if the swap succeeds. */
    appendKeys?: AppendKeyChange,
  ): Promise<CasResult>;
  /** A key's noncurrent versions (delete markers included), newest first. */
  history(bucket: string, key: string): Promise<ObjectRecord[]>;
  /** One version of a key, current or not; versionId 'null' is the null version. */
  getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | undefined>;
  /** Current and noncurrent versions in (key ascending, rank descending) order, keys starting with the prefix. */
  listVersions(bucket: string, page: VersionPage): Promise<VersionEntry[]>;
  readonly journal: JournalStore;
  readonly inline: InlineBlobs;
  /** Appends made with an Idempotency-Key (engine/idempotency.ts). */
  readonly appendKeys: AppendKeyStore;
  /** Objects whose key starts with prefix and is > after, in bytewise key order. */
  listObjects(bucket: string, page: ListPage): Promise<ObjectRecord[]>;

  /** Upload and part rows of multipart uploads (multipart.md). */
  readonly multipart: MultipartMetadata;

  /** For recovery and garbage collection: also true for part blobs and multipart segments. */
  isBlobReferenced(blob: string): Promise<boolean>;
  /** The current object row whose blob this is, if any (recovery of an appendable object's blob). */
  objectOfBlob(blob: string): Promise<ObjectRecord | undefined>;
  /** Every appendable object: the full sweep only (a store from before the unsettled registry). */
  appendableObjects(): AsyncIterable<ObjectRecord>;
  /** The unsettled blobs registry; its rows for dereferenced blobs are written by the commits themselves. */
  readonly unsettled: UnsettledStore;
  /**
   * Every bucket's usage, from counters the store keeps up to date with each commit:
   * costs one row per bucket, never a scan of the objects (metrics read it per scrape).
   * Unlike usage(), noncurrentVersions counts no delete markers.
   */
  bucketUsage(): BucketUsage[];
  /**
   * A revision (compare-and-set token) no other write, on any node, has used or will use;
   * synchronous, so it costs no round trip on the hot path (the SQLite store: the clock
   * based src/engine/revision.ts; PostgreSQL: blocks drawn ahead, postgres/revisions.ts).
   */
  newRevision(): number;
  /** Set once the store refuses every write until a restart (a failed WAL fsync): readiness reports it. */
  writeFailure(): Error | undefined;
  /**
   * Writes a consistent copy of the metadata (everything committed when it starts, and
   * whatever it refers to that only the metadata store holds) into the folder `dir`
   * (`ossd backup`, src/engine/backup.ts).
   */
  snapshotTo(dir: string): Promise<void>;
  close(): Promise<void>;
}

/** What a node asked of a networked metadata store so far (PostgreSQL: drivers/postgres/db.ts), for the metrics. */
export interface MetadataQueryCounts {
  /** Transactions: multi-statement ones (each attempt) and single statements. */
  transactions: number;
  /** Statements sent, BEGIN and COMMIT included: network round trips. */
  roundTrips: number;
}

export interface BucketUsage {
  bucket: string;
  objects: number;
  bytes: number;
  /** Noncurrent versions and delete markers. */
  noncurrentVersions: number;
  noncurrentBytes: number;
}

export interface BlobWriter {
  /**
   * Writes the chunks, one after another, from the absolute offset `position` (one writev:
   * no copy to join them). Once it resolves, the writer holds no reference to them: the
   * caller may reuse or free their memory (ingest.ts, free-now.ts), unless `keepsChunks`.
   */
  write(chunks: readonly Buffer[], position: number): Promise<void>;
  /** Set by a writer that keeps the chunks it was given (in memory, for inline bodies): they must stay as they are. */
  readonly keepsChunks?: boolean;
  /** Makes everything written so far durable (fdatasync, plus the directory for new blobs). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface BlobReader {
  /** Bytes [start, end) as a stream; end is exclusive. */
  stream(start: number, end: number): Readable;
  /** Bytes [start, end) in one buffer, for small reads. */
  read(start: number, end: number): Promise<Buffer>;
  /** Up to buf.length bytes at `position` into `buf` (the caller's buffer, reused); how many were read. */
  readAt?(buf: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface BlobStore {
  /**
   * Whether a blob can change after it is written: appended to in place (openWriter of an
   * existing blob), cut back (truncate), written into (writeAt). True for local files. An
   * immutable store (an S3 bucket) only creates whole blobs, reads and removes them: the
   * engine then keeps an appendable object as a list of segments, one new blob per append
   * (docs/storage.md "Scale-out design"), and removes dereferenced blobs only after a
   * grace period. The engine asks for this capability, never for the driver's name.
   */
  readonly mutable: boolean;
  newBlobId(): string;
  /** create: a new blob (must not exist); otherwise opens an existing blob for appending (mutable stores only). */
  openWriter(blob: string, create: boolean): Promise<BlobWriter>;
  /** Throws an error with code 'ENOENT' when the blob is gone. */
  openReader(blob: string): Promise<BlobReader>;
  /** fdatasync an existing blob (and its directory entry); false when it is gone. */
  syncBlob(blob: string): Promise<boolean>;
  /** Writes bytes at an offset, creating the blob if needed, durably (journal replay). */
  writeAt(blob: string, offset: number, data: Buffer): Promise<void>;
  /** Removes a blob's file; the removal may be lost with a power cut until syncRemovals() covered it. */
  remove(blob: string): Promise<void>;
  /**
   * Makes the earlier removals of these blobs durable (a file system: fsyncs of their
   * folders, one per folder however many blobs). A record of a removed blob (its unsettled
   * row) may be deleted only after this: else a power cut brings back a file nothing lists.
   */
  syncRemovals(blobs: Iterable<string>): Promise<void>;
  size(blob: string): Promise<number | undefined>;
  truncate(blob: string, length: number): Promise<void>;
  /** Every blob id present, for the full sweep of a store from before the unsettled registry. */
  list(): AsyncIterable<string>;
  /** Removes leftovers of interrupted writes (staging files). */
  clearStaging(): Promise<void>;
  /** Until the returned function is called, removals wait (a backup is copying the blobs a snapshot refers to). */
  holdRemovals(): () => void;
  /** Copies every blob into the folder `dir` (with `link`, hard links where the file system allows): a backup's blobs. */
  exportTo(dir: string, link: boolean): Promise<{ linked: number; copied: number }>;
}
