/**
 * Conditional requests (objects.md §2.2, §5): If-Match / If-Unmodified-Since fail with
 * 412 and are evaluated first; If-None-Match / If-Modified-Since answer 304.
 * ETags compare without quotes, case-insensitively; unparseable dates are ignored.
 */
import { OssError } from './errors.js';

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type ConditionOutcome = 'proceed' | 'not-modified';

function normalizeEtag(v: string): string {
  return v.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
}

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((t) => {
    const n = normalizeEtag(t);
    return n === '*' || n === etag.toUpperCase();
  });
}

function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Last-Modified as the HTTP date carries it: whole seconds. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * `<Condition>` names the failed condition as OSS does (its 412 page, EC 0017-00001001):
 * If-Match or If-Unmodified-Since, also for CopyObject's and UploadPartCopy's
 * x-oss-copy-source-if-* headers (docs/errors.md).
 */
export function evaluateConditions(c: Conditions, etag: string, mtimeMs: number): ConditionOutcome {
  if (c.ifMatch !== undefined && !etagMatches(c.ifMatch, etag)) {
    throw new OssError('PreconditionFailed', undefined, { Condition: 'If-Match' });
  }
  const unmodifiedSince = parseDate(c.ifUnmodifiedSince);
  if (unmodifiedSince !== undefined && seconds(mtimeMs) > seconds(unmodifiedSince)) {
    throw new OssError('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  if (c.ifNoneMatch !== undefined && etagMatches(c.ifNoneMatch, etag)) return 'not-modified';
  const modifiedSince = parseDate(c.ifModifiedSince);
  if (modifiedSince !== undefined && seconds(mtimeMs) <= seconds(modifiedSince)) return 'not-modified';
  return 'proceed';
}
