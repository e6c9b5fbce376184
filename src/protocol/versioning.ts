/** The HTTP side of versioning (buckets.md §7): the `versionId` parameter and the version headers. */
import { checkVersionId } from '../engine/versioning.js';
import { type ObjectRecord, versionIdOf } from '../engine/model.js';
import { bucketOf, type RequestContext } from './context.js';
import { queryValue } from './request-target.js';

/** `?versionId=`: which version a read, delete, ACL or tagging request is about (absent: the current one). */
export function versionIdParam(ctx: RequestContext): string | undefined {
  const v = queryValue(ctx.query, 'versionId');
  if (v !== undefined) checkVersionId(v);
  return v;
}

/** `x-oss-version-id` when the bucket has (ever had) versioning; `null` for the null version (objects.md §1). */
export async function versionHeaders(ctx: RequestContext, rec: ObjectRecord, bucket = bucketOf(ctx)): Promise<Record<string, string>> {
  const b = await ctx.engine.buckets.require(bucket);
  return b.versioning !== undefined ? { 'x-oss-version-id': versionIdOf(rec) } : {};
}

/** `x-oss-copy-source-version-id` when the copy's source bucket is versioned (objects.md §5, multipart.md §3). */
export async function copySourceVersionHeaders(ctx: RequestContext, sourceBucket: string, source: ObjectRecord): Promise<Record<string, string>> {
  const h = await versionHeaders(ctx, source, sourceBucket);
  return h['x-oss-version-id'] !== undefined ? { 'x-oss-copy-source-version-id': h['x-oss-version-id'] } : {};
}
