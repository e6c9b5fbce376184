/**
 * A small XML writer for OSS responses (README §10): prolog, no namespace, text
 * escaped. Elements are written in the order given, as the SDK parsers expect.
 */
export type XmlNode = [name: string, content: XmlContent];
export type XmlContent = string | number | boolean | XmlNode[] | undefined;

// A carriage return is written as a reference: a literal one would reach the reader as a
// line feed (XML end-of-line handling), and keys may hold one.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/**
 * What XML 1.0 cannot carry at all, not even as a character reference (§2.2 Char): C0
 * controls but tab, LF and CR; U+FFFE and U+FFFF; surrogates not in a pair. Values echoed
 * from a request (a prefix, a marker, an argument, a StringToSign) may hold them: in error
 * answers and other non-listing answers they are left out, so those stay well-formed.
 */
// eslint-disable-next-line no-control-regex -- the characters looked for are controls
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;

/**
 * How an answer writes the characters of NOT_XML. `omit`: left out (every answer but
 * listings). `reference`: as a decimal character reference (`&#1;`), U+0000 and lone
 * surrogates still left out; what OSS writes in listings of keys holding control
 * characters without encoding-type (the Java SDK's parser reports "character reference
 * &#… is an invalid XML character", aliyun-oss-java-sdk issue 333, and its
 * ListObjectsTest expects that failure). Lenient parsers (ali-oss's sax) read the exact
 * key back; strict ones fail as on OSS, and every official SDK but ali-oss and Java
 * lists with encoding-type=url (docs/operations.md).
 */
export type ControlCharacters = 'omit' | 'reference';

function notXmlAs(c: string, controls: ControlCharacters): string {
  if (controls === 'omit') return '';
  const code = c.codePointAt(0)!;
  return code === 0 || (code >= 0xd800 && code <= 0xdfff) ? '' : `&#${code};`;
}

export function escapeXml(s: string, controls: ControlCharacters = 'omit'): string {
  if (!NEEDS_WORK.test(s)) return s;
  // Markup characters first: the references written for NOT_XML must stay as they are.
  return s.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!).replace(NOT_XML, (c) => notXmlAs(c, controls));
}

function renderNode(name: string, content: XmlContent, out: string[], controls: ControlCharacters): void {
  if (content === undefined) return;
  if (Array.isArray(content)) {
    if (content.length === 0) {
      out.push(`<${name}/>`);
      return;
    }
    out.push(`<${name}>`);
    for (const [n, c] of content) renderNode(n, c, out, controls);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(content), controls)}</${name}>`);
}

/** `controls`: see ControlCharacters; `reference` only for answers that list keys. */
export function renderXml(root: string, content: XmlNode[] | string, controls: ControlCharacters = 'omit'): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  renderNode(root, content, out, controls);
  return out.join('');
}

/** XML dates: YYYY-MM-DDTHH:MM:SS.000Z, truncated to whole seconds (README §8). */
export function xmlDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** RFC 3986 percent-encoding for encoding-type=url (README §9). */
export function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
