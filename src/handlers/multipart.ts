/**
 * InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload and
 * AbortMultipartUpload (multipart.md §1–§5). ali-oss takes part and object ETags from the
 * `ETag` response header, never from the XML (§2, §3, §4), so every one of them sends it.
 */
import { onlyEncryption } from '../engine/attributes.js';
import { OssError } from '../engine/errors.js';
import type { ObjectRecord } from '../engine/model.js';
import type { PartRecord } from '../engine/multipart-model.js';
import { bucketOf, header, keyOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { copySourceConditions, parseCopySource } from '../protocol/copy-source.js';
import { objectUrl } from '../protocol/endpoint.js';
import {
  copySourceRange,
  parseCompleteXml,
  parseEncoding,
  parsePartNumber,
  uploadIdOf,
} from '../protocol/multipart-params.js';
import { validateBucketName, validateObjectKey } from '../protocol/names.js';
import { withEc } from '../protocol/errors/catalogue.js';
import { parseForbidOverwrite, parseObjectAcl, parseObjectAttributes, quoted, requestBody } from '../protocol/object-headers.js';
import { renderXml, urlEncode, xmlDate, type XmlNode } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { copySourceVersionHeaders, versionHeaders } from '../protocol/versioning.js';

/** 10000 parts of ~120 bytes of XML each fit well within this. */
const MAX_COMPLETE_BODY = 4 * 1024 * 1024;

function partHeaders(part: PartRecord): Record<string, string> {
  return { etag: quoted(part.etag), 'x-oss-hash-crc64ecma': part.crc };
}

export async function initiateMultipartUpload(ctx: RequestContext): Promise<void> {
  const enc = parseEncoding(ctx);
  const attrs = parseObjectAttributes(ctx);
  const forbid = parseForbidOverwrite(ctx);
  // `?uploads&sequential`: parts in order, none uploaded twice (engine/multipart.ts checkSequential).
  const sequential = ctx.query.some((q) => q.name === 'sequential');
  const upload = await ctx.engine.multipart.initiate(bucketOf(ctx), keyOf(ctx), attrs, forbid, sequential);
  const nodes: XmlNode[] = [];
  if (enc.type) nodes.push(['EncodingType', enc.type]);
  nodes.push(['Bucket', upload.bucket], ['Key', enc.encode(upload.key)], ['UploadId', upload.uploadId]);
  sendXml(ctx, renderXml('InitiateMultipartUploadResult', nodes, 'reference'), onlyEncryption(upload.attrs.headers));
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  // Everything that can be refused is checked before the body is read (§2).
  const partNumber = parsePartNumber(ctx);
  const input = requestBody(ctx);
  // OSS UploadPart answers with the encryption the upload was initiated with.
  const encryption = onlyEncryption((await ctx.engine.multipart.requireUpload(bucketOf(ctx), keyOf(ctx), uploadIdOf(ctx))).attrs.headers);
  const part = await ctx.engine.multipart.uploadPart(bucketOf(ctx), keyOf(ctx), uploadIdOf(ctx), partNumber, input);
  const md5 = Buffer.from(part.etag, 'hex').toString('base64');
  send(ctx, 200, { ...partHeaders(part), 'content-md5': md5, ...encryption });
}

export async function uploadPartCopy(ctx: RequestContext, authorizeSource: (bucket: string, key: string, versionId?: string) => Promise<void>): Promise<void> {
  const partNumber = parsePartNumber(ctx);
  const source = parseCopySource(header(ctx, 'x-oss-copy-source') ?? '');
  validateBucketName(source.bucket);
  validateObjectKey(source.key);
  const range = copySourceRange(header(ctx, 'x-oss-copy-source-range'));
  await authorizeSource(source.bucket, source.key, source.versionId);
  const result = await ctx.engine.multipart.uploadPartCopy(bucketOf(ctx), keyOf(ctx), uploadIdOf(ctx), partNumber, {
    source,
    range,
    conditions: copySourceConditions(ctx),
  });
  if (result === 'not-modified') return send(ctx, 304);
  const { part, start, end, sourceSize } = result;
  const headers = { ...partHeaders(part), ...(await copySourceVersionHeaders(ctx, source.bucket, result.source)) };
  // §3: the real capture carries the copied range.
  if (end > start) headers['content-range'] = `bytes ${start}-${end - 1}/${sourceSize}`;
  sendXml(
    ctx,
    renderXml('CopyPartResult', [
      ['LastModified', xmlDate(part.mtimeMs)],
      ['ETag', quoted(part.etag)],
    ]),
    headers,
  );
}

/** `Location`: informational only (§4); the key URL as the client addressed the bucket. */
function location(ctx: RequestContext, rec: ObjectRecord): string {
  return objectUrl(ctx, rec.bucket, rec.key.split('/').map(urlEncode).join('/'));
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdOf(ctx);
  const enc = parseEncoding(ctx);
  const forbidOverwrite = parseForbidOverwrite(ctx);
  const acl = parseObjectAcl(header(ctx, 'x-oss-object-acl'));
  if (header(ctx, 'x-oss-callback') !== undefined) {
    throw new OssError('NotImplemented', 'Upload callbacks (x-oss-callback) are not implemented by ossd.');
  }
  // §4 step 1 comes before the body is judged: an unknown upload is NoSuchUpload whatever the XML.
  await ctx.engine.multipart.requireUpload(bucket, key, uploadId);
  const raw = await readSmallBody(ctx, MAX_COMPLETE_BODY, () => new OssError('MalformedXML', 'The request body is too large.'));
  const all = (header(ctx, 'x-oss-complete-all') ?? '').toLowerCase() === 'yes';
  if (all && raw.length > 0) {
    // OSS's answer (alibabacloud-oss-go-sdk-v2 client_integration_test.go): EC 0042-00000216.
    throw new OssError('InvalidArgument', 'Should not speficy both complete all header and http body.', withEc('0042-00000216', { ArgumentName: 'x-oss-complete-all' }));
  }
  const parts = all ? 'all' : parseCompleteXml(raw);
  const rec = await ctx.engine.multipart.complete(bucket, key, uploadId, { parts, forbidOverwrite, acl });
  const nodes: XmlNode[] = [];
  if (enc.type) nodes.push(['EncodingType', enc.type]);
  nodes.push(
    // A URL already (its key percent-encoded once): encoding-type=url encodes Key only; the
    // Go and Python v2 SDKs decode Key but not Location (docs/errors.md).
    ['Location', location(ctx, rec)],
    ['Bucket', rec.bucket],
    ['Key', enc.encode(rec.key)],
    ['ETag', quoted(rec.etag)],
  );
  const headers = { etag: quoted(rec.etag), 'x-oss-hash-crc64ecma': rec.crc, ...onlyEncryption(rec.headers), ...(await versionHeaders(ctx, rec)) };
  sendXml(ctx, renderXml('CompleteMultipartUploadResult', nodes, 'reference'), headers);
}

/** §5: ali-oss requires 204. */
export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  await ctx.engine.multipart.abort(bucketOf(ctx), keyOf(ctx), uploadIdOf(ctx));
  send(ctx, 204);
}
