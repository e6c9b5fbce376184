/** The owner shown in listings and ACLs: ossd has one account, named after the root key. */
import type { XmlNode } from '../protocol/xml/render.js';
import type { RequestContext } from '../protocol/context.js';

export function ownerXml(ctx: RequestContext): XmlNode {
  const id = ctx.config.rootAccessKeyId ?? 'ossd';
  return ['Owner', [['ID', id], ['DisplayName', id]]];
}
