/**
 * PostObject: a browser form upload, `POST /` on the bucket with multipart/form-data (OSS
 * PostObject doc). Form fields come first, the `file` field last; fields after it are
 * ignored. Field names are case-insensitive. The form fields that PutObject takes as
 * headers (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires,
 * Content-MD5, x-oss-meta-*, x-oss-object-acl, x-oss-storage-class, x-oss-tagging,
 * x-oss-forbid-overwrite) mean the same here. The file streams straight into the engine.
 *
 * Success: `success_action_redirect` (an http(s) URL) → 303 to it with `bucket`, `key` and
 * `etag` added to its query; else `success_action_status` 200 (empty), 201 (a
 * `<PostResponse>` XML body) or 204 (empty, the default).
 */
import { STORED_HEADERS, type ObjectRecord } from '../engine/model.js';
import { OssError } from '../engine/errors.js';
import { body, bucketOf, header, type RequestContext } from '../protocol/context.js';
import { objectUrl } from '../protocol/endpoint.js';
import { checkHeaderBytes, checkHeaderName } from '../protocol/header-values.js';
import { formBoundary, malformedForm, MultipartReader, type PartHead } from '../protocol/multipart-form.js';
import { validateObjectKey } from '../protocol/names.js';
import { parseContentMd5, parseForbidOverwrite, parseObjectAttributes, quoted } from '../protocol/object-headers.js';
import { checkPolicy, limitLength, parsePolicy, type PostPolicy } from '../protocol/post-policy.js';
import { verifyPostSignature } from '../protocol/post-signature.js';
import { renderXml } from '../protocol/xml/render.js';
import { send } from '../server/respond.js';
import type { HandlerExtras } from './index.js';

const MAX_FIELD_BYTES = 64 * 1024;
const MAX_FIELDS_BYTES = 256 * 1024;
const MAX_FIELDS = 256;
/** Fields after the file are read (and ignored) up to this much, so the answer goes out on a drained connection. */
const MAX_TRAILER_BYTES = 64 * 1024;
/** After a refusal the rest of the body is read (and dropped) up to this, so the answer reaches the client. */
const DRAIN_LIMIT = 8 * 1024 * 1024;

async function readFields(reader: MultipartReader): Promise<{ fields: Map<string, string>; file: PartHead }> {
  const fields = new Map<string, string>();
  let total = 0;
  for (;;) {
    const part = await reader.next();
    if (!part) throw new OssError('InvalidArgument', 'The form has no file field (it must be the last field).', { ArgumentName: 'file' });
    const name = part.name.toLowerCase();
    if (name === 'file') return { fields, file: part };
    if (fields.has(name)) throw malformedForm(`the field ${part.name} appears more than once`);
    if (fields.size >= MAX_FIELDS) throw malformedForm('too many form fields');
    const value = await reader.text(MAX_FIELD_BYTES);
    total += value.length;
    if (total > MAX_FIELDS_BYTES) throw malformedForm('the form fields are too large');
    fields.set(name, value);
  }
}

/** Browsers send a bare file name; old ones sent a whole path. */
function baseName(filename: string): string {
  return filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
}

/** Form fields a GET of the object sends back as headers (with every x-oss-meta-*). */
const FIELDS_SENT_BACK = new Set(['content-type', ...STORED_HEADERS]);

/** The form fields as the request headers PutObject would read (header values are byte strings). */
function asHeaders(fields: ReadonlyMap<string, string>, file: PartHead): RequestContext {
  const headers: Record<string, string> = {};
  for (const [name, value] of fields) {
    headers[name] = Buffer.from(value, 'utf8').toString('latin1');
    // Stored fields come back as response headers: refused now if they could not be sent then.
    if (name.startsWith('x-oss-meta-')) checkHeaderName(name);
    if (FIELDS_SENT_BACK.has(name) || name.startsWith('x-oss-meta-')) checkHeaderBytes(headers[name], name);
  }
  // Without a Content-Type field, the file part's own type (what the browser guessed).
  if (!headers['content-type'] && file.contentType) {
    checkHeaderBytes(file.contentType, 'Content-Type');
    headers['content-type'] = file.contentType;
  }
  return { req: { headers } } as unknown as RequestContext;
}

