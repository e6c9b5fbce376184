/**
 * A throw-away S3 server for tests: s3rver (an S3-compatible server from npm, its objects
 * in a temporary folder) on a free loopback port, one per test file, started on first use
 * and closed after the file. Each store gets a fresh bucket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Config } from '../../src/config-cluster.js';
import { s3Client, S3BlobStore } from '../../src/drivers/s3/blob-store.js';

/** s3rver ships no types: the little used here. */
interface S3rverServer {
  run(): Promise<{ address: string; port: number }>;
  httpServer?: { unref(): void };
  close(): Promise<void>;
}
type S3rverCtor = new (options: { port: number; address: string; silent: boolean; directory: string }) => S3rverServer;

export interface S3Server {
  endpoint: string;
  /** The settings of a store on a new, empty bucket of this server. */
  newBucket(): Promise<S3Config>;
  close(): Promise<void>;
}

/** s3rver accepts any credentials; these are its documented defaults. */
const KEY = 'S3RVER';
let buckets = 0;

/** `unref`: the server keeps no process alive (the test file's shared one). */
export async function startS3rver(unref = false): Promise<S3Server> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const directory = mkdtempSync(join(tmpdir(), 'ossd-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  if (unref) {
    server.httpServer?.unref();
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const config = (bucket: string): S3Config => ({ kind: 's3', bucket, endpoint, accessKeyId: KEY, secretAccessKey: KEY, region: 'us-east-1', forcePathStyle: true });
  return {
    endpoint,
    async newBucket() {
      const bucket = `ossd-test-${process.pid}-${++buckets}`;
      const c = config(bucket);
      const client = s3Client(c);
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      client.destroy();
      return c;
    },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let shared: Promise<S3Server> | undefined;

/**
 * The test file's s3rver, started on first call. It does not keep the process alive and
 * its folder is removed at exit: engines made in one test may be used by the next, so it
 * is not closed by a test's `after` hook.
 */
export function fileS3rver(): Promise<S3Server> {
  shared ??= startS3rver(true);
  return shared;
}

const bucketOfDir = new Map<string, Promise<S3Config>>();

/**
 * An S3 blob store for the engine whose stores live in `dir`: a fresh bucket of the test
 * file's s3rver for a new folder, the same bucket again when the stores are reopened.
 */
export async function s3BlobStoreFor(dir: string): Promise<S3BlobStore> {
  let config = bucketOfDir.get(dir);
  if (!config) {
    config = fileS3rver().then((s3) => s3.newBucket());
    bucketOfDir.set(dir, config);
  }
  const store = S3BlobStore.fromConfig(await config);
  await store.init();
  return store;
}
