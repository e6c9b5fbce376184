/** `ossd presign oss://bucket/key [--expires S] [--method M]`: a presigned URL on stdout. */
import type { Connection } from '../config.js';
import { UsageError } from '../exit-codes.js';
import { printLine, type ClientIo } from '../io.js';
import { parseObjectUrl } from '../oss-url.js';
import { presignedUrl } from '../signed-request.js';

export interface PresignOptions {
  expires: string;
  method: string;
}

export async function presignCommand(conn: Connection, url: string, opts: PresignOptions, io: ClientIo): Promise<void> {
  const { bucket, key } = parseObjectUrl(url);
  const expires = Number(opts.expires);
  if (!Number.isInteger(expires) || expires <= 0) throw new UsageError(`--expires must be a positive number of seconds: '${opts.expires}'`);
  const method = opts.method.toUpperCase();
  if (!['GET', 'PUT', 'HEAD', 'DELETE', 'POST'].includes(method)) throw new UsageError(`unsupported --method '${opts.method}'`);
  await printLine(io.stdout, presignedUrl(conn, method, bucket, key, expires));
}
