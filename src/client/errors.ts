/** Turns whatever a command threw into the line printed on stderr and the exit code. */
import { ClientError, EXIT, UsageError } from './exit-codes.js';

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NoSuchUpload', 'NoSuchVersion', 'ENOENT']);

/** The shape of an error ali-oss throws for an OSS error answer (client.js requestError). */
interface OssLikeError {
  name?: string;
  code?: string;
  message?: string;
  requestId?: string;
  status?: number;
}

export interface DescribedError {
  line: string;
  exitCode: number;
}

/**
 * OSS errors print as `Code: message (RequestId)` (issue 17); a network failure as its
 * name and message; a local file error as Node's message.
 */
export function describeError(e: unknown): DescribedError {
  if (e instanceof UsageError) return { line: `ossd: ${e.message}`, exitCode: EXIT.usage };
  if (e instanceof ClientError) return { line: `ossd: ${e.message}`, exitCode: e.exitCode };
  const err = (e ?? {}) as OssLikeError;
  const code = err.code ?? err.name ?? 'Error';
  const message = err.message ?? String(e);
  const exitCode = NOT_FOUND_CODES.has(code) ? EXIT.notFound : EXIT.failure;
  if (typeof err.status === 'number' && err.status > 0) {
    return { line: `${code}: ${message} (${err.requestId ?? 'no RequestId'})`, exitCode };
  }
  return { line: `${code}: ${message}`, exitCode };
}

/** True for failures worth retrying as is: timeouts, lost connections, 5xx answers. */
export function isTransient(e: unknown): boolean {
  const err = (e ?? {}) as OssLikeError;
  if (typeof err.status === 'number' && (err.status === -1 || err.status === -2 || err.status >= 500)) return true;
  if (err.code === 'RequestTimeout') return true;
  return /Timeout|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|ResponseError|RequestError/i.test(`${err.name ?? ''} ${err.code ?? ''} ${err.message ?? ''}`);
}
