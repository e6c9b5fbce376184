/**
 * Object tag sets (objects.md §10): the limits every way of setting tags shares
 * (x-oss-tagging on Put/Copy/Append/PutSymlink, PutObjectTagging), the PutObjectTagging
 * body and the GetObjectTagging answer.
 */
import { OssError } from '../engine/errors.js';
import { withEc } from './errors/catalogue.js';
import { asList, asObject, asText, parseXml } from './xml/parse.js';
import { renderXml, type XmlNode } from './xml/render.js';

export type TagSet = Array<[string, string]>;

export const MAX_TAGS = 10;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
/** Ten tags of 128 + 256 characters of up to 4 UTF-8 bytes each, plus markup, fit well within this. */
export const MAX_TAGGING_BODY = 64 * 1024;

/**
 * The characters OSS allows in tag keys and values, object and bucket tags alike (OSS error
 * pages 0010-00000217 for objects, 0010-00000213 for bucket tag keys): ASCII letters and
 * digits, space, and `+ - = . _ : /`. Everything else (`%`, `@`, `&`, `<`, non-ASCII…) is refused.
 */
const TAG_CHARACTERS = /^[A-Za-z0-9 +\-=._:/]*$/;

/** Why `text` is not a valid tag key or value by OSS's character rule, or undefined. */
export function tagCharsProblem(what: 'key' | 'value', text: string): string | undefined {
  return TAG_CHARACTERS.test(text) ? undefined : `tag ${what}s may hold only letters, digits, spaces and + - = . _ : /`;
}

/**
 * ≤ 10 tags, key 1–128 characters, value ≤ 256, keys unique (case-sensitive), characters as
 * TAG_CHARACTERS. Violations: 400 InvalidTag with OSS's messages (the C++ SDK's tests of
 * PutObject/AppendObject/CopyObject/PutSymlink with x-oss-tagging and of PutObjectTagging
 * expect them, docs/sdk-compatibility.md ⑰), `<TagKey>` naming the key where one is at fault.
 */
export function checkTagSet(tags: TagSet): void {
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    const keyLength = [...key].length;
    // OSS error page 0010-00000217: an object tag with characters OSS does not allow.
    if (keyLength < 1 || keyLength > MAX_TAG_KEY || tagCharsProblem('key', key)) {
      throw tagError('The TagKey you have provided is invalid', key, tagCharsProblem('key', key) ? OBJECT_TAG_CHARS_EC : undefined);
    }
    if ([...value].length > MAX_TAG_VALUE || tagCharsProblem('value', value)) {
      throw tagError('The TagValue you have provided is invalid', key, tagCharsProblem('value', value) ? OBJECT_TAG_CHARS_EC : undefined);
    }
    if (seen.has(key)) throw tagError('Cannot provide multiple Tags with the same key', key);
    seen.add(key);
  }
  if (tags.length > MAX_TAGS) throw tagError(`Object tags cannot be greater than ${MAX_TAGS}`);
}

const OBJECT_TAG_CHARS_EC = '0010-00000217';

function tagError(message: string, key?: string, ec?: string): OssError {
  const details: Record<string, string> = key === undefined ? {} : { TagKey: key };
  return new OssError('InvalidTag', message, ec ? withEc(ec, details) : details);
}

/**
 * `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`. ali-oss sends it
 * without a prolog and without escaping (a value with `<` or `&` is then not XML at all:
 * MalformedXML). An empty `<TagSet>` removes every tag; `<Value>` may be omitted (empty).
 */
export function parseTaggingXml(text: Uint8Array | string, check: (tags: TagSet) => void = checkTagSet): TagSet {
  const root = asObject(parseXml(text).Tagging);
  const tagSet = root?.TagSet;
  if (tagSet === undefined || Array.isArray(tagSet) || (typeof tagSet === 'string' && tagSet.trim() !== '')) {
    throw new OssError('MalformedXML');
  }
  const tags: TagSet = [];
  // `<TagSet></TagSet>` parses as '' (no children).
  for (const t of typeof tagSet === 'string' ? [] : asList(tagSet.Tag)) {
    const tag = asObject(t);
    const key = asText(tag?.Key);
    const value = tag?.Value === undefined ? '' : asText(tag.Value);
    if (key === undefined || value === undefined) throw new OssError('MalformedXML');
    tags.push([key, value]);
  }
  check(tags);
  return tags;
}

/** GetObjectTagging: `<TagSet>` is always present, possibly empty (ali-oss dereferences it). */
export function renderTagging(tags: TagSet): string {
  const set: XmlNode[] = tags.map(([k, v]): XmlNode => ['Tag', [['Key', k], ['Value', v]]]);
  return renderXml('Tagging', [['TagSet', set]]);
}
