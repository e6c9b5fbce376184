/**
 * A follow-read client (docs/extensions.md "Follow reads") on raw node:http, which exposes
 * the response trailers (`res.trailers`). Signs V1 with raw-v1.ts (nothing from src/).
 */
import http from 'node:http';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-v1.js';

export interface FollowResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  /** The trailer that says why the read ended. */
  end: string | undefined;
}

export interface Follower {
  /** Resolves when the response ends (rejects if the connection fails). */
  done: Promise<FollowResult>;
  /** Resolves once the response head is in. */
  head: Promise<http.IncomingMessage>;
  /** Bytes received so far. */
  received(): Buffer;
  /** Resolves once at least `n` bytes have come (rejects when the response ends short). */
  atLeast(n: number): Promise<void>;
  /** Cuts the connection, as a client that goes away. */
  destroy(): void;
}

export interface FollowOptions {
  /** `Range: bytes=N-`. */
  from?: number;
  /** x-ossd-follow-idle-timeout / x-ossd-follow-max-duration, in seconds. */
  idleS?: number;
  maxS?: number;
  /** Extra request headers (they replace the defaults). */
  headers?: Record<string, string>;
  /** 'v1' (default) signs with the test root key; 'none' sends anonymously (presigned paths). */
  sign?: 'v1' | 'none';
  /** Pauses the response at once: a reader that does not read. */
  paused?: boolean;
}

/** GET `path` (path style: `/bucket/key`) with `x-ossd-follow: 1`. */
export function follow(ossd: Ossd, path: string, o: FollowOptions = {}): Follower {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'x-ossd-follow': '1' };
  if (o.from !== undefined) headers.range = `bytes=${o.from}-`;
  if (o.idleS !== undefined) headers['x-ossd-follow-idle-timeout'] = String(o.idleS);
  if (o.maxS !== undefined) headers['x-ossd-follow-max-duration'] = String(o.maxS);
  Object.assign(headers, o.headers);
  if ((o.sign ?? 'v1') === 'v1') headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', path, headers)}`;
  const chunks: Buffer[] = [];
  let size = 0;
  const waiters: Array<{ n: number; resolve: () => void; reject: (e: Error) => void }> = [];
  let req!: http.ClientRequest;
  let resolveHead!: (res: http.IncomingMessage) => void;
  const head = new Promise<http.IncomingMessage>((r) => (resolveHead = r));
  const done = new Promise<FollowResult>((resolve, reject) => {
    req = http.request({ host: ossd.host, port: ossd.port, method: 'GET', path, headers, agent: false }, (res) => {
      resolveHead(res);
      if (o.paused) res.pause();
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        for (const w of waiters.filter((x) => x.n <= size)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
      res.on('end', () => {
        for (const w of waiters.splice(0)) w.reject(new Error(`the response ended at ${size} bytes, before ${w.n}`));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers, end: res.trailers['x-ossd-follow-end'] });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => {
      for (const w of waiters.splice(0)) w.reject(e);
      reject(e);
    });
    req.end();
  });
  done.catch(() => undefined);
  return {
    done,
    head,
    received: () => Buffer.concat(chunks),
    atLeast: (n) => (size >= n ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ n, resolve, reject }))),
    destroy: () => req.destroy(),
  };
}
