/**
 * Who may do what (auth.md §6.2). Every access key is the account owner, within the
 * limits of its scope if it has one (key-scope.ts). Anonymous
 * requests are allowed only where an ACL allows them: reads where the object's
 * effective ACL (its own, or the bucket's when `default`) is public-read or
 * public-read-write, writes where it is public-read-write, listing on public buckets
 * (configurable), and never bucket or service management.
 *
 * A request that names a version (`?versionId=`, a copy source's `?versionId=`) is about
 * that version: its own ACL counts, never the current version's (each version keeps its
 * ACL, PutObjectAcl?versionId=). A delete marker has no ACL of its own, nor has a version
 * that does not exist: the bucket's applies, so a private bucket does not tell anonymous
 * users which versions exist.
 */
import type { Config } from '../config.js';
import type { Engine } from '../engine/engine.js';
import { OssError } from '../engine/errors.js';
import type { BucketAcl, ObjectAcl } from '../engine/model.js';
import type { AuthTarget, QueryItem } from './auth/types.js';
import type { Principal } from './context.js';
import { checkKeyScope, type ScopedOperation } from './key-scope.js';
import type { Access } from './operations.js';
import { queryValue } from './request-target.js';

/** What is authorized: a bucket, an object, or one version of an object. */
export interface AccessTarget extends AuthTarget {
  /** The version the request names; undefined: the current version. */
  versionId?: string;
}

/**
 * Operations whose `?versionId=` names the version they act on (objects.md, buckets.md §7).
 * Any other operation ignores the parameter, so it must not sway authorization: a
 * PutObject?versionId=<a public-read-write version> still writes the current key.
 */
export const VERSION_ADDRESSING: ReadonlySet<string> = new Set([
  'GetObject', 'HeadObject', 'GetObjectMeta', 'DeleteObject', 'GetObjectAcl', 'PutObjectAcl',
  'GetSymlink', 'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging',
]);

/** The version a request of this operation addresses, from its query. */
export function addressedVersion(operation: string, query: QueryItem[]): string | undefined {
  return VERSION_ADDRESSING.has(operation) ? queryValue(query, 'versionId') : undefined;
}

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
  target: AccessTarget,
  access: Access,
  op?: ScopedOperation,
): Promise<void> {
  // PostObject checks its form's signer itself (access 'write', through HandlerExtras);
  // a CORS preflight needs no authorization.
  if (access === 'form' || access === 'anyone') return;
  if (!principal.anonymous) return checkKeyScope(principal.scope, target, access, op);
  if (target.bucket === undefined) throw denied();
  // OSS reports a missing bucket before it decides who may act on it (check-order.ts), also
  // to anonymous callers; an anonymous PutBucket / PutBucketAcl (which creates) stays denied.
  const creates = op !== undefined && (op.name === 'PutBucket' || op.name === 'PutBucketAcl');
  if (access === 'owner' && creates) throw denied();
  const bucket = await engine.buckets.get(target.bucket);
  if (!bucket) throw new OssError('NoSuchBucket', undefined, { BucketName: target.bucket });
  if (access === 'owner') throw denied();
  if (access === 'list') {
    if (config.anonymousList && allows(bucket.acl, 'list')) return;
    throw denied();
  }
  let acl: BucketAcl = bucket.acl;
  if (target.key !== undefined) {
    const own = await objectAcl(engine, target.bucket, target.key, target.versionId);
    if (own !== undefined && own !== 'default') acl = own;
  }
  if (!allows(acl, access)) throw denied();
}

/** The ACL of the version addressed (the current one without a version id); undefined when there is none. */
async function objectAcl(engine: Engine, bucket: string, key: string, versionId: string | undefined): Promise<ObjectAcl | undefined> {
  if (versionId === undefined) return (await engine.meta.getObject(bucket, key))?.acl;
  const entry = await engine.meta.getVersion(bucket, key, versionId);
  return entry === undefined || entry.record.deleteMarker ? undefined : entry.record.acl;
}
