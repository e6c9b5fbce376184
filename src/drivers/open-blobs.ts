/**
 * The blob store a configuration names (`--blobs`, config-cluster.ts): local files in the
 * data folder (default), or an S3 bucket. The engine gets it without learning which it is
 * (it asks only for BlobStore.mutable).
 */
import type { BlobsConfig } from '../config-cluster.js';
import { FsBlobStore } from './fs/blob-store.js';
import { S3BlobStore } from './s3/blob-store.js';
import type { BlobStore } from './types.js';

export async function openBlobs(config: BlobsConfig, dataDir: string): Promise<BlobStore> {
  if (config.kind === 's3') {
    const s3 = S3BlobStore.fromConfig(config);
    await s3.init();
    return s3;
  }
  const blobs = new FsBlobStore(dataDir);
  await blobs.init();
  return blobs;
}
