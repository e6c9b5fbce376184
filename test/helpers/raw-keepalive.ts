/**
 * Raw requests on kept-alive connections, for tests that send thousands of them. Signed
 * V4 with the test root key (raw-v4.ts, which signs every query parameter, so no list of
 * sub-resources is shared with the server) or sent anonymously.
 */
import http from 'node:http';
import { after, before } from 'node:test';
import { SaxesParser } from 'saxes';
import { type Ossd, startOssd, type StartOptions } from './ossd-process.js';
import { authorizationV4, isoBasic, parsePath } from './raw-v4.js';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** 'v4' (default): signed with the root key; 'none': anonymous. */
  sign?: 'v4' | 'none';
  /** Sign with this secret instead of the root key's (to provoke SignatureDoesNotMatch). */
  secret?: string;
}

export interface KeepAliveClient {
  /** `path` is the raw path-style request target, query included, already percent-encoded. */
  send(method: string, path: string, o?: SendOptions): Promise<Answer>;
  close(): void;
}

export function keepAliveClient(ossd: Ossd): KeepAliveClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  return {
    close: () => agent.destroy(),
    send: (method, path, o = {}) => {
      const now = new Date();
      const headers: Record<string, string> = { date: now.toUTCString(), ...(o.headers ?? {}) };
      const body = o.body === undefined ? undefined : Buffer.from(o.body);
      if (body !== undefined || method === 'PUT' || method === 'POST') headers['content-length'] = String(body?.length ?? 0);
      if ((o.sign ?? 'v4') === 'v4') {
        headers['x-oss-date'] = isoBasic(now);
        headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
        const { resource, query } = parsePath(path);
        headers.authorization = authorizationV4({
          accessKeyId: ossd.accessKeyId, secret: o.secret ?? ossd.accessKeySecret, region: 'cn-hangzhou',
          method, resource, query, headers, timestamp: headers['x-oss-date'],
        });
      }
      return new Promise((resolve, reject) => {
        const req = http.request({ host: ossd.host, port: ossd.port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const all = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

/**
 * Parses with saxes, a strict XML 1.0 parser (it throws on any well-formedness error: a
 * NUL, an undefined entity, a reference to a character XML forbids), and returns the text
 * of the elements by name; repeated elements in order.
 */
/**
 * The real ossd started before this file's tests and a kept-alive client of it, both
 * stopped after them; `setup` runs in the same hook (a second top-level hook is not sure
 * to run after the first). Used from the file's top level; the values are valid in tests and hooks.
 */
export function useKeepAliveOssd(
  setup?: (client: KeepAliveClient, ossd: Ossd) => Promise<void>,
  opts: StartOptions = {},
): { ossd: Ossd; client: KeepAliveClient } {
  let ossd: Ossd | undefined;
  let client: KeepAliveClient | undefined;
  before(async () => {
    ossd = await startOssd(opts);
    client = keepAliveClient(ossd);
    await setup?.(client, ossd);
  }, { timeout: 60_000 });
  after(async () => {
    client?.close();
    await ossd?.stop();
    ossd?.cleanup();
  }, { timeout: 60_000 });
  const started = <T extends object>(get: () => T | undefined): T =>
    new Proxy({} as T, {
      get(_, prop) {
        const target = get();
        if (!target) throw new Error('ossd is not started yet: use it inside tests or hooks');
        const value = target[prop as keyof T];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return { ossd: started(() => ossd), client: started(() => client) };
}

export function strictXml(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const open: string[] = [];
  const parser = new SaxesParser();
  parser.on('opentag', (t) => {
    open.push(t.name);
    (out[t.name] ??= []).push('');
  });
  parser.on('text', (t) => {
    const name = open[open.length - 1];
    if (name !== undefined) out[name]![out[name]!.length - 1] += t;
  });
  parser.on('closetag', () => open.pop());
  parser.write(text).close();
  return out;
}

/**
 * Listings (ListObjects, ListObjectsV2, ListObjectVersions, ListMultipartUploads, ListParts,
 * DeleteResult, Initiate/CompleteMultipartUpload) without encoding-type write the characters
 * XML 1.0 cannot carry (C0 controls but tab/LF/CR, U+FFFE, U+FFFF) as decimal character
 * references, as OSS does. This reads them back as a lenient parser (ali-oss's sax) does,
 * and is as strict as strictXml about everything else (references to U+0000 included).
 */
export function listingXml(text: string): Record<string, string[]> {
  const notXml = (n: number): boolean => (n >= 1 && n <= 8) || n === 0xb || n === 0xc || (n >= 0xe && n <= 0x1f) || n === 0xfffe || n === 0xffff;
  // Stand-ins from Unicode's plane-15 private use area (valid XML), mapped back after parsing.
  const STAND_IN = 0xf0000;
  const stood = text.replace(/&#(\d+);/g, (ref, digits: string) => (notXml(Number(digits)) ? `&#${STAND_IN + Number(digits)};` : ref));
  const out = strictXml(stood);
  for (const values of Object.values(out)) {
    for (let i = 0; i < values.length; i++) {
      values[i] = values[i]!.replace(/[\u{f0000}-\u{fffff}]/gu, (c) => String.fromCodePoint(c.codePointAt(0)! - STAND_IN));
    }
  }
  return out;
}

/** The error XML of an answer: its body, or for HEAD the base64 x-oss-err header. */
export function errorXml(res: Answer): string {
  return res.text || Buffer.from(String(res.headers['x-oss-err'] ?? ''), 'base64').toString('utf8');
}
