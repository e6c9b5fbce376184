/** Signed GETs (whole and ranged) of `ossd cat`, `ossd cp` and `ossd tail`. */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { Connection } from './config.js';
import { signedRequest } from './signed-request.js';

/** An OSS error answer, shaped like ali-oss's errors so errors.ts prints it the same way. */
export class OssHttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly requestId: string | undefined) {
    super(message);
  }
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Reads an error body (OSS XML: Code, Message, RequestId) into an OssHttpError. */
export async function httpError(res: IncomingMessage): Promise<OssHttpError> {
  const xml = (await readAll(res)).toString('utf8');
  const field = (name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const status = res.statusCode ?? 0;
  const code = field('Code') ?? (status === 404 ? 'NoSuchKey' : `HTTP${status}`);
  return new OssHttpError(status, code, field('Message') ?? `status ${status}`, field('RequestId') ?? (res.headers['x-oss-request-id'] as string | undefined));
}

/**
 * The object's body as a stream, with its headers. A raw signed GET rather than ali-oss's
 * getStream: for a streamed answer ali-oss does not read the error body, and reports every
 * 404 as NoSuchKey (a missing bucket included).
 */
export async function getObject(conn: Connection, bucket: string, key: string): Promise<IncomingMessage> {
  const { res } = await signedRequest(conn, 'GET', bucket, key);
  if (res.statusCode !== 200) throw await httpError(res);
  return res;
}

/** Bytes [start, end) of the object. */
export async function readRange(conn: Connection, bucket: string, key: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const { res } = await signedRequest(conn, 'GET', bucket, key, { range: `bytes=${start}-${end - 1}` });
  if (res.statusCode !== 200 && res.statusCode !== 206) throw await httpError(res);
  const body = await readAll(res);
  // A 200 is the whole object (a server that ignored Range): cut the range out of it.
  return res.statusCode === 200 ? body.subarray(start, end) : body;
}

/** Writes a chunk, waiting while the output is full. */
export function writeOut(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(chunk)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}
