/**
 * Symlinks (objects.md §9, §2.3). A link is an object row of type Symlink with no data
 * and a target key in the same bucket. Creating one replaces whatever the key held (an
 * appendable object included, append.md §8). GetSymlink, GetObjectMeta and listings see
 * the link itself; GetObject and HeadObject follow it to the target's bytes.
 */
import { createHash } from 'node:crypto';
import { newRecord, type ObjectAttributes } from './attributes.js';
import type { BucketService } from './buckets.js';
import { OssError } from './errors.js';
import type { ObjectRecord } from './model.js';
import type { ObjectService, OpenedObject } from './objects.js';

/** The link's own ETag: MD5 of the target key, so it changes when the link is re-pointed. */
function linkEtag(target: string): string {
  return createHash('md5').update(target, 'utf8').digest('hex').toUpperCase();
}

/** What a GET or HEAD serves: the key's own object, or for a link also the target. */
export interface Followed<T> {
  /** Set when the key is a symlink: the link row (its type, user metadata and tags). */
  link?: ObjectRecord;
  /** The object whose bytes and content headers are served. */
  target: T;
}

/** Throws when the caller may not read the target key. */
export type TargetCheck = (targetKey: string) => Promise<void>;

export class SymlinkService {
  constructor(
    private readonly buckets: BucketService,
    private readonly objects: ObjectService,
  ) {}

  /** PutSymlink. The target need not exist; it is checked on access (objects.md §9). */
  async put(bucket: string, key: string, target: string, attrs: ObjectAttributes, forbidOverwrite: boolean): Promise<ObjectRecord> {
    const b = await this.buckets.require(bucket);
    const body = { type: 'Symlink' as const, size: 0, etag: linkEtag(target), crc: '0', blob: null, symlinkTarget: target };
    return this.objects.commitReplacing(newRecord(b, key, body, attrs, this.objects.newRevision()), forbidOverwrite);
  }

  /** GetSymlink: the link row; any other object is NotSymlink (objects.md §9). */
  async get(bucket: string, key: string, versionId?: string): Promise<ObjectRecord & { symlinkTarget: string }> {
    const rec = await this.objects.head(bucket, key, versionId);
    if (rec.type !== 'Symlink' || rec.symlinkTarget === undefined) throw new OssError('NotSymlink', undefined, { Key: key });
    return { ...rec, symlinkTarget: rec.symlinkTarget };
  }

  /**
   * HeadObject: the record, following a link to its target (objects.md §2.3).
   * `mayRead` checks access to the target before it is looked at: the ACLs of the link and
   * of the target both apply (PutSymlink doc).
   */
  async head(bucket: string, key: string, mayRead: TargetCheck, versionId?: string): Promise<Followed<ObjectRecord>> {
    const rec = await this.objects.head(bucket, key, versionId);
    if (rec.type !== 'Symlink') return { target: rec };
    await mayRead(targetKey(rec));
    const target = await this.objects.head(bucket, targetKey(rec)).catch(missingTarget(rec));
    checkTargetType(target);
    return { link: rec, target };
  }

  /** GetObject: the opened object, following a link to its target (objects.md §2.3). */
  async open(bucket: string, key: string, mayRead: TargetCheck, versionId?: string): Promise<Followed<OpenedObject>> {
    const opened = await this.objects.open(bucket, key, versionId);
    if (opened.record.type !== 'Symlink') return { target: opened };
    await opened.close();
    const link = opened.record;
    await mayRead(targetKey(link));
    const target = await this.objects.open(bucket, targetKey(link)).catch(missingTarget(link));
    try {
      checkTargetType(target.record);
    } catch (e) {
      await target.close();
      throw e;
    }
    return { link, target };
  }
}

function targetKey(link: ObjectRecord): string {
  if (link.symlinkTarget === undefined) throw new Error(`symlink ${link.key} has no target`);
  return link.symlinkTarget;
}

/** A link whose target is missing: 404 SymlinkTargetNotExist (EC 0026-00000012), not NoSuchKey. */
function missingTarget(link: ObjectRecord): (e: unknown) => never {
  return (e) => {
    if (e instanceof OssError && e.code === 'NoSuchKey') {
      throw new OssError('SymlinkTargetNotExist', undefined, { Key: link.key, SymlinkTarget: targetKey(link) });
    }
    throw e;
  };
}

/** PutSymlink doc: a target cannot itself be a symlink; links are never followed twice. */
function checkTargetType(target: ObjectRecord): void {
  if (target.type === 'Symlink') throw new OssError('InvalidTargetType', undefined, { Key: target.key });
}
