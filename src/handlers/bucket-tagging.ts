/**
 * PutBucketTags, GetBucketTags, DeleteBucketTags (OSS docs of those names). Tags live in the
 * bucket record (the `tags` column of `buckets`); GetBucketTags on a bucket without tags
 * answers an empty `<TagSet/>`, and DeleteBucketTags is 204 whether or not there were any.
 */
import { OssError } from '../engine/errors.js';
import { bucketOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { parseBucketTaggingXml, tagKeysToDelete } from '../protocol/bucket-tagging.js';
import { queryValue } from '../protocol/request-target.js';
import { MAX_TAGGING_BODY, renderTagging } from '../protocol/tagging.js';
import { send, sendXml } from '../server/respond.js';

export async function putBucketTags(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  // A missing bucket is NoSuchBucket whatever the body holds.
  await ctx.engine.buckets.require(bucket);
  const raw = await readSmallBody(ctx, MAX_TAGGING_BODY, () => new OssError('MalformedXML', 'The request body is too large.'));
  // The body is the whole tag set: it replaces the one before (docs/operations.md).
  await ctx.engine.buckets.setTags(bucket, parseBucketTaggingXml(raw));
  send(ctx, 200);
}

export async function getBucketTags(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(ctx, renderTagging(b.tags ?? []));
}

/** `DELETE /?tagging` removes every tag; `DELETE /?tagging=k1,k2` only those keys. */
export async function deleteBucketTags(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const b = await ctx.engine.buckets.require(bucket);
  const keys = tagKeysToDelete(queryValue(ctx.query, 'tagging'));
  await ctx.engine.buckets.setTags(bucket, keys ? (b.tags ?? []).filter(([k]) => !keys.has(k)) : []);
  send(ctx, 204);
}
