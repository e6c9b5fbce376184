/**
 * verifyRequest: detect the signature scheme (auth.md §1), check dates / expiry, look up
 * the key, compute the expected signature for every addressing candidate (README §1.3)
 * and accept the first that matches; then check the STS token (§6.1). Pure: no I/O.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OssError } from '../../engine/errors.js';
import type { AuthInput, AuthOutcome, AuthTarget, KeyLookup, KeySecret } from './types.js';
import { binToUtf8, headerValue, parseV1Authorization, v1Signature, v1StringToSign } from './v1.js';
import { withEc } from '../errors/catalogue.js';
import {
  V4_ALGORITHM, parseAdditionalHeaders, parseCredential, parseV4Authorization, quirkApplies,
  signingKey, v4CanonicalRequest, v4Signature, v4StringToSign,
} from './v4.js';

const MAX_SKEW_MS = 15 * 60 * 1000; // §2.1, §4.1
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // §5: OSS limit on x-oss-expires

/** One signature computation; the first one feeds SignatureDoesNotMatch details. */
interface Attempt { signature: string; stringToSign: string; canonicalRequest?: string }

/** `YYYY-MM-DDTHH:MM:SS.000Z` (README §4.1 / auth.md §8 ServerTime). */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function parseIsoBasic(s: string): number | undefined {
  const m = ISO_BASIC.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  return new Date(t).getUTCDate() === d ? t : undefined; // reject 20250231 etc.
}

/** x-oss-date (ISO basic for V4, RFC 1123 for ali-oss V1) or an HTTP Date (RFC 1123). */
function parseTimestamp(s: string): number | undefined {
  const basic = parseIsoBasic(s);
  if (basic !== undefined) return basic;
  if (!/^[A-Za-z]{3},? /.test(s) && !/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function queryValue(input: AuthInput, name: string): string | undefined {
  return input.query.find((q) => q.name === name)?.value;
}

function dateInvalid(): OssError {
  return new OssError('AccessDenied', 'Date header is missing or invalid');
}

function checkSkew(requestTime: number, now: number): void {
  if (Math.abs(now - requestTime) > MAX_SKEW_MS) {
    throw new OssError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: isoSeconds(requestTime), ServerTime: isoSeconds(now), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
}

function checkExpiry(expiresAt: number, now: number): void {
  if (now > expiresAt) {
    throw new OssError('AccessDenied', 'Request has expired.', { Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now) });
  }
}

export function lookupKey(lookup: KeyLookup, accessKeyId: string): KeySecret {
  const key = lookup(accessKeyId);
  if (!key) {
    throw new OssError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
      OSSAccessKeyId: accessKeyId,
    });
  }
  return key;
}

/** §6.1: a temporary key must come with its own token, and must not have expired. */
export function checkToken(key: KeySecret, provided: string | undefined, now: number): void {
  if (key.expiresAt !== undefined && key.expiresAt < now) {
    throw new OssError('InvalidSecurityToken', 'The security token you provided has expired', withEc('0002-00000007'));
  }
  if (key.securityToken !== undefined && (provided === undefined || !safeEqual(provided, key.securityToken))) {
    throw new OssError('InvalidSecurityToken', 'The security token you provided is invalid.');
  }
  if (key.securityTokenSha256 !== undefined
    && (provided === undefined || !safeEqual(createHash('sha256').update(provided, 'utf8').digest('hex'), key.securityTokenSha256))) {
    throw new OssError('InvalidSecurityToken', 'The security token you provided is invalid.');
  }
}

/**
 * A security token sent with a permanent key: OSS takes the request for an STS one and
 * finds no STS key by that id, so it answers InvalidAccessKeyId with EC 0002-00000002
 * (OSS page 0002-00000002: "you added the SecurityToken by mistake"). Checked right after
 * the key is looked up, before the signature, as a lookup failure. An empty token counts
 * as none (no SDK sends one; Go and Python add the header only when they hold a token).
 */
export function refuseTokenWithPermanentKey(key: KeySecret, token: string | undefined, accessKeyId: string): void {
  const temporary = key.securityToken !== undefined || key.securityTokenSha256 !== undefined;
  if (!temporary && token !== undefined && token !== '') {
    throw new OssError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.',
      withEc('0002-00000002', { OSSAccessKeyId: accessKeyId }));
  }
}

/**
 * Every header V4's AdditionalHeaders names must be in the request, and no name may hold
 * `_`: OSS answers 400 (OSS page 0002-00000211 for the Authorization header; the Go v2 SDK's
 * integration test TestPresignWithAdditionalHeaders sees 400 for a presigned URL sent
 * without its signed headers).
 */
function checkAdditionalHeadersPresent(input: AuthInput, names: readonly string[], presigned: boolean): void {
  for (const name of names) {
    if (name.includes('_') || headerValue(input.headers, name) === undefined) {
      const details = { AdditionalHeaders: names.join(';'), MissingHeader: name };
      throw new OssError('InvalidArgument', 'A header named in AdditionalHeaders is not in the request.',
        presigned ? details : withEc('0002-00000211', details));
    }
  }
}

