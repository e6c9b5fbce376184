/**
 * Object headers in both directions (objects.md §0–1): request headers that become the
 * stored attributes of a new object, and a stored record as GET/HEAD response headers.
 */
import type { ObjectAttributes } from '../engine/attributes.js';
import { OssError } from '../engine/errors.js';
import { OBJECT_ACLS, type ObjectAcl, type ObjectRecord, STORAGE_CLASSES, STORED_HEADERS } from '../engine/model.js';
import type { BodyInput } from '../engine/objects.js';
import { body, header, type RequestContext } from './context.js';
import { parseEncryptionHeaders } from './encryption.js';
import { checkTagSet } from './tagging.js';
import { withEc } from './errors/catalogue.js';

const META_PREFIX = 'x-oss-meta-';
/** OSS: user metadata totals at most 8 KB. */
const MAX_META_BYTES = 8 * 1024;

export function parseObjectAcl(v: string | undefined): ObjectAcl | undefined {
  if (v === undefined) return undefined;
  if (!(OBJECT_ACLS as readonly string[]).includes(v)) {
    throw new OssError('InvalidArgument', `The ACL "${v}" is not valid.`, { ArgumentName: 'x-oss-object-acl', ArgumentValue: v });
  }
  return v as ObjectAcl;
}

export function parseStorageClass(v: string | undefined, allowed: readonly string[] = STORAGE_CLASSES): string | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v)) {
    throw new OssError('InvalidArgument', `The storage class "${v}" is not valid here.`, { ArgumentName: 'x-oss-storage-class', ArgumentValue: v });
  }
  return v;
}

/** `x-oss-tagging: k=v&k2=v2`, URL-encoded (objects.md §10): ≤ 10 tags, key 1–128, value ≤ 256, unique keys. */
export function parseTagging(v: string | undefined): Array<[string, string]> | undefined {
  if (v === undefined) return undefined;
  const tags: Array<[string, string]> = [];
  const bad = (why: string, ec?: string): OssError =>
    new OssError('InvalidArgument', `Invalid x-oss-tagging: ${why}.`, ec ? withEc(ec, { ArgumentName: 'x-oss-tagging' }) : { ArgumentName: 'x-oss-tagging' });
  for (const part of v.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw bad('malformed encoding');
    }
    tags.push([key, value]);
  }
  checkTagSet(tags);
  return tags;
}

export function parseUserMeta(ctx: RequestContext): Record<string, string> {
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    const k = name.slice(META_PREFIX.length);
    meta[k] = v;
    bytes += k.length + Buffer.byteLength(v, 'latin1');
  }
  if (bytes > MAX_META_BYTES) throw new OssError('InvalidArgument', 'User metadata is larger than 8 KB.');
  return meta;
}

export function parseObjectAttributes(ctx: RequestContext, storageClasses: readonly string[] = STORAGE_CLASSES, withTags = true): ObjectAttributes {
  const headers: Record<string, string> = {};
  for (const h of STORED_HEADERS) {
    const v = header(ctx, h);
    if (v !== undefined) headers[h] = v;
  }
  Object.assign(headers, parseEncryptionHeaders(ctx));
  return {
    contentType: header(ctx, 'content-type') || undefined,
    headers,
    meta: parseUserMeta(ctx),
    acl: parseObjectAcl(header(ctx, 'x-oss-object-acl')),
    tags: withTags ? parseTagging(header(ctx, 'x-oss-tagging')) : undefined,
    storageClass: parseStorageClass(header(ctx, 'x-oss-storage-class'), storageClasses),
  };
}

/** Declared body length: Content-Length, or undefined for chunked; neither is 411 (README §2). */
export function bodyLength(ctx: RequestContext): number | undefined {
  const te = header(ctx, 'transfer-encoding');
  if (te !== undefined && te.toLowerCase().includes('chunked')) return undefined;
  const cl = header(ctx, 'content-length');
  if (cl === undefined) throw new OssError('MissingContentLength');
  if (!/^\d{1,16}$/.test(cl)) throw new OssError('InvalidArgument', 'Content-Length is not a valid number.');
  return Number(cl);
}

export function parseContentMd5(ctx: RequestContext): Buffer | undefined {
  const v = header(ctx, 'content-md5');
  if (v === undefined) return undefined;
  const raw = Buffer.from(v.trim(), 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== v.trim()) {
    throw new OssError('InvalidDigest', 'The Content-MD5 you specified is not valid.', withEc('0017-00000502'));
  }
  return raw;
}

/**
 * The request's body as the engine takes it (PutObject, AppendObject, UploadPart). Its
 * chunks come from Node's HTTP parser and nothing else holds them: the engine frees their
 * memory once written (BodyInput.chunksOwned).
 */
export function requestBody(ctx: RequestContext): BodyInput {
  return { body: body(ctx), contentLength: bodyLength(ctx), contentMd5: parseContentMd5(ctx), chunksOwned: true };
}

export function parseForbidOverwrite(ctx: RequestContext): boolean {
  const v = header(ctx, 'x-oss-forbid-overwrite');
  if (v === undefined) return false;
  const l = v.toLowerCase();
  if (l !== 'true' && l !== 'false') {
    throw new OssError('InvalidArgument', 'x-oss-forbid-overwrite must be true or false.', { ArgumentName: 'x-oss-forbid-overwrite' });
  }
  return l === 'true';
}

export function quoted(etag: string): string {
  return `"${etag}"`;
}

/** The headers GET and HEAD return for an object (objects.md §0). */
export function objectResponseHeaders(rec: ObjectRecord): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': rec.contentType,
    etag: quoted(rec.etag),
    'last-modified': new Date(rec.mtimeMs).toUTCString(),
    'accept-ranges': 'bytes',
    'x-oss-object-type': rec.type,
    'x-oss-storage-class': rec.storageClass,
    'x-oss-hash-crc64ecma': rec.crc,
  };
  // The ETag of a Normal object (PutObject, PostObject, a copy of one) is its MD5; OSS sends
  // it as Content-MD5 too. Appendable and Multipart ETags are not an MD5 (docs/operations.md).
  if (rec.type === 'Normal') h['content-md5'] = Buffer.from(rec.etag, 'hex').toString('base64');
  for (const [k, v] of Object.entries(rec.headers)) h[k] = v;
  for (const [k, v] of Object.entries(rec.meta)) h[`x-oss-meta-${k}`] = v;
  if (rec.type === 'Appendable') h['x-oss-next-append-position'] = String(rec.size);
  // SealAppendObject: HeadObject and GetObject name the time of the first seal.
  if (rec.sealedMs !== undefined) h['x-oss-sealed-time'] = new Date(rec.sealedMs).toUTCString();
  if (rec.tags.length > 0) h['x-oss-tagging-count'] = String(rec.tags.length);
  return h;
}
