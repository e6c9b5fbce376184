/**
 * SealAppendObject (OSS API reference "SealAppendObject"; docs/operations.md): makes an
 * appendable object take no more appends. `position` must equal the object's length, as
 * for an append. The seal is a field of the object's row (`sealedMs`, the time of the
 * first seal), written by one compare-and-set like an append's commit, so it is on disk
 * before the client is answered and survives any crash after that.
 *
 * Appender.seal() (append.ts) runs commitSeal() under the key's append lock: a seal waits
 * for the append before it to be durable, and the appends after it find it. The
 * compare-and-set keeps them linearizable even without the lock: an append checked
 * before the seal and committed after it finds the revision changed and is refused
 * (append.ts refusalFrom()).
 */
import type { MetadataStore } from '../drivers/types.js';
import { OssError } from './errors.js';
import type { BucketRecord, ObjectRecord } from './model.js';
import { noSuchKey } from './versioning.js';

/**
 * Why `current` cannot be sealed at `position`; undefined when it can (or is sealed
 * already at that length: sealing again answers the first seal's time).
 * A Normal, Multipart or Symlink object: 409 ObjectNotAppendable, as an append to it gets
 * (OSS documents no code for this case; docs/errors.md).
 */
function sealRefusal(current: ObjectRecord, position: number): OssError | undefined {
  if (current.type !== 'Appendable') return new OssError('ObjectNotAppendable', undefined, { Key: current.key });
  if (position !== current.size) return new OssError('PositionNotEqualToLength', undefined, { nextPosition: String(current.size) });
  return undefined;
}

export interface SealResult {
  record: ObjectRecord;
  /** False when the object was sealed before: nothing changed. */
  sealedNow: boolean;
}

/**
 * The one place a seal commits. Resolves with the sealed record once the seal is durable
 * (compareAndSwap resolves only then); a record already sealed is returned unchanged, its
 * first seal time kept. Another writer changing the row meanwhile (PutObject, DeleteObject,
 * an ACL or tagging change) makes the compare-and-set fail: the seal is then checked and
 * tried again against the row as it is now.
 */
export async function commitSeal(meta: MetadataStore, bucket: BucketRecord, key: string, position: number): Promise<SealResult> {
  for (;;) {
    const current = await meta.getObject(bucket.name, key);
    if (!current) throw await noSuchKey(meta, bucket, key);
    const refusal = sealRefusal(current, position);
    if (refusal) throw refusal;
    if (current.sealedMs !== undefined) return { record: current, sealedNow: false };
    // Only the seal changes: length, ETag, CRC and Last-Modified stay (the bytes do not change).
    const next: ObjectRecord = { ...current, sealedMs: Date.now(), revision: meta.newRevision() };
    const cas = await meta.compareAndSwap(bucket.name, key, current.revision, next);
    if (cas.ok) return { record: next, sealedNow: true };
  }
}