/**
 * Reads and drops the rest of a refused form, so the error answer is not lost to a reset
 * connection (the pipeline cannot drain a body whose async iterator is in use). Past
 * DRAIN_LIMIT the connection is closed after the answer instead.
 */
async function drainRest(ctx: RequestContext, source: AsyncIterator<Buffer>): Promise<void> {
  let n = 0;
  try {
    for (let r = await source.next(); r.done !== true; r = await source.next()) {
      n += r.value.length;
      if (n > DRAIN_LIMIT) {
        ctx.res.setHeader('connection', 'close');
        return;
      }
    }
  } catch {
    // The client went away; the pipeline sees it when answering.
  }
}

async function drainTrailer(ctx: RequestContext, reader: MultipartReader): Promise<void> {
  let n = 0;
  try {
    while ((await reader.next()) !== undefined) {
      n += (await reader.text(MAX_TRAILER_BYTES)).length;
      if (n > MAX_TRAILER_BYTES) throw malformedForm('too much after the file field');
    }
  } catch {
    // The object is stored; whatever follows the file does not matter, but do not read on.
    ctx.res.setHeader('connection', 'close');
  }
}

function redirectTarget(url: string | undefined, bucket: string, key: string, etag: string): string | undefined {
  if (url === undefined || url === '') return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const hash = u.hash;
  u.hash = '';
  const params = `bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(etag)}`;
  const base = u.href;
  return `${base}${u.search ? '&' : '?'}${params}${hash}`;
}

function respond(ctx: RequestContext, fields: ReadonlyMap<string, string>, bucket: string, rec: ObjectRecord): void {
  const etag = quoted(rec.etag);
  const headers: Record<string, string> = { etag, 'x-oss-hash-crc64ecma': rec.crc };
  const location = redirectTarget(fields.get('success_action_redirect'), bucket, rec.key, etag);
  if (location !== undefined) return send(ctx, 303, { ...headers, location });
  const status = fields.get('success_action_status');
  if (status === '200') return send(ctx, 200, headers);
  if (status !== '201') return send(ctx, 204, headers);
  const where = objectUrl(ctx, bucket, encodeURIComponent(rec.key).replace(/%2F/g, '/'));
  const xml = renderXml('PostResponse', [['Bucket', bucket], ['ETag', etag], ['Key', rec.key], ['Location', where]], 'reference');
  send(ctx, 201, { ...headers, 'content-type': 'application/xml' }, xml);
}

export async function postObject(ctx: RequestContext, extras: HandlerExtras): Promise<void> {
  const bucket = bucketOf(ctx);
  const boundary = formBoundary(header(ctx, 'content-type'));
  // A missing bucket is refused before any of the body is read.
  await ctx.engine.buckets.require(bucket);
  const source = body(ctx)[Symbol.asyncIterator]();
  try {
    await upload(ctx, extras, bucket, new MultipartReader(source, boundary));
  } catch (e) {
    await drainRest(ctx, source);
    throw e;
  }
}

async function upload(ctx: RequestContext, extras: HandlerExtras, bucket: string, reader: MultipartReader): Promise<void> {
  const { fields, file } = await readFields(reader);
  const rawKey = fields.get('key');
  if (rawKey === undefined || rawKey === '') {
    throw new OssError('InvalidArgument', 'The key form field is required.', { ArgumentName: 'key' });
  }
  const key = rawKey.split('${filename}').join(baseName(file.filename ?? ''));
  validateObjectKey(key);
  const signer = await extras.keys((lookup) => verifyPostSignature(fields, lookup));
  let range: PostPolicy['lengthRange'];
  if (signer !== undefined) {
    const policy = parsePolicy(fields.get('policy') ?? '');
    checkPolicy(policy, { bucket, rawKey, key, fields });
    range = policy.lengthRange;
  }
  // Unsigned forms: only where the ACL lets anyone write (public-read-write).
  await extras.authorizeWrite(signer, bucket, key);
  const h = asHeaders(fields, file);
  const attrs = parseObjectAttributes(h);
  const input = { body: limitLength(reader.body(), range), contentLength: undefined, contentMd5: parseContentMd5(h) };
  const rec = await ctx.engine.objects.put(bucket, key, input, attrs, parseForbidOverwrite(h));
  await drainTrailer(ctx, reader);
  respond(ctx, fields, bucket, rec);
}
