/** What a handler gets: the parsed request, who is asking, and the engine. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { bodyBudget } from '../engine/body-budget.js';
import type { Engine } from '../engine/engine.js';
import type { AuthTarget, QueryItem } from './auth/types.js';
import { bodyIterator } from './body-iterator.js';

/**
 * Limits of an access key other than the root (src/keys): `buckets` undefined means every
 * bucket. A principal without a scope has full access.
 */
export interface KeyScope { buckets?: readonly string[]; readOnly: boolean }

export type Principal = { anonymous: true } | { anonymous: false; accessKeyId: string; scope?: KeyScope };

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  target: AuthTarget;
  query: QueryItem[];
  principal: Principal;
  engine: Engine;
  config: Config;
  /** The Host header the client used (error HostId). */
  host: string;
  /** Operation name from the table, for logs. */
  operation: string;
  /** The OSS error code answered, for logs and metrics (set when the error response is made). */
  errorCode?: string;
  /** True when the client sent Expect: 100-continue and is waiting for our go-ahead. */
  awaitingContinue: boolean;
  /** Extra fields for the request's log line (a follow read: why it ended, followers left). */
  logFields?: Record<string, unknown>;
  /** Tells the pipeline's observer that the handler is done (the request's log line and metrics wait for it and for the response's close). */
  handlerDone?: (ctx: RequestContext) => void;
  /**
   * Set by a handler whose work goes on after it returned (a follow read, which must not
   * keep the pipeline's frames for hours): the pipeline then leaves the call of handlerDone to it.
   */
  detached?: boolean;
}

export function bucketOf(ctx: RequestContext): string {
  if (ctx.target.bucket === undefined) throw new Error('operation needs a bucket');
  return ctx.target.bucket;
}

export function keyOf(ctx: RequestContext): string {
  if (ctx.target.key === undefined) throw new Error('operation needs a key');
  return ctx.target.key;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The request body. A client that sent `Expect: 100-continue` gets its go-ahead only
 * when the body is first read, i.e. after authentication and every check the engine
 * makes before reading (bucket, position, appendability), so a refused upload is never
 * sent.
 */
export function body(ctx: RequestContext): AsyncIterable<Buffer> {
  // A handler that stops reading early (a disk error, a body too large) must not destroy
  // the socket its error answer goes out on; the pipeline then drains or closes
  // (respondWithError). bodyIterator() only detaches.
  if (!ctx.awaitingContinue) return { [Symbol.asyncIterator]: () => bodyIterator(ctx.req) };
  return {
    [Symbol.asyncIterator]: () => {
      if (ctx.awaitingContinue) {
        ctx.awaitingContinue = false;
        ctx.res.writeContinue();
      }
      return bodyIterator(ctx.req);
    },
  };
}

/** Past the limit, a small body is still read (and dropped) up to this, so the refusal can be answered. */
const SMALL_BODY_DRAIN = 8 * 1024 * 1024;

/** Reads a small body (XML) whole, refusing more than `limit` bytes. */
export async function readSmallBody(ctx: RequestContext, limit: number, tooLarge: () => Error): Promise<Buffer> {
  // A declared length over the limit is refused before anything is read.
  const declared = ctx.req.headers['content-length'];
  if (ctx.req.headers['transfer-encoding'] === undefined && declared !== undefined && Number(declared) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let n = 0;
  // The bytes kept count against the process's body budget until the body is whole
  // (body-budget.ts: past it, reading waits; kept bytes cannot be given back early).
  const budget = bodyBudget();
  let held = 0;
  try {
    // Not `for await`: leaving that loop early destroys the request and its socket, and
    // with them the connection the refusal must be answered on.
    const it = body(ctx)[Symbol.asyncIterator]();
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      n += r.value.length;
      if (n <= limit) {
        const wait = budget.take(r.value.length, held);
        if (wait) await wait;
        held += r.value.length;
        chunks.push(r.value);
      } else if (n > SMALL_BODY_DRAIN) {
        ctx.res.setHeader('connection', 'close');
        throw tooLarge();
      }
    }
    if (n > limit) throw tooLarge();
    return Buffer.concat(chunks, n);
  } finally {
    budget.give(held);
  }
}
