/**
 * The PostObject policy form field (OSS PostObject doc, "Appendix: Policy"): base64 of a
 * JSON document `{"expiration": ISO-8601, "conditions": [...]}`. Conditions:
 * - `{"field": "value"}`: exact match (field names are case-insensitive);
 * - `["eq" | "starts-with", "$field", "value"]`, `["in" | "not-in", "$field", ["a", "b"]]`;
 * - `["content-length-range", min, max]`: the file size, enforced while it streams.
 * `bucket` is the request's bucket; `key` matches either the key form field as sent or
 * the key after `${filename}` substitution. A missing field counts as ''.
 * Malformed documents are 400 InvalidPolicyDocument; an expired policy or a failed
 * condition is 403 AccessDenied "Invalid according to Policy: ..." (PostObject errors).
 */
import { OssError } from '../engine/errors.js';
import { withEc } from './errors/catalogue.js';

type Op = 'eq' | 'starts-with' | 'in' | 'not-in';

export interface FieldCondition {
  op: Op;
  /** Lower-case field name, without `$`. */
  field: string;
  values: string[];
  /** The condition as written, for the error message. */
  text: string;
}

export interface PostPolicy {
  expiresMs: number;
  conditions: FieldCondition[];
  /** Inclusive bounds from content-length-range, if given. */
  lengthRange?: { min: number; max: number };
}

function invalid(why: string): OssError {
  return new OssError('InvalidPolicyDocument', `Invalid Policy: ${why}.`);
}

function lengthBound(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid('content-length-range bounds must be non-negative integers');
  return n;
}

function parseList(item: unknown[], out: PostPolicy): void {
  const op = typeof item[0] === 'string' ? item[0].toLowerCase() : undefined;
  if (op === 'content-length-range') {
    if (item.length !== 3) throw invalid('content-length-range takes a minimum and a maximum');
    const min = lengthBound(item[1]);
    const max = lengthBound(item[2]);
    if (max < min) throw invalid('content-length-range maximum is below its minimum');
    out.lengthRange = { min, max };
    return;
  }
  if (op !== 'eq' && op !== 'starts-with' && op !== 'in' && op !== 'not-in') {
    throw invalid(`unknown condition ${JSON.stringify(item[0])}`);
  }
  const [, field, value] = item;
  if (item.length !== 3 || typeof field !== 'string' || !field.startsWith('$') || field.length < 2) {
    throw invalid(`condition ${JSON.stringify(item)} must be [operator, "$field", value]`);
  }
  const list = op === 'in' || op === 'not-in';
  const values = list ? value : [value];
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
    throw invalid(`condition ${JSON.stringify(item)} needs ${list ? 'a list of strings' : 'a string value'}`);
  }
  out.conditions.push({ op, field: field.slice(1).toLowerCase(), values: values as string[], text: JSON.stringify(item) });
}

/** Decodes and checks the policy's shape; expiry is checked by checkPolicy. */
export function parsePolicy(base64: string): PostPolicy {
  const text = base64.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0 || text === '') throw invalid('the policy is not base64');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw invalid('the policy is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('the policy is not a JSON object');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(expiration)) {
    throw invalid('expiration must be an ISO 8601 time such as 2030-01-01T12:00:00.000Z');
  }
  const expiresMs = Date.parse(expiration);
  if (Number.isNaN(expiresMs)) throw invalid('expiration is not a valid time');
  if (!Array.isArray(conditions)) throw invalid('conditions must be a list');
  const out: PostPolicy = { expiresMs, conditions: [] };
  for (const item of conditions as unknown[]) {
    if (Array.isArray(item)) parseList(item, out);
    else if (typeof item === 'object' && item !== null) {
      for (const [field, value] of Object.entries(item)) {
        if (typeof value !== 'string') throw invalid(`the value of ${JSON.stringify(field)} must be a string`);
        out.conditions.push({ op: 'eq', field: field.replace(/^\$/, '').toLowerCase(), values: [value], text: JSON.stringify({ [field]: value }) });
      }
    } else throw invalid('each condition must be a map or a list');
  }
  return out;
}

function holds(c: FieldCondition, value: string): boolean {
  switch (c.op) {
    case 'eq':
      return value === c.values[0];
    case 'starts-with':
      return value.startsWith(c.values[0]!);
    case 'in':
      return c.values.includes(value);
    case 'not-in':
      return !c.values.includes(value);
  }
}

export interface PolicySubject {
  bucket: string;
  /** The key form field as sent, and after `${filename}` substitution. */
  rawKey: string;
  key: string;
  /** Form fields by lower-case name (UTF-8 text). */
  fields: ReadonlyMap<string, string>;
}

function deny(why: string): OssError {
  return new OssError('AccessDenied', `Invalid according to Policy: ${why}`);
}

/** Expiry and every field condition; content-length-range is left to the upload. */
export function checkPolicy(policy: PostPolicy, s: PolicySubject, now = Date.now()): void {
  if (now > policy.expiresMs) throw deny('Policy expired.');
  for (const c of policy.conditions) {
    const ok =
      c.field === 'bucket' ? holds(c, s.bucket)
      : c.field === 'key' ? holds(c, s.key) || holds(c, s.rawKey)
      : holds(c, s.fields.get(c.field) ?? '');
    if (!ok) throw deny(`Policy Condition failed: ${c.text}`);
  }
}

/** OSS page 0006-00000003: the PostObject file is outside the policy's content-length-range (or over 5 GB). */
const CONTENT_LENGTH_RANGE_EC = '0006-00000003';

/** Wraps the file's bytes: past the maximum is EntityTooLarge at once, under the minimum EntityTooSmall at the end. */
export async function* limitLength(body: AsyncIterable<Buffer>, range: PostPolicy['lengthRange']): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (range && n > range.max) {
      throw new OssError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size (content-length-range ${range.min}-${range.max}).`, withEc(CONTENT_LENGTH_RANGE_EC));
    }
    yield chunk;
  }
  if (range && n < range.min) {
    throw new OssError('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed size (content-length-range ${range.min}-${range.max}).`, withEc(CONTENT_LENGTH_RANGE_EC));
  }
}
