/**
 * `x-oss-copy-source: /<bucket>/<url-encoded key>[?versionId=...]` (objects.md §5).
 * Clients encode the key with %20 or '+' for spaces (Go), so decode form-style
 * (README §1.4).
 */
import type { Conditions } from '../engine/conditions.js';
import { OssError } from '../engine/errors.js';
import { header, type RequestContext } from './context.js';

export function decodeFormStyle(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new OssError('InvalidArgument', 'Malformed percent-encoding in x-oss-copy-source.');
  }
}

export function parseCopySource(v: string): { bucket: string; key: string; versionId?: string } {
  const q = v.indexOf('?');
  const path = decodeFormStyle(q < 0 ? v : v.slice(0, q));
  const m = /^\/?([^/]+)\/(.+)$/s.exec(path);
  if (!m) throw new OssError('InvalidArgument', 'x-oss-copy-source must be /<bucket>/<key>.', { ArgumentName: 'x-oss-copy-source' });
  const versionId = q < 0 ? undefined : new URLSearchParams(v.slice(q + 1)).get('versionId') ?? undefined;
  return { bucket: m[1]!, key: m[2]!, versionId };
}

/** The `x-oss-copy-source-if-*` headers of CopyObject and UploadPartCopy (objects.md §5). */
export function copySourceConditions(ctx: RequestContext): Conditions {
  return {
    ifMatch: header(ctx, 'x-oss-copy-source-if-match'),
    ifNoneMatch: header(ctx, 'x-oss-copy-source-if-none-match'),
    ifModifiedSince: header(ctx, 'x-oss-copy-source-if-modified-since'),
    ifUnmodifiedSince: header(ctx, 'x-oss-copy-source-if-unmodified-since'),
  };
}