/** Try every candidate (README §1.3) and every variant (0 … variants-1); return the first matching index. */
function firstMatch(
  input: AuthInput, provided: string, accessKeyId: string, variants: number, attempt: (t: AuthTarget, variant: number) => Attempt,
): number {
  let first: Attempt | undefined;
  const candidates = input.candidates;
  for (let index = 0; index < candidates.length; index++) {
    for (let variant = 0; variant < variants; variant++) {
      const a = attempt(candidates[index]!, variant);
      first ??= a;
      if (safeEqual(a.signature, provided)) return index;
    }
  }
  const details: Record<string, string> = {
    StringToSign: binToUtf8(first?.stringToSign ?? ''), SignatureProvided: provided, OSSAccessKeyId: accessKeyId,
  };
  // A V4 mismatch has its own EC (OSS page 0002-00000201); V1 keeps the catalogue's.
  if (first?.canonicalRequest !== undefined) Object.assign(details, withEc('0002-00000201', { CanonicalRequest: binToUtf8(first.canonicalRequest) }));
  throw new OssError('SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    details);
}

/** §2: DATE = x-oss-date if present, else Date; if both differ also try Date. */
function verifyV1Header(input: AuthInput, authorization: string, lookup: KeyLookup, now: number): AuthOutcome {
  const { accessKeyId, signature } = parseV1Authorization(authorization);
  const ossDate = headerValue(input.headers, 'x-oss-date');
  const date = headerValue(input.headers, 'date');
  const primary = ossDate ?? date;
  const time = primary === undefined ? undefined : parseTimestamp(primary);
  if (primary === undefined || time === undefined) throw dateInvalid();
  checkSkew(time, now);
  const key = lookupKey(lookup, accessKeyId);
  const token = headerValue(input.headers, 'x-oss-security-token');
  refuseTokenWithPermanentKey(key, token, accessKeyId);
  const dateLines = date !== undefined && date !== primary ? [primary, date] : [primary];
  const index = firstMatch(input, signature, accessKeyId, dateLines.length, (target, variant) => {
    const sts = v1StringToSign(input.method, input.headers, dateLines[variant]!, target, input.query);
    return { signature: v1Signature(key.secret, sts), stringToSign: sts };
  });
  checkToken(key, token, now);
  return { scheme: 'v1', accessKeyId, candidateIndex: index };
}

/** §3: DATE line = Expires (absolute seconds); expiry replaces the skew check. */
function verifyV1Presigned(input: AuthInput, lookup: KeyLookup, now: number): AuthOutcome {
  const accessKeyId = queryValue(input, 'OSSAccessKeyId');
  const expires = queryValue(input, 'Expires');
  const signature = queryValue(input, 'Signature');
  if (!accessKeyId || !signature || expires === undefined || !/^\d{1,12}$/.test(expires)) {
    throw new OssError('InvalidArgument', 'Presigned URL needs OSSAccessKeyId, Expires (Unix seconds) and Signature.');
  }
  checkExpiry(Number(expires) * 1000, now);
  const key = lookupKey(lookup, accessKeyId);
  const token = queryValue(input, 'security-token') ?? headerValue(input.headers, 'x-oss-security-token');
  refuseTokenWithPermanentKey(key, token, accessKeyId);
  const index = firstMatch(input, signature, accessKeyId, 1, (target) => {
    const sts = v1StringToSign(input.method, input.headers, expires, target, input.query);
    return { signature: v1Signature(key.secret, sts), stringToSign: sts };
  });
  checkToken(key, token, now);
  return { scheme: 'v1-presigned', accessKeyId, candidateIndex: index };
}

interface V4Params {
  input: AuthInput; key: KeySecret; accessKeyId: string; scope: ReturnType<typeof parseCredential>;
  timestamp: string; additionalHeaders: string[]; signature: string;
  query: AuthInput['query'];
}

/** Shared V4 matching: standard canonical query first, then the ali-oss `name=` form (§4.4). */
function matchV4(p: V4Params): number {
  const kSigning = signingKey(p.key.secret, p.scope.day, p.scope.region, p.scope.product);
  // Variant 1: the ali-oss quirk, where it can apply.
  return firstMatch(p.input, p.signature, p.accessKeyId, quirkApplies(p.query) ? 2 : 1, (target, variant) => {
    const canonicalRequest = v4CanonicalRequest({
      method: p.input.method, target, query: p.query, headers: p.input.headers,
      additionalHeaders: p.additionalHeaders, aliOssQuirk: variant === 1,
    });
    const sts = v4StringToSign(p.timestamp, p.scope, canonicalRequest);
    return { signature: v4Signature(kSigning, sts), stringToSign: sts, canonicalRequest };
  });
}

/** §4: timestamp = x-oss-date, else Date verbatim (Go SDK, §4.1); scope day must match. */
function verifyV4Header(input: AuthInput, authorization: string, lookup: KeyLookup, now: number): AuthOutcome {
  const { scope, additionalHeaders, signature } = parseV4Authorization(authorization);
  const timestamp = headerValue(input.headers, 'x-oss-date') ?? headerValue(input.headers, 'date');
  const time = timestamp === undefined ? undefined : parseTimestamp(timestamp);
  if (timestamp === undefined || time === undefined) throw dateInvalid();
  if (utcDay(time) !== scope.day) {
    throw new OssError('InvalidArgument', 'Credential scope date does not match the request date.', { Credential: scope.day });
  }
  checkSkew(time, now);
  checkAdditionalHeadersPresent(input, additionalHeaders, false);
  const key = lookupKey(lookup, scope.accessKeyId);
  const token = headerValue(input.headers, 'x-oss-security-token');
  refuseTokenWithPermanentKey(key, token, scope.accessKeyId);
  const index = matchV4({
    input, key, accessKeyId: scope.accessKeyId, scope, timestamp, additionalHeaders, signature, query: input.query,
  });
  checkToken(key, token, now);
  return { scheme: 'v4', accessKeyId: scope.accessKeyId, candidateIndex: index };
}

/** §5: x-oss-* query parameters; everything but x-oss-signature is signed. */
function verifyV4Presigned(input: AuthInput, lookup: KeyLookup, now: number): AuthOutcome {
  const credential = queryValue(input, 'x-oss-credential');
  const timestamp = queryValue(input, 'x-oss-date');
  const expires = queryValue(input, 'x-oss-expires');
  const signature = queryValue(input, 'x-oss-signature');
  if (!credential || !timestamp || !expires || !signature) {
    throw new OssError('InvalidArgument',
      'Presigned URL needs x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature.');
  }
  const scope = parseCredential(credential);
  const time = parseIsoBasic(timestamp);
  if (time === undefined || timestamp.slice(0, 8) !== scope.day) {
    throw new OssError('InvalidArgument', 'Invalid x-oss-date.', { 'x-oss-date': timestamp });
  }
  if (!/^\d{1,7}$/.test(expires) || Number(expires) > MAX_PRESIGN_SECONDS) {
    throw new OssError('InvalidArgument', 'x-oss-expires must be between 0 and 604800 seconds.', { 'x-oss-expires': expires });
  }
  checkExpiry(time + Number(expires) * 1000, now);
  const extra = queryValue(input, 'x-oss-additional-headers');
  const additionalHeaders = extra === undefined ? [] : parseAdditionalHeaders(extra);
  checkAdditionalHeadersPresent(input, additionalHeaders, true);
  const key = lookupKey(lookup, scope.accessKeyId);
  const token = queryValue(input, 'x-oss-security-token') ?? headerValue(input.headers, 'x-oss-security-token');
  refuseTokenWithPermanentKey(key, token, scope.accessKeyId);
  const index = matchV4({
    input, key, accessKeyId: scope.accessKeyId, scope, timestamp, additionalHeaders, signature,
    query: input.query.filter((q) => q.name !== 'x-oss-signature'),
  });
  checkToken(key, token, now);
  return { scheme: 'v4-presigned', accessKeyId: scope.accessKeyId, candidateIndex: index };
}

/**
 * Authenticate one request. Throws OssError (InvalidArgument, InvalidAccessKeyId,
 * SignatureDoesNotMatch, AccessDenied, RequestTimeTooSkewed, InvalidSecurityToken).
 * Returns the scheme, the access key and which of input.candidates the client signed.
 */
export function verifyRequest(input: AuthInput, lookup: KeyLookup, now: number = Date.now()): AuthOutcome {
  const authorization = headerValue(input.headers, 'authorization');
  if (authorization !== undefined) {
    const auth = authorization.trim();
    if (auth.startsWith(`${V4_ALGORITHM} `)) return verifyV4Header(input, auth, lookup, now);
    if (auth.startsWith('OSS2 ')) throw new OssError('InvalidArgument', 'Signature version OSS2 is not supported.');
    if (auth.startsWith('OSS ')) return verifyV1Header(input, auth, lookup, now);
    throw new OssError('InvalidArgument', 'Authorization header is invalid.', { Authorization: authorization });
  }
  const version = queryValue(input, 'x-oss-signature-version');
  if (version !== undefined) {
    if (version === V4_ALGORITHM) return verifyV4Presigned(input, lookup, now);
    throw new OssError('InvalidArgument', `Signature version ${version} is not supported.`);
  }
  if (queryValue(input, 'OSSAccessKeyId') !== undefined || queryValue(input, 'Signature') !== undefined) {
    return verifyV1Presigned(input, lookup, now);
  }
  return { scheme: 'anonymous', candidateIndex: 0 };
}

/** Short human description, for logs: e.g. "v4 AKIDEXAMPLE". */
export function describeAuth(outcome: AuthOutcome): string {
  return outcome.accessKeyId === undefined ? outcome.scheme : `${outcome.scheme} ${outcome.accessKeyId}`;
}
