/** Name rules (README §1.5). */
import { OssError } from '../engine/errors.js';
import { withEc } from './errors/catalogue.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function validateBucketName(name: string): void {
  if (!BUCKET_NAME.test(name)) throw new OssError('InvalidBucketName', undefined, { BucketName: name });
}

export const MAX_KEY_BYTES = 1023;

/**
 * Keys: 1–1023 bytes of UTF-8, not starting with '/' or '\'. Keys never become file
 * paths (blobs are named by random ids), so '..' and friends are ordinary characters;
 * NUL and other C0 controls are refused because they break XML listings.
 */
export function validateObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < 1 || bytes > MAX_KEY_BYTES) {
    throw new OssError('InvalidObjectName', `The length of the object name must be 1 to ${MAX_KEY_BYTES} bytes.`, withEc('0016-00000003'));
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new OssError('InvalidObjectName', 'The object name must not start with "/" or "\\".', withEc('0016-00000005'));
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(key) || /[\ud800-\udfff]/.test(key.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    throw new OssError('InvalidObjectName', 'The object name contains characters that are not allowed.');
  }
}
