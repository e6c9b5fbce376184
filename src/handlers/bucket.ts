/** Service and bucket operations (buckets.md). */
import type { BucketTagFilter } from '../engine/buckets.js';
import { OssError } from '../engine/errors.js';
import { BUCKET_ACLS, type BucketAcl, type BucketRecord, STORAGE_CLASSES } from '../engine/model.js';
import { bucketOf, header, readSmallBody, type RequestContext } from '../protocol/context.js';
import { advertisedEndpoint } from '../protocol/endpoint.js';
import { withEc } from '../protocol/errors/catalogue.js';
import { queryValue } from '../protocol/request-target.js';
import { asObject, asText, parseXml } from '../protocol/xml/parse.js';
import { renderXml, xmlDate, type XmlNode } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { ownerXml } from './owner.js';

function parseBucketAcl(v: string | undefined, fallback?: BucketAcl): BucketAcl {
  if (v === undefined && fallback) return fallback;
  if (v === undefined || !(BUCKET_ACLS as readonly string[]).includes(v)) {
    // OSS page 0015-00000204: an x-oss-acl value other than private, public-read, public-read-write.
    throw new OssError('InvalidArgument', `The ACL "${v ?? ''}" is not valid.`, withEc('0015-00000204', { ArgumentName: 'x-oss-acl', ArgumentValue: v ?? '' }));
  }
  return v as BucketAcl;
}

function parseMaxKeys(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > 1000) {
    throw new OssError('InvalidArgument', 'max-keys must be an integer from 1 to 1000.', { ArgumentName: 'max-keys', ArgumentValue: v });
  }
  return Number(v);
}

function location(ctx: RequestContext): string {
  return `oss-${ctx.config.region}`;
}

/** ossd has one network: both endpoints name the host clients reach it by (protocol/endpoint.ts). */
function endpoints(ctx: RequestContext): XmlNode[] {
  const endpoint = advertisedEndpoint(ctx);
  return [
    ['ExtranetEndpoint', endpoint],
    ['IntranetEndpoint', endpoint],
  ];
}

/**
 * ListBuckets' tag filters. `tag-key` and `tag-value` (what the Java and Go SDKs send):
 * only buckets carrying that key, with that value when one is given; `tag-value` without
 * `tag-key` filters nothing (docs/operations.md). `tagging` (alibabacloud-oss-go-sdk-v2's
 * ListBucketsRequest.Tagging): a list of `"key":"value"` pairs that a bucket must all
 * carry, not to be combined with `tag-key` / `tag-value` (the SDK's field documentation).
 */
function tagFilter(ctx: RequestContext): BucketTagFilter[] | undefined {
  const tagging = queryValue(ctx.query, 'tagging');
  const key = queryValue(ctx.query, 'tag-key');
  if (tagging !== undefined && tagging !== '') {
    if (key !== undefined || queryValue(ctx.query, 'tag-value') !== undefined) {
      throw new OssError('InvalidArgument', 'The tagging parameter cannot be used with tag-key or tag-value.', { ArgumentName: 'tagging', ArgumentValue: tagging });
    }
    return parseTaggingFilter(tagging);
  }
  if (key === undefined || key === '') return undefined;
  const value = queryValue(ctx.query, 'tag-value');
  return [value === undefined ? { key } : { key, value }];
}

/** `"k1":"v1","k2":"v2"`: the members of a JSON object without its braces, each value a string. */
function parseTaggingFilter(tagging: string): BucketTagFilter[] {
  const bad = (): OssError => new OssError('InvalidArgument', 'The tagging parameter must be a list of "key":"value" pairs.', { ArgumentName: 'tagging', ArgumentValue: tagging });
  let pairs: unknown;
  try {
    pairs = JSON.parse(`{${tagging}}`);
  } catch {
    throw bad();
  }
  const entries = Object.entries(pairs as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string')) throw bad();
  return entries.map(([key, value]) => ({ key, value: value as string }));
}

/** What a bucket name can begin with (README §1.5: a-z, 0-9 and '-', 3–63 long, not starting with '-'); '' too. */
const BUCKET_NAME_START = /^(?:[a-z0-9][a-z0-9-]{0,62})?$/;

/**
 * ListBuckets' `prefix` and `marker` (project choice, docs/errors.md): one that no bucket
 * name can begin with (upper case, '_', '/', a control, over 63 bytes) is 400 InvalidArgument
 * with OSS's EC for an invalid prefix (0017-00000290) / marker (0017-00000291), rather
 * than an empty list: it is a mistake (an object prefix, a typo) that an empty answer hides.
 */
function bucketNameStart(ctx: RequestContext, name: 'prefix' | 'marker', ec: string): string {
  const v = queryValue(ctx.query, name) ?? '';
  if (!BUCKET_NAME_START.test(v)) {
    throw new OssError('InvalidArgument', `The ${name} can match no bucket name: bucket names hold only a-z, 0-9 and "-", are at most 63 long and do not start with "-".`, withEc(ec, { ArgumentName: name, ArgumentValue: v }));
  }
  return v;
}

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const prefix = bucketNameStart(ctx, 'prefix', '0017-00000290');
  const marker = bucketNameStart(ctx, 'marker', '0017-00000291');
  const maxKeys = parseMaxKeys(queryValue(ctx.query, 'max-keys'), 100);
  const rows = await ctx.engine.buckets.list(prefix, marker, maxKeys + 1, tagFilter(ctx));
  const page = rows.slice(0, maxKeys);
  const truncated = rows.length > maxKeys;
  const nodes: XmlNode[] = [];
  if (prefix) nodes.push(['Prefix', prefix]);
  if (marker) nodes.push(['Marker', marker]);
  if (queryValue(ctx.query, 'max-keys') !== undefined) nodes.push(['MaxKeys', maxKeys]);
  nodes.push(['IsTruncated', truncated]);
  if (truncated) nodes.push(['NextMarker', page[page.length - 1]!.name]);
  nodes.push(ownerXml(ctx));
  nodes.push([
    'Buckets',
    page.map((b): XmlNode => [
      'Bucket',
      [
        ['CreationDate', xmlDate(b.createdMs)],
        ...endpoints(ctx),
        ['Location', location(ctx)],
        ['Name', b.name],
        ['Region', ctx.config.region],
        ['StorageClass', b.storageClass],
      ],
    ]),
  ]);
  sendXml(ctx, renderXml('ListAllMyBucketsResult', nodes));
}

