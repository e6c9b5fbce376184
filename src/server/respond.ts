/** Writing responses. Every response carries x-oss-request-id (set by the pipeline). */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../protocol/context.js';

export function send(ctx: RequestContext, status: number, headers: Record<string, string> = {}, payload?: string | Buffer): void {
  const res = ctx.res;
  const buf = payload === undefined ? undefined : typeof payload === 'string' ? Buffer.from(payload) : payload;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (!('content-length' in headers)) res.setHeader('content-length', String(buf?.length ?? 0));
  res.writeHead(status);
  res.end(ctx.method === 'HEAD' ? undefined : buf);
}

/** Sends the status line and headers of a body that follows (its length is among the headers). */
export function startBody(ctx: RequestContext, status: number, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  ctx.res.writeHead(status);
}

/**
 * A body failed midway: the length promised can't be kept, so the connection is
 * destroyed. A client that went away is not a server error; anything else is rethrown.
 */
export function abortBody(ctx: RequestContext, e: unknown): void {
  const finished = ctx.res.writableFinished;
  ctx.res.destroy();
  if (!finished && (!ctx.req.socket || ctx.req.socket.destroyed)) return;
  throw e;
}

export function sendXml(ctx: RequestContext, xml: string, headers: Record<string, string> = {}): void {
  send(ctx, 200, { 'content-type': 'application/xml', ...headers }, xml);
}

/** Streams a body of a known length; a failure mid-body destroys the connection (the length promised can't be kept). */
export async function sendStream(
  ctx: RequestContext,
  status: number,
  headers: Record<string, string>,
  stream: Readable,
): Promise<void> {
  startBody(ctx, status, headers);
  try {
    await pipeline(stream, ctx.res);
  } catch (e) {
    abortBody(ctx, e);
  }
}
