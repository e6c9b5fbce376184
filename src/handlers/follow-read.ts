/**
 * Follow reads on the wire (docs/extensions.md "Follow reads", an ossd extension): a
 * GetObject with `x-ossd-follow: 1` on an appendable object stays open and receives each
 * append as it commits, as one chunked body; the trailer `x-ossd-follow-end` says why it
 * ended. The waiting and reading are the engine's (engine/follow.ts); this file parses the
 * request headers and writes the response with backpressure.
 */
import { OssError } from '../engine/errors.js';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FollowEnd, FollowSink } from '../engine/follow.js';
import type { ObjectRecord } from '../engine/model.js';
import { header, type RequestContext } from '../protocol/context.js';
import { queryValue } from '../protocol/request-target.js';
import { writable } from '../server/pooled-send.js';

/** Request and response header that marks a follow read. */
const FOLLOW = 'x-ossd-follow';
/** The trailer that says why the read ended. */
export const FOLLOW_END = 'x-ossd-follow-end';

/** Defaults (unless --follow-idle-timeout / --follow-max-duration say otherwise) and caps of the two timers, in seconds (docs/extensions.md). */
export const FOLLOW_IDLE_DEFAULT_S = 60;
export const FOLLOW_IDLE_CAP_S = 3600;
export const FOLLOW_MAX_DEFAULT_S = 3600;
export const FOLLOW_MAX_CAP_S = 86_400;

/**
 * The offset a follow read of `rec` starts at, or undefined when the GET is an ordinary
 * one: no `x-ossd-follow: 1`, not an appendable object, a version named, or a Range other
 * than `bytes=N-` (a bounded or suffix range is answered as OSS answers it).
 */
export function followStart(ctx: RequestContext, rec: ObjectRecord): number | undefined {
  if (header(ctx, FOLLOW)?.trim() !== '1' || rec.type !== 'Appendable') return undefined;
  if (queryValue(ctx.query, 'versionId') !== undefined) return undefined;
  const range = header(ctx, 'range');
  if (range === undefined) return 0;
  const m = /^\s*bytes\s*=\s*(\d+)\s*-\s*$/i.exec(range);
  if (!m) return undefined;
  const start = Number(m[1]);
  // The reader may wait at the end (start = length) for the next append, not beyond it.
  if (start > rec.size) throw new OssError('InvalidRange', `The follow read starts past the object's length (${rec.size}).`);
  return start;
}

/** A timer header in whole seconds (1 or more), capped; the default when absent. */
function seconds(ctx: RequestContext, name: string, fallback: number, cap: number): number {
  const v = header(ctx, name);
  if (v === undefined) return fallback;
  if (!/^\s*\d{1,9}\s*$/.test(v) || Number(v) < 1) {
    throw new OssError('InvalidArgument', `${name} must be a whole number of seconds, at least 1.`, { ArgumentName: name, ArgumentValue: v });
  }
  return Math.min(Number(v), cap);
}

/**
 * Answers the GET as a follow read from `offset`: the object's headers (those of the
 * object as it is now; no Content-Length, Content-MD5 or CRC-64, which would describe only
 * a prefix of the body), then the bytes as they commit. Returns once the read has started:
 * the request pipeline's frames are not kept while the reader waits; FollowResponse ends
 * the response when the read ends.
 */