async function parseCreateConfiguration(ctx: RequestContext): Promise<{ storageClass: string; redundancy: string }> {
  const raw = await readSmallBody(ctx, 64 * 1024, () => new OssError('MalformedXML', 'The request body is too large.'));
  if (raw.length === 0) return { storageClass: 'Standard', redundancy: 'LRS' };
  const conf = asObject(parseXml(raw).CreateBucketConfiguration);
  if (!conf) throw new OssError('MalformedXML');
  const storageClass = asText(conf.StorageClass) ?? 'Standard';
  const redundancy = asText(conf.DataRedundancyType) ?? 'LRS';
  if (!(STORAGE_CLASSES as readonly string[]).includes(storageClass)) {
    throw new OssError('InvalidArgument', `The storage class "${storageClass}" is not valid.`, { ArgumentName: 'StorageClass' });
  }
  if (redundancy !== 'LRS' && redundancy !== 'ZRS') {
    throw new OssError('InvalidArgument', `The data redundancy type "${redundancy}" is not valid.`, { ArgumentName: 'DataRedundancyType' });
  }
  return { storageClass, redundancy };
}

export async function putBucket(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const acl = parseBucketAcl(header(ctx, 'x-oss-acl'), 'private');
  const { storageClass, redundancy } = await parseCreateConfiguration(ctx);
  await ctx.engine.buckets.create(bucket, acl, storageClass, redundancy);
  send(ctx, 200, { location: `/${bucket}` });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  await ctx.engine.buckets.delete(bucketOf(ctx));
  send(ctx, 204);
}

function bucketInfoXml(ctx: RequestContext, b: BucketRecord): XmlNode[] {
  return [
    ['AccessMonitor', 'Disabled'],
    ['CreationDate', xmlDate(b.createdMs)],
    ...endpoints(ctx),
    ['Location', location(ctx)],
    ['StorageClass', b.storageClass],
    ['TransferAcceleration', 'Disabled'],
    ['CrossRegionReplication', 'Disabled'],
    ['DataRedundancyType', b.redundancy],
    ['Name', b.name],
    ownerXml(ctx),
    ['AccessControlList', [['Grant', b.acl]]],
    // OSS's bucket remark; ossd has no way to set one, so it is always empty (docs/operations.md).
    ['Comment', ''],
    ['ServerSideEncryptionRule', [['SSEAlgorithm', 'None']]],
    ...(b.versioning !== undefined ? [['Versioning', b.versioning] as XmlNode] : []),
  ];
}

export async function getBucketInfo(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(ctx, renderXml('BucketInfo', [['Bucket', bucketInfoXml(ctx, b)]]));
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(ctx, renderXml('LocationConstraint', location(ctx)));
}

export async function getBucketAcl(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(ctx, renderXml('AccessControlPolicy', [ownerXml(ctx), ['AccessControlList', [['Grant', b.acl]]]]));
}

/**
 * PutBucketAcl. On a bucket that does not exist it creates the bucket with that ACL
 * (Standard, LRS), as OSS's PutBucketAcl doc says; a key limited to named buckets may not
 * create buckets (key-scope.ts), so it gets AccessDenied there, as its PutBucket would.
 */
export async function putBucketAcl(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const acl = parseBucketAcl(header(ctx, 'x-oss-acl'));
  if (!(await ctx.engine.buckets.get(bucket))) {
    if ('scope' in ctx.principal && ctx.principal.scope?.buckets !== undefined) {
      throw new OssError('AccessDenied', 'An access key limited to named buckets cannot create or delete buckets.');
    }
    const created = await ctx.engine.buckets.create(bucket, acl, 'Standard', 'LRS').then(
      () => true,
      // Created meanwhile by another request: set its ACL below.
      (err: unknown) => {
        if (err instanceof OssError && err.code === 'BucketAlreadyExists') return false;
        throw err;
      },
    );
    if (created) return send(ctx, 200, { location: `/${bucket}` });
  }
  await ctx.engine.buckets.setAcl(bucket, acl);
  send(ctx, 200, { location: `/${bucket}` });
}
