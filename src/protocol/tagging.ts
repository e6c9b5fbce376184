/**
 * Object tag sets (objects.md §10): the limits every way of setting tags shares
 * (x-oss-tagging on Put/Copy/Append/PutSymlink, PutObjectTagging), the PutObjectTagging
 * body and the GetObjectTagging answer.
 */
import { OssError } from '../engine/errors.js';
import { asList, asObject, asText, parseXml } from './xml/parse.js';
import { renderXml, type XmlNode } from './xml/render.js';

export type TagSet = Array<[string, string]>;

export const MAX_TAGS = 10;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
/** Ten tags of 128 + 256 characters of up to 4 UTF-8 bytes each, plus markup, fit well within this. */
export const MAX_TAGGING_BODY = 64 * 1024;

/** ≤ 10 tags, key 1–128 characters, value ≤ 256, keys unique (case-sensitive). Violations: 400 InvalidArgument. */
export function checkTagSet(tags: TagSet, bad: (why: string) => OssError): void {
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    const keyLength = [...key].length;
    if (keyLength < 1 || keyLength > MAX_TAG_KEY) throw bad(`tag keys are 1 to ${MAX_TAG_KEY} characters`);
    if ([...value].length > MAX_TAG_VALUE) throw bad(`tag values are at most ${MAX_TAG_VALUE} characters`);
    if (seen.has(key)) throw bad('duplicate tag key');
    seen.add(key);
  }
  if (tags.length > MAX_TAGS) throw bad(`at most ${MAX_TAGS} tags`);
}

function invalidTag(why: string): OssError {
  return new OssError('InvalidArgument', `Invalid tagging: ${why}.`, { ArgumentName: 'Tagging' });
}

/**
 * `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`. ali-oss sends it
 * without a prolog and without escaping (a value with `<` or `&` is then not XML at all:
 * MalformedXML). An empty `<TagSet>` removes every tag; `<Value>` may be omitted (empty).
 */
export function parseTaggingXml(text: Uint8Array | string): TagSet {
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
  checkTagSet(tags, invalidTag);
  return tags;
}

/** GetObjectTagging: `<TagSet>` is always present, possibly empty (ali-oss dereferences it). */
export function renderTagging(tags: TagSet): string {
  const set: XmlNode[] = tags.map(([k, v]): XmlNode => ['Tag', [['Key', k], ['Value', v]]]);
  return renderXml('Tagging', [['TagSet', set]]);
}
