/**
 * Start-up recovery, run before the server accepts requests. After a crash (kill -9 at
 * any instant) the store may hold: bytes appended beyond an appendable object's
 * committed length, blobs written but never committed, blobs whose rows were replaced
 * but not yet removed, and staging leftovers. None of them is visible to clients; this
 * reclaims their space.
 */
import type { BlobStore, MetadataStore } from '../drivers/types.js';

export interface RecoveryReport {
  trimmedAppendables: number;
  trimmedBytes: number;
  removedOrphans: number;
}

export async function recover(meta: MetadataStore, blobs: BlobStore): Promise<RecoveryReport> {
  const report: RecoveryReport = { trimmedAppendables: 0, trimmedBytes: 0, removedOrphans: 0 };
  await blobs.clearStaging();
  for await (const { blob, size } of meta.appendableBlobs()) {
    const onDisk = await blobs.size(blob);
    if (onDisk !== undefined && onDisk > size) {
      await blobs.truncate(blob, size);
      report.trimmedAppendables++;
      report.trimmedBytes += onDisk - size;
    }
  }
  for await (const blob of blobs.list()) {
    if (!(await meta.isBlobReferenced(blob))) {
      await blobs.remove(blob);
      report.removedOrphans++;
    }
  }
  return report;
}
