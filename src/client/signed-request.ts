/**
 * Signed requests outside ali-oss's high-level calls: the follow GET of `ossd tail`
 * (a streamed response whose trailer ali-oss does not expose) and `ossd presign`
 * (ali-oss's signatureUrl refuses IP endpoints). The signature itself is ali-oss's
 * V1 code (lib/common/signUtils.js); this file only builds the URL and headers.
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { Connection } from './config.js';

const require = createRequire(import.meta.url);

interface SignUtils {
  buildCanonicalString(method: string, resource: string, request: { headers: Record<string, string>; parameters?: Record<string, string> }, expires?: string): string;
  authorization(id: string, secret: string, canonical: string): string;
  _signatureForURL(secret: string, options: Record<string, unknown>, resource: string, expires: number): { Signature: string; subResource: Record<string, string> };
}
const signUtils = require('ali-oss/lib/common/signUtils') as SignUtils;

/** The OSS V1 canonical resource `/bucket/key` (auth.md), the key unescaped. */
function resource(bucket: string, key: string): string {
  return `/${bucket}/${key}`;
}

/** The object's URL: `host/bucket/key` path style, else `bucket.host/key`. */
export function objectUrl(conn: Connection, bucket: string, key: string): URL {
  const url = new URL(conn.endpoint.origin);
  // encodeURIComponent keeps '/' escaped; OSS keys keep their slashes in the path.
  const path = key.split('/').map(encodeURIComponent).join('/');
  if (conn.pathStyle) url.pathname = `/${bucket}/${path}`;
  else {
    url.hostname = `${bucket}.${url.hostname}`;
    url.pathname = `/${path}`;
  }
  return url;
}

/** A V1-signed request's headers (Date, Authorization, the STS token) plus `extra`. */
export function signedHeaders(conn: Connection, method: string, bucket: string, key: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...extra, date: new Date().toUTCString() };
  if (conn.sessionToken) headers['x-oss-security-token'] = conn.sessionToken;
  const canonical = signUtils.buildCanonicalString(method, resource(bucket, key), { headers }, headers.date);
  headers.authorization = signUtils.authorization(conn.accessKeyId, conn.accessKeySecret, canonical);
  return headers;
}

/** Sends a signed request for an object and resolves with the response (body unread). */
export function signedRequest(conn: Connection, method: string, bucket: string, key: string, extra: Record<string, string> = {}): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  const url = objectUrl(conn, bucket, key);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers: signedHeaders(conn, method, bucket, key, extra) });
    req.once('response', (res) => resolve({ req, res }));
    req.once('error', reject);
    req.end();
  });
}

/** A presigned URL (V1 query signature: OSSAccessKeyId, Expires, Signature). */
export function presignedUrl(conn: Connection, method: string, bucket: string, key: string, expiresInSeconds: number): string {
  const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
  const options: Record<string, unknown> = { method };
  if (conn.sessionToken) options['security-token'] = conn.sessionToken;
  const signed = signUtils._signatureForURL(conn.accessKeySecret, options, resource(bucket, key), expires);
  const url = objectUrl(conn, bucket, key);
  url.searchParams.set('OSSAccessKeyId', conn.accessKeyId);
  url.searchParams.set('Expires', String(expires));
  url.searchParams.set('Signature', signed.Signature);
  for (const [name, value] of Object.entries(signed.subResource)) url.searchParams.set(name, value);
  return url.toString();
}
