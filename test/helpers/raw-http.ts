/**
 * A raw HTTP requester for what no SDK sends (malformed requests, chunked bodies,
 * disconnects). Signs V1 the way the C++ SDK does (Date header, path style) with raw-v1.ts,
 * which is written from auth.md and imports nothing from src/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-v1.js';

// The V1 signer lives in raw-v1.ts (independent of src/); re-exported for the tests that sign through this module.
export { presignV1, signV1 } from './raw-v1.js';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Raw request path with query, path style: `/bucket/key?append&position=0`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Buffer[];
  /** 'v1' (default) signs with the test root key; 'none' sends anonymously. */
  sign?: 'v1' | 'none';
  /** Send the body chunked (C++ SDK PutObject style). */
  chunked?: boolean;
}

export function md5Base64(b: Buffer | string): string {
  return createHash('md5').update(b).digest('base64');
}

export function raw(ossd: Ossd, r: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), ...(r.headers ?? {}) };
  const bodyParts = r.body === undefined ? [] : Array.isArray(r.body) ? r.body : [Buffer.from(r.body)];
  if (r.chunked) headers['transfer-encoding'] = 'chunked';
  else if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-length') && (bodyParts.length > 0 || ['PUT', 'POST'].includes(r.method))) {
    headers['content-length'] = String(bodyParts.reduce((n, b) => n + b.length, 0));
  }
  if ((r.sign ?? 'v1') === 'v1') {
    headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, r.method, r.path, headers)}`;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: ossd.host, port: ossd.port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const part of bodyParts) req.write(part);
    req.end();
  });
}

/** Sends raw bytes on a socket and returns everything the server answers until it closes or `waitMs` passes. */
export function rawSocket(ossd: Ossd, bytes: Buffer | string, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(ossd.port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on('error', () => undefined);
    sock.write(bytes);
  });
}

/** The <Code> of an error body, or of the x-oss-err header of a HEAD error. */
export function errorCode(res: RawResponse): string | undefined {
  const xml = res.text || (typeof res.headers['x-oss-err'] === 'string' ? Buffer.from(res.headers['x-oss-err'], 'base64').toString('utf8') : '');
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

/** Asserts an OSS error answer: its status and its <Code> (body, or x-oss-err for HEAD). */
export function assertErr(res: RawResponse, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(errorCode(res), code, res.text);
}
