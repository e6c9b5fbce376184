/**
 * The endpoint ossd advertises wherever a response names a host (GetBucketInfo's and
 * ListBuckets' ExtranetEndpoint and IntranetEndpoint, CompleteMultipartUpload's and
 * PostObject's Location). OSS names its own public host there
 * (`oss-cn-hangzhou.aliyuncs.com`); SDKs that follow it (alibabacloud-oss-go-sdk-v2) would
 * dial Alibaba, so ossd names the host the client reached it by, or the configured public
 * endpoint (`--public-endpoint`, for a proxy or NAT in front). docs.ts choices.
 */
import { isIP } from 'node:net';
import type { RequestContext } from './context.js';

/** `host[:port]` with its host part lower-cased; IPv6 in brackets. */
function splitHostPort(hostHeader: string): { name: string; port: string } {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? { name: h, port: '' } : { name: h.slice(0, end + 1), port: h.slice(end + 1) };
  }
  const colon = h.lastIndexOf(':');
  // Two colons or more without brackets: a bare IPv6 address, no port.
  if (colon < 0 || h.indexOf(':') !== colon) return { name: h, port: '' };
  return { name: h.slice(0, colon), port: h.slice(colon) };
}

/** The address and port the connection arrived at: what a client that sent no usable Host dialled. */
function localEndpoint(ctx: RequestContext): string {
  const { localAddress, localPort } = ctx.req.socket;
  if (!localAddress) return `${ctx.config.host}:${ctx.config.port}`;
  const address = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return `${isIP(address) === 6 ? `[${address}]` : address}:${localPort}`;
}

/**
 * `host[:port]` a client can reach this server by, without scheme:
 * - the configured public endpoint, when there is one;
 * - for `<bucket>.<domain>` (virtual-hosted on a configured domain), `<domain>` and the port;
 * - for the `*.aliyuncs.com` names ali-oss sends for IP endpoints (README §1.1), and for a
 *   request without Host, the local address and port the connection came in on;
 * - otherwise the Host as sent (IP or domain, path style, or an unknown CNAME).
 */
export function advertisedEndpoint(ctx: RequestContext): string {
  if (ctx.config.publicEndpoint) return ctx.config.publicEndpoint;
  const { name, port } = splitHostPort(ctx.host);
  if (name === '' || name.endsWith('.aliyuncs.com') || name === 'aliyuncs.com') return localEndpoint(ctx);
  for (const domain of ctx.config.domains) {
    if (name.endsWith(`.${domain}`)) return `${domain}${port}`;
  }
  return `${name}${port}`;
}

/** True when the request named its bucket in the host (`<bucket>.<domain>`), not in the path. */
function addressedVirtualHosted(ctx: RequestContext, bucket: string): boolean {
  if (ctx.config.publicEndpoint) return false;
  const { name } = splitHostPort(ctx.host);
  return ctx.config.domains.some((domain) => name === `${bucket}.${domain}`);
}

/**
 * URL of an object as a client can fetch it (the `Location` of CompleteMultipartUpload
 * and PostObject): virtual-hosted when the request was, else path style on the advertised
 * endpoint; https when ossd serves TLS. `encodedKey` is already URL-encoded.
 */
export function objectUrl(ctx: RequestContext, bucket: string, encodedKey: string): string {
  const scheme = ctx.config.tlsCert ? 'https' : 'http';
  const endpoint = advertisedEndpoint(ctx);
  if (addressedVirtualHosted(ctx, bucket)) return `${scheme}://${bucket}.${endpoint}/${encodedKey}`;
  return `${scheme}://${endpoint}/${bucket}/${encodedKey}`;
}
