/**
 * Server-side encryption headers (docs/errors.md, "Server-side encryption"). ossd checks and
 * stores what the client asked for and echoes it as OSS does, but does NOT encrypt the bytes
 * at rest yet: they are stored as sent.
 */
import { OssError } from '../engine/errors.js';
import { ENCRYPTION_HEADERS } from '../engine/model.js';
import { header, type RequestContext } from './context.js';
import { withEc } from './errors/catalogue.js';

const [SSE, SSE_DATA, SSE_KEY_ID] = ENCRYPTION_HEADERS;

/** OSS PutObject: x-oss-server-side-encryption takes AES256, KMS or SM4. */
const ALGORITHMS = ['AES256', 'KMS', 'SM4'];
/** OSS: x-oss-server-side-data-encryption (with KMS only) takes SM4; absent means AES256. */
const DATA_ALGORITHMS = ['SM4'];

function invalid(name: string, value: string, why: string, ec?: string): OssError {
  const details = { ArgumentName: name, ArgumentValue: value };
  return new OssError('InvalidArgument', why, ec ? withEc(ec, details) : details);
}

/** OSS's EC page for an encryption type it does not support. */
const UNSUPPORTED_ALGORITHM_EC = '0005-00000003';

/** The encryption headers of a write, checked; empty when the request asks for none. */
export function parseEncryptionHeaders(ctx: RequestContext): Record<string, string> {
  const algorithm = header(ctx, SSE);
  const data = header(ctx, SSE_DATA);
  const keyId = header(ctx, SSE_KEY_ID);
  const out: Record<string, string> = {};
  if (algorithm !== undefined) {
    if (!ALGORITHMS.includes(algorithm)) {
      throw invalid(SSE, algorithm, `The encryption method specified is not supported: ${SSE} must be AES256, KMS or SM4.`, UNSUPPORTED_ALGORITHM_EC);
    }
    out[SSE] = algorithm;
  }
  // The data algorithm and the key id only mean something with KMS (OSS PutObject).
  if (data !== undefined) {
    if (algorithm !== 'KMS') throw invalid(SSE_DATA, data, `${SSE_DATA} is only valid when ${SSE} is KMS.`);
    if (!DATA_ALGORITHMS.includes(data)) throw invalid(SSE_DATA, data, `${SSE_DATA} must be SM4.`);
    out[SSE_DATA] = data;
  }
  if (keyId !== undefined) {
    if (algorithm !== 'KMS') throw invalid(SSE_KEY_ID, keyId, `${SSE_KEY_ID} is only valid when ${SSE} is KMS.`);
    out[SSE_KEY_ID] = keyId;
  }
  return out;
}
