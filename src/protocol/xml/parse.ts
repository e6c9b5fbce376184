/**
 * Request XML bodies (DeleteMultipleObjects, ACL, CreateBucketConfiguration...), parsed
 * with fast-xml-parser. Bodies are small and capped before parsing; anything that is
 * not well-formed is MalformedXML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OssError } from '../../engine/errors.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  ignoreDeclaration: true,
  isArray: () => false,
});

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

export function parseXml(text: string): XmlObject {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new OssError('MalformedXML');
  try {
    return parser.parse(text) as XmlObject;
  } catch {
    throw new OssError('MalformedXML');
  }
}

/** The element as a list (one element parses as a scalar or object, several as an array). */
export function asList(v: XmlValue | undefined): XmlValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function asText(v: XmlValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return undefined;
  // <Key></Key> parses as '' ; an element with children is not text.
  return Object.keys(v).length === 0 ? '' : undefined;
}

export function asObject(v: XmlValue | undefined): XmlObject | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
