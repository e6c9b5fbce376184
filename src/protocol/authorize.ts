/**
 * Who may do what (auth.md §6.2). Every access key is the account owner, within the
 * limits of its scope if it has one (key-scope.ts). Anonymous
 * requests are allowed only where an ACL allows them: reads where the object's
 * effective ACL (its own, or the bucket's when `default`) is public-read or
 * public-read-write, writes where it is public-read-write, listing on public buckets
 * (configurable), and never bucket or service management.
 */
import type { Config } from '../config.js';
import type { Engine } from '../engine/engine.js';
import { OssError } from '../engine/errors.js';
import type { BucketAcl } from '../engine/model.js';
import type { AuthTarget } from './auth/types.js';
import type { Principal } from './context.js';
import { checkKeyScope, type ScopedOperation } from './key-scope.js';
import type { Access } from './operations.js';

function denied(): OssError {
  return new OssError('AccessDenied', 'You have no right to access this object because of bucket acl.');
}

function allows(acl: BucketAcl, access: Access): boolean {
  if (access === 'read' || access === 'list') return acl === 'public-read' || acl === 'public-read-write';
  if (access === 'write') return acl === 'public-read-write';
  return false;
}

export async function authorize(
  engine: Engine,
  config: Config,
  principal: Principal,
  target: AuthTarget,
  access: Access,
  op?: ScopedOperation,
): Promise<void> {
  // PostObject checks its form's signer itself (access 'write', through HandlerExtras);
  // a CORS preflight needs no authorization.
  if (access === 'form' || access === 'anyone') return;
  if (!principal.anonymous) return checkKeyScope(principal.scope, target, access, op);
  if (access === 'owner' || target.bucket === undefined) throw denied();
  const bucket = await engine.buckets.get(target.bucket);
  // A missing bucket is reported as such (NoSuchBucket) by the handler.
  if (!bucket) return;
  if (access === 'list') {
    if (config.anonymousList && allows(bucket.acl, 'list')) return;
    throw denied();
  }
  let acl: BucketAcl = bucket.acl;
  if (target.key !== undefined) {
    const obj = await engine.meta.getObject(target.bucket, target.key);
    if (obj && obj.acl !== 'default') acl = obj.acl;
  }
  if (!allows(acl, access)) throw denied();
}
