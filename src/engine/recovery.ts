/**
 * Start-up recovery, run before the server accepts requests. After a crash (kill -9 or
 * power loss at any instant) the store may hold:
 * - bytes appended beyond an appendable object's committed length (never committed);
 * - an appendable object whose LAST append was committed while its data was still being
 *   made durable (the two run in parallel, objects.md write order, docs/storage.md):
 *   that append was never acknowledged, and its bytes may be missing or zeros. Its CRC
 *   is checked against the bytes on disk; on mismatch the object goes back to its state
 *   before that append (`appendBase`);
 * - blobs written but never committed, or replaced but not yet removed;
 * - staging leftovers.
 * None of it is visible to clients; this restores and reclaims.
 */
import type { BlobStore, MetadataStore } from '../drivers/types.js';
import { appendableEtag } from './attributes.js';
import { Crc64, crc64ToDecimal } from './crc64.js';
import { isDiskFull } from './errors.js';
import type { ObjectRecord } from './model.js';
import type { StagedBytes } from './journal-flusher.js';
import { nextRevision } from './revision.js';
import { withStaged } from './staged-read.js';

export interface RecoveryReport {
  trimmedAppendables: number;
  trimmedBytes: number;
  /** Unacknowledged last appends whose data had not reached the disk. */
  rolledBackAppends: number;
  /** Journaled small appends written back into their blobs. */
  replayedAppends: number;
  removedOrphans: number;
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
 * Drops replayed journal rows: a metadata write, so done last, after the orphan sweep
 * freed what it could. On a full disk the rows stay: replaying them again at the next
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

function rolledBack(rec: ObjectRecord): ObjectRecord | null {
  const base = rec.appendBase!;
  if (base.size < 0) return null;
  return { ...rec, size: base.size, crc: base.crc, etag: appendableEtag(BigInt(base.crc), base.size), appendBase: undefined, revision: nextRevision() };
}

export async function recover(meta: MetadataStore, blobs: BlobStore): Promise<RecoveryReport> {
  const report: RecoveryReport = { trimmedAppendables: 0, trimmedBytes: 0, rolledBackAppends: 0, replayedAppends: 0, removedOrphans: 0 };
  await blobs.clearStaging();
  const journal = await replayJournal(meta, blobs);
  report.replayedAppends = journal.replayed;
  for await (let rec of meta.appendableObjects()) {
    if (rec.blob === null) continue;
    const onDisk = await blobs.size(rec.blob);
    if (!(await lastAppendIntact(blobs, rec, onDisk, journal.unwritten.get(rec.blob) ?? []))) {
      const previous = rolledBack(rec);
      await meta.compareAndSwap(rec.bucket, rec.key, rec.revision, previous);
      report.rolledBackAppends++;
      if (!previous) continue; // the orphan sweep below removes its blob
      rec = previous;
    }
    if (onDisk !== undefined && onDisk > rec.size) {
      await blobs.truncate(rec.blob!, rec.size);
      report.trimmedAppendables++;
      report.trimmedBytes += onDisk - rec.size;
    }
  }
  for await (const blob of blobs.list()) {
    if (!(await meta.isBlobReferenced(blob))) {
      await blobs.remove(blob);
      report.removedOrphans++;
    }
  }
  await clearJournal(meta, journal.done);
  report.unwritten = journal.unwritten;
  return report;
}
