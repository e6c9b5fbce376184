/**
 * Which failure OSS reports first when a request fails several checks. OSS resolves the
 * bucket before it authenticates the request: a request to a bucket that does not exist is
 * answered 404 NoSuchBucket whoever signed it, and however badly (alibabacloud-oss-go-sdk-v2
 * oss/client_integration_test.go, TestIsObjectExist: a client with the unknown key "ak" gets
 * NoSuchBucket for a missing bucket and InvalidAccessKeyId for an existing one; its
 * IsBucketExist relies on that). Only the operations that create the bucket (PutBucket, and
 * PutBucketAcl, which creates a missing bucket) keep their authentication error.
 * Authorization, and then the object's existence, come after: an anonymous read of a
 * missing object in a private bucket is 403 AccessDenied, never 404 (authorize.ts).
 */
import type { Engine } from '../engine/engine.js';
import { OssError } from '../engine/errors.js';
import type { AuthTarget } from '../protocol/auth/types.js';
import { ERROR_CATALOGUE } from '../protocol/errors/catalogue.js';
import { validateBucketName } from '../protocol/names.js';

/** Operations that create their bucket when it is missing: their own checks decide. */
export const CREATES_BUCKET: ReadonlySet<string> = new Set(['PutBucket', 'PutBucketAcl']);

function validName(name: string): boolean {
  try {
    validateBucketName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The error to answer for a request whose authentication failed with `authError`: NoSuchBucket
 * when none of the addressing candidates names an existing bucket (and the operation would
 * not create it), the authentication error otherwise. `operationOf` routes a candidate.
 */
export async function bucketBeforeAuthentication(
  engine: Engine,
  candidates: readonly AuthTarget[],
  authError: unknown,
  operationOf: (t: AuthTarget) => string | undefined,
): Promise<unknown> {
  // Authentication failures are the 403s verifyRequest throws; a malformed request (400) stays.
  if (!(authError instanceof OssError) || ERROR_CATALOGUE[authError.code]?.status !== 403) return authError;
  const first = candidates[0];
  if (first?.bucket === undefined || !validName(first.bucket)) return authError;
  const op = operationOf(first);
  if (op === undefined || CREATES_BUCKET.has(op)) return authError;
  for (const c of candidates) {
    if (c.bucket !== undefined && validName(c.bucket) && (await engine.buckets.get(c.bucket)) !== undefined) return authError;
  }
  return new OssError('NoSuchBucket', undefined, { BucketName: first.bucket });
}
