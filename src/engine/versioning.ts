/**
 * Versioning rules (buckets.md §7, objects.md §6, append.md §9) over the driver's history
 * primitives (HistoryChange). The current version of a key is its object row; older
 * versions and delete markers are noncurrent rows, newest first. So:
 * - a write that makes a new current version keeps the replaced one as a noncurrent
 *   version (Enabled), or replaces the `null` version wherever it is (Suspended);
 * - an append changes the current version in place and never makes a version; an
 *   appendable version that is replaced or deleted is noncurrent, so nothing can append
 *   to it (appends only ever look at the current row);
 * - after a delete marker there is no current row, so the next append must be at 0 and
 *   creates a new appendable version.
 */
import { randomBytes } from 'node:crypto';
import { type HistoryChange, KEEP_CURRENT, type MetadataStore, type VersionEntry } from '../drivers/types.js';
import { OssError } from './errors.js';
import { type BucketRecord, NULL_VERSION, type ObjectRecord, versionIdOf } from './model.js';

/** Opaque, URL-safe, unique (buckets.md §7: OSS ids are long base64-like strings). */
export function newVersionId(): string {
  return `CAEQ${randomBytes(30).toString('base64url')}`;
}

export interface WritePlan {
  /** The new current version's id; absent for the null version. */
  versionId?: string;
  history?: HistoryChange;
  /** The replaced current version is kept (so its blobs must not be collected). */
  archives: boolean;
}

/** How a write that makes a new current version (put, copy, complete, symlink, creating append) treats the old ones. */
export async function planNewCurrent(meta: MetadataStore, bucket: BucketRecord, key: string, current: ObjectRecord | undefined): Promise<WritePlan> {
  if (bucket.versioning === undefined) return { archives: false };
  if (bucket.versioning === 'Enabled') {
    return { versionId: newVersionId(), history: { archive: current !== undefined }, archives: current !== undefined };
  }
  // Suspended: the new version is the null version, and replaces any other null version.
  const archives = current !== undefined && current.versionId !== undefined;
  const olderNull = (await meta.history(bucket.name, key)).some((v) => v.versionId === undefined);
  return { history: { archive: archives, ...(olderNull ? { remove: [NULL_VERSION] } : {}) }, archives };
}

export function withVersion(rec: ObjectRecord, plan: WritePlan): ObjectRecord {
  if (plan.versionId === undefined) {
    const { versionId: _old, ...rest } = rec;
    return rest;
  }
  return { ...rec, versionId: plan.versionId };
}

function newDeleteMarker(bucket: string, key: string, versionId: string | undefined, revision: number): ObjectRecord {
  return {
    bucket,
    key,
    type: 'Normal',
    size: 0,
    etag: '',
    crc: '0',
    blob: null,
    mtimeMs: Date.now(),
    contentType: '',
    headers: {},
    meta: {},
    acl: 'default',
    tags: [],
    storageClass: 'Standard',
    revision,
    deleteMarker: true,
    ...(versionId !== undefined ? { versionId } : {}),
  };
}

/** A missing key; in a versioned bucket whose newest version of it is a delete marker, the error says so (objects.md §2.3). */
export async function noSuchKey(meta: MetadataStore, bucket: BucketRecord, key: string): Promise<OssError> {
  if (bucket.versioning !== undefined) {
    const newest = (await meta.history(bucket.name, key))[0];
    if (newest?.deleteMarker) return new OssError('NoSuchKey', undefined, { Key: key, deleteMarker: 'true', versionId: versionIdOf(newest) });
  }
  return new OssError('NoSuchKey', undefined, { Key: key });
}

/**
 * `versionId` as a request names it: non-empty (EC 0016-00000612 for the delete body's
 * empty one), printable ASCII (an id is echoed in response headers), and `null` or shaped
 * like a version id.
 */
export function checkVersionId(versionId: string): void {
  if (versionId === '') throw new OssError('InvalidArgument', 'The version id must not be empty.', { ArgumentName: 'versionId', ArgumentValue: '' });
  // OSS's ids (and ossd's, newVersionId) are base64 of a record starting "CAEQ"; anything else
  // names no version OSS could have made, and OSS refuses it as invalid rather than
  // unknown (oss2 test_delete_object_versions_with_invalid_arguments: `234`).
  if (!/^[!-~]{1,1024}$/.test(versionId) || (versionId !== NULL_VERSION && !/^CAEQ[A-Za-z0-9+/=_-]*$/.test(versionId))) {
    throw new OssError('InvalidArgument', 'The version id is not valid.', { ArgumentName: 'versionId' });
  }
}

