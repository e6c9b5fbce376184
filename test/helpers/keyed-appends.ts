/**
 * AppendObject with an `Idempotency-Key` (docs/extensions.md "Exactly-once appends") over
 * raw HTTP, and what its answer says: status, error code, next position, CRC-64, ETag and
 * whether it was replayed from the original append's record.
 */
import type { Ossd } from './ossd-process.js';
import { errorCode, raw } from './raw-http.js';

export interface KeyedAnswer {
  status: number;
  code?: string;
  next?: number;
  crc?: string;
  etag?: string;
  /** The answer carried `x-ossd-idempotent-replay: true`. */
  replay: boolean;
  text: string;
}

export async function keyedAppend(
  ossd: Ossd,
  bucket: string,
  key: string,
  position: number,
  body: Buffer | string,
  token: string | undefined,
  headers: Record<string, string> = {},
): Promise<KeyedAnswer> {
  const h = token === undefined ? headers : { 'idempotency-key': token, ...headers };
  const res = await raw(ossd, { method: 'POST', path: `/${bucket}/${encodeURIComponent(key)}?append&position=${position}`, headers: h, body });
  const next = res.headers['x-oss-next-append-position'];
  return {
    status: res.status,
    code: errorCode(res),
    next: typeof next === 'string' ? Number(next) : undefined,
    crc: res.headers['x-oss-hash-crc64ecma'] as string | undefined,
    etag: res.headers.etag,
    replay: res.headers['x-ossd-idempotent-replay'] === 'true',
    text: res.text,
  };
}

/** The three values a replay must give back unchanged. */
export function answerOf(a: KeyedAnswer): { next?: number; crc?: string; etag?: string } {
  return { next: a.next, crc: a.crc, etag: a.etag };
}
