/** `ossd mb oss://bucket` and `ossd rb oss://bucket`. */
import type { Connection } from '../config.js';
import { UsageError } from '../exit-codes.js';
import { ossClient } from '../oss-client.js';
import { parseOssUrl } from '../oss-url.js';

function bucketOnly(url: string): string {
  const { bucket, key } = parseOssUrl(url);
  if (key !== '') throw new UsageError(`expected oss://bucket, got '${url}'`);
  return bucket;
}

export async function mbCommand(conn: Connection, url: string): Promise<void> {
  const bucket = bucketOnly(url);
  await ossClient(conn, bucket).putBucket(bucket);
}

export async function rbCommand(conn: Connection, url: string): Promise<void> {
  const bucket = bucketOnly(url);
  await ossClient(conn, bucket).deleteBucket(bucket);
}
