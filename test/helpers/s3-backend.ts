/**
 * The S3 store of a cluster test or benchmark: Ceph RGW when Ceph is installed (what the
 * issue names; .ci/run installs it), else s3rver, an S3 server from npm, so a developer
 * without Ceph still runs the cluster tests. OSSD_TEST_S3=ceph|s3rver forces one. Each
 * call makes a fresh bucket: on the test runner's Ceph when it started one for the run
 * (scripts/run-tests.mjs), else on a server of its own.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/drivers/s3/blob-store.js';
import { cephSkip, newCephBucket, runCeph, startCeph } from './ceph.js';
import { startS3rver } from './s3rver.js';

export interface S3Backend {
  kind: 'ceph' | 's3rver';
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
  /** The server's process ids (Ceph's daemons; s3rver runs in this process: none). */
  pids(): number[];
  stop(): Promise<void>;
}

export function s3BackendKind(): 'ceph' | 's3rver' {
  const forced = process.env.OSSD_TEST_S3;
  if (forced === 'ceph' || forced === 's3rver') return forced;
  return cephSkip() ? 's3rver' : 'ceph';
}

export async function startS3Backend(bucket = 'ossd-cluster'): Promise<S3Backend> {
  const shared = s3BackendKind() === 'ceph' ? runCeph() : undefined;
  if (shared) {
    const { bucket: made } = await newCephBucket(shared);
    return { kind: 'ceph', endpoint: shared.endpoint, accessKeyId: shared.accessKeyId, secretAccessKey: shared.secretAccessKey, region: shared.region, bucket: made, pids: () => shared.pids(), stop: () => shared.stop() };
  }
  if (s3BackendKind() === 'ceph') {
    const ceph = await startCeph();
    try {
      const config = { kind: 's3' as const, bucket, endpoint: ceph.endpoint, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey, region: ceph.region, forcePathStyle: true };
      const client = s3Client(config);
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      client.destroy();
    } catch (e) {
      await ceph.stop();
      throw e;
    }
    return { kind: 'ceph', endpoint: ceph.endpoint, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey, region: ceph.region, bucket, pids: () => ceph.pids(), stop: () => ceph.stop() };
  }
  const server = await startS3rver();
  const config = await server.newBucket();
  return {
    kind: 's3rver',
    endpoint: server.endpoint,
    accessKeyId: config.accessKeyId!,
    secretAccessKey: config.secretAccessKey!,
    region: config.region,
    bucket: config.bucket,
    pids: () => [],
    stop: () => server.close(),
  };
}
