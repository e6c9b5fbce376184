/**
 * What one request did, seen from outside the handlers: the facts of its log line and
 * metrics, gathered when its response closes (answered, or cut).
 *
 * No closure per request: the state is one ObservedRequest kept on the response
 * (counted-messages.ts, which also counts the body bytes), and the server's one 'close'
 * listener for all responses calls closed().
 */
import type { RequestContext } from '../protocol/context.js';
import { CountedRequest, CountedResponse } from './counted-messages.js';

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

/** One request being observed: reported when both its response closed and its handler returned. */
export interface ObservedRequest {
  ctx: RequestContext;
  started: number;
  /** Kept at the start: Node lets go of req.socket once the request is over. */
  clientAddress: string | undefined;
  /** The response's close and the handler's return, still to come. */
  pending: number;
  /** Set at the response's close. */
  aborted: boolean;
  status: number | null;
  durationMs: number;
}

export class RequestObserver {
  constructor(private readonly report: (facts: RequestFacts) => void) {}

  /** As the request starts (pipeline.ts). A handler may add log fields after its response closed (a follow read learning that its client left), hence the wait for handlerDone. */
  start(ctx: RequestContext): void {
    const res = ctx.res;
    if (!(res instanceof CountedResponse)) return;
    res.observed = {
      ctx,
      started: performance.now(),
      clientAddress: ctx.req.socket?.remoteAddress,
      pending: 2,
      aborted: false,
      status: null,
      durationMs: 0,
    };
    ctx.handlerDone = this.handlerDone;
  }

  /** The response closed (the server's one 'close' listener). */
  closed(res: CountedResponse): void {
    const o = res.observed;
    if (o === undefined) return;
    o.aborted = !res.writableFinished;
    o.status = res.headersSent ? res.statusCode : null;
    o.durationMs = Math.round((performance.now() - o.started) * 1000) / 1000;
    this.settle(res, o);
  }

  private settle(res: CountedResponse, o: ObservedRequest): void {
    if (--o.pending !== 0) return;
    res.observed = undefined;
    const ctx = o.ctx;
    this.report({
      requestId: ctx.requestId,
      operation: ctx.operation,
      bucket: ctx.target.bucket,
      key: ctx.target.key,
      method: ctx.method,
      status: o.status,
      aborted: o.aborted,
      errorCode: ctx.errorCode,
      bytesIn: ctx.req instanceof CountedRequest ? ctx.req.bodyBytesIn : 0,
      bytesOut: res.bodyBytesOut,
      durationMs: o.durationMs,
      clientAddress: o.clientAddress,
      accessKeyId: ctx.principal.anonymous ? undefined : ctx.principal.accessKeyId,
      // Fields a handler adds (a follow read's end reason and followers: handlers/follow-read.ts).
      ...ctx.logFields,
    });
  }

  /** ctx.handlerDone of every request: the handler returned (pipeline.ts), or a detached one ended (a follow read). One function, not a closure per request. */
  readonly handlerDone = (ctx: RequestContext): void => {
    const res = ctx.res;
    if (res instanceof CountedResponse && res.observed?.ctx === ctx) this.settle(res, res.observed);
  };
}
