/**
 * Request XML bodies (DeleteMultipleObjects, CompleteMultipartUpload, tagging, CORS,
 * versioning, CreateBucketConfiguration), parsed as XML 1.0 with saxes, a strict
 * non-validating parser. Any well-formedness error is 400 MalformedXML, raised before a
 * handler acts on anything. Bodies are small and capped by the handler before parsing.
 *
 * What is refused (each is a well-formedness error or a DTD, which OSS bodies never hold):
 * - bytes that are not UTF-8 (decoded with a fatal decoder, never replaced by U+FFFD);
 * - an encoding declaration other than UTF-8;
 * - any DOCTYPE, so no entity declarations (billion laughs) and no external entities;
 * - undefined entities and character references to a non-character (`&#0;`, `&#xD800;`,
 *   `&#xFFFE;`, beyond U+10FFFF);
 * - mismatched or unclosed tags, text or a second element after the root, no root;
 * - text mixed with child elements (no OSS body has mixed content).
 *
 * Every character reference that names a character is decoded, decimal and hex. One
 * deliberate widening of XML 1.0: references to U+0001–U+001F are accepted (XML 1.1 allows
 * exactly these as references), because both official Go SDKs write control bytes in keys
 * as `&#x01;`…`&#x1F;` (their EscapeXml) and OSS accepts them. The characters themselves,
 * written literally, stay refused as XML 1.0 requires. Whether such a key is allowed is
 * the key rules' decision (names.ts), not the parser's.
 *
 * The result keeps the shape the handlers read: an element with child elements is an
 * object of its children by name (a repeated name becomes an array), any other element is
 * its text (`<Key/>` is ''). Attributes, comments and processing instructions are ignored.
 */
import { SaxesParser } from 'saxes';
import { OssError } from '../../engine/errors.js';

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Char of XML 1.1 (§2.2): what a character reference may name here; see above. */
function isReferableChar(c: number): boolean {
  return (c >= 0x1 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

interface OpenElement {
  name: string;
  children: XmlObject;
  hasChildElements: boolean;
  text: string;
}

/** Null-prototype objects: an element named `__proto__` or `constructor` is only data. */
function newObject(): XmlObject {
  return Object.create(null) as XmlObject;
}

function addChild(parent: XmlObject, name: string, value: XmlValue): void {
  const prev = parent[name];
  if (prev === undefined) parent[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else parent[name] = [prev, value];
}

function malformed(): OssError {
  return new OssError('MalformedXML');
}

/** Bytes are decoded strictly; a leading UTF-8 BOM is left for the parser, which allows one. */
function decode(body: Uint8Array | string): string {
  if (typeof body === 'string') return body;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw malformed();
  }
}

function buildTree(text: string): XmlObject {
  const parser = new SaxesParser({ xmlns: false, forceXMLVersion: true, defaultXMLVersion: '1.0' });
  // saxes checks character references (and nothing else) with this private predicate; with
  // forceXMLVersion it is never reset. test/unit/xml-parse.test.ts pins this behaviour.
  (parser as unknown as { isChar: (c: number) => boolean }).isChar = isReferableChar;
  const stack: OpenElement[] = [];
  const result = newObject();
  parser.on('doctype', () => {
    throw malformed();
  });
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) throw malformed();
  });
  parser.on('opentag', (tag) => {
    const parent = stack.at(-1);
    if (parent) parent.hasChildElements = true;
    stack.push({ name: tag.name, children: newObject(), hasChildElements: false, text: '' });
  });
  const onText = (t: string): void => {
    const top = stack.at(-1);
    if (top) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const el = stack.pop();
    if (!el) throw malformed();
    if (el.hasChildElements && el.text.trim() !== '') throw malformed();
    addChild(stack.at(-1)?.children ?? result, el.name, el.hasChildElements ? el.children : el.text);
  });
  parser.write(text).close();
  return result;
}

/** The document as `{ RootName: value }`; MalformedXML for anything not well-formed. */
export function parseXml(body: Uint8Array | string): XmlObject {
  // XML 1.0 puts the declaration first; OSS also takes whitespace before it (aliyun-oss-go-sdk's
  // TestCreateBucketXml sends a body indented in a Go raw string: "\n        <?xml ...").
  const text = decode(body).replace(/^(\uFEFF?)[ \t\r\n]+(?=<\?xml[ \t\r\n?])/, '$1');
  try {
    return buildTree(text);
  } catch (e) {
    if (e instanceof OssError) throw e;
    throw malformed();
  }
}

/** The element as a list (one element parses as a scalar or object, several as an array). */
export function asList(v: XmlValue | undefined): XmlValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function asText(v: XmlValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asObject(v: XmlValue | undefined): XmlObject | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
