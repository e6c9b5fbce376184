/**
 * The admin endpoint, `/-/admin/…` path style ('-' is never a valid bucket name, so it
 * cannot clash with a bucket). Only the root key may call it, signed like any OSS request
 * (V1 or V4, header or presigned); anonymous and other keys get 403 AccessDenied.
 *
 * `POST /-/admin/sts?duration=3600[&bucket=b1&bucket=b2][&read-only]` issues temporary
 * credentials and answers the JSON of STS AssumeRole's `Credentials`:
 * {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}. The answer carries secrets,
 * so it is never logged and must not be cached; like every request signed with V1, the
 * query is not covered by the signature (V4 covers it), and like every answer it is only
 * as confidential as the connection: use TLS in front of ossd off localhost.
 *
 * `POST /-/admin/check[?repair][&rate=<bytes/s>]` and `POST /-/admin/backup?dir=<folder>`
 * run `ossd check` and `ossd backup` inside the running server (admin-maintenance.ts).
 */
import { OssError } from '../engine/errors.js';
import type { AuthTarget } from '../protocol/auth/types.js';
import { verifyRequest } from '../protocol/auth/verify.js';
import type { RequestContext } from '../protocol/context.js';
import { validateBucketName } from '../protocol/names.js';
import { KeyStoreError, MAX_DURATION_S } from '../keys/key-store.js';
import type { Keyring } from '../keys/keyring.js';
import { send } from './respond.js';
import { type Maintenance, runMaintenance } from './admin-maintenance.js';

/** Answers the request and resolves to true if it is for the admin endpoint; else to false. */
export type AdminHandler = (ctx: RequestContext, rawPath: string, candidates: AuthTarget[]) => Promise<boolean>;

export function adminHandler(keyring: Keyring, maintenance?: Maintenance): AdminHandler {
  return async (ctx, rawPath, candidates) => {
    if (candidates[0]?.bucket !== '-' || !rawPath.startsWith('/-/admin/')) return false;
    ctx.operation = 'Admin';
    const outcome = await keyring.verify((lookup) => verifyRequest({ method: ctx.method, query: ctx.query, headers: ctx.req.headers, candidates }, lookup));
    if (!keyring.isRoot(outcome.accessKeyId)) {
      throw new OssError('AccessDenied', 'Only the root access key may use the admin endpoint.');
    }
    const route = candidates[0]?.key;
    if (maintenance && (route === 'admin/check' || route === 'admin/backup')) {
      if (ctx.method !== 'POST') throw new OssError('MethodNotAllowed');
      runMaintenance(ctx, route, maintenance);
      return true;
    }
    if (route !== 'admin/sts') throw new OssError('InvalidRequest', 'Unknown admin endpoint.');
    if (ctx.method !== 'POST') throw new OssError('MethodNotAllowed');
    ctx.operation = 'AdminIssueTemporaryCredentials';
    const values = (name: string): string[] => ctx.query.filter((q) => q.name === name).map((q) => q.value);
    const duration = values('duration')[0] ?? '3600';
    if (!/^\d{1,6}$/.test(duration)) {
      throw new OssError('InvalidArgument', `duration must be a whole number of seconds from 1 to ${MAX_DURATION_S}.`);
    }
    const named = values('bucket').flatMap((v) => v.split(',')).filter(Boolean);
    named.forEach(validateBucketName);
    try {
      const credentials = await keyring.store.issueTemporary({
        durationS: Number(duration),
        buckets: named.length > 0 ? named : undefined,
        readOnly: values('read-only').length > 0,
      });
      send(ctx, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(credentials) + '\n');
      return true;
    } catch (e) {
      if (e instanceof KeyStoreError) throw new OssError('InvalidArgument', `${e.message}.`);
      throw e;
    }
  };
}
