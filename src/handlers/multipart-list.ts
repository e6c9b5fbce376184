/** ListParts and ListMultipartUploads (multipart.md §6, §7). */
import { bucketOf, keyOf, type RequestContext } from '../protocol/context.js';
import { parseEncoding, parseMax, parsePartNumberMarker, uploadIdOf } from '../protocol/multipart-params.js';
import { quoted } from '../protocol/object-headers.js';
import { queryValue } from '../protocol/request-target.js';
import { renderXml, xmlDate, type XmlNode } from '../protocol/xml/render.js';
import { sendXml } from '../server/respond.js';

/**
 * §7: parts ascending; Python requires IsTruncated, NextPartNumberMarker and per part
 * PartNumber, ETag, Size and LastModified (with .000Z); OSS also sends HashCrc64ecma.
 */
export async function listParts(ctx: RequestContext): Promise<void> {
  const enc = parseEncoding(ctx);
  const maxParts = parseMax(ctx, 'max-parts');
  const marker = parsePartNumberMarker(ctx);
  const page = await ctx.engine.multipart.listParts(bucketOf(ctx), keyOf(ctx), uploadIdOf(ctx), marker, maxParts);
  const last = page.parts[page.parts.length - 1];
  const nodes: XmlNode[] = [];
  if (enc.type) nodes.push(['EncodingType', enc.type]);
  nodes.push(
    ['Bucket', page.upload.bucket],
    ['Key', enc.encode(page.upload.key)],
    ['UploadId', page.upload.uploadId],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', last?.partNumber ?? marker],
    ['MaxParts', maxParts],
    ['IsTruncated', page.isTruncated],
    ...page.parts.map((p): XmlNode => [
      'Part',
      [
        ['PartNumber', p.partNumber],
        ['LastModified', xmlDate(p.mtimeMs)],
        ['ETag', quoted(p.etag)],
        // The Go v2 SDK's Uploader resumes from these CRCs (docs/errors.md).
        ['HashCrc64ecma', p.crc],
        ['Size', p.size],
      ],
    ]),
  );
  sendXml(ctx, renderXml('ListPartsResult', nodes, 'reference'));
}

/** §6: ali-oss reads Upload (Key, UploadId, Initiated), Bucket, NextKeyMarker, NextUploadIdMarker, IsTruncated. */
export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const enc = parseEncoding(ctx);
  const q = {
    prefix: queryValue(ctx.query, 'prefix') ?? '',
    delimiter: queryValue(ctx.query, 'delimiter') ?? '',
    keyMarker: queryValue(ctx.query, 'key-marker') ?? '',
    uploadIdMarker: queryValue(ctx.query, 'upload-id-marker') ?? '',
    maxUploads: parseMax(ctx, 'max-uploads'),
  };
  const r = await ctx.engine.multipart.listUploads(bucketOf(ctx), q);
  const nodes: XmlNode[] = [];
  if (enc.type) nodes.push(['EncodingType', enc.type]);
  nodes.push(
    ['Bucket', bucketOf(ctx)],
    ['KeyMarker', enc.encode(q.keyMarker)],
    ['UploadIdMarker', q.uploadIdMarker],
    ['NextKeyMarker', enc.encode(r.nextKeyMarker)],
    ['NextUploadIdMarker', r.nextUploadIdMarker],
    ['Delimiter', enc.encode(q.delimiter)],
    ['Prefix', enc.encode(q.prefix)],
    ['MaxUploads', q.maxUploads],
    ['IsTruncated', r.isTruncated],
    ...r.uploads.map((u): XmlNode => [
      'Upload',
      [
        ['Key', enc.encode(u.key)],
        ['UploadId', u.uploadId],
        ['Initiated', xmlDate(u.initiatedMs)],
      ],
    ]),
    ...r.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc.encode(p)]]]),
  );
  sendXml(ctx, renderXml('ListMultipartUploadsResult', nodes, 'reference'));
}
