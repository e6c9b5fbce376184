/**
 * What an access key with limits may do (`ossd keys create --bucket … --read-only`, and
 * temporary credentials). Choices, also in docs/errors.md:
 * - read-only: operations whose access is read or list, plus owner-level operations that
 *   change nothing (GET/HEAD: ListBuckets, GetBucketInfo, GetBucketAcl, …), like OSS's
 *   AliyunOSSReadOnlyAccess policy. Multipart listings stay refused: ossd treats upload
 *   ids as write capabilities (operations.ts).
 * - limited to named buckets: anything inside those buckets (within read-only if set), but
 *   no ListBuckets (a service-level request, like a RAM policy whose resources are the
 *   buckets) and no PutBucket / DeleteBucket, even of a named bucket: creating or removing
 *   buckets is account administration.
 */
import { OssError } from '../engine/errors.js';
import type { AuthTarget } from './auth/types.js';
import type { KeyScope } from './context.js';
import type { Access } from './operations.js';

/** The operation being authorized, when it is the request's own (not e.g. a copy source). */
export interface ScopedOperation { name: string; method: string }

const BUCKET_ADMIN = new Set(['PutBucket', 'DeleteBucket']);

function changesNothing(access: Access, op: ScopedOperation | undefined): boolean {
  if (access === 'read' || access === 'list') return true;
  return access === 'owner' && op !== undefined && (op.method === 'GET' || op.method === 'HEAD');
}

export function checkKeyScope(scope: KeyScope | undefined, target: AuthTarget, access: Access, op?: ScopedOperation): void {
  if (scope === undefined) return;
  if (scope.readOnly && !changesNothing(access, op)) {
    throw new OssError('AccessDenied', 'The access key you provided is read-only.');
  }
  if (scope.buckets === undefined) return;
  if (target.bucket === undefined || !scope.buckets.includes(target.bucket)) {
    throw new OssError('AccessDenied', 'The access key you provided is not allowed to access this bucket.');
  }
  if (op !== undefined && BUCKET_ADMIN.has(op.name)) {
    throw new OssError('AccessDenied', 'An access key limited to named buckets cannot create or delete buckets.');
  }
}
