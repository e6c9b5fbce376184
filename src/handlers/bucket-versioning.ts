/** PutBucketVersioning, GetBucketVersioning (buckets.md §7) and ListObjectVersions (listing.md §4). */
import { OssError } from '../engine/errors.js';
import { versionIdOf, type VersioningStatus } from '../engine/model.js';
import type { VersionEntry } from '../drivers/types.js';
import { bucketOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { queryValue } from '../protocol/request-target.js';
import { asObject, asText, parseXml } from '../protocol/xml/parse.js';
import { renderXml, xmlDate, type XmlNode } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { type CommonParams, commonParams, listingArgument } from './list.js';
import { ownerXml } from './owner.js';

const STATUSES: readonly VersioningStatus[] = ['Enabled', 'Suspended'];

export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.require(bucket);
  const raw = await readSmallBody(ctx, 64 * 1024, () => new OssError('MalformedXML', 'The request body is too large.'));
  const status = asText(asObject(parseXml(raw).VersioningConfiguration)?.Status);
  if (status === undefined || !(STATUSES as readonly string[]).includes(status)) {
    throw new OssError('MalformedXML', 'VersioningConfiguration/Status must be Enabled or Suspended.');
  }
  await ctx.engine.buckets.setVersioning(bucket, status as VersioningStatus);
  send(ctx, 200);
}

/** A never-versioned bucket answers an empty configuration (ali-oss reads Status as undefined). */
export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(ctx, renderXml('VersioningConfiguration', b.versioning !== undefined ? [['Status', b.versioning]] : []));
}

/** ali-oss reads Owner.ID of every Version and DeleteMarker without a guard (listing.md §4). */
function versionXml(ctx: RequestContext, e: VersionEntry, p: CommonParams): XmlNode {
  const rec = e.record;
  const head: XmlNode[] = [
    ['Key', p.encode(rec.key)],
    ['VersionId', versionIdOf(rec)],
    ['IsLatest', e.latest === true],
    ['LastModified', xmlDate(rec.mtimeMs)],
  ];
  if (rec.deleteMarker) return ['DeleteMarker', [...head, ownerXml(ctx)]];
  return [
    'Version',
    [...head, ['ETag', `"${rec.etag}"`], ['Type', rec.type], ['Size', rec.size], ['StorageClass', rec.storageClass], ownerXml(ctx)],
  ];
}

export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const p = commonParams(ctx, '0012-00000103');
  const keyMarker = listingArgument(ctx, 'key-marker');
  const versionIdMarker = queryValue(ctx.query, 'version-id-marker');
  const q = { prefix: p.prefix, delimiter: p.delimiter, maxKeys: p.maxKeys, keyMarker, versionIdMarker: versionIdMarker || undefined };
  const r =
    p.maxKeys === 0
      ? { versions: [], commonPrefixes: [], isTruncated: false, nextKeyMarker: undefined, nextVersionIdMarker: undefined }
      : await ctx.engine.listVersions(bucketOf(ctx), q);
  const nodes: XmlNode[] = [
    ['Name', bucketOf(ctx)],
    ['Prefix', p.encode(p.prefix)],
    ['KeyMarker', p.encode(keyMarker)],
    ['VersionIdMarker', p.encode(versionIdMarker ?? '')],
    ['MaxKeys', p.maxKeys],
    ['Delimiter', p.encode(p.delimiter)],
  ];
  if (p.encodingType) nodes.push(['EncodingType', p.encodingType]);
  nodes.push(['IsTruncated', r.isTruncated]);
  if (r.nextKeyMarker !== undefined) {
    nodes.push(['NextKeyMarker', p.encode(r.nextKeyMarker)], ['NextVersionIdMarker', p.encode(r.nextVersionIdMarker ?? '')]);
  }
  nodes.push(...r.versions.map((e) => versionXml(ctx, e, p)));
  nodes.push(...r.commonPrefixes.map((cp): XmlNode => ['CommonPrefixes', [['Prefix', p.encode(cp)]]]));
  sendXml(ctx, renderXml('ListVersionsResult', nodes, 'reference'));
}
