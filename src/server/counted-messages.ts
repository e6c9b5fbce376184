/**
 * The request and response classes of ossd's HTTP server (createServer's IncomingMessage
 * and ServerResponse options): Node's own, counting body bytes where they pass, and
 * holding the per-request state of the observer and the graceful stop.
 *
 * Why classes rather than wrapping `req.push`/`res.write`/`res.end` of each request: the
 * wrappers were closures made per request, and own methods set on every request gave
 * Node's HTTP code objects of differing shapes. Both showed on the event loop of the
 * 64-appender bench (BENCH.md, "The embedded default before and after the scale-out work").
 *
 * Bytes are counted where they pass: the HTTP parser hands every request-body chunk to
 * `push()`, and every response-body chunk goes through `write()`/`end()` (Node's own
 * `end` does not call `write`). A 'data' listener would switch the body to flowing mode
 * under the handler's feet, and socket byte counters mix in headers and neighbouring requests.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ObservedRequest } from './request-observer.js';

function chunkLength(chunk: unknown, encoding?: unknown): number {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return (chunk as Uint8Array).byteLength ?? 0;
}

export class CountedRequest extends IncomingMessage {
  /** Request-body bytes received so far. */
  bodyBytesIn = 0;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    this.bodyBytesIn += chunkLength(chunk, encoding);
    return super.push(chunk, encoding);
  }
}

type AnyWrite = (...args: unknown[]) => boolean;
type AnyEnd = (...args: unknown[]) => CountedResponse;

export class CountedResponse extends ServerResponse {
  /** Response-body bytes sent so far (none for HEAD: Node writes nothing of its body). */
  bodyBytesOut = 0;
  /** The request's log line and metrics in the making (request-observer.ts). */
  observed: ObservedRequest | undefined = undefined;
  /** The connection, kept for the graceful stop: Node lets go of res.socket before 'close'. */
  trackedSocket: Socket | undefined = undefined;
  /** The graceful stop that tracks this answer (graceful.ts). */
  graceful: { readonly isStopping: boolean } | undefined = undefined;

  /**
   * Node writes every head through here (end() and write() without it call
   * _implicitHeader(), which calls writeHead()): during a graceful stop, the answer says
   * `Connection: close` and its connection is not reused.
   */
  override writeHead(...args: unknown[]): this {
    if (this.graceful?.isStopping) this.shouldKeepAlive = false;
    return (super.writeHead as (...a: unknown[]) => this).apply(this, args);
  }

  override write(...args: unknown[]): boolean {
    if (this.req.method !== 'HEAD') this.bodyBytesOut += chunkLength(args[0], args[1]);
    return (super.write as AnyWrite).apply(this, args);
  }

  override end(...args: unknown[]): this {
    if (this.req.method !== 'HEAD') this.bodyBytesOut += chunkLength(args[0], args[1]);
    return (super.end as AnyEnd).apply(this, args) as this;
  }
}
