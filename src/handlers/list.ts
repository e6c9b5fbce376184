/** ListObjects (v1) and ListObjectsV2 (listing.md §2–3). */
import { OssError } from '../engine/errors.js';
import { withEc, withoutEc } from '../protocol/errors/catalogue.js';
import type { ListResult } from '../engine/listing.js';
import type { ObjectRecord } from '../engine/model.js';
import { bucketOf, type RequestContext } from '../protocol/context.js';
import { queryValue } from '../protocol/request-target.js';
import { renderXml, urlEncode, xmlDate, type XmlNode } from '../protocol/xml/render.js';
import { sendXml } from '../server/respond.js';
import { ownerXml } from './owner.js';

export interface CommonParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (s: string) => string;
  encodingType: string | undefined;
}

/** OSS refuses a listing prefix or marker of 1024 bytes or more (error pages 0015-00000403/-405, 0012-00000103). */
const MAX_LISTING_ARGUMENT_BYTES = 1023;

/**
 * A listing argument (prefix, marker, start-after, key-marker) no longer than OSS accepts:
 * 400 InvalidArgument otherwise, with the EC OSS documents for that argument of that
 * listing (`ec`), or none where it documents none.
 */
export function listingArgument(ctx: RequestContext, name: string, ec?: string): string {
  const value = queryValue(ctx.query, name) ?? '';
  if (Buffer.byteLength(value) > MAX_LISTING_ARGUMENT_BYTES) {
    const details = { ArgumentName: name, ArgumentValue: value };
    throw new OssError('InvalidArgument', `The length of ${name} must be less than 1024 bytes.`, ec ? withEc(ec, details) : withoutEc(details));
  }
  return value;
}

/** `prefixEc`: the EC OSS documents for a too long prefix in this listing. */
export function commonParams(ctx: RequestContext, prefixEc: string): CommonParams {
  const q = (n: string): string | undefined => queryValue(ctx.query, n);
  const prefix = listingArgument(ctx, 'prefix', prefixEc);
  const maxRaw = q('max-keys');
  let maxKeys = 100;
  if (maxRaw !== undefined && maxRaw !== '') {
    if (!/^\d{1,4}$/.test(maxRaw) || Number(maxRaw) > 1000) {
      throw new OssError('InvalidArgument', 'max-keys must be an integer from 0 to 1000.', { ArgumentName: 'max-keys', ArgumentValue: maxRaw });
    }
    maxKeys = Number(maxRaw);
  }
  const encodingType = q('encoding-type');
  if (encodingType !== undefined && encodingType !== '' && encodingType !== 'url') {
    throw new OssError('InvalidArgument', 'encoding-type must be url.', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  const urlEncoded = encodingType === 'url';
  return {
    prefix,
    delimiter: q('delimiter') ?? '',
    maxKeys,
    encode: urlEncoded ? urlEncode : (s) => s,
    encodingType: urlEncoded ? 'url' : undefined,
  };
}

function contentsXml(ctx: RequestContext, rec: ObjectRecord, p: CommonParams, withOwner: boolean): XmlNode {
  const nodes: XmlNode[] = [
    ['Key', p.encode(rec.key)],
    ['LastModified', xmlDate(rec.mtimeMs)],
    ['ETag', `"${rec.etag}"`],
    ['Type', rec.type],
    ['Size', rec.size],
    ['StorageClass', rec.storageClass],
  ];
  if (withOwner) nodes.push(ownerXml(ctx));
  return ['Contents', nodes];
}

function entriesXml(ctx: RequestContext, r: ListResult, p: CommonParams, withOwner: boolean): XmlNode[] {
  return [
    ...r.contents.map((c) => contentsXml(ctx, c, p, withOwner)),
    ...r.commonPrefixes.map((cp): XmlNode => ['CommonPrefixes', [['Prefix', p.encode(cp)]]]),
  ];
}

export async function listObjects(ctx: RequestContext): Promise<void> {
  const p = commonParams(ctx, '0015-00000403');
  const marker = listingArgument(ctx, 'marker', '0015-00000405');
  const r = await runList(ctx, p, marker);
  const nodes: XmlNode[] = [
    ['Name', bucketOf(ctx)],
    ['Prefix', p.encode(p.prefix)],
    ['Marker', p.encode(marker)],
    ['MaxKeys', p.maxKeys],
    ['Delimiter', p.encode(p.delimiter)],
  ];
  if (p.encodingType) nodes.push(['EncodingType', p.encodingType]);
  nodes.push(['IsTruncated', r.isTruncated]);
  if (r.isTruncated && r.last !== undefined) nodes.push(['NextMarker', p.encode(r.last)]);
  // ali-oss list() reads Owner.ID of every entry without a guard (listing.md §2).
  nodes.push(...entriesXml(ctx, r, p, true));
  sendXml(ctx, renderXml('ListBucketResult', nodes, 'reference'));
}

/** Continuation tokens are base64url of the key to resume after: URL-safe and opaque. */
export function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || encodeToken(key) !== token) {
    throw new OssError('InvalidArgument', 'The continuation token is not valid.', { ArgumentName: 'continuation-token' });
  }
  return key;
}

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const p = commonParams(ctx, '0015-00000403');
  // oss2 sends `continuation-token=` on every first page; OSS lists from the start (docs/operations.md).
  const token = queryValue(ctx.query, 'continuation-token') || undefined;
  const startAfter = queryValue(ctx.query, 'start-after') === undefined ? undefined : listingArgument(ctx, 'start-after');
  const fetchOwner = (queryValue(ctx.query, 'fetch-owner') ?? '').toLowerCase() === 'true';
  const after = token !== undefined ? decodeToken(token) : startAfter ?? '';
  const r = await runList(ctx, p, after);
  const nodes: XmlNode[] = [['Name', bucketOf(ctx)], ['Prefix', p.encode(p.prefix)]];
  if (startAfter !== undefined) nodes.push(['StartAfter', p.encode(startAfter)]);
  if (token !== undefined) nodes.push(['ContinuationToken', token]);
  nodes.push(['MaxKeys', p.maxKeys], ['Delimiter', p.encode(p.delimiter)]);
  if (p.encodingType) nodes.push(['EncodingType', p.encodingType]);
  nodes.push(['IsTruncated', r.isTruncated]);
  if (r.isTruncated && r.last !== undefined) nodes.push(['NextContinuationToken', encodeToken(r.last)]);
  nodes.push(['KeyCount', r.contents.length + r.commonPrefixes.length]);
  nodes.push(...entriesXml(ctx, r, p, fetchOwner));
  sendXml(ctx, renderXml('ListBucketResult', nodes, 'reference'));
}

async function runList(ctx: RequestContext, p: CommonParams, after: string): Promise<ListResult> {
  if (p.maxKeys === 0) {
    await ctx.engine.buckets.require(bucketOf(ctx));
    return { contents: [], commonPrefixes: [], isTruncated: false, last: undefined };
  }
  return ctx.engine.list(bucketOf(ctx), { prefix: p.prefix, delimiter: p.delimiter, after, maxKeys: p.maxKeys });
}
