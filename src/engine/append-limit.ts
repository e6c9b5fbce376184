/**
 * The append size limit (ossd extension, docs/extensions.md "Append size limit"): a bucket
 * may cap the size its appendable objects can reach by appending, below OSS's 5 GiB, so
 * that a runaway writer stops there. An append that would pass the cap is refused whole,
 * before its body is read when Content-Length tells, else as soon as the body passes it
 * (ingest's maxBytes); nothing of it is stored.
 *
 * 409, not 400: the refusal depends on the object's current length, not on the request
 * alone (the same request succeeds on a shorter object), like PositionNotEqualToLength;
 * retrying it unchanged can never succeed, and no SDK retries a 4xx.
 */
import { OssError } from './errors.js';
import { type BucketRecord, MAX_OBJECT_SIZE } from './model.js';

/** The largest size an append may make an appendable object of bucket `b`. */
export function appendSizeLimit(b: Pick<BucketRecord, 'appendSizeLimit'>): number {
  return Math.min(b.appendSizeLimit ?? MAX_OBJECT_SIZE, MAX_OBJECT_SIZE);
}

/** The refusal of an append onto an object of `length` bytes that would pass the bucket's `limit`. */
export function appendLimitExceeded(limit: number, length: number): OssError {
  return new OssError(
    'AppendSizeLimitExceeded',
    `The append would make the object larger than the bucket's append size limit of ${limit} bytes; the object is ${length} bytes long.`,
    { AppendSizeLimit: String(limit), CurrentLength: String(length), nextPosition: String(length) },
  );
}