/** One version of a key; a delete marker is refused like OSS does (405, EC 0017-00000002). */
export async function requireVersion(meta: MetadataStore, bucket: string, key: string, versionId: string): Promise<VersionEntry> {
  checkVersionId(versionId);
  const entry = await meta.getVersion(bucket, key, versionId);
  if (!entry) throw new OssError('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
  if (entry.record.deleteMarker) {
    throw new OssError('MethodNotAllowed', 'The specified method is not allowed against a delete marker.', {
      Key: key,
      deleteMarker: 'true',
      versionId,
      // OSS's EC for this cause (page 0017-00000002: the operation is not supported on a delete marker).
      ec: '0017-00000002',
    });
  }
  return entry;
}

export interface DeleteOutcome {
  /** x-oss-version-id of the answer: the marker made, or the version removed. */
  versionId?: string;
  /** x-oss-delete-marker: a marker was made, or the version removed was one. */
  deleteMarker: boolean;
}

/** Hands a record whose bytes are no longer referenced to the garbage collector. */
export type Collect = (gone: ObjectRecord | undefined) => void;

/** DeleteObject without a version id in a versioned bucket: a delete marker becomes the newest version (objects.md §6). */
export async function deleteWithMarker(meta: MetadataStore, bucket: BucketRecord, key: string, collect: Collect): Promise<DeleteOutcome> {
  for (;;) {
    const current = await meta.getObject(bucket.name, key);
    const plan = await planNewCurrent(meta, bucket, key, current);
    const marker = newDeleteMarker(bucket.name, key, plan.versionId, meta.newRevision());
    const history = { ...plan.history, add: [marker] };
    const cas = await meta.compareAndSwap(bucket.name, key, current?.revision ?? null, null, undefined, history);
    if (!cas.ok) continue;
    if (!plan.archives) collect(cas.previous);
    for (const old of cas.removed ?? []) collect(old);
    return { versionId: versionIdOf(marker), deleteMarker: true };
  }
}

/**
 * DeleteObject with a version id: that version is gone for good. When it was the newest,
 * the next newest becomes current, unless that is a delete marker. An unknown id
 * deletes nothing and still answers 204, as DeleteObject does for a missing key.
 */
export async function deleteVersion(meta: MetadataStore, bucket: string, key: string, versionId: string, collect: Collect): Promise<DeleteOutcome> {
  checkVersionId(versionId);
  for (;;) {
    const current = await meta.getObject(bucket, key);
    const older = await meta.history(bucket, key);
    const expected = current?.revision ?? null;
    const promote = (v: ObjectRecord | undefined) => (v && !v.deleteMarker ? { ...v, revision: meta.newRevision() } : undefined);
    if (current && versionIdOf(current) === versionId) {
      const next = promote(older[0]);
      const cas = await meta.compareAndSwap(bucket, key, expected, next ?? null, undefined, next ? { remove: [versionIdOf(next)] } : undefined);
      if (!cas.ok) continue;
      collect(current);
      return { versionId, deleteMarker: false };
    }
    const at = older.findIndex((v) => versionIdOf(v) === versionId);
    const gone = older[at];
    if (!gone) return { versionId, deleteMarker: false };
    // Removing the newest version (a marker, as there is no current row) may uncover a real one.
    const next = !current && at === 0 ? promote(older[1]) : undefined;
    const cas = next
      ? await meta.compareAndSwap(bucket, key, null, next, undefined, { remove: [versionId, versionIdOf(next)] })
      : await meta.compareAndSwap(bucket, key, expected, KEEP_CURRENT, undefined, { remove: [versionId] });
    if (!cas.ok) continue;
    collect(gone);
    return { versionId, deleteMarker: gone.deleteMarker === true };
  }
}

/** PutObjectAcl/PutObjectTagging on a named version: the change, in place, of that version only. */
export async function updateVersion(
  meta: MetadataStore,
  bucket: string,
  key: string,
  versionId: string,
  change: (rec: ObjectRecord) => ObjectRecord,
): Promise<ObjectRecord> {
  for (;;) {
    const { record } = await requireVersion(meta, bucket, key, versionId);
    const current = await meta.getObject(bucket, key);
    const isCurrent = current !== undefined && versionIdOf(current) === versionId;
    const changed = { ...change(isCurrent ? current : record), revision: meta.newRevision() };
    const cas = isCurrent
      ? await meta.compareAndSwap(bucket, key, current.revision, changed)
      : await meta.compareAndSwap(bucket, key, current?.revision ?? null, KEEP_CURRENT, undefined, { update: [changed] });
    if (cas.ok) return changed;
  }
}
