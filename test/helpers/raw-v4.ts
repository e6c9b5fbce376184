/**
 * Signature V4 for raw requests (auth.md §4–5), written from the spec alone (it imports
 * nothing from src/; checked against auth.md §9's vectors in test/unit/raw-signer.test.ts),
 * the way the C++ SDK sends it: Date and x-oss-date, x-oss-content-sha256: UNSIGNED-PAYLOAD,
 * path style. V4 signs every query parameter, so a `versionId` is always signed.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Ossd } from './ossd-process.js';
import { raw, type RawRequest, type RawResponse } from './raw-http.js';
import type { SignerCreds } from './raw-v1.js';

export interface V4Input {
  accessKeyId: string;
  secret: string;
  region: string;
  method: string;
  /** Logical resource, decoded: `/bucket/key`, `/bucket/` or `/`. */
  resource: string;
  /** Decoded query items; value '' is signed as the bare name. */
  query: Array<[string, string]>;
  headers: Record<string, string>;
  additionalHeaders?: string[];
  /** `yyyymmddTHHMMSSZ`. */
  timestamp: string;
}

/** RFC 3986 over UTF-8: only A–Z a–z 0–9 - _ . ~ stay as they are. */
export function rfc3986(s: string, keepSlash = false): string {
  const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? e.replace(/%2F/g, '/') : e;
}

export function canonicalRequestV4(i: V4Input): string {
  const lower = Object.fromEntries(Object.entries(i.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const extra = (i.additionalHeaders ?? []).map((h) => h.toLowerCase()).sort();
  const signed = Object.keys(lower)
    .filter((k) => k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-') || extra.includes(k))
    .sort();
  const query = i.query
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join('&');
  return [
    i.method,
    rfc3986(i.resource, true),
    query,
    signed.map((k) => `${k}:${lower[k]!.trim()}\n`).join(''),
    extra.join(';'),
    lower['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

export function stringToSignV4(i: V4Input): string {
  const day = i.timestamp.slice(0, 8);
  const hash = createHash('sha256').update(canonicalRequestV4(i), 'utf8').digest('hex');
  return ['OSS4-HMAC-SHA256', i.timestamp, `${day}/${i.region}/oss/aliyun_v4_request`, hash].join('\n');
}

export function signatureV4(i: V4Input): string {
  const mac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  const kDate = mac('aliyun_v4' + i.secret, i.timestamp.slice(0, 8));
  const kSigning = mac(mac(mac(kDate, i.region), 'oss'), 'aliyun_v4_request');
  return createHmac('sha256', kSigning).update(stringToSignV4(i), 'utf8').digest('hex');
}

export function authorizationV4(i: V4Input): string {
  const extra = i.additionalHeaders?.length ? `,AdditionalHeaders=${i.additionalHeaders.map((h) => h.toLowerCase()).sort().join(';')}` : '';
  return `OSS4-HMAC-SHA256 Credential=${i.accessKeyId}/${i.timestamp.slice(0, 8)}/${i.region}/oss/aliyun_v4_request${extra},Signature=${signatureV4(i)}`;
}

/** `20250115T080000Z` for a Date. */
export function isoBasic(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Splits a raw path-style request path into the logical resource and decoded query (C++ `//` = `/`). */
export function parsePath(rawPath: string): { resource: string; query: Array<[string, string]> } {
  const q = rawPath.indexOf('?');
  const path = decodeURIComponent(q < 0 ? rawPath : rawPath.slice(0, q));
  const query = (q < 0 ? '' : rawPath.slice(q + 1))
    .split('&')
    .filter(Boolean)
    .map((p): [string, string] => {
      const eq = p.indexOf('=');
      return eq < 0 ? [decodeURIComponent(p), ''] : [decodeURIComponent(p.slice(0, eq)), decodeURIComponent(p.slice(eq + 1))];
    });
  return { resource: path === '//' ? '/' : path, query };
}

/** A raw request signed V4 as the C++ SDK does it (Date + x-oss-date + UNSIGNED-PAYLOAD). */
export function rawV4(ossd: Ossd, r: Omit<RawRequest, 'sign'> & { region?: string; secret?: string; now?: Date }): Promise<RawResponse> {
  const now = r.now ?? new Date();
  const headers: Record<string, string> = {
    date: now.toUTCString(),
    'x-oss-date': isoBasic(now),
    'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
    ...(r.headers ?? {}),
  };
  const { resource, query } = parsePath(r.path);
  headers.authorization = authorizationV4({
    accessKeyId: ossd.accessKeyId,
    secret: r.secret ?? ossd.accessKeySecret,
    region: r.region ?? 'cn-hangzhou',
    method: r.method,
    resource,
    query,
    headers,
    timestamp: headers['x-oss-date']!,
  });
  return raw(ossd, { ...r, headers, sign: 'none' });
}

/**
 * A V4 presigned path (auth.md §5): rawPath's own query (e.g. `?versionId=`) and the
 * x-oss-* parameters are all in the canonical query; `x-oss-signature` comes last.
 */
export function presignV4(
  c: SignerCreds,
  method: string,
  rawPath: string,
  opts: { now?: Date; expires?: number; region?: string; headers?: Record<string, string> } = {},
): string {
  const timestamp = isoBasic(opts.now ?? new Date());
  const region = opts.region ?? 'cn-hangzhou';
  const added: Array<[string, string]> = [
    ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
    ['x-oss-credential', `${c.id}/${timestamp.slice(0, 8)}/${region}/oss/aliyun_v4_request`],
    ['x-oss-date', timestamp],
    ['x-oss-expires', String(opts.expires ?? 600)],
  ];
  if (c.token !== undefined) added.push(['x-oss-security-token', c.token]);
  const { resource, query } = parsePath(rawPath);
  const signature = signatureV4({
    accessKeyId: c.id, secret: c.secret, region, method, resource, query: [...query, ...added], headers: opts.headers ?? {}, timestamp,
  });
  const extra = [...added, ['x-oss-signature', signature]].map(([k, v]) => `${rfc3986(k!)}=${rfc3986(v!)}`).join('&');
  return `${rawPath}${rawPath.includes('?') ? '&' : '?'}${extra}`;
}
