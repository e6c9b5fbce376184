/**
 * A streaming multipart/form-data reader (RFC 7578) for PostObject. Pull-based: parts
 * are read in order from the request body, and a part's body is an async iterable of
 * chunks read on demand, so the file field streams into the engine with backpressure
 * and nothing beyond one chunk plus a boundary's length is buffered.
 *
 * Written here rather than taken from busboy 0.3.1 (the version installed transitively):
 * its parser, dicer 0.3.0, can crash the process on a malformed header block
 * (CVE-2022-24434), and it ships no types.
 */
import { OssError } from '../engine/errors.js';

/** OSS: "The body of your POST request is not well-formed multipart/form-data" (PostObject errors). */
export function malformedForm(why: string): OssError {
  return new OssError('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data: ${why}.`);
}

/** `multipart/form-data; boundary=...` → the boundary; anything else is refused. */
export function formBoundary(contentType: string | undefined): string {
  const m = /^\s*multipart\/form-data\s*;(.*)$/i.exec(contentType ?? '');
  if (!m) throw malformedForm('the Content-Type must be multipart/form-data');
  const b = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(m[1]!);
  const boundary = b?.[1] ?? b?.[2];
  if (!boundary) throw malformedForm('the Content-Type has no boundary');
  return boundary;
}

export interface PartHead {
  /** The form field name (Content-Disposition `name`). */
  name: string;
  /** Set for file fields (Content-Disposition `filename`), possibly ''. */
  filename?: string;
  /** The part's own Content-Type header, if any. */
  contentType?: string;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_PART_HEADER = 16 * 1024;
const MAX_PREAMBLE = 64 * 1024;

/** A Content-Disposition parameter; quoted values may hold `\"`. Header bytes are UTF-8 (browsers). */
function dispositionParam(value: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

function parseHead(block: string): PartHead {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformedForm('a part header line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw malformedForm('a part has no Content-Disposition: form-data header');
  }
  const name = dispositionParam(disposition, 'name');
  if (name === undefined || name === '') throw malformedForm('a part has no field name');
  const filename = dispositionParam(disposition, 'filename');
  return { name, ...(filename !== undefined ? { filename } : {}), ...(contentType !== undefined ? { contentType } : {}) };
}

export class MultipartReader {
  /** Unconsumed bytes; starts with a CRLF so the first boundary looks like every other. */
  private buf: Buffer = CRLF;
  private ended = false;
  private finished = false;
  private readonly delimiter: Buffer;

  constructor(private readonly source: AsyncIterator<Buffer>, boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** Reads one more chunk of the body; false at its end. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.source.next();
    if (r.done === true) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    return true;
  }

  private async atLeast(n: number): Promise<void> {
    while (this.buf.length < n) if (!(await this.fill())) throw malformedForm('the body ended early');
  }

  /** Skips to the next delimiter (the rest of an unread part, or the preamble). */
  private async skipToDelimiter(limit: number): Promise<void> {
    let skipped = 0;
    for (;;) {
      const i = this.buf.indexOf(this.delimiter);
      if (i >= 0) {
        this.buf = this.buf.subarray(i + this.delimiter.length);
        return;
      }
      const drop = Math.max(0, this.buf.length - this.delimiter.length + 1);
      skipped += drop;
      this.buf = this.buf.subarray(drop);
      if (skipped > limit) throw malformedForm('no boundary found');
      if (!(await this.fill())) throw malformedForm('the body ended before the closing boundary');
    }
  }

  /** The next part's head, or undefined after the closing boundary. Unread part bodies are skipped. */
  async next(): Promise<PartHead | undefined> {
    if (this.finished) return undefined;
    await this.skipToDelimiter(MAX_PREAMBLE);
    await this.atLeast(2);
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.finished = true;
      return undefined;
    }
    // Transport padding (spaces, tabs) may follow the boundary before its CRLF.
    let eol = this.buf.indexOf(CRLF);
    while (eol < 0 && this.buf.length < 256) {
      if (!(await this.fill())) throw malformedForm('the body ended early');
      eol = this.buf.indexOf(CRLF);
    }
    if (eol < 0 || !/^[ \t]*$/.test(this.buf.subarray(0, eol).toString('latin1'))) throw malformedForm('bad boundary line');
    this.buf = this.buf.subarray(eol + 2);
    if (this.buf.length < 2) await this.atLeast(2);
    if (this.buf[0] === 0x0d && this.buf[1] === 0x0a) throw malformedForm('a part has no headers');
    let end = this.buf.indexOf(HEADER_END);
    while (end < 0) {
      if (this.buf.length > MAX_PART_HEADER) throw malformedForm('part headers are too large');
      if (!(await this.fill())) throw malformedForm('the body ended in part headers');
      end = this.buf.indexOf(HEADER_END);
    }
    if (end > MAX_PART_HEADER) throw malformedForm('part headers are too large');
    const head = parseHead(this.buf.subarray(0, end).toString('utf8'));
    this.buf = this.buf.subarray(end + HEADER_END.length);
    return head;
  }

  /** The current part's bytes, up to (not including) the next delimiter. Read it before calling next(). */
  async *body(): AsyncGenerator<Buffer> {
    const keep = this.delimiter.length - 1;
    for (;;) {
      const i = this.buf.indexOf(this.delimiter);
      if (i >= 0) {
        const out = this.buf.subarray(0, i);
        // Leave the delimiter in place for next().
        this.buf = this.buf.subarray(i);
        if (out.length > 0) yield out;
        return;
      }
      if (this.buf.length > keep) {
        const out = this.buf.subarray(0, this.buf.length - keep);
        this.buf = this.buf.subarray(this.buf.length - keep);
        yield out;
      }
      if (!(await this.fill())) throw malformedForm('the body ended inside a part');
    }
  }

  /** A small part's value, whole; more than `limit` bytes is refused. */
  async text(limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of this.body()) {
      n += c.length;
      if (n > limit) throw malformedForm(`a form field is larger than ${limit} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks, n).toString('utf8');
  }
}
