/** PutObjectACL and GetObjectACL (objects.md §8). */
import { OssError } from '../engine/errors.js';
import { bucketOf, header, keyOf, type RequestContext } from '../protocol/context.js';
import { parseObjectAcl } from '../protocol/object-headers.js';
import { renderXml } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { ownerXml } from './owner.js';
import { versionHeaders, versionIdParam } from '../protocol/versioning.js';

export async function putObjectAcl(ctx: RequestContext): Promise<void> {
  const acl = parseObjectAcl(header(ctx, 'x-oss-object-acl'));
  if (acl === undefined) throw new OssError('InvalidArgument', 'x-oss-object-acl is required.', { ArgumentName: 'x-oss-object-acl' });
  const changed = await ctx.engine.objects.setAcl(bucketOf(ctx), keyOf(ctx), acl, versionIdParam(ctx));
  // On a versioned bucket, the version whose ACL changed (the current one unless named), as the v2 SDKs read it.
  send(ctx, 200, await versionHeaders(ctx, changed));
}

export async function getObjectAcl(ctx: RequestContext): Promise<void> {
  const rec = await ctx.engine.objects.head(bucketOf(ctx), keyOf(ctx), versionIdParam(ctx));
  sendXml(ctx, renderXml('AccessControlPolicy', [ownerXml(ctx), ['AccessControlList', [['Grant', rec.acl]]]]), await versionHeaders(ctx, rec));
}
