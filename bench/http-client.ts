/**
 * The hot-loop client for ossd and the minimal servers: raw node:http over a keep-alive
 * agent, OSS V1 signing (auth.md §2; same algorithm as test/helpers/raw-http.ts signV1,
 * copied so bench/ does not depend on test/). Bodies are Buffers or a repeated chunk.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';

export interface Credentials {
  id: string;
  secret: string;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  /** Body text, only when asked for (errors, listings). */
  text?: string;
}

export interface Body {
  /** One buffer sent `repeat` times (default once): large bodies without large memory. */
  chunk: Buffer;
  repeat?: number;
}

// OSS V1 sub-resources the bench uses (the canonical resource keeps only these).
const SUB_RESOURCES = new Set(['append', 'position', 'acl', 'uploads', 'partNumber', 'uploadId']);

function canonicalResource(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return decodeURIComponent(path);
  const subs = path
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p, ''] : [p.slice(0, eq), decodeURIComponent(p.slice(eq + 1))];
    })
    .filter(([n]) => SUB_RESOURCES.has(n!))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .map(([n, v]) => (v === '' ? n! : `${n}=${v}`));
  const base = decodeURIComponent(path.slice(0, q));
  return subs.length > 0 ? `${base}?${subs.join('&')}` : base;
}

/** V1 signature: base64 HMAC-SHA1 over VERB, Content-MD5, Content-Type, Date, x-oss-* headers, resource. */
export function signV1(secret: string, method: string, path: string, headers: Record<string, string>): string {
  const ossHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => `${k}:${headers[k]!.trim()}\n`)
    .join('');
  const sts = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers.date ?? ''}\n${ossHeaders}${canonicalResource(path)}`;
  return createHmac('sha1', secret).update(sts, 'utf8').digest('base64');
}

let dateCache = '';
let dateAt = 0;
/** RFC 1123 date, recomputed at most every 500 ms. */
export function httpDate(): string {
  const now = Date.now();
  if (now - dateAt > 500) {
    dateCache = new Date(now).toUTCString();
    dateAt = now;
  }
  return dateCache;
}

export class RawClient {
  readonly agent: http.Agent;

  constructor(
    readonly port: number,
    readonly creds?: Credentials,
    maxSockets = 64,
    /** The server's address (cluster nodes listen on 127.0.0.2–4). */
    readonly host = '127.0.0.1',
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Headers with Date and (when credentials are set) the V1 Authorization. */
  signedHeaders(method: string, path: string, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { date: httpDate(), ...extra };
    if (this.creds) headers.authorization = `OSS ${this.creds.id}:${signV1(this.creds.secret, method, path, headers)}`;
    return headers;
  }

  request(method: string, path: string, opts: { body?: Body; headers?: Record<string, string>; wantText?: boolean } = {}): Promise<Reply> {
    const extra: Record<string, string> = { ...opts.headers };
    const body = opts.body;
    if (body) {
      extra['content-length'] = String(body.chunk.length * (body.repeat ?? 1));
      extra['content-type'] = 'application/octet-stream';
    } else if (method === 'PUT' || method === 'POST') extra['content-length'] = '0';
    const headers = this.signedHeaders(method, path, extra);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        let bytes = 0;
        const keep = opts.wantText || (res.statusCode ?? 0) >= 300;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keep && parts.length < 64) parts.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: keep ? Buffer.concat(parts).toString() : undefined }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      if (!body) {
        req.end();
        return;
      }
      const repeat = body.repeat ?? 1;
      if (repeat === 1) {
        req.end(body.chunk);
        return;
      }
      let sent = 0;
      const pump = (): void => {
        while (sent < repeat) {
          sent++;
          if (!req.write(body.chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws unless the status is one of `ok`. */
export function expectStatus(r: Reply, what: string, ...ok: number[]): Reply {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text ?? ''}`.slice(0, 600));
  return r;
}
