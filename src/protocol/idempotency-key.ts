/**
 * The `Idempotency-Key` request header of AppendObject (IETF httpapi draft
 * "The Idempotency-Key HTTP Header Field"; an ossd extension, docs/extensions.md
 * "Exactly-once appends"). Taken verbatim: 1 to 128 printable ASCII characters
 * (0x21–0x7E, so no space), e.g. a UUID, quoted as the draft's sf-string or not. Two
 * such headers arrive joined with a comma and space: refused, like any other value.
 */
import { OssError } from '../engine/errors.js';
import { header, type RequestContext } from './context.js';

export const IDEMPOTENCY_KEY = 'idempotency-key';

/** The response header that marks an answer replayed from an earlier append's record. */
export const IDEMPOTENT_REPLAY = 'x-ossd-idempotent-replay';

const VALID = /^[\x21-\x7e]{1,128}$/;

/** The request's Idempotency-Key, or undefined without one; malformed: 400 InvalidArgument. */
export function parseIdempotencyKey(ctx: RequestContext): string | undefined {
  const v = header(ctx, IDEMPOTENCY_KEY);
  if (v === undefined) return undefined;
  if (!VALID.test(v)) {
    throw new OssError('InvalidArgument', 'Idempotency-Key must be 1 to 128 printable ASCII characters (0x21-0x7E).', {
      ArgumentName: 'Idempotency-Key',
      ArgumentValue: v,
    });
  }
  return v;
}
