/**
 * A small XML writer for OSS responses (README §10): prolog, no namespace, text
 * escaped. Elements are written in the order given, as the SDK parsers expect.
 */
export type XmlNode = [name: string, content: XmlContent];
export type XmlContent = string | number | boolean | XmlNode[] | undefined;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
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
