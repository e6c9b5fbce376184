/**
 * Exactly-once appends: an OSS extension (docs/extensions.md "Exactly-once appends"). An
 * AppendObject carrying `Idempotency-Key` has its key, position, length and the object's
 * CRC-64 before and after it recorded by the compare-and-swap that commits it
 * (AppendKeyChange; the driver stores them in the same transaction), so after a kill -9
 * at any instant the append and its record are both on disk or both gone. A retry with
 * the same key is answered from the record: the original next position, CRC-64 and ETag,
 * and nothing appended, however many appends came after it; with another position or
 * body it is refused with 422 IdempotencyKeyMismatch.
 *
 * The body's fingerprint is its length and its CRC-64 chained from the object's CRC
 * before the append: the CRC the append computed anyway, and, for the same starting CRC
 * and length, equal exactly when the body's own CRC-64 is.
 *
 * A record counts only while it still describes the object (stillApplies()): a delete or
 * an overwrite makes a new object (a new blob), whose appends do not answer for the old
 * one's keys; a rolled-back append (its bytes lost with the machine, recovery.ts, or never
 * made durable, append.ts finish()) drops its record in the rollback's own swap.
 */
import type { AppendKeyChange, AppendKeyRecord, BlobWriter, MetadataStore } from '../drivers/types.js';
import { appendableEtag } from './attributes.js';
import { crc64ToDecimal } from './crc64.js';
import { OssError } from './errors.js';
import { ingest } from './ingest.js';
import { appendableIdentity, type ObjectRecord } from './model.js';
import type { BodyInput } from './objects.js';

/** The most recent keyed appends kept per object; older ones are forgotten. */
export const APPEND_KEYS_PER_OBJECT = 1000;
/** A keyed append is remembered this long at most (24 hours). */
export const APPEND_KEY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What an append answers: the object after it, and whether it was a retry answered from its record. */
export interface AppendOutcome {
  record: ObjectRecord;
  replay: boolean;
}

/**
 * Every this many keyed appends, one also deletes expired records (of any object; the
 * driver deletes up to 32 at a time, more than it takes to keep up): the lookup of expired
 * rows is a fifth of the cost of storing a record, and need not be paid on each.
 */
const EXPIRE_EVERY = 16;
let keyedAppends = 0;

/** Builds the record of one keyed append for each of its commit attempts (recordAppendKey()). */
export type AppendKeyRecorder = (crcBefore: string, next: ObjectRecord) => AppendKeyChange;

/**
 * The records an append with `token` at `position` stores in its commit, one per
 * compare-and-set attempt (`crcBefore`: the CRC its body was chained from; `next`: the row
 * that attempt commits). Whether the append also runs an expiry round is decided here,
 * once per append, and carried into every attempt: an attempt that loses its
 * compare-and-set (to a compaction's swap of the segment list, another node's ACL change)
 * and retries keeps the round, where deciding per attempt let the lost attempt take it
 * away and expired records stay past their window.
 */
export function recordAppendKey(token: string, position: number): AppendKeyRecorder {
  const expires = keyedAppends++ % EXPIRE_EVERY === 0;
  return (crcBefore, next) => {
    const now = Date.now();
    return {
      record: { token, position, length: next.size - position, crcBefore, crcAfter: next.crc, blob: appendableIdentity(next), createdMs: now },
      keep: APPEND_KEYS_PER_OBJECT,
      ...(expires ? { expireBefore: now - APPEND_KEY_WINDOW_MS } : {}),
    };
  };
}

/** The change a rollback of the object to `restored` (undefined: removed) makes: records of appends beyond it go. */
export function forgetRolledBack(restored: Pick<ObjectRecord, 'size'> | null | undefined): AppendKeyChange {
  return { dropBeyond: restored ? restored.size : -1 };
}

/**
 * Whether `rec` still describes an append to `current`: the same appendable object (its
 * blob: a new object always gets a new one) that still holds the appended bytes, within
 * the window. An empty append onto an empty object has no blob to tell objects apart by,
 * and nothing to duplicate either: it counts while the key holds an appendable object.
 */
function stillApplies(rec: AppendKeyRecord, current: ObjectRecord | undefined, now: number): current is ObjectRecord {
  if (!current || current.type !== 'Appendable' || now - rec.createdMs >= APPEND_KEY_WINDOW_MS) return false;
  const end = rec.position + rec.length;
  return end === 0 || (appendableIdentity(current) === rec.blob && current.size >= end);
}

