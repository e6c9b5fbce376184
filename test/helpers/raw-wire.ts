/**
 * Byte-level HTTP for the raw compat tests: requests Node's http client will not send
 * (no Date, no Content-Length, a lying Content-Length, bad chunk framing, Expect:
 * 100-continue), and a parser for what comes back on the socket.
 */
import net from 'node:net';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-http.js';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WireRequest {
  method: string;
  path: string;
  /** Sent exactly as given (plus Host and, when signing, Authorization). */
  headers?: Record<string, string>;
  /** Bytes after the head, sent as is (no framing added). */
  body?: Buffer | string;
  sign?: 'v1' | 'none';
}

/** The request head (and body) as bytes, signed V1 over exactly the headers given. */
export function wireBytes(ossd: Ossd, r: WireRequest): Buffer {
  const headers: Record<string, string> = { host: `127.0.0.1:${ossd.port}`, ...(r.headers ?? {}) };
  if ((r.sign ?? 'v1') === 'v1') {
    headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, r.method, r.path, headers)}`;
  }
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body)]);
}

/** Parses consecutive HTTP/1.1 responses (Content-Length framed; 1xx have no body). Incomplete tails are dropped. */
export function parseResponses(data: string, headRequest = false): WireResponse[] {
  const out: WireResponse[] = [];
  let rest = Buffer.from(data, 'latin1');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = status < 200 || headRequest ? 0 : Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({ status, headers, body: rest.subarray(end + 4, end + 4 + length) });
    rest = rest.subarray(end + 4 + length);
  }
}

/** An open connection that can be written to in steps and waited on. */
export interface Wire {
  write(b: Buffer | string): void;
  /** Resolves with everything received once `until` holds for it, or when `ms` pass or the socket closes. */
  read(until: (received: string) => boolean, ms?: number): Promise<string>;
  closed(): boolean;
  destroy(): void;
}

export async function openWire(ossd: Ossd): Promise<Wire> {
  const sock = net.connect(ossd.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  sock.on('error', () => undefined);
  let received = '';
  let isClosed = false;
  const waiters = new Set<() => void>();
  const poke = (): void => waiters.forEach((w) => w());
  sock.on('data', (d: Buffer) => {
    received += d.toString('latin1');
    poke();
  });
  sock.on('close', () => {
    isClosed = true;
    poke();
  });
  return {
    write: (b) => void sock.write(b),
    read: (until, ms = 5000) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!until(received) && !isClosed) return;
          finish();
        };
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(finish, ms);
        waiters.add(check);
        check();
      }),
    closed: () => isClosed,
    destroy: () => sock.destroy(),
  };
}

/** One request on a fresh connection; resolves with the final (non-1xx) response. */
export async function wire(ossd: Ossd, r: WireRequest, ms = 5000): Promise<WireResponse & { raw: string }> {
  const w = await openWire(ossd);
  try {
    w.write(wireBytes(ossd, r));
    const isHead = r.method === 'HEAD';
    const raw = await w.read((s) => parseResponses(s, isHead).some((x) => x.status >= 200), ms);
    const final = parseResponses(raw, isHead).find((x) => x.status >= 200);
    if (!final) throw new Error(`no complete response; received ${JSON.stringify(raw)}`);
    return { ...final, raw };
  } finally {
    w.destroy();
  }
}
