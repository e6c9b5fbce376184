/**
 * Values that end up in response headers. Node refuses to send a header value with a
 * control character (ERR_INVALID_CHAR: C0 controls but tab, and DEL) or with a character
 * above U+00FF, and an answer that throws there is a 500. So every value that can come
 * back as a header is checked when it arrives, and refused with 400 InvalidArgument:
 * then a stored object never holds a header it cannot be read with.
 *
 * Request headers need no check (Node's parser already refuses those bytes); the values
 * that do are the ones decoded from elsewhere: `response-*` query parameters (GetObject),
 * PostObject form fields, and CORS ExposeHeader names from the PutBucketCors body.
 */
import { OssError } from '../engine/errors.js';

/** What Node's http module refuses in a header value (lib/_http_common.js checkInvalidHeaderChar). */
const NOT_HEADER_BYTE = /[^\t\u0020-\u007e\u0080-\u00ff]/;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f]/;

function refuse(argumentName: string): OssError {
  return new OssError('InvalidArgument', `${argumentName} holds a control character, which an HTTP header cannot carry.`, { ArgumentName: argumentName });
}

/**
 * A value that arrived as UTF-8 text (a decoded query parameter) as the header byte
 * string Node sends as those UTF-8 bytes; refused with 400 if it holds any control
 * character (tab included: a `response-*` override is a single header line).
 */
export function utf8HeaderValue(text: string, argumentName: string): string {
  if (ANY_CONTROL.test(text)) throw refuse(argumentName);
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string (one char per byte, like Node's request headers) that will be stored and sent back as a header: the same rule as Node's parser. */
export function checkHeaderBytes(bytes: string, argumentName: string): void {
  if (NOT_HEADER_BYTE.test(bytes)) throw refuse(argumentName);
}

/** An HTTP token (RFC 9110 §5.6.2), what Node accepts as a header name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A header name that arrived from elsewhere than a request header (a PostObject field name). */
export function checkHeaderName(name: string): void {
  if (!TOKEN.test(name)) {
    throw new OssError('InvalidArgument', 'A form field that becomes a header must have a name an HTTP header can carry (letters, digits and !#$%&\'*+.^_`|~-).', { ArgumentName: 'x-oss-meta-*' });
  }
}
