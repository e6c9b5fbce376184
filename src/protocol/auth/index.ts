/** Request-signature verification (auth.md): public API. */
export type {
  AuthInput, AuthOutcome, AuthScheme, AuthTarget, KeyLookup, KeyResolver, KeySecret, QueryItem,
} from './types.js';
export { describeAuth, verifyRequest } from './verify.js';
export {
  V1_SUB_RESOURCES, canonicalizedOssHeaders, canonicalizedResource, isSubResource, parseV1Authorization,
  v1Signature, v1StringToSign,
} from './v1.js';
export {
  V4_ALGORITHM, canonicalQuery, parseAdditionalHeaders, parseCredential, parseV4Authorization, signingKey,
  uriEncode, v4CanonicalRequest, v4Signature, v4StringToSign,
} from './v4.js';
export type { CanonicalRequestInput, V4Scope } from './v4.js';
