/** PutObject, AppendObject, CopyObject (objects.md §1, §5; append.md). */
import { onlyEncryption } from '../engine/attributes.js';
import { APPENDABLE_STORAGE_CLASSES, type ObjectRecord } from '../engine/model.js';
import { OssError } from '../engine/errors.js';
import { bucketOf, header, keyOf, type RequestContext } from '../protocol/context.js';
import {
  parseForbidOverwrite,
  parseObjectAttributes,
  quoted,
  requestBody,
} from '../protocol/object-headers.js';
import { copySourceConditions, parseCopySource } from '../protocol/copy-source.js';
import { withEc, withStatus } from '../protocol/errors/catalogue.js';
import { queryValue } from '../protocol/request-target.js';
import { renderXml, xmlDate } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { validateBucketName, validateObjectKey } from '../protocol/names.js';
import { copySourceVersionHeaders, versionHeaders } from '../protocol/versioning.js';
import { IDEMPOTENT_REPLAY, parseIdempotencyKey } from '../protocol/idempotency-key.js';

/** The answer headers of a write: ETag, CRC and the object's encryption headers (OSS echoes them). */
function writeHeaders(rec: ObjectRecord): Record<string, string> {
  return { etag: quoted(rec.etag), 'x-oss-hash-crc64ecma': rec.crc, ...onlyEncryption(rec.headers) };
}

/** The conditional headers OSS refuses on PutObject, in the order they are reported. */
const PUT_CONDITIONS = ['If-Modified-Since', 'If-Unmodified-Since', 'If-Match', 'If-None-Match'];

/**
 * OSS does not implement conditional PutObject: any of these headers is answered
 * NotImplemented, `<Header>` naming it (EC 0017-00000245, help.aliyun.com/en/oss/user-guide/
 * 0017-00000245), with status 400 as that page says. Refusing, rather than ignoring
 * them, keeps a client that relies on them from overwriting what it meant to protect; the
 * way OSS offers is x-oss-forbid-overwrite.
 */
function refuseConditionalPut(ctx: RequestContext): void {
  const named = PUT_CONDITIONS.find((h) => header(ctx, h.toLowerCase()) !== undefined);
  if (named === undefined) return;
  throw new OssError('NotImplemented', undefined, withStatus(400, withEc('0017-00000245', { Header: named })));
}

/**
 * Upload callbacks (x-oss-callback) are not implemented: refused, as CompleteMultipartUpload
 * refuses them, rather than ignored, since a client relying on its callback would otherwise
 * wait for a notification that never comes (Go v2 SDK's callback test, docs/sdk-compatibility.md ⑭).
 */
function refuseCallback(ctx: RequestContext): void {
  if (header(ctx, 'x-oss-callback') !== undefined) throw new OssError('NotImplemented', 'Upload callbacks (x-oss-callback) are not implemented by ossd.');
}

export async function putObject(ctx: RequestContext): Promise<void> {
  refuseConditionalPut(ctx);
  refuseCallback(ctx);
  // Everything that can be refused is checked before the body is read.
  const attrs = parseObjectAttributes(ctx);
  const input = requestBody(ctx);
  const forbid = parseForbidOverwrite(ctx);
  const rec = await ctx.engine.objects.put(bucketOf(ctx), keyOf(ctx), input, attrs, forbid);
  const md5 = Buffer.from(rec.etag, 'hex').toString('base64');
  send(ctx, 200, { ...writeHeaders(rec), 'content-md5': md5, ...(await versionHeaders(ctx, rec)) });
}

/** `position`: required, a decimal non-negative integer (append.md §2). */
function parsePosition(ctx: RequestContext): number {
  const v = queryValue(ctx.query, 'position');
  if (v === undefined) throw new OssError('MissingArgument', 'Missing argument position.', { ArgumentName: 'position' });
  if (!/^\d{1,16}$/.test(v)) {
    throw new OssError('InvalidArgument', 'position must be a non-negative integer.', { ArgumentName: 'position', ArgumentValue: v });
  }
  return Number(v);
}

export async function appendObject(ctx: RequestContext): Promise<void> {
  const position = parsePosition(ctx);
  // x-oss-tagging counts only on the append that creates the object (position 0); later
  // appends ignore it, even when it is invalid (append.md §2.1).
  const attrs = parseObjectAttributes(ctx, APPENDABLE_STORAGE_CLASSES, position === 0);
  const token = parseIdempotencyKey(ctx);
  const input = requestBody(ctx);
  const { record: rec, replay } = await ctx.engine.objects.appendOnce(bucketOf(ctx), keyOf(ctx), position, input, attrs, token);
  // Every append answers with the version it appended to (append.md §9).
  const headers = { ...writeHeaders(rec), 'x-oss-next-append-position': String(rec.size), ...(await versionHeaders(ctx, rec)) };
  send(ctx, 200, replay ? { ...headers, [IDEMPOTENT_REPLAY]: 'true' } : headers);
}

/**
 * SealAppendObject (`POST /<key>?seal&position=<n>`; seal.ts): 200 with the time of the
 * object's first seal in `x-oss-sealed-time`, the same on every later seal.
 */
export async function sealAppendObject(ctx: RequestContext): Promise<void> {
  const position = parsePosition(ctx);
  const rec = await ctx.engine.objects.seal(bucketOf(ctx), keyOf(ctx), position);
  send(ctx, 200, { etag: quoted(rec.etag), 'x-oss-sealed-time': new Date(rec.sealedMs!).toUTCString() });
}

/** x-oss-metadata-directive COPY|REPLACE, x-oss-tagging-directive Copy|Replace (objects.md §5); case-insensitive. */
function parseDirective(ctx: RequestContext, name = 'x-oss-metadata-directive'): 'COPY' | 'REPLACE' {
  const v = (header(ctx, name) ?? 'COPY').toUpperCase();
  if (v !== 'COPY' && v !== 'REPLACE') {
    throw new OssError('InvalidArgument', `${name} must be COPY or REPLACE.`, { ArgumentName: name });
  }
  return v;
}

export async function copyObject(ctx: RequestContext, authorizeSource: (bucket: string, key: string, versionId?: string) => Promise<void>): Promise<void> {
  const source = parseCopySource(header(ctx, 'x-oss-copy-source') ?? '');
  validateBucketName(source.bucket);
  validateObjectKey(source.key);
  await authorizeSource(source.bucket, source.key, source.versionId);
  const result = await ctx.engine.objects.copy(bucketOf(ctx), keyOf(ctx), {
    source,
    metadataDirective: parseDirective(ctx),
    taggingDirective: parseDirective(ctx, 'x-oss-tagging-directive'),
    attrs: parseObjectAttributes(ctx),
    forbidOverwrite: parseForbidOverwrite(ctx),
    conditions: copySourceConditions(ctx),
  });
  if (result === 'not-modified') return send(ctx, 304);
  const rec = result.record;
  sendXml(
    ctx,
    renderXml('CopyObjectResult', [
      ['ETag', quoted(rec.etag)],
      ['LastModified', xmlDate(rec.mtimeMs)],
    ]),
    { ...writeHeaders(rec), ...(await versionHeaders(ctx, rec)), ...(await copySourceVersionHeaders(ctx, source.bucket, result.source)) },
  );
}
