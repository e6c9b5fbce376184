/**
 * CORS headers on actual (non-preflight) requests (OSS PutBucketCors doc): a request with
 * an Origin header to a bucket whose CORS rules allow that origin and method gets
 * Access-Control-Allow-Origin, -Allow-Methods, -Expose-Headers and -Max-Age on its
 * answer, success or error. Called once per request by the pipeline, before the handler
 * writes anything; headers set here survive the error path (respondWithError).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import { corsHeaders, matchCorsRule } from '../protocol/cors.js';

export async function addCorsHeaders(
  engine: Engine,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  bucket: string | undefined,
): Promise<void> {
  const origin = req.headers.origin;
  // Preflights answer for themselves (OptionObject).
  if (origin === undefined || bucket === undefined || method === 'OPTIONS') return;
  const b = await engine.buckets.get(bucket);
  if (!b?.cors) return;
  const q = { origin, method };
  const rule = matchCorsRule(b.cors, q);
  if (!rule) return;
  for (const [k, v] of Object.entries(corsHeaders(b.cors, rule, q, false))) res.setHeader(k, v);
}
