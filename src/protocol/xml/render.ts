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
 * from a request (a prefix, a marker, an argument, a StringToSign) may hold them: they are
 * left out, so every answer stays well-formed. (encoding-type=url keeps them in listings.)
 */
// eslint-disable-next-line no-control-regex -- the characters looked for are controls
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;

export function escapeXml(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  return s.replace(NOT_XML, '').replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!);
}

function renderNode(name: string, content: XmlContent, out: string[]): void {
  if (content === undefined) return;
  if (Array.isArray(content)) {
    if (content.length === 0) {
      out.push(`<${name}/>`);
      return;
    }
    out.push(`<${name}>`);
    for (const [n, c] of content) renderNode(n, c, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(content))}</${name}>`);
}

export function renderXml(root: string, content: XmlNode[] | string): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  renderNode(root, content, out);
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
