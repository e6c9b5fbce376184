/**
 * Start-up recovery, run before the server accepts requests. After a crash (kill -9 or
 * power loss at any instant) the store may hold, on the blobs that work was in flight on:
 * - bytes appended beyond an appendable object's committed length (never committed);
 * - an appendable object whose LAST append was committed while its data was still being
 *   made durable (the two run in parallel, objects.md write order, docs/storage.md):
 *   that append was never acknowledged, and its bytes may be missing or zeros. Its CRC
 *   is checked against the bytes on disk; on mismatch the object goes back to its state
 *   before that append (`appendBase`);
 * - blobs written but never committed, or replaced but not yet removed;
 * - staging leftovers.
 * None of it is visible to clients; this restores and reclaims.
 *
 * Only blobs that may be affected are visited: those of the unsettled registry (work in
 * flight recorded before it started, and blobs commits left unreferenced; unsettled.ts)
 * and those with journal rows. After a clean stop both are empty, so start-up does no
 * work that grows with the store; after a crash it grows with the work in flight. A store
 * from before the registry is swept whole once (`sweepStore`).
 */
import { type BlobStore, EVERY_BLOB, type MetadataStore } from '../drivers/types.js';
import { appendableEtag } from './attributes.js';
import { Crc64, crc64ToDecimal } from './crc64.js';
import { isDiskFull } from './errors.js';
import type { ObjectRecord } from './model.js';
import type { StagedBytes } from './journal-flusher.js';
import { withStaged } from './staged-read.js';
import { forgetRolledBack } from './idempotency.js';

export interface RecoveryReport {
  trimmedAppendables: number;
  trimmedBytes: number;
  /** Unacknowledged last appends whose data had not reached the disk. */
  rolledBackAppends: number;
  /** Journaled small appends written back into their blobs. */
  replayedAppends: number;
  removedOrphans: number;
  /** Blobs looked at (the unsettled ones and those with journal rows); in a full sweep, every appendable object and blob file. */
  visitedBlobs: number;
  /** Whether the whole store was swept (a data folder from before the unsettled registry). */
  fullSweep: boolean;
  /** Journaled appends a full disk kept out of their blob files: the journal flusher takes them over (journal-flusher.ts). */
  unwritten?: Map<string, StagedBytes[]>;
}

/** Whether the bytes [base.size, size) on disk (and in journal rows not yet written back) chain the base CRC to the committed CRC. */
async function lastAppendIntact(blobs: BlobStore, rec: ObjectRecord, onDisk: number | undefined, unwritten: readonly StagedBytes[]): Promise<boolean> {
  const base = rec.appendBase;
  if (!base || rec.blob === null) return true;
  const end = unwritten.reduce((max, e) => Math.max(max, e.offset + e.data.length), onDisk ?? -1);
  if (onDisk === undefined || end < rec.size) return false;
  const reader = withStaged(await blobs.openReader(rec.blob), unwritten);
  try {
    const crc = new Crc64(BigInt(base.crc));
    for await (const chunk of reader.stream(Math.max(base.size, 0), rec.size)) crc.update(chunk as Buffer);
    return crc64ToDecimal(crc.digest()) === rec.crc;
  } finally {
    await reader.close();
  }
}

interface Replay {
  replayed: number;
  done: Array<{ blob: string; end: number }>;
  /** Rows a full disk kept out of their blob: they stay journaled, and are served from memory until written. */
  unwritten: Map<string, StagedBytes[]>;
}

/**
 * Journaled appends (small bodies committed with their metadata, journal-store.ts) whose
 * blob may not have been synced: write them back into the blobs of objects that still
 * reference them, make those durable, then drop the journal rows. On a full disk a
 * blob's rows may not fit back into its file (small appends reach files only with the
 * background flush): they are kept, for the journal flusher to write once space is free.
 */
async function replayJournal(meta: MetadataStore, blobs: BlobStore): Promise<Replay> {
  const replay: Replay = { replayed: 0, done: [], unwritten: new Map() };
  for (const blob of await meta.journal.blobs()) {
    if (await meta.isBlobReferenced(blob)) {
      const entries = await meta.journal.entries(blob);
      try {
        for (const e of entries) {
          await blobs.writeAt(blob, e.offset, e.data);
          replay.replayed++;
        }
      } catch (e) {
        if (!isDiskFull(e)) throw e;
        replay.unwritten.set(blob, entries.map((r) => ({ offset: r.offset, data: r.data, committed: true })));
        continue;
      }
    }
    replay.done.push({ blob, end: Number.MAX_SAFE_INTEGER });
  }
  return replay;
}

/**
 * Drops replayed journal rows: a metadata write, so done last, after removing the
 * unreferenced blobs freed what it could. On a full disk the rows stay: replaying them again at the next
 * start writes the same committed bytes (committed bytes of a blob never change), and
 * ossd starts instead of refusing to (test/faults/full-disk.test.ts).
 */
async function clearJournal(meta: MetadataStore, done: Array<{ blob: string; end: number }>): Promise<void> {
  if (done.length === 0) return;
  try {
    await meta.journal.clear(done);
  } catch (e) {
    if (!isDiskFull(e)) throw e;
  }
}

function rolledBack(rec: ObjectRecord, revision: number): ObjectRecord | null {
  const base = rec.appendBase!;
  if (base.size < 0) return null;
  return { ...rec, size: base.size, crc: base.crc, etag: appendableEtag(BigInt(base.crc), base.size), appendBase: undefined, revision };
}

/**
 * An appendable object's blob: its last append rolled back if its bytes are not what its
 * CRC says (the row is deleted when that append created the object), bytes beyond the
 * committed length cut off.
 */
