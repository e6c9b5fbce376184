/**
 * `ossd backup`: a consistent copy of the store, taken while writes go on. Removals of
 * blob files wait from before the metadata snapshot until every blob is in the backup, so
 * each blob the snapshot refers to is still there to link or copy; appends write only
 * beyond committed lengths, so a blob's bytes up to the snapshot's length are final.
 * Blobs written after the snapshot come along as orphans, and appendable blobs may carry
 * bytes beyond the snapshot's length: `ossd restore` marks the copy for a full sweep,
 * which removes and trims both at its first start (recovery.ts). Driver-neutral: the
 * drivers say how to snapshot metadata and export blobs.
 */
import type { Engine } from './engine.js';

export interface BackupReport {
  linked: number;
  copied: number;
  ms: number;
}

/** `link`: hard-link blob files instead of copying them (fast, but the backup then shares the live files' bytes). */
export async function backupStore(engine: Engine, dir: string, link = false): Promise<BackupReport> {
  const t0 = Date.now();
  const release = engine.blobs.holdRemovals();
  try {
    await engine.meta.snapshotTo(dir);
    const { linked, copied } = await engine.blobs.exportTo(dir, link);
    return { linked, copied, ms: Date.now() - t0 };
  } finally {
    release();
  }
}
