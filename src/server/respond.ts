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
  const res = ctx.res;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.writeHead(status);
  try {
    await pipeline(stream, res);
  } catch (e) {
    res.destroy();
    // A client that goes away mid-download is not a server error.
    if (!res.writableFinished && (!ctx.req.socket || ctx.req.socket.destroyed)) return;
    throw e;
  }
}
