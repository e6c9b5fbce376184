/**
 * Signature V1 for raw requests (auth.md §2–3), written from the spec alone: this file
 * imports nothing from src/, so a server that stopped signing a sub-resource (versionId,
 * say) fails the raw suite instead of agreeing with itself. Checked against auth.md §9's
 * vectors in test/unit/raw-signer.test.ts.
 */
import { createHmac } from 'node:crypto';

/**
 * auth.md §2.3: the query parameters V1 signs (the union of the Go, C++ and Python SDK
 * lists), copied from the reference, not from the server. Plus `seal`, which
 * alibabacloud-oss-go-sdk-v2 signs (SealAppendObject, oss/api_op_object.go), and ossd's own
 * `x-ossd-append-limit` (docs/extensions.md: signed like every sub-resource).
 */
export const V1_SIGNED_SUB_RESOURCES: ReadonlySet<string> = new Set(`
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

/** Percent-decodes where possible; malformed input is signed as sent (the server must refuse it anyway). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** V1 canonical resource from a raw path-style path (auth.md §2.3): decoded path, then the signed sub-resources, sorted, raw values. */
export function canonicalResourceV1(rawPath: string): string {
  const q = rawPath.indexOf('?');
  const path = safeDecode(q < 0 ? rawPath : rawPath.slice(0, q));
  const query = q < 0 ? '' : rawPath.slice(q + 1);
  const subs = query
    .split('&')
    .filter(Boolean)
    .map((p): [string, string] => {
      const eq = p.indexOf('=');
      return eq < 0 ? [safeDecode(p), ''] : [safeDecode(p.slice(0, eq)), safeDecode(p.slice(eq + 1))];
    })
    .filter(([n]) => V1_SIGNED_SUB_RESOURCES.has(n))
    .sort((a, b) => byteOrder(a[0], b[0]))
    .map(([n, v]) => (v === '' ? n : `${n}=${v}`));
  // The C++ SDK's ListBuckets path `//` signs as `/` (no bucket).
  const base = path === '' || path === '//' ? '/' : path;
  return subs.length > 0 ? `${base}?${subs.join('&')}` : base;
}

/** auth.md §2: VERB, Content-MD5, Content-Type, DATE (x-oss-date, else Date), the x-oss-* headers, the resource. */
export function stringToSignV1(method: string, rawPath: string, headers: Record<string, string>): string {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const ossHeaders = Object.keys(lower)
    .filter((k) => k.startsWith('x-oss-'))
    .sort(byteOrder)
    .map((k) => `${k}:${lower[k]!.trim()}\n`)
    .join('');
  const fixed = [method, lower['content-md5'] ?? '', lower['content-type'] ?? '', lower['x-oss-date'] ?? lower.date ?? ''];
  return fixed.join('\n') + '\n' + ossHeaders + canonicalResourceV1(rawPath);
}

/** Base64( HMAC-SHA1( secret, UTF-8(StringToSign) ) ). */
export function signV1(secret: string, method: string, rawPath: string, headers: Record<string, string>): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSignV1(method, rawPath, headers), 'utf8')).digest('base64');
}

export interface SignerCreds { id: string; secret: string; token?: string }

/**
 * A V1 presigned path (auth.md §3): rawPath (its sub-resources signed, e.g. `?versionId=`)
 * plus `security-token` for temporary credentials, then OSSAccessKeyId, Expires, Signature.
 * `headers` are those the request will carry (Content-Type, x-oss-*): they are signed too.
 */
export function presignV1(c: SignerCreds, method: string, rawPath: string, expires: number, headers: Record<string, string> = {}): string {
  const join = (p: string): string => (p.includes('?') ? '&' : '?');
  const path = c.token === undefined ? rawPath : `${rawPath}${join(rawPath)}security-token=${encodeURIComponent(c.token)}`;
  const signature = signV1(c.secret, method, path, { ...headers, date: String(expires) });
  return `${path}${join(path)}OSSAccessKeyId=${encodeURIComponent(c.id)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
}
