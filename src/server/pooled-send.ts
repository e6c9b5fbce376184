/**
 * Sends bytes [start, end) of an object read piece by piece into reused 1 MiB buffers.
 * A stream allocates a new buffer for every read: 64 of them for a 64 MiB GET, and the
 * collections V8 runs when that much memory outside its heap comes and goes took a
 * quarter of the CPU of GETs served from the page cache (bench get-64m).
 *
 * A buffer goes back to the pool only from its write's callback, once the socket has
 * taken the bytes; a write whose callback never comes (the connection was destroyed)
 * just leaves its buffer to the garbage collector. The next piece is read while the one
 * before is being written.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../protocol/context.js';
import { abortBody, startBody } from './respond.js';

const PIECE = 1024 * 1024;
/** Buffers kept for reuse; more are allocated when all are in flight. */
const POOL_MAX = 8;
const pool: Buffer[] = [];

function take(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(PIECE);
}

function giveBack(buf: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(buf);
}

export type ReadAt = (buf: Buffer, position: number) => Promise<number>;

/** Reads one piece at `position` (at most `end - position` bytes) into a pooled buffer. */
async function readPiece(readAt: ReadAt, position: number, end: number): Promise<{ buf: Buffer; n: number }> {
  const buf = take();
  try {
    const n = await readAt(buf.subarray(0, Math.min(PIECE, end - position)), position);
    if (n === 0) throw new Error('blob is shorter than its committed length');
    return { buf, n };
  } catch (e) {
    giveBack(buf);
    throw e;
  }
}

/** Resolves once the response can take more, or is closed (then false). */
export function writable(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Like sendStream (respond.ts), whose start and mid-body failure it shares. */
export async function sendPooled(
  ctx: RequestContext,
  status: number,
  headers: Record<string, string>,
  readAt: ReadAt,
  start: number,
  end: number,
): Promise<void> {
  const res = ctx.res;
  startBody(ctx, status, headers);
  let next = start < end ? readPiece(readAt, start, end) : undefined;
  try {
    for (let position = start; next; ) {
      const { buf, n } = await next;
      position += n;
      next = position < end ? readPiece(readAt, position, end) : undefined;
      if (res.destroyed) break;
      if (!res.write(buf.subarray(0, n), () => giveBack(buf)) && !(await writable(res))) break;
    }
    if (!res.destroyed) res.end();
  } catch (e) {
    abortBody(ctx, e);
  } finally {
    // A read still running when the client left: settled before the caller closes the file.
    await next?.then(({ buf }) => giveBack(buf), () => undefined);
  }
}
