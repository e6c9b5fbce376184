/**
 * Driver interfaces. Drivers hold no OSS rules: they offer a conditional update, a
 * list after a marker, bytes in and bytes out (design.md "three layers"). Everything
 * OSS-specific lives in src/engine.
 */
import type { Readable } from 'node:stream';
import type { BucketRecord, ObjectRecord } from '../engine/model.js';
import type { MultipartMetadata } from './multipart-types.js';

export type CasResult =
  | { ok: true; previous: ObjectRecord | undefined }
  | { ok: false; current: ObjectRecord | undefined };

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

/** Small appends' bytes kept with the metadata until their blob is fdatasynced. */
export interface JournalStore {
  blobs(): Promise<string[]>;
  entries(blob: string): Promise<Array<{ offset: number; data: Buffer }>>;
  /** Deletes each blob's rows below `end` (those bytes are durable in the blob now). */
  clear(done: Array<{ blob: string; end: number }>): Promise<void>;
}

/**
 * A metadata write rejected with an error marked `outcomeUnknown` (the WAL fsync failed
 * after its COMMIT) may still be on disk: the caller must not remove the blobs it refers
 * to. Recovery at the next start keeps them if the row is there, sweeps them if not.
 */
export function outcomeUnknown(e: unknown): boolean {
  return (e as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown === true;
}

export interface MetadataStore {
  getBucket(name: string): Promise<BucketRecord | undefined>;
  /** Inserts unless the name exists; false when it does. */
  insertBucket(bucket: BucketRecord): Promise<boolean>;
  updateBucket(bucket: BucketRecord): Promise<boolean>;
  /** Deletes the bucket only if it holds no objects and no multipart uploads. */
  deleteBucketIfEmpty(name: string): Promise<'deleted' | 'missing' | 'not-empty'>;
  listBuckets(prefix: string, after: string, limit: number): Promise<BucketRecord[]>;

  getObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * The one write primitive for objects: replace the row for (bucket, key) with `next`
   * (or delete it when `next` is null) only if its current revision is `expectedRevision`
   * (null = the row must be absent). Durable when the promise resolves.
   */
  compareAndSwap(
    bucket: string,
    key: string,
    expectedRevision: number | null,
    next: ObjectRecord | null,
    /** Appended bytes to journal in the same transaction (journal-store.ts). */
    journal?: JournalEntry,
  ): Promise<CasResult>;
  readonly journal: JournalStore;
  /** Objects whose key starts with prefix and is > after, in bytewise key order. */
  listObjects(bucket: string, page: ListPage): Promise<ObjectRecord[]>;

  /** Upload and part rows of multipart uploads (multipart.md). */
  readonly multipart: MultipartMetadata;

  /** For recovery and garbage collection: also true for part blobs and multipart segments. */
  isBlobReferenced(blob: string): Promise<boolean>;
  appendableObjects(): AsyncIterable<ObjectRecord>;
  close(): Promise<void>;
}

export interface BlobWriter {
  /** Writes buf at the absolute offset `position`. */
  write(buf: Uint8Array, position: number): Promise<void>;
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
  close(): Promise<void>;
}

export interface BlobStore {
  newBlobId(): string;
  /** create: a new blob (must not exist); otherwise opens an existing blob for appending. */
  openWriter(blob: string, create: boolean): Promise<BlobWriter>;
  /** Throws an error with code 'ENOENT' when the blob is gone. */
  openReader(blob: string): Promise<BlobReader>;
  /** fdatasync an existing blob (and its directory entry); false when it is gone. */
  syncBlob(blob: string): Promise<boolean>;
  /** Writes bytes at an offset, creating the blob if needed, durably (journal replay). */
  writeAt(blob: string, offset: number, data: Buffer): Promise<void>;
  remove(blob: string): Promise<void>;
  size(blob: string): Promise<number | undefined>;
  truncate(blob: string, length: number): Promise<void>;
  /** Every blob id present, for the orphan sweep. */
  list(): AsyncIterable<string>;
  /** Removes leftovers of interrupted writes (staging files). */
  clearStaging(): Promise<void>;
}
