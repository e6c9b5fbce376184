/**
 * Signature V4 (auth.md §4–5): canonical request → string to sign → HMAC-SHA256 with a
 * key derived from (secret, day, region, "oss"). Canonical requests are byte strings
 * (see v1.ts) because header values are hashed as the raw bytes the client sent.
 */
import { createHash, createHmac } from 'node:crypto';
import { OssError } from '../../engine/errors.js';
import { byName, headerValue, isSubResource, utf8ToBin } from './v1.js';
import type { AuthInput, AuthTarget, QueryItem } from './types.js';
import { withEc } from '../errors/catalogue.js';

type Headers = AuthInput['headers'];

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
const TERMINATOR = 'aliyun_v4_request';

export interface V4Scope { accessKeyId: string; day: string; region: string; product: string }

function invalid(message: string, details: Record<string, string> = {}): OssError {
  return new OssError('InvalidArgument', message, details);
}

/** `<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request` (§4, §5 x-oss-credential). */
export function parseCredential(credential: string): V4Scope {
  const parts = credential.split('/');
  const [accessKeyId, day, region, product, terminator] = parts;
  // OSS's wording for a credential without a usable region (OSS pages 0002-00000228, 0002-00000715).
  if (parts.length === 5 && region === '') {
    throw new OssError('InvalidArgument', 'The signing region in credential is invalid.', withEc('0002-00000228', { ArgumentName: 'Credential', ArgumentValue: credential }));
  }
  if (parts.length !== 5 || !accessKeyId || !day || !/^\d{8}$/.test(day) || !region
    || product !== 'oss' || terminator !== TERMINATOR) {
    throw invalid('Invalid credential in Authorization header or x-oss-credential.', { Credential: credential });
  }
  return { accessKeyId, day, region, product };
}

/** `h1;h2` → lower-case, de-duplicated, sorted; empty list or empty element → 400 (§4). */
export function parseAdditionalHeaders(value: string): string[] {
  const names = value.split(';').map((h) => h.trim().toLowerCase());
  if (names.some((h) => h === '')) throw invalid('Invalid AdditionalHeaders.', { AdditionalHeaders: value });
  return [...new Set(names)].sort();
}

/**
 * V4 Authorization: comma-separated key=value pairs after the algorithm, in any order,
 * with optional spaces (ali-oss/C++/Go vs Python, §4).
 */
export function parseV4Authorization(value: string): { scope: V4Scope; additionalHeaders: string[]; signature: string } {
  const fields = new Map<string, string>();
  for (const part of value.trim().slice(V4_ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (eq < 0 || fields.has(name) || !['Credential', 'AdditionalHeaders', 'Signature'].includes(name)) {
      throw invalid('Authorization header is invalid.', { Authorization: value });
    }
    fields.set(name, part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature) throw invalid('Authorization header is invalid.', { Authorization: value });
  const extra = fields.get('AdditionalHeaders');
  return {
    scope: parseCredential(credential),
    additionalHeaders: extra === undefined ? [] : parseAdditionalHeaders(extra),
    signature,
  };
}

/** RFC 3986 over UTF-8 bytes: keep A–Z a–z 0–9 - _ . ~ (and '/' when asked), %XX the rest (§4.2). */
export function uriEncode(s: string, keepSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * §4.2 canonical query: encoded, sorted by encoded name, `name` for empty values. With
 * aliOssQuirk, empty non-sub-resource values that had '=' in the URL are `name=` (§4.4).
 */
export function canonicalQuery(query: readonly QueryItem[], aliOssQuirk = false): string {
  return query
    .map((q) => ({ name: uriEncode(q.name, false), value: uriEncode(q.value, false), q }))
    .sort((a, b) => byName(a, b) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .map(({ name, value, q }) => {
      if (value !== '') return `${name}=${value}`;
      return aliOssQuirk && q.hasEquals && !isSubResource(q.name) ? `${name}=` : name;
    })
    .join('&');
}

/** Whether the §4.4 retry could produce a different canonical query at all. */
export function quirkApplies(query: readonly QueryItem[]): boolean {
  return query.some((q) => q.value === '' && q.hasEquals && !isSubResource(q.name));
}

/**
 * Header value for V4: ali-oss decodes the bytes as UTF-8 and trims that text
 * (signUtils getCanonicalRequest); bytes that are not UTF-8 are trimmed of OWS only.
 */
function trimV4(bin: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(bin, 'latin1'));
    return utf8ToBin(text.trim());
  } catch {
    return bin.replace(/^[ \t]+|[ \t]+$/g, '');
  }
}

export interface CanonicalRequestInput {
  method: string;
  target: AuthTarget;
  /** For presigned URLs, every parameter except x-oss-signature (§5). */
  query: readonly QueryItem[];
  headers: Headers;
  additionalHeaders: readonly string[];
  aliOssQuirk?: boolean;
}

/** §4.2, as a byte string. */
export function v4CanonicalRequest(input: CanonicalRequestInput): string {
  const { target, headers, additionalHeaders } = input;
  let path = '/';
  if (target.bucket !== undefined) path += `${target.bucket}/${target.key ?? ''}`;
  const names = new Set(additionalHeaders);
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content-md5' || lower.startsWith('x-oss-')) names.add(lower);
  }
  const canonicalHeaders = [...names].sort()
    .map((n) => `${n}:${trimV4(headerValue(headers, n) ?? '')}\n`).join('');
  return [
    input.method,
    uriEncode(path, true),
    canonicalQuery(input.query, input.aliOssQuirk),
    canonicalHeaders,
    additionalHeaders.join(';'),
    headerValue(headers, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

/** §4.3: algorithm, timestamp, scope, hex SHA-256 of the canonical request bytes. */
export function v4StringToSign(timestamp: string, scope: V4Scope, canonicalRequest: string): string {
  const hash = createHash('sha256').update(Buffer.from(canonicalRequest, 'latin1')).digest('hex');
  return [V4_ALGORITHM, timestamp, `${scope.day}/${scope.region}/${scope.product}/${TERMINATOR}`, hash].join('\n');
}

// Derived keys change once a day per (secret, region): a small cache saves four HMACs.
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_MAX = 256;

/** §4.3 kSigning = HMAC chain over day, region, product, "aliyun_v4_request". */
export function signingKey(secret: string, day: string, region: string, product = 'oss'): Buffer {
  const cacheKey = JSON.stringify([secret, day, region, product]);
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), region), product), TERMINATOR);
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

/** Lower-hex HMAC-SHA256 of the string to sign (ASCII). */
export function v4Signature(key: Buffer, stringToSign: string): string {
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}
