/**
 * The ali-oss client (the runtime dependency every OSS call goes through), typed for the
 * few methods the commands use: ali-oss ships no TypeScript types.
 */
import { createRequire } from 'node:module';
import type { Connection } from './config.js';

const require = createRequire(import.meta.url);

export interface OssResponse {
  status: number;
  headers: Record<string, string | undefined>;
}

export interface ListedObject {
  name: string;
  size: number;
  lastModified: string;
  type?: string;
}

export interface OssApi {
  listBuckets(query: Record<string, unknown> | null): Promise<{ buckets: Array<{ name: string; creationDate: string; region?: string }> | null; nextMarker?: string | null; isTruncated?: boolean }>;
  list(query: Record<string, unknown>, options?: Record<string, unknown>): Promise<{ objects?: ListedObject[]; prefixes?: string[] | null; nextMarker?: string | null; isTruncated: boolean }>;
  putBucket(name: string): Promise<unknown>;
  deleteBucket(name: string): Promise<unknown>;
  head(name: string): Promise<{ res: OssResponse; meta?: Record<string, string> }>;
  put(name: string, file: string | Buffer, options?: Record<string, unknown>): Promise<{ res: OssResponse }>;
  append(name: string, file: Buffer, options: Record<string, unknown>): Promise<{ res: OssResponse; nextAppendPosition?: string }>;
  copy(name: string, sourceName: string, sourceBucket?: string, options?: Record<string, unknown>): Promise<{ res: OssResponse }>;
  multipartUpload(name: string, file: string, options: Record<string, unknown>): Promise<{ res: OssResponse }>;
  multipartUploadCopy(name: string, source: { sourceKey: string; sourceBucketName: string }, options: Record<string, unknown>): Promise<{ res: OssResponse }>;
  delete(name: string): Promise<unknown>;
  deleteMulti(names: string[], options: Record<string, unknown>): Promise<unknown>;
}

const AliOss = require('ali-oss') as new (options: Record<string, unknown>) => OssApi;

/** A client for one bucket (or for service-level calls when `bucket` is undefined). */
export function ossClient(conn: Connection, bucket?: string): OssApi {
  const options: Record<string, unknown> = {
    endpoint: conn.endpoint.origin,
    accessKeyId: conn.accessKeyId,
    accessKeySecret: conn.accessKeySecret,
    region: conn.region,
    bucket,
    secure: conn.endpoint.protocol === 'https:',
    // An IP endpoint is path style by itself in ali-oss; sldEnable there would also be fine.
    sldEnable: conn.pathStyle,
    timeout: conn.timeoutMs,
  };
  if (conn.sessionToken) {
    options.stsToken = conn.sessionToken;
    // Without a refresher ali-oss prints a warning on stderr for every client; the token
    // given is the one to use for the whole (short) command, so "refresh" to the same one.
    options.refreshSTSToken = (): Promise<Record<string, string>> =>
      Promise.resolve({ accessKeyId: conn.accessKeyId, accessKeySecret: conn.accessKeySecret, stsToken: conn.sessionToken! });
    options.refreshSTSTokenInterval = 24 * 3600 * 1000;
  }
  return new AliOss(options);
}