async function settleAppendable(meta: MetadataStore, blobs: BlobStore, rec: ObjectRecord, journal: Replay, report: RecoveryReport): Promise<void> {
  const blob = rec.blob!;
  const onDisk = await blobs.size(blob);
  if (!(await lastAppendIntact(blobs, rec, onDisk, journal.unwritten.get(blob) ?? []))) {
    const previous = rolledBack(rec, meta.newRevision());
    // The rolled-back append's Idempotency-Key record goes in the same swap (idempotency.ts).
    await meta.compareAndSwap(rec.bucket, rec.key, rec.revision, previous, undefined, undefined, forgetRolledBack(previous));
    report.rolledBackAppends++;
    if (!previous) return; // the blob is unreferenced now: removed by the caller
    rec = previous;
  }
  if (onDisk !== undefined && onDisk > rec.size) {
    await blobs.truncate(blob, rec.size);
    report.trimmedAppendables++;
    report.trimmedBytes += onDisk - rec.size;
  }
}

/** One blob that work was in flight on: an appendable object's blob is settled, an unreferenced one removed (added to `removed`). */
async function settleBlob(meta: MetadataStore, blobs: BlobStore, blob: string, journal: Replay, report: RecoveryReport, removed: string[]): Promise<void> {
  report.visitedBlobs++;
  const rec = await meta.objectOfBlob(blob);
  // (On an immutable store an appendable object is segments, each written whole before its
  // commit: nothing to check or trim; an unreferenced staged segment is removed below.)
  if (rec?.type === 'Appendable' && rec.blob !== null && blobs.mutable) await settleAppendable(meta, blobs, rec, journal, report);
  if (await meta.isBlobReferenced(blob)) return;
  if ((await blobs.size(blob)) === undefined) return;
  await blobs.remove(blob);
  removed.push(blob);
  report.removedOrphans++;
}

/**
 * The whole store: every appendable object and every blob file. Only for a data folder
 * whose registry says every blob is unsettled (made before the registry existed); also
 * what an offline consistency check does.
 */
export async function sweepStore(meta: MetadataStore, blobs: BlobStore, journal: Replay, report: RecoveryReport, removed: string[]): Promise<void> {
  report.fullSweep = true;
  for await (const rec of meta.appendableObjects()) {
    if (rec.blob === null || !blobs.mutable) continue;
    report.visitedBlobs++;
    await settleAppendable(meta, blobs, rec, journal, report);
  }
  for await (const blob of blobs.list()) {
    report.visitedBlobs++;
    if (!(await meta.isBlobReferenced(blob))) {
      await blobs.remove(blob);
      removed.push(blob);
      report.removedOrphans++;
    }
  }
}

export async function recover(meta: MetadataStore, blobs: BlobStore): Promise<RecoveryReport> {
  const report = emptyReport();
  await blobs.clearStaging();
  const journal = await replayJournal(meta, blobs);
  report.replayedAppends = journal.replayed;
  const unsettled = await meta.unsettled.list();
  const removed: string[] = [];
  if (unsettled.includes(EVERY_BLOB)) await sweepStore(meta, blobs, journal, report, removed);
  else {
    const visit = new Set([...unsettled, ...journal.done.map((d) => d.blob), ...journal.unwritten.keys()]);
    for (const blob of visit) await settleBlob(meta, blobs, blob, journal, report, removed);
  }
  // Journal and registry rows go only once the removals are durable: else a power cut now
  // would bring back files that nothing names (unsettled.ts).
  if (await removalsDurable(blobs, removed)) {
    await clearJournal(meta, journal.done);
    // Nothing is in flight at start: every row is settled now, whatever its seq.
    await clearRows(meta, unsettled);
  }
  report.unwritten = journal.unwritten;
  return report;
}

/** A report of nothing done yet (a start's recovery, or the settling of a dead node's blobs). */
function emptyReport(): RecoveryReport {
  return { trimmedAppendables: 0, trimmedBytes: 0, rolledBackAppends: 0, replayedAppends: 0, removedOrphans: 0, visitedBlobs: 0, fullSweep: false };
}

/**
 * Settles blobs another node's work was in flight on, exactly as that node's own start
 * would (settleBlob, with no journal: the journal is of a mutable store's local files,
 * whose blobs no other node can reach): an unreferenced blob is removed, a referenced one
 * kept. The collection of dead nodes' rows (dead-nodes.ts) runs it; resolves once the
 * removals are durable, so the caller may delete the rows.
 */
export async function settleForeignBlobs(meta: MetadataStore, blobs: BlobStore, list: readonly string[]): Promise<RecoveryReport & { removed: string[] }> {
  const report = emptyReport();
  const noJournal: Replay = { replayed: 0, done: [], unwritten: new Map() };
  const removed: string[] = [];
  for (const blob of new Set(list)) await settleBlob(meta, blobs, blob, noJournal, report, removed);
  await blobs.syncRemovals(removed);
  return { ...report, removed };
}

/** Makes recovery's removals durable; false on a full disk (the rows then stay, and the next start visits them again). */
async function removalsDurable(blobs: BlobStore, removed: string[]): Promise<boolean> {
  try {
    await blobs.syncRemovals(removed);
    return true;
  } catch (e) {
    if (!isDiskFull(e)) throw e;
    return false;
  }
}

/** Deletes the registry rows recovery settled; on a full disk they stay, and the next start visits them again (idempotent). */
async function clearRows(meta: MetadataStore, rows: string[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await meta.unsettled.clear(rows.map((blob) => ({ blob, seq: 0 })));
  } catch (e) {
    if (!isDiskFull(e)) throw e;
  }
}