export function sendFollow(ctx: RequestContext, rec: ObjectRecord, headers: Record<string, string>, offset: number): void {
  // The server's defaults (--follow-idle-timeout, --follow-max-duration) unless the request says.
  const idleMs = seconds(ctx, 'x-ossd-follow-idle-timeout', ctx.config.followIdleTimeoutS ?? FOLLOW_IDLE_DEFAULT_S, FOLLOW_IDLE_CAP_S) * 1000;
  const maxMs = seconds(ctx, 'x-ossd-follow-max-duration', ctx.config.followMaxDurationS ?? FOLLOW_MAX_DEFAULT_S, FOLLOW_MAX_CAP_S) * 1000;
  const res = ctx.res;
  const out: Record<string, string> = { ...headers, [FOLLOW]: '1', trailer: FOLLOW_END };
  for (const name of ['content-length', 'content-md5', 'x-oss-hash-crc64ecma', 'content-range']) delete out[name];
  const ranged = header(ctx, 'range') !== undefined;
  // What is there now; the total is unknown (RFC 9110 §14.4: "*").
  if (ranged && offset < rec.size) out['content-range'] = `bytes ${offset}-${rec.size - 1}/*`;
  for (const [k, v] of Object.entries(out)) res.setHeader(k, v);
  res.writeHead(ranged ? 206 : 200);
  // Now, not with the first bytes: a reader at the end learns at once that the server follows.
  res.flushHeaders();
  releaseSentHead(res);
  // Everything has been read from the request's header fields (above, and by the pipeline):
  // nothing reads them while the follow lasts, which may be hours, times 10,000 readers, so
  // the follow does not keep them (the parsed object and the raw list: ~0.5 KB).
  ctx.req.headers = {};
  ctx.req.rawHeaders = [];
  // The read's own timers govern it, not the server's idle-socket timeout (restored after).
  stopIdleTimer(ctx.req.socket);
  // The read outlives this call: FollowResponse tells the observer when it is over.
  ctx.detached = true;
  ctx.engine.follow.follow({ bucket: rec.bucket, key: rec.key, start: rec, offset, idleMs, maxMs, sink: new FollowResponse(ctx) });
}

/** The follow read's end of the HTTP response. */
class FollowResponse implements FollowSink {
  constructor(private readonly ctx: RequestContext) {}

  write(chunk: Buffer): boolean | Promise<boolean> {
    const res = this.ctx.res;
    if (res.destroyed) return false;
    return res.write(chunk) || writable(res);
  }

  watchGone(gone: () => void): void {
    if (this.ctx.res.destroyed) queueMicrotask(gone);
    this.ctx.res.on('close', gone);
  }

  unwatchGone(gone: () => void): void {
    this.ctx.res.off('close', gone);
  }

  ended(reason: FollowEnd): void {
    const { ctx } = this;
    const res = ctx.res;
    ctx.logFields = { ...ctx.logFields, follow: reason, followers: ctx.engine.changes.listeners };
    if (reason === 'client-gone' || res.destroyed) {
      res.destroy();
    } else {
      res.addTrailers({ [FOLLOW_END]: reason });
      res.end();
      ctx.req.socket?.setTimeout(ctx.config.idleTimeoutMs ?? 120_000);
    }
    ctx.handlerDone?.(ctx);
  }

  failed(error: unknown): void {
    // Too late for an error response (the status went out): cut the connection so that the
    // reader sees a failure rather than a clean end. The engine has logged the error.
    this.ctx.errorCode = 'InternalError';
    this.ctx.logFields = { ...this.ctx.logFields, follow: 'failed', followers: this.ctx.engine.changes.listeners, error: String(error) };
    this.ctx.res.destroy();
    this.ctx.handlerDone?.(this.ctx);
  }
}

/**
 * Turns the socket's idle timeout off for the follow. setTimeout(0) clears the timer but
 * leaves it referenced by the socket (~200 bytes with its bound callback, for as long as
 * the follow lasts, times 10,000 readers); the field (a symbol private to Node, `timeout`,
 * null on a new socket) goes back to null, as on a socket that never had a timeout. Node
 * tests it before each use (lib/net.js, lib/internal/stream_base_commons.js in Node 20).
 */
function stopIdleTimer(socket: Socket): void {
  socket.setTimeout(0);
  const timer = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'timeout');
  if (timer !== undefined) (socket as unknown as Record<symbol, unknown>)[timer] = null;
}

/**
 * Lets go of what Node keeps of a response's head once it has gone out, for as long as the
 * response lives: for a follow read that is hours, times 10,000 readers (~1.4 KB each,
 * BENCH.md "Follow reads"). Nothing reads either after the head is sent:
 * - the table of header fields (an object of [name, value] arrays under the symbol
 *   kOutHeaders, private to Node) serves getHeader() and the like;
 * - the rendered head (`_header`, ~400 bytes) is prepended to the first write and after
 *   that only tested for truth (headersSent): a one-character string keeps that true.
 * Checked against Node 20's lib/_http_outgoing.js; if a Node release renames either, that
 * one is simply kept.
 */
function releaseSentHead(res: ServerResponse): void {
  const internal = res as unknown as Record<string | symbol, unknown>;
  if (internal._headerSent !== true) return;
  const table = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
  if (table !== undefined) internal[table] = null;
  if (typeof internal._header === 'string') internal._header = ' ';
}