/** A BlobWriter that keeps nothing: a retry's body is read and fingerprinted, never stored. */
class DiscardWriter implements BlobWriter {
  async write(): Promise<void> {}
  async sync(): Promise<void> {}
  async truncate(): Promise<void> {}
  async close(): Promise<void> {}
}

function mismatch(token: string, rec: AppendKeyRecord, why: string): OssError {
  return new OssError(
    'IdempotencyKeyMismatch',
    `The Idempotency-Key was used for an append of ${rec.length} bytes at position ${rec.position}; ${why}.`,
    { IdempotencyKey: token },
  );
}

/**
 * What a keyed append whose commit lost a race computed of its body: enough to tell it
 * is the very append another node committed under the same key meanwhile (the same
 * position, length and CRCs), without reading the body again.
 */
export interface AppendFingerprint {
  position: number;
  bytes: number;
  /** The object's CRC-64 the body was chained from, and the result (unsigned decimal). */
  crcBefore: string;
  crcAfter: string;
}

const FINGERPRINT = Symbol('appendFingerprint');

/** Marks the refusal of an append that lost its commit with what the append computed. */
export function withFingerprint<E extends Error>(e: E, fingerprint: AppendFingerprint): E {
  return Object.assign(e, { [FINGERPRINT]: fingerprint });
}

export function fingerprintOf(e: unknown): AppendFingerprint | undefined {
  return (e as { [FINGERPRINT]?: AppendFingerprint } | undefined)?.[FINGERPRINT];
}

export class AppendKeys {
  constructor(private readonly meta: MetadataStore) {}

  /** The recorded append of `token` on the key, while it still describes the object; with the object. */
  async recorded(bucket: string, key: string, token: string): Promise<{ rec: AppendKeyRecord; current: ObjectRecord } | undefined> {
    const rec = await this.meta.appendKeys.find(bucket, key, token);
    if (!rec) return undefined;
    const current = await this.meta.getObject(bucket, key);
    return stillApplies(rec, current, Date.now()) ? { rec, current } : undefined;
  }

  /**
   * A keyed append that lost its commit to the append recorded under its key (the same
   * request sent to two nodes at once): the original answer when it is the same append,
   * else 422 IdempotencyKeyMismatch.
   */
  replayLost(found: { rec: AppendKeyRecord; current: ObjectRecord }, fp: AppendFingerprint): ObjectRecord {
    const { rec, current } = found;
    if (fp.position !== rec.position) throw mismatch(rec.token, rec, `this request has position ${fp.position}`);
    if (fp.bytes !== rec.length) throw mismatch(rec.token, rec, `this request has ${fp.bytes} bytes`);
    if (fp.crcBefore !== rec.crcBefore || fp.crcAfter !== rec.crcAfter) throw mismatch(rec.token, rec, 'this request has another body');
    const end = rec.position + rec.length;
    return { ...current, size: end, crc: rec.crcAfter, etag: appendableEtag(BigInt(rec.crcAfter), end) };
  }

  /**
   * A retry of a recorded append: the original answer when position and body are the
   * same (the body is read to compare, and dropped), else 422 IdempotencyKeyMismatch.
   * A declared length or position that differs is refused before the body is read.
   */
  async replay(found: { rec: AppendKeyRecord; current: ObjectRecord }, position: number, input: BodyInput): Promise<ObjectRecord> {
    const { rec, current } = found;
    if (position !== rec.position) throw mismatch(rec.token, rec, `this request has position ${position}`);
    if (input.contentLength !== undefined && input.contentLength !== rec.length) {
      throw mismatch(rec.token, rec, `this request has ${input.contentLength} bytes`);
    }
    const tooLong = (): OssError => mismatch(rec.token, rec, 'this request has a longer body');
    const writer = new DiscardWriter();
    const read = await ingest(input.body, async () => writer, {
      startOffset: rec.position,
      initialCrc: BigInt(rec.crcBefore),
      maxBytes: rec.length,
      tooLarge: tooLong,
      expectedLength: input.contentLength,
      expectedMd5: input.contentMd5,
      needMd5: false,
      chunksOwned: input.chunksOwned,
    });
    if (read.bytes !== rec.length) throw mismatch(rec.token, rec, `this request has ${read.bytes} bytes`);
    if (crc64ToDecimal(read.crc) !== rec.crcAfter) throw mismatch(rec.token, rec, 'this request has another body');
    const end = rec.position + rec.length;
    return { ...current, size: end, crc: rec.crcAfter, etag: appendableEtag(BigInt(rec.crcAfter), end) };
  }
}
