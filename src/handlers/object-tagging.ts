/** PutObjectTagging, GetObjectTagging, DeleteObjectTagging (objects.md §10). */
import { OssError } from '../engine/errors.js';
import { bucketOf, keyOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { MAX_TAGGING_BODY, parseTaggingXml, renderTagging } from '../protocol/tagging.js';
import { send, sendXml } from '../server/respond.js';
import { versionHeaders, versionIdParam } from '../protocol/versioning.js';

export async function putObjectTagging(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const versionId = versionIdParam(ctx);
  // A missing object is NoSuchKey before the body is read (and whatever the body holds).
  await ctx.engine.objects.head(bucket, key, versionId);
  const raw = await readSmallBody(ctx, MAX_TAGGING_BODY, () => new OssError('MalformedXML', 'The request body is too large.'));
  // Replaces the whole tag set; type, length, ETag and CRC stay (append.md §8).
  const changed = await ctx.engine.objects.setTags(bucket, key, parseTaggingXml(raw), versionId);
  send(ctx, 200, await versionHeaders(ctx, changed));
}

export async function getObjectTagging(ctx: RequestContext): Promise<void> {
  const rec = await ctx.engine.objects.head(bucketOf(ctx), keyOf(ctx), versionIdParam(ctx));
  sendXml(ctx, renderTagging(rec.tags), await versionHeaders(ctx, rec));
}

/** 204: ali-oss deleteObjectTagging accepts nothing else. */
export async function deleteObjectTagging(ctx: RequestContext): Promise<void> {
  const changed = await ctx.engine.objects.setTags(bucketOf(ctx), keyOf(ctx), [], versionIdParam(ctx));
  send(ctx, 204, await versionHeaders(ctx, changed));
}
