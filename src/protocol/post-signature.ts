/**
 * Who signed a PostObject form (OSS PostObject doc, "Signature"). The signed string is
 * the policy form field exactly as sent (its base64 text):
 * - V1: `OSSAccessKeyId`, `Signature` = base64(HMAC-SHA1(secret, policy)) — ali-oss
 *   `calculatePostSignature`;
 * - V4: `x-oss-signature-version: OSS4-HMAC-SHA256`, `x-oss-credential`
 *   (`<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request`), `x-oss-date` (ISO basic, same day),
 *   `x-oss-signature` = hex(HMAC-SHA256(V4 signing key, policy)) — ali-oss
 *   `signPostObjectPolicyV4`.
 * No signature fields at all: an anonymous upload. A policy without a signature, or a
 * signature without a policy, is refused. STS keys need `x-oss-security-token`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { OssError } from '../engine/errors.js';
import type { KeyLookup } from './auth/types.js';
import { V4_ALGORITHM, parseCredential, signingKey } from './auth/v4.js';
import { checkToken, lookupKey, parseIsoBasic } from './auth/verify.js';

const SIGNATURE_FIELDS = ['ossaccesskeyid', 'signature', 'x-oss-signature-version', 'x-oss-credential', 'x-oss-signature'];

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function required(fields: ReadonlyMap<string, string>, name: string, shown: string): string {
  const v = fields.get(name);
  if (v === undefined || v === '') {
    throw new OssError('InvalidArgument', `The ${shown} form field is required for a signed PostObject.`, { ArgumentName: shown });
  }
  return v;
}

function mismatch(policy: string, provided: string, accessKeyId: string): OssError {
  return new OssError('SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    { StringToSign: policy, SignatureProvided: provided, OSSAccessKeyId: accessKeyId });
}

function verifyV4(fields: ReadonlyMap<string, string>, policy: string, keys: KeyLookup, now: number): string {
  const version = fields.get('x-oss-signature-version');
  if (version !== V4_ALGORITHM) {
    throw new OssError('InvalidArgument', `Signature version ${version ?? ''} is not supported.`, { ArgumentName: 'x-oss-signature-version' });
  }
  const scope = parseCredential(required(fields, 'x-oss-credential', 'x-oss-credential'));
  const date = required(fields, 'x-oss-date', 'x-oss-date');
  if (parseIsoBasic(date) === undefined || date.slice(0, 8) !== scope.day) {
    throw new OssError('InvalidArgument', 'x-oss-date must be an ISO 8601 basic time on the credential\'s day.', { 'x-oss-date': date });
  }
  const provided = required(fields, 'x-oss-signature', 'x-oss-signature');
  const key = lookupKey(keys, scope.accessKeyId);
  const expected = createHmac('sha256', signingKey(key.secret, scope.day, scope.region, scope.product)).update(policy).digest('hex');
  if (!safeEqual(expected, provided)) throw mismatch(policy, provided, scope.accessKeyId);
  checkToken(key, fields.get('x-oss-security-token'), now);
  return scope.accessKeyId;
}

function verifyV1(fields: ReadonlyMap<string, string>, policy: string, keys: KeyLookup, now: number): string {
  const accessKeyId = required(fields, 'ossaccesskeyid', 'OSSAccessKeyId');
  const provided = required(fields, 'signature', 'Signature');
  const key = lookupKey(keys, accessKeyId);
  const expected = createHmac('sha1', key.secret).update(policy).digest('base64');
  if (!safeEqual(expected, provided)) throw mismatch(policy, provided, accessKeyId);
  checkToken(key, fields.get('x-oss-security-token'), now);
  return accessKeyId;
}

/** The access key that signed the form, or undefined for an anonymous (unsigned, policy-less) form. */
export function verifyPostSignature(fields: ReadonlyMap<string, string>, keys: KeyLookup, now = Date.now()): string | undefined {
  const signed = SIGNATURE_FIELDS.some((f) => fields.has(f));
  const policy = fields.get('policy');
  if (!signed) {
    if (policy !== undefined) {
      throw new OssError('InvalidArgument', 'A PostObject form with a policy must also carry OSSAccessKeyId and Signature (or the V4 signature fields).', { ArgumentName: 'OSSAccessKeyId' });
    }
    return undefined;
  }
  if (policy === undefined || policy === '') {
    throw new OssError('InvalidArgument', 'A signed PostObject form must carry the policy form field.', { ArgumentName: 'policy' });
  }
  return fields.has('x-oss-signature-version') || fields.has('x-oss-signature') || fields.has('x-oss-credential')
    ? verifyV4(fields, policy, keys, now)
    : verifyV1(fields, policy, keys, now);
}
