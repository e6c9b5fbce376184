/**
 * An XML 1.0 well-formedness check for the fuzz tests, written apart from the server's
 * request parser (src/protocol/xml/parse.ts): saxes in its default strict mode, bytes
 * decoded as UTF-8 with a fatal decoder, no DOCTYPE allowed.
 *
 * Used two ways: every error answer (and every XML answer of a bucket-level request) must
 * pass it with `strict` rules; and a request body the server accepted must pass it with
 * `requestRules`, which add the one widening the server documents: references to
 * U+0001–U+001F (what the official Go SDKs write for control bytes in keys). Answers that
 * name keys use that widening too (OSS's listings write control characters so).
 */
import { SaxesParser } from 'saxes';

export interface XmlRules {
  /** Accept `&#x1;`…`&#x1F;` (and decimal 1–31) as character references. */
  controlReferences?: boolean;
  /** The root element's name, if it must be one. */
  root?: string;
  /** Accept control characters written literally inside `<Key>…</Key>` (DeleteMultipleObjects, docs/errors.md). */
  rawControlsInKeys?: boolean;
  /** Accept white space before the XML declaration (the Go v1 SDK sends it; OSS accepts it, docs/errors.md). */
  leadingWhitespace?: boolean;
}

export const requestRules: XmlRules = { controlReferences: true, leadingWhitespace: true };
/** A DeleteMultipleObjects body: as requestRules, and keys may hold control characters written literally (ali-oss, oss2, Java). */
export const deleteRules: XmlRules = { ...requestRules, rawControlsInKeys: true };

const CONTROL_REFERENCE = /&#(?:x0*(?:[1-9a-f]|1[0-9a-f])|0*(?:[1-9]|[12][0-9]|3[01]));/gi;

/** What is wrong with `doc` as an XML 1.0 document, or undefined. */
export function xmlProblem(doc: Buffer | string, rules: XmlRules = {}): string | undefined {
  let text: string;
  if (typeof doc === 'string') text = doc;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(doc);
    } catch {
      return 'not UTF-8';
    }
  }
  if (rules.controlReferences) text = text.replace(CONTROL_REFERENCE, ' ');
  if (rules.leadingWhitespace) text = text.replace(/^\ufeff?[ \t\r\n]+(?=<\?xml)/, '');
  // eslint-disable-next-line no-control-regex
  if (rules.rawControlsInKeys) text = text.replace(/<Key>[^<]*<\/Key>/g, (k) => k.replace(/[\x01-\x08\x0b-\x1f]/g, ' '));
  const parser = new SaxesParser({ xmlns: false });
  let root: string | undefined;
  let doctype = false;
  parser.on('opentag', (t) => {
    root ??= t.name;
  });
  parser.on('doctype', () => {
    doctype = true;
  });
  try {
    parser.write(text).close();
  } catch (e) {
    return `not well-formed XML (${(e as Error).message}): ${JSON.stringify(text.slice(0, 300))}`;
  }
  if (doctype) return 'has a DOCTYPE';
  if (rules.root !== undefined && root !== rules.root) return `root element ${String(root)}, not ${rules.root}`;
  return undefined;
}
