/**
 * The blob store a configuration names (`--blobs`, config-cluster.ts): local files in the
 * data folder (default), or an S3 bucket. The engine gets it without learning which it is
 * (it asks only for BlobStore.mutable). The S3 driver is imported only when configured: the
 * AWS SDK would otherwise add megabytes to every embedded server's heap (open-metadata.ts).
 */
import type { BlobsConfig } from '../config-cluster.js';
import { FsBlobStore } from './fs/blob-store.js';
import type { BlobStore } from './types.js';

export async function openBlobs(config: BlobsConfig, dataDir: string): Promise<BlobStore> {
  if (config.kind === 's3') {
    const { S3BlobStore } = await import('./s3/blob-store.js');
    const s3 = S3BlobStore.fromConfig(config);
    await s3.init();
    return s3;
  }
  const blobs = new FsBlobStore(dataDir);
  await blobs.init();
  return blobs;
}
