/**
 * The append size limit, an ossd extension (docs/extensions.md "Append size limit";
 * engine/append-limit.ts): `PUT /?x-ossd-append-limit` with
 * `<AppendSizeLimit><MaxSize>bytes</MaxSize></AppendSizeLimit>` sets it, GET answers it
 * (404 NoSuchAppendSizeLimit when none is set), DELETE removes it (204 either way).
 * Owner-only, signed like every sub-resource. Not an OSS API: stock SDKs never send it.
 */
import { OssError } from '../engine/errors.js';
import { MAX_OBJECT_SIZE } from '../engine/model.js';
import { bucketOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { asObject, asText, parseXml } from '../protocol/xml/parse.js';
import { renderXml } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';

/** 1 byte to OSS's 5 GiB: the extension can only lower OSS's limit. */
function parseMaxSize(raw: Uint8Array): number {
  const v = asText(asObject(parseXml(raw).AppendSizeLimit)?.MaxSize);
  if (v === undefined) throw new OssError('MalformedXML', 'The body must be <AppendSizeLimit><MaxSize>bytes</MaxSize></AppendSizeLimit>.');
  const n = /^\d{1,11}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!(n >= 1 && n <= MAX_OBJECT_SIZE)) {
    throw new OssError('InvalidArgument', `MaxSize must be a whole number of bytes from 1 to ${MAX_OBJECT_SIZE}.`, {
      ArgumentName: 'MaxSize',
      ArgumentValue: v,
    });
  }
  return n;
}

export async function putBucketAppendSizeLimit(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.require(bucket);
  const raw = await readSmallBody(ctx, 4096, () => new OssError('MalformedXML', 'The request body is too large.'));
  await ctx.engine.buckets.setAppendSizeLimit(bucket, parseMaxSize(raw));
  send(ctx, 200);
}

export async function getBucketAppendSizeLimit(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  if (b.appendSizeLimit === undefined) throw new OssError('NoSuchAppendSizeLimit', undefined, { BucketName: b.name });
  sendXml(ctx, renderXml('AppendSizeLimit', [['MaxSize', b.appendSizeLimit]]));
}

export async function deleteBucketAppendSizeLimit(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.require(bucket);
  await ctx.engine.buckets.setAppendSizeLimit(bucket, undefined);
  send(ctx, 204);
}
