/**
 * Where the bucket and key come from (README §1.2): path style for IP hosts and the
 * configured domains, virtual-hosted for their sub-domains, and the hosts ali-oss makes
 * up for IP endpoints (`<bucket>.oss-<region>.aliyuncs.com`). The ali-oss "IP endpoint +
 * sldEnable" request looks like both at once (README §1.3): it yields two candidates and
 * the signature decides.
 */
import { isIP } from 'node:net';
import type { AuthTarget } from './auth/types.js';

export interface AddressingOptions {
  domains: readonly string[];
}

export function hostName(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Path style: first segment is the bucket; '/', '//' and '' mean no bucket. */
export function pathStyle(path: string): AuthTarget {
  const p = path.replace(/^\/+/, '');
  if (p === '') return {};
  const slash = p.indexOf('/');
  if (slash < 0) return { bucket: p };
  return target(p.slice(0, slash), p.slice(slash + 1));
}

/** An empty key means a bucket-level request. */
function target(bucket: string, key: string): AuthTarget {
  return key === '' ? { bucket } : { bucket, key };
}

function virtualHosted(bucket: string, path: string): AuthTarget {
  return target(bucket, path.startsWith('/') ? path.slice(1) : path);
}

/** Bucket named by an ali-oss invented host; '' for a service-level host; undefined if not such a host. */
function aliyunHostBucket(host: string): string | undefined {
  if (!host.endsWith('.aliyuncs.com')) return undefined;
  const labels = host.split('.');
  if (labels.length <= 3) return '';
  return labels[0];
}

/** Candidate interpretations of a request, most likely first. */
export function resolveTargets(hostHeader: string | undefined, path: string, opts: AddressingOptions): AuthTarget[] {
  const host = hostName(hostHeader);
  if (host === '' || isIP(host) !== 0 || opts.domains.includes(host)) return [pathStyle(path)];
  for (const domain of opts.domains) {
    if (host.endsWith(`.${domain}`)) return [virtualHosted(host.slice(0, -domain.length - 1), path)];
  }
  const aliyun = aliyunHostBucket(host);
  if (aliyun === '') return [pathStyle(path)];
  if (aliyun !== undefined) {
    const vh = virtualHosted(aliyun, path);
    const ps = pathStyle(path);
    return ps.bucket === aliyun ? [vh, ps] : [vh];
  }
  // Unknown host (a CNAME we have no map for): path style.
  return [pathStyle(path)];
}
