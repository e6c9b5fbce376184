/**
 * PostObject forms built by hand (multipart/form-data, RFC 7578) and signed with
 * ali-oss's own helpers: `calculatePostSignature` (V1) and `signPostObjectPolicyV4` (V4).
 */
import { randomBytes } from 'node:crypto';
import type { OssClient } from './clients.js';
import type { Ossd } from './ossd-process.js';
import { raw, type RawResponse } from './raw-http.js';

export interface FormField {
  name: string;
  value: string | Buffer;
  filename?: string;
  contentType?: string;
}

export function multipartBody(fields: readonly FormField[], boundary = `----ossdTest${randomBytes(8).toString('hex')}`): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const disp = `form-data; name="${f.name}"${f.filename !== undefined ? `; filename="${f.filename}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disp}\r\n${f.contentType ? `Content-Type: ${f.contentType}\r\n` : ''}\r\n`;
    parts.push(Buffer.from(head, 'utf8'), Buffer.isBuffer(f.value) ? f.value : Buffer.from(f.value, 'utf8'), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface PostOptions {
  /** Send the body in these many chunks, Transfer-Encoding: chunked. */
  chunked?: boolean;
  /** Virtual-hosted: POST / with Host <bucket>.oss-cn-hangzhou.aliyuncs.com (else path style POST /<bucket>). */
  virtualHosted?: boolean;
  headers?: Record<string, string>;
}

/** Sends a PostObject form (unsigned HTTP: the form carries the signature). */
export function postForm(ossd: Ossd, bucket: string, fields: readonly FormField[], o: PostOptions = {}): Promise<RawResponse> {
  const { body, contentType } = multipartBody(fields);
  const headers: Record<string, string> = { 'content-type': contentType, ...(o.headers ?? {}) };
  if (o.virtualHosted) headers.host = `${bucket}.oss-cn-hangzhou.aliyuncs.com`;
  const chunks = o.chunked ? [body.subarray(0, 7), body.subarray(7, 300), body.subarray(300)] : [body];
  return raw(ossd, { method: 'POST', path: o.virtualHosted ? '/' : `/${bucket}`, headers, body: chunks, sign: 'none', chunked: o.chunked });
}

export type Policy = { expiration: string; conditions: unknown[] };

export function policyFor(conditions: unknown[], expiresInMs = 3600_000): Policy {
  return { expiration: new Date(Date.now() + expiresInMs).toISOString(), conditions };
}

/** V1 signature fields, from ali-oss calculatePostSignature. */
export function v1Fields(c: OssClient, policy: Policy | string): FormField[] {
  const s = c.calculatePostSignature(policy) as { OSSAccessKeyId: string; Signature: string; policy: string };
  return [
    { name: 'OSSAccessKeyId', value: s.OSSAccessKeyId },
    { name: 'policy', value: s.policy },
    { name: 'Signature', value: s.Signature },
  ];
}

/** V4 signature fields, from ali-oss signPostObjectPolicyV4 (region oss-cn-hangzhou → cn-hangzhou). */
export function v4Fields(c: OssClient, accessKeyId: string, policy: Policy, date = new Date()): FormField[] {
  const iso = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const signature = c.signPostObjectPolicyV4(policy, date) as string;
  return [
    { name: 'policy', value: Buffer.from(JSON.stringify(policy), 'utf8').toString('base64') },
    { name: 'x-oss-signature-version', value: 'OSS4-HMAC-SHA256' },
    { name: 'x-oss-credential', value: `${accessKeyId}/${iso.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request` },
    { name: 'x-oss-date', value: iso },
    { name: 'x-oss-signature', value: signature },
  ];
}

export function fileField(data: Buffer | string, filename = 'upload.bin', contentType?: string): FormField {
  return { name: 'file', value: data, filename, ...(contentType ? { contentType } : {}) };
}
