/**
 * Signature V1 (auth.md §2–3): HMAC-SHA1 over VERB, Content-MD5, Content-Type, DATE,
 * canonicalized x-oss-* headers and the canonicalized resource.
 *
 * Byte strings: header values arrive from Node decoded as latin1 (one char per byte),
 * and clients hash the bytes they sent ("header values hashed as raw bytes"). So every
 * string-to-sign here is built as a *byte string* — one char per byte, like Node's
 * latin1 — with UTF-8 parts (keys, query values) converted by utf8ToBin, and hashed
 * with Buffer.from(s, 'latin1'). That is a Buffer concatenation in string clothing.
 */
import { createHmac } from 'node:crypto';
import { OssError } from '../../engine/errors.js';
import type { AuthInput, AuthTarget, QueryItem } from './types.js';

type Headers = AuthInput['headers'];

/**
 * auth.md §2.3: the only query parameters signed in V1. `seal`: alibabacloud-oss-go-sdk-v2
 * signs it (SealAppendObject sets it as a signed sub-resource, oss/api_op_object.go).
 * `x-ossd-append-limit`: ossd's own sub-resource (docs/extensions.md), signed so that a
 * captured signature of another bucket request cannot be replayed to change the limit.
 */
export const V1_SUB_RESOURCES: ReadonlySet<string> = new Set(`
acl uploads location cors logging website referer lifecycle delete append tagging
objectMeta uploadId partNumber security-token position img style styleName
replication replicationProgress replicationLocation cname bucketInfo comp qos live
status vod startTime endTime symlink x-oss-process response-content-type
x-oss-traffic-limit response-content-language response-expires response-cache-control
response-content-disposition response-content-encoding udf udfName udfImage udfId
udfImageDesc udfApplication udfApplicationLog restore callback callback-var qosInfo
policy stat encryption versions versioning versionId requestPayment
x-oss-request-payer sequential inventory inventoryId continuation-token asyncFetch
worm wormId wormExtend withHashContext x-oss-enable-md5 x-oss-enable-sha1
x-oss-enable-sha256 x-oss-hash-ctx x-oss-md5-ctx transferAcceleration regionList
cloudboxes x-oss-ac-source-ip x-oss-ac-subnet-mask x-oss-ac-vpc-id
x-oss-ac-forward-allow metaQuery resourceGroup rtc x-oss-async-process responseHeader
group link objectInfo x-oss-write-get-object-response bucketArchiveDirectRead
httpsConfig redundancyTransition x-oss-target-redundancy-type
x-oss-redundancy-transition-taskid accessPoint accessPointPolicy publicAccessBlock
x-oss-access-point-name requesterQosInfo qosRequester resourcePoolInfo resourcePool
resourcePoolBuckets seal x-ossd-append-limit`.trim().split(/\s+/));

export function isSubResource(name: string): boolean {
  return V1_SUB_RESOURCES.has(name);
}

// eslint-disable-next-line no-control-regex -- every ASCII character, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 text → byte string (one char per byte). ASCII text is its own byte string. */
export function utf8ToBin(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** Byte string → UTF-8 text, for error details a human reads. */
export function binToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** A header as a byte string (Node's latin1 view); repeated headers joined with ','. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Names compared by code unit; all names involved are ASCII, so this is byte order. */
export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * §2.2: every x-oss-* header, `name:trim(value)\n`, sorted by name. ali-oss trims the
 * byte string with String#trim (signUtils buildCanonicalString), so we do the same.
 */
export function canonicalizedOssHeaders(headers: Headers): string {
  const items: { name: string; value: string }[] = [];
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    const value = headerValue(headers, name);
    if (lower.startsWith('x-oss-') && value !== undefined) items.push({ name: lower, value: value.trim() });
  }
  return items.sort(byName).map((h) => `${h.name}:${h.value}\n`).join('');
}

/** §2.3: "/bucket/key" (raw key) plus sorted sub-resources with raw values. */
export function canonicalizedResource(target: AuthTarget, query: readonly QueryItem[]): string {
  let resource = '/';
  if (target.bucket !== undefined) resource += `${target.bucket}/${target.key ?? ''}`;
  const subs = query.filter((q) => isSubResource(q.name)).sort(byName);
  if (subs.length > 0) {
    resource += `?${subs.map((q) => (q.value === '' ? q.name : `${q.name}=${q.value}`)).join('&')}`;
  }
  return utf8ToBin(resource);
}

/**
 * The V1 string to sign, as a byte string. dateLine is the DATE header value (§2.1) or,
 * for presigned URLs, the Expires value (§3).
 */
export function v1StringToSign(
  method: string, headers: Headers, dateLine: string, target: AuthTarget, query: readonly QueryItem[],
): string {
  return [
    method,
    headerValue(headers, 'content-md5') ?? '',
    headerValue(headers, 'content-type') ?? '',
    dateLine,
    '',
  ].join('\n') + canonicalizedOssHeaders(headers) + canonicalizedResource(target, query);
}

/** Base64( HMAC-SHA1( secret, bytes(stringToSign) ) ). */
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'latin1').digest('base64');
}

/** `OSS <ak>:<signature>` → parts; anything else is a malformed header (400, auth.md §8). */
export function parseV1Authorization(value: string): { accessKeyId: string; signature: string } {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(value.trim());
  if (!m) throw new OssError('InvalidArgument', 'Authorization header is invalid.', { Authorization: value });
  return { accessKeyId: m[1] as string, signature: m[2] as string };
}
