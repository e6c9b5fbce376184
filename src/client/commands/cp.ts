/**
 * `ossd cp SRC DST`: local file → OSS, OSS → local file, OSS → OSS.
 * Uploads from `--multipart-threshold` on are multipart, `--parallel` parts at once, and
 * resumable: ali-oss's multipartUpload checkpoint is saved in the state folder after every
 * part, so a rerun of the same command uploads only the missing parts.
 */
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Connection } from '../config.js';
import { ClientError, EXIT, UsageError } from '../exit-codes.js';
import type { ClientIo } from '../io.js';
import { getObject } from '../object-read.js';
import { ossClient } from '../oss-client.js';
import { isOssUrl, parseObjectUrl, parseOssUrl } from '../oss-url.js';
import { startProgress } from '../progress.js';
import { readState, removeState, statePath, writeState } from '../state-dir.js';

export interface CpOptions {
  partSize: string;
  parallel: string;
  multipartThreshold: string;
}

/** OSS's CopyObject copies objects up to 1 GiB; larger ones go part by part. */
const COPY_OBJECT_LIMIT = 1024 ** 3;

interface Sizes {
  partSize: number;
  parallel: number;
  threshold: number;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer: '${value}'`);
  return n;
}

/** `oss://b/dir/` or `oss://b` names a folder: the source's base name is appended. */
function destinationKey(dst: string, sourceName: string): { bucket: string; key: string } {
  const { bucket, key } = parseOssUrl(dst);
  return { bucket, key: key === '' || key.endsWith('/') ? key + basename(sourceName) : key };
}

async function upload(conn: Connection, src: string, dst: string, sizes: Sizes, io: ClientIo): Promise<void> {
  const file = resolve(src);
  if (!existsSync(file)) throw new ClientError(`${src}: no such file`, EXIT.notFound);
  const info = statSync(file);
  if (!info.isFile()) throw new UsageError(`${src} is not a regular file`);
  const { bucket, key } = destinationKey(dst, file);
  const client = ossClient(conn, bucket);
  if (info.size < sizes.threshold) {
    await client.put(key, file);
    return;
  }
  // The checkpoint belongs to this file as it is now: a changed file starts a new upload.
  const cpPath = statePath(io.env, 'cp', [conn.endpoint.origin, bucket, key, file, String(info.size), String(info.mtimeMs)]);
  const saved = readState<{ uploadId?: string; doneParts?: unknown[] }>(cpPath);
  if (saved?.uploadId) io.stderr.write(`ossd cp: resuming upload ${saved.uploadId}: ${saved.doneParts?.length ?? 0} parts already uploaded\n`);
  const progress = startProgress(`upload ${basename(file)}`, info.size, io.stderr);
  const options = (checkpoint: object | undefined): Record<string, unknown> => ({
    parallel: sizes.parallel,
    partSize: sizes.partSize,
    checkpoint,
    progress: (fraction: number, cpt: Record<string, unknown> | undefined) => {
      if (cpt) writeState(cpPath, cpt);
      progress.update(Math.round(fraction * info.size));
    },
  });
  try {
    try {
      await client.multipartUpload(key, file, options(saved));
    } catch (e) {
      // The saved upload was aborted or expired on the server: start a new one.
      if (saved === undefined || (e as { code?: string }).code !== 'NoSuchUpload') throw e;
      removeState(cpPath);
      await client.multipartUpload(key, file, options(undefined));
    }
  } finally {
    progress.stop();
  }
  removeState(cpPath);
}

async function download(conn: Connection, src: string, dst: string, io: ClientIo): Promise<void> {
  const { bucket, key } = parseObjectUrl(src);
  const target = dst.endsWith('/') || (existsSync(dst) && statSync(dst).isDirectory()) ? join(dst, basename(key)) : dst;
  const stream = await getObject(conn, bucket, key);
  const res = { headers: stream.headers };
  const total = Number(res.headers['content-length']);
  const progress = startProgress(`download ${basename(key)}`, Number.isFinite(total) ? total : undefined, io.stderr);
  let done = 0;
  stream.on('data', (c: Buffer) => progress.update((done += c.length)));
  // Into a temporary name first: an interrupted download never leaves a short file under the real name.
  const partial = `${target}.ossd-download`;
  try {
    await pipeline(stream, createWriteStream(partial));
    renameSync(partial, target);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    progress.stop();
  }
}

async function copyBetweenBuckets(conn: Connection, src: string, dst: string, sizes: Sizes, io: ClientIo): Promise<void> {
  const source = parseObjectUrl(src);
  const target = destinationKey(dst, source.key);
  const client = ossClient(conn, target.bucket);
  const head = await ossClient(conn, source.bucket).head(source.key);
  const size = Number(head.res.headers['content-length'] ?? 0);
  if (size <= COPY_OBJECT_LIMIT) {
    await client.copy(target.key, source.key, source.bucket);
    return;
  }
  const progress = startProgress(`copy ${basename(source.key)}`, size, io.stderr);
  try {
    await client.multipartUploadCopy(target.key, { sourceKey: source.key, sourceBucketName: source.bucket }, {
      parallel: sizes.parallel,
      partSize: Math.max(sizes.partSize, Math.ceil(size / 10_000)),
      progress: (fraction: number) => progress.update(Math.round(fraction * size)),
    });
  } finally {
    progress.stop();
  }
}

export async function cpCommand(conn: Connection, src: string, dst: string, opts: CpOptions, io: ClientIo): Promise<void> {
  const sizes: Sizes = {
    partSize: positive(opts.partSize, '--part-size'),
    parallel: positive(opts.parallel, '--parallel'),
    threshold: positive(opts.multipartThreshold, '--multipart-threshold'),
  };
  if (sizes.partSize < 100 * 1024) throw new UsageError('--part-size must be at least 102400 (OSS minimum part size)');
  const fromOss = isOssUrl(src);
  const toOss = isOssUrl(dst);
  if (!fromOss && toOss) return upload(conn, src, dst, sizes, io);
  if (fromOss && !toOss) return download(conn, src, dst, io);
  if (fromOss && toOss) return copyBetweenBuckets(conn, src, dst, sizes, io);
  throw new UsageError('cp needs at least one oss:// argument');
}
