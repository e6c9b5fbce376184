/**
 * What one request did, seen from outside the handlers: the facts of its log line and
 * metrics, gathered when its response closes (answered, or cut).
 *
 * Body bytes are counted where they pass: the HTTP parser hands every request-body chunk
 * to `req.push()`, and every response-body chunk goes through `res.write()`/`res.end()`.
 * Wrapping those two methods of this request's own objects counts them exactly without
 * touching the stream (a 'data' listener would switch the body to flowing mode under the
 * handler's feet, and socket byte counters mix in headers and neighbouring requests).
 */
import type { RequestContext } from '../protocol/context.js';

/** The fields of a request's log line (never a secret: see logger.ts). */
export interface RequestFacts {
  requestId: string;
  operation: string;
  bucket?: string;
  key?: string;
  method: string;
  /** The HTTP status sent; null when the exchange was cut before a status went out. */
  status: number | null;
  /** True when the exchange was cut (the client left mid-upload or mid-download, or the server cut it). */
  aborted: boolean;
  errorCode?: string;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  clientAddress?: string;
  accessKeyId?: string;
}

function chunkLength(chunk: unknown, encoding?: unknown): number {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return (chunk as Uint8Array).byteLength ?? 0;
}

/**
 * Watches one request; returns the function the pipeline calls once the handler has
 * returned. The facts are reported when both happened: the response closed and the handler
 * returned (a handler may add log fields after its response closed, e.g. a follow read
 * learning that its client left).
 */
export function observeRequest(ctx: RequestContext, done: (facts: RequestFacts) => void): () => void {
  const started = performance.now();
  const { req, res } = ctx;
  // Kept now: Node lets go of req.socket once the request is over.
  const clientAddress = req.socket?.remoteAddress;
  let bytesIn = 0;
  let bytesOut = 0;
  const push = req.push;
  req.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    bytesIn += chunkLength(chunk, encoding);
    return push.call(this, chunk, encoding);
  };
  const write = res.write as (...args: unknown[]) => boolean;
  res.write = function (this: unknown, ...args: unknown[]): boolean {
    bytesOut += chunkLength(args[0], args[1]);
    return write.apply(this, args);
  } as typeof res.write;
  const end = res.end as (...args: unknown[]) => typeof res;
  res.end = function (this: unknown, ...args: unknown[]): typeof res {
    // A HEAD answer drops its body: Node writes nothing of it.
    if (ctx.method !== 'HEAD') bytesOut += chunkLength(args[0], args[1]);
    return end.apply(this, args);
  } as typeof res.end;
  let pending = 2;
  let report: (() => void) | undefined;
  const settle = (): void => {
    if (--pending === 0) report?.();
  };
  // on(), not once(): 'close' comes once, and once() adds a wrapper and its state per response.
  res.on('close', () => {
    const aborted = !res.writableFinished;
    const status = res.headersSent ? res.statusCode : null;
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    report = () => done({
      requestId: ctx.requestId,
      operation: ctx.operation,
      bucket: ctx.target.bucket,
      key: ctx.target.key,
      method: ctx.method,
      status,
      aborted,
      errorCode: ctx.errorCode,
      bytesIn,
      bytesOut,
      durationMs,
      clientAddress,
      accessKeyId: ctx.principal.anonymous ? undefined : ctx.principal.accessKeyId,
      // Fields a handler adds (a follow read's end reason and followers: handlers/follow-read.ts).
      ...ctx.logFields,
    });
    settle();
  });
  return settle;
}
