/**
 * One follow read (CONTRACT17 "Follow reads"): `GET` with `x-ossd-follow: 1` and
 * `Range: bytes=N-`. An ossd that follows answers with the `x-ossd-follow` header and
 * streams appends as they commit, ending with the trailer `x-ossd-follow-end` (why it
 * ended). Any other server (OSS, an older ossd) or a Normal object gets a plain GET:
 * its bytes are written too, and the caller goes on by polling.
 */
import type { Writable } from 'node:stream';
import type { Connection } from '../config.js';
import { signedRequest } from '../signed-request.js';
import { httpError, writeOut } from '../object-read.js';

export type FollowOutcome =
  /** 404: the object does not exist (any more). */
  | { kind: 'gone' }
  /** 416: nothing at or past the offset, and the server does not follow. */
  | { kind: 'nothing-new' }
  /** A plain answer (no following): its bytes were written; `sealed` if it says so. */
  | { kind: 'plain'; position: number; sealed: boolean }
  /** A follow read ended; `end` is the trailer's reason, undefined if the connection broke first. */
  | { kind: 'followed'; position: number; end: string | undefined };

export async function followOnce(conn: Connection, bucket: string, key: string, position: number, out: Writable): Promise<FollowOutcome> {
  const { req, res } = await signedRequest(conn, 'GET', bucket, key, { 'x-ossd-follow': '1', range: `bytes=${position}-` });
  const status = res.statusCode ?? 0;
  if (status === 404) {
    res.resume();
    return { kind: 'gone' };
  }
  if (status === 416) {
    res.resume();
    return { kind: 'nothing-new' };
  }
  if (status !== 200 && status !== 206) throw await httpError(res);
  const following = res.headers['x-ossd-follow'] === '1';
  // A 200 to a ranged request is the whole object: the first `position` bytes were printed before.
  let skip = status === 200 ? position : 0;
  let at = position;
  try {
    for await (const raw of res) {
      let chunk = raw as Buffer;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length === 0) continue;
      await writeOut(out, chunk);
      at += chunk.length;
    }
  } catch {
    // The connection broke mid-body: what arrived was printed; the caller reconnects from `at`.
    req.destroy();
    return following ? { kind: 'followed', position: at, end: undefined } : { kind: 'plain', position: at, sealed: false };
  }
  if (!following) return { kind: 'plain', position: at, sealed: res.headers['x-oss-sealed-time'] !== undefined };
  const end = res.trailers['x-ossd-follow-end'];
  return { kind: 'followed', position: at, end: typeof end === 'string' ? end : undefined };
}
