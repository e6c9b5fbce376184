/**
 * Request parameters of the multipart operations (multipart.md §2–§7): part numbers,
 * upload ids, x-oss-copy-source-range, list limits and markers, encoding-type, and the
 * CompleteMultipartUpload XML body.
 */
import { OssError } from '../engine/errors.js';
import { MAX_PART_NUMBER, MIN_PART_NUMBER } from '../engine/multipart-model.js';
import type { ListedPart } from '../engine/multipart-rules.js';
import type { RequestContext } from './context.js';
import { withEc } from './errors/catalogue.js';
import { queryValue } from './request-target.js';
import { asList, asObject, asText, parseXml } from './xml/parse.js';
import { urlEncode } from './xml/render.js';

function invalid(name: string, value: string, message: string): OssError {
  return new OssError('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

/** §2: `partNumber` 1–10000; missing, non-numeric or out of range is 400 InvalidArgument. */
export function parsePartNumber(ctx: RequestContext): number {
  const v = queryValue(ctx.query, 'partNumber') ?? '';
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= MIN_PART_NUMBER && n <= MAX_PART_NUMBER)) {
    throw invalid('partNumber', v, `Part number must be an integer between ${MIN_PART_NUMBER} and ${MAX_PART_NUMBER}, inclusive.`);
  }
  return n;
}

/** The upload id; an empty or unknown one is simply NoSuchUpload later. */
export function uploadIdOf(ctx: RequestContext): string {
  return queryValue(ctx.query, 'uploadId') ?? '';
}

/**
 * §3: `x-oss-copy-source-range: bytes=<first>-<last>`, inclusive, or `bytes=<first>-`. Checked against the
 * source size once it is known: first > last or last beyond the source is 400
 * InvalidArgument (docs/errors.md choices). Returns [start, end) with end exclusive.
 */
export function copySourceRange(v: string | undefined): ((size: number) => { start: number; end: number }) | undefined {
  if (v === undefined) return undefined;
  // `bytes=<first>-` (to the end of the source) is what oss2 sends for a range without an end.
  const m = /^\s*bytes\s*=\s*(\d{1,16})\s*-\s*(\d{1,16})?\s*$/i.exec(v);
  if (!m) throw invalid('x-oss-copy-source-range', v, 'x-oss-copy-source-range must be bytes=<first>-<last> or bytes=<first>-.');
  const first = Number(m[1]);
  const openEnded = m[2] === undefined;
  return (size) => {
    const last = openEnded ? size - 1 : Number(m[2]);
    if (first > last || last >= size) {
      throw invalid('x-oss-copy-source-range', v, `The range ${v.trim()} is not within the source object of ${size} bytes.`);
    }
    return { start: first, end: last + 1 };
  };
}

/** `max-parts` / `max-uploads`: 1–1000, default 1000 (§6, §7). */
export function parseMax(ctx: RequestContext, name: string): number {
  const v = queryValue(ctx.query, name);
  if (v === undefined || v === '') return 1000;
  const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 1000)) throw invalid(name, v, `${name} must be an integer from 1 to 1000.`);
  return n;
}

/** `part-number-marker` (§7): list parts after this number; default 0. */
export function parsePartNumberMarker(ctx: RequestContext): number {
  const v = queryValue(ctx.query, 'part-number-marker');
  if (v === undefined || v === '') return 0;
  if (!/^\d{1,5}$/.test(v)) throw invalid('part-number-marker', v, 'part-number-marker must be a non-negative integer.');
  return Number(v);
}

export interface Encoding {
  /** 'url' when encoding-type=url was asked for. */
  type: string | undefined;
  encode: (s: string) => string;
}

/** `encoding-type=url` (README §9): the named elements are percent-encoded. */
export function parseEncoding(ctx: RequestContext): Encoding {
  const v = queryValue(ctx.query, 'encoding-type');
  if (v === undefined || v === '') return { type: undefined, encode: (s) => s };
  if (v !== 'url') throw invalid('encoding-type', v, 'encoding-type must be url.');
  return { type: 'url', encode: urlEncode };
}

/**
 * §4: `<CompleteMultipartUpload><Part><PartNumber>n</PartNumber><ETag>"…"</ETag></Part>…`.
 * Not well-formed, no part, or a part without a numeric PartNumber or an ETag is 400
 * MalformedXML. Order and existence are the engine's checks (InvalidPartOrder, InvalidPart).
 */
export function parseCompleteXml(xml: Uint8Array | string): ListedPart[] {
  // No body at all: OSS's recorded answer in alibabacloud-oss-go-sdk-v2's client_mock_test.go
  // (a request without CompleteMultipartUpload) is MalformedXML with EC 0042-00000205.
  if (xml.length === 0) throw new OssError('MalformedXML', undefined, withEc('0042-00000205'));
  const element = parseXml(xml).CompleteMultipartUpload;
  const root = asObject(element);
  if (!root && asText(element)?.trim() !== '') throw new OssError('MalformedXML');
  const parts = asList(root?.Part).map((p): ListedPart => {
    const o = asObject(p);
    const num = asText(o?.PartNumber)?.trim();
    const etag = asText(o?.ETag);
    if (num === undefined || !/^\d{1,9}$/.test(num) || etag === undefined) throw new OssError('MalformedXML');
    return { partNumber: Number(num), etag };
  });
  // A root element naming no part completes an empty object: the Go v2 SDK's uploader sends
  // `<CompleteMultipartUpload></CompleteMultipartUpload>` for an empty file, and its
  // integration test (run against OSS) expects a 0-byte object (docs/sdk-compatibility.md ⑮).
  return parts;
}
