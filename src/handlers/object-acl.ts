/** PutObjectACL and GetObjectACL (objects.md §8). */
import { OssError } from '../engine/errors.js';
import { bucketOf, header, keyOf, type RequestContext } from '../protocol/context.js';
import { parseObjectAcl } from '../protocol/object-headers.js';
import { renderXml } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { ownerXml } from './owner.js';

export async function putObjectAcl(ctx: RequestContext): Promise<void> {
  const acl = parseObjectAcl(header(ctx, 'x-oss-object-acl'));
  if (acl === undefined) throw new OssError('InvalidArgument', 'x-oss-object-acl is required.', { ArgumentName: 'x-oss-object-acl' });
  await ctx.engine.objects.setAcl(bucketOf(ctx), keyOf(ctx), acl);
  send(ctx, 200);
}

export async function getObjectAcl(ctx: RequestContext): Promise<void> {
  const rec = await ctx.engine.objects.head(bucketOf(ctx), keyOf(ctx));
  sendXml(ctx, renderXml('AccessControlPolicy', [ownerXml(ctx), ['AccessControlList', [['Grant', rec.acl]]]]));
}
