/** The engine: OSS semantics over a metadata store and a blob store. Knows nothing of HTTP. */
import type { BlobStore, BucketUsage, MetadataStore } from '../drivers/types.js';
import { BucketService } from './buckets.js';
import { type ListQuery, type ListResult, listObjects } from './listing.js';
import { MultipartService } from './multipart.js';
import { JournalFlusher } from './journal-flusher.js';
import { FollowService } from './follow.js';
import { LocalObjectChanges, type ObjectChanges } from './object-changes.js';
import { ObjectService } from './objects.js';
import { recover, type RecoveryReport } from './recovery.js';
import { SymlinkService } from './symlinks.js';
import { UnsettledBlobs } from './unsettled.js';
import { type CompactionLeases, Compactor } from './compaction.js';
import { DeadNodeCollector } from './dead-nodes.js';
import { DEFAULT_GC_GRACE_MS } from './deferred-removals.js';
import { listVersions, type VersionListQuery, type VersionListResult } from './version-listing.js';

/** Tuning of the engine on an immutable blob store (tests shorten them). */
export interface EngineOptions {
  /** How long a dereferenced blob of an immutable store stays (deferred-removals.ts; default 15 min). */
  gcGraceMs?: number;
  /** Compact an appendable object once it has more segments than this (compaction.ts; default 16). */
  compactAbove?: number;
  /** Who may compact which object (compaction.ts; default: leases within this process). */
  leases?: CompactionLeases;
}

/** How long a clean stop waits for cut requests to roll back their blobs (what is left, recovery visits). */
const CLOSE_WAIT_MS = 5000;

export class Engine {
  readonly buckets: BucketService;
  readonly objects: ObjectService;
  readonly multipart: MultipartService;
  readonly symlinks: SymlinkService;
  /** Follow reads of appendable objects (follow.ts). */
  readonly follow: FollowService;
  private readonly flusher: JournalFlusher;
  /** Work in flight on blob files, recorded for recovery (unsettled.ts). */
  readonly unsettled: UnsettledBlobs;
  /** Merges the segments of appendable objects on an immutable blob store (compaction.ts). */
  readonly compactor: Compactor | undefined;
  /** Settles the unsettled rows of a cluster's dead nodes (dead-nodes.ts; does nothing on one node). */
  readonly deadNodes: DeadNodeCollector;

  constructor(
    readonly meta: MetadataStore,
    readonly blobs: BlobStore,
    onBackgroundError: (e: unknown) => void,
    /** Wakes follow reads after commits: in this process by default (object-changes.ts: PostgreSQL LISTEN/NOTIFY later). */
    readonly changes: ObjectChanges = new LocalObjectChanges(),
    options: EngineOptions = {},
  ) {
    this.buckets = new BucketService(meta);
    this.flusher = new JournalFlusher(meta, blobs, onBackgroundError);
    this.unsettled = new UnsettledBlobs(meta.unsettled, blobs, onBackgroundError);
    this.objects = new ObjectService(meta, blobs, this.buckets, onBackgroundError, this.flusher, this.unsettled, changes, {
      gcGraceMs: options.gcGraceMs,
      onSegmentAppended: (rec) => this.compactor?.watch(rec),
    });
    this.compactor = blobs.mutable
      ? undefined
      : new Compactor(meta, blobs, this.unsettled, (gone) => this.objects.collectBlobs(gone), onBackgroundError, options.compactAbove, options.leases);
    this.multipart = new MultipartService(meta, blobs, this.buckets, this.objects, onBackgroundError, this.unsettled);
    this.symlinks = new SymlinkService(this.buckets, this.objects);
    this.follow = new FollowService(this.objects, meta, changes, onBackgroundError);
    this.deadNodes = new DeadNodeCollector(meta, blobs, options.gcGraceMs ?? DEFAULT_GC_GRACE_MS, onBackgroundError);
  }

  /** Settles this node's own work a crash left (recovery.ts), then starts collecting dead nodes' (dead-nodes.ts). */
  async recover(): Promise<RecoveryReport> {
    const report = await recover(this.meta, this.blobs);
    for (const [blob, rows] of report.unwritten ?? []) this.flusher.adopt(blob, rows);
    this.deadNodes.start();
    return report;
  }

  async list(bucket: string, q: ListQuery): Promise<ListResult> {
    await this.buckets.require(bucket);
    return listObjects(this.meta, bucket, q);
  }

  async listVersions(bucket: string, q: VersionListQuery): Promise<VersionListResult> {
    await this.buckets.require(bucket);
    return listVersions(this.meta, bucket, q);
  }

  /** Objects and bytes of every bucket, from counters kept on commit (no scan). */
  bucketUsage(): BucketUsage[] {
    return this.meta.bucketUsage();
  }

  /** Why the store takes no more writes until a restart, if it does not. */
  writeFailure(): Error | undefined {
    return this.meta.writeFailure();
  }

  /** Syncs journaled appends into their blobs now (also done in the background). */
  flushJournal(): Promise<void> {
    return this.flusher.drain();
  }

  /**
   * A clean stop: the work still in flight (requests the server just cut) gets a few
   * seconds to roll back, journaled appends go into their files, and the unsettled rows
   * of finished work are deleted, so the next start has nothing to recover.
   */
  async close(): Promise<void> {
    await this.deadNodes.close();
    await this.compactor?.close();
    // Blobs still in their grace period keep their unsettled rows: the next start removes them.
    this.objects.removals?.close();
    await this.unsettled.close(CLOSE_WAIT_MS);
    await this.flusher.drain();
    await this.unsettled.flush();
    await this.meta.close();
  }
}
