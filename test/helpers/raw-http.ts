/**
 * A raw HTTP requester for what no SDK sends (malformed requests, chunked bodies,
 * disconnects). Signs V1 the way the C++ SDK does (Date header, path style), written
 * independently of the server's verifier.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { isSubResource } from '../../src/protocol/auth/v1.js';
import type { Ossd } from './ossd-process.js';

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

/** Percent-decodes where possible; malformed input is signed as sent (the server must refuse it anyway). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** V1 canonical resource from a raw path-style path (auth.md §2.3). */
function canonicalResource(rawPath: string): string {
  const q = rawPath.indexOf('?');
  const path = safeDecode(q < 0 ? rawPath : rawPath.slice(0, q));
  const query = q < 0 ? '' : rawPath.slice(q + 1);
  const subs = query
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [safeDecode(p), ''] : [safeDecode(p.slice(0, eq)), safeDecode(p.slice(eq + 1))];
    })
    .filter(([n]) => isSubResource(n!))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .map(([n, v]) => (v === '' ? n! : `${n}=${v}`));
  // The C++ SDK's ListBuckets path `//` signs as `/` (no bucket).
  const base = path === '' || path === '//' ? '/' : path;
  return subs.length > 0 ? `${base}?${subs.join('&')}` : base;
}

export function signV1(
  secret: string,
  method: string,
  rawPath: string,
  headers: Record<string, string>,
): string {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const ossHeaders = Object.keys(lower)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => `${k}:${lower[k]!.trim()}\n`)
    .join('');
  const sts = [method, lower['content-md5'] ?? '', lower['content-type'] ?? '', lower['x-oss-date'] ?? lower.date ?? ''].join('\n') + '\n' + ossHeaders + canonicalResource(rawPath);
  return createHmac('sha1', secret).update(Buffer.from(sts, 'utf8')).digest('base64');
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
    const req = http.request({ host: '127.0.0.1', port: ossd.port, method: r.method, path: r.path, headers, agent: false }, (res) => {
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
