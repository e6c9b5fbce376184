/**
 * Bucket tag sets (PutBucketTags / GetBucketTags / DeleteBucketTags, OSS docs of those
 * names, and error pages 0010-00000213, -00000207, -00000219, -00000002): at most 20 tags;
 * a key is 1–64 bytes, not starting with `http://`, `https://`, `Aliyun` (any case) or
 * `acs:`; a value is 0–128 bytes; keys are unique; characters as object tags (tagging.ts).
 * The body is the object tagging body. Violations: 400 InvalidArgument (docs/operations.md).
 */
import { OssError } from '../engine/errors.js';
import { withEc } from './errors/catalogue.js';
import { parseTaggingXml, tagCharsProblem, type TagSet } from './tagging.js';

export const MAX_BUCKET_TAGS = 20;
export const MAX_BUCKET_TAG_KEY_BYTES = 64;
export const MAX_BUCKET_TAG_VALUE_BYTES = 128;
const RESERVED_KEY_PREFIX = /^(https?:\/\/|aliyun)/i;

/**
 * OSS's ECs for bucket tags: 0010-00000219 an invalid key or value (length, count),
 * 0010-00000207 a key starting with http://, https:// or Aliyun, 0010-00000002 one starting
 * with acs:, 0010-00000213 a key with characters OSS does not allow.
 */
function invalidBucketTag(why: string, ec = '0010-00000219'): OssError {
  return new OssError('InvalidArgument', `Invalid bucket tagging: ${why}.`, withEc(ec, { ArgumentName: 'Tagging' }));
}

export function checkBucketTagSet(tags: TagSet): void {
  if (tags.length > MAX_BUCKET_TAGS) throw invalidBucketTag(`at most ${MAX_BUCKET_TAGS} tags`);
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes < 1 || keyBytes > MAX_BUCKET_TAG_KEY_BYTES) throw invalidBucketTag(`tag keys are 1 to ${MAX_BUCKET_TAG_KEY_BYTES} bytes`);
    if (Buffer.byteLength(value) > MAX_BUCKET_TAG_VALUE_BYTES) throw invalidBucketTag(`tag values are at most ${MAX_BUCKET_TAG_VALUE_BYTES} bytes`);
    if (/^acs:/i.test(key)) throw invalidBucketTag('tag keys may not start with acs:', '0010-00000002');
    if (RESERVED_KEY_PREFIX.test(key)) throw invalidBucketTag('tag keys may not start with http://, https:// or Aliyun', '0010-00000207');
    const keyChars = tagCharsProblem('key', key);
    if (keyChars) throw invalidBucketTag(keyChars, '0010-00000213');
    const valueChars = tagCharsProblem('value', value);
    if (valueChars) throw invalidBucketTag(valueChars);
    if (seen.has(key)) throw invalidBucketTag('duplicate tag key');
    seen.add(key);
  }
}

export function parseBucketTaggingXml(text: Uint8Array | string): TagSet {
  return parseTaggingXml(text, checkBucketTagSet);
}

/**
 * DeleteBucketTags' `tagging=k1,k2`: the keys to remove, or undefined (no value, or an
 * empty one) to remove them all.
 */
export function tagKeysToDelete(param: string | undefined): Set<string> | undefined {
  if (param === undefined || param === '') return undefined;
  return new Set(param.split(','));
}
