/**
 * PutBucketCors, GetBucketCors, DeleteBucketCors and the preflight OptionObject (OSS docs
 * of the same names). A preflight needs no signature; it is answered from the bucket's
 * rules: 200 with Access-Control-* headers when one matches, else 403 AccessDenied.
 */
import { OssError } from '../engine/errors.js';
import { bucketOf, header, readSmallBody, type RequestContext } from '../protocol/context.js';
import { corsHeaders, matchCorsRule, parseCorsXml, renderCorsXml, requestedHeaders } from '../protocol/cors.js';
import { send, sendXml } from '../server/respond.js';

/** OSS caps a CORS configuration at 16 KB of XML; a little slack for whitespace. */
const MAX_CORS_XML = 64 * 1024;

export async function putBucketCors(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.require(bucket);
  const raw = await readSmallBody(ctx, MAX_CORS_XML, () => new OssError('MalformedXML', 'The CORS configuration is too large.'));
  await ctx.engine.buckets.setCors(bucket, parseCorsXml(raw));
  send(ctx, 200);
}

export async function getBucketCors(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  if (!b.cors) throw new OssError('NoSuchCORSConfiguration', undefined, { BucketName: b.name });
  sendXml(ctx, renderCorsXml(b.cors));
}

export async function deleteBucketCors(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.setCors(bucket, undefined);
  send(ctx, 204);
}

function notAllowed(why: string): OssError {
  return new OssError('AccessDenied', `CORSResponse: ${why}`);
}

export async function optionObject(ctx: RequestContext): Promise<void> {
  const b = await ctx.engine.buckets.require(bucketOf(ctx));
  const origin = header(ctx, 'origin');
  const method = header(ctx, 'access-control-request-method');
  if (origin === undefined || method === undefined) {
    throw notAllowed('Insufficient information. Origin and Access-Control-Request-Method request headers are needed.');
  }
  if (!b.cors) throw notAllowed('CORS is not enabled for this bucket.');
  const q = { origin, method, headers: requestedHeaders(header(ctx, 'access-control-request-headers')) };
  const rule = matchCorsRule(b.cors, q);
  if (!rule) {
    throw notAllowed(
      'This CORS request is not allowed. This is usually because the evaluation of Origin, request method / ' +
        'Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.',
    );
  }
  send(ctx, 200, corsHeaders(b.cors, rule, q, true));
}
