/** Name rules (README §1.5). */
import { OssError } from '../engine/errors.js';
import { withEc, withoutEc } from './errors/catalogue.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function validateBucketName(name: string): void {
  if (!BUCKET_NAME.test(name)) throw new OssError('InvalidBucketName', undefined, { BucketName: name });
}

export const MAX_KEY_BYTES = 1023;

/** A UTF-16 surrogate not in a pair: no UTF-8 text holds one (a JS string built from bytes may). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Keys: 1–1023 bytes of UTF-8, not starting with '/' or '\' (OSS's naming rules, pages
 * 0016-00000003…5). Keys never become file paths (blobs are named by random ids), so '..'
 * and friends are ordinary characters.
 *
 * C0 controls U+0001–U+001F and DEL are keys' characters as in OSS: both official Go SDKs
 * store and batch-delete keys of every one of them in their integration tests (bucket_test.go
 * "\x01\x02…\x1F"), the Java SDK lists "\001\007" with encoding-type=url. Listings carry
 * them URL-encoded, or as character references without encoding-type (docs/operations.md).
 *
 * U+0000 is refused (project choice, docs/errors.md): no OSS page or SDK test stores it, and
 * no XML can name it, not even as a character reference, so such an object could never be
 * named in a DeleteMultipleObjects body nor listed without encoding-type. OSS documents no
 * EC for the cause, so the answer carries none.
 */
export function validateObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < 1 || bytes > MAX_KEY_BYTES) {
    throw new OssError('InvalidObjectName', `The length of the object name must be 1 to ${MAX_KEY_BYTES} bytes.`, withEc('0016-00000003'));
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new OssError('InvalidObjectName', 'The object name must not start with "/" or "\\".', withEc('0016-00000005'));
  }
  if (key.includes('\u0000')) {
    throw new OssError('InvalidObjectName', 'The object name must not contain the character U+0000 (NUL).', withoutEc());
  }
  if (LONE_SURROGATE.test(key)) {
    throw new OssError('InvalidObjectName', 'The object name is not valid UTF-8.', withEc('0016-00000004'));
  }
}
