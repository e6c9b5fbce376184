/** Bucket rules (buckets.md): create, delete, list, ACL. */
import type { MetadataStore } from '../drivers/types.js';
import { OssError } from './errors.js';
import type { CorsConfiguration } from './cors.js';
import type { BucketAcl, BucketRecord, VersioningStatus } from './model.js';

/**
 * Bucket records are read on every request and change rarely, always through this
 * service: they are cached here, and every change through it drops the entry. A read
 * that raced a change is not cached (`generation`), so the cache never holds a stale row.
 * (One ossd process owns a data folder, as SQLite's single writer requires anyway.)
 */
export class BucketService {
  private readonly cache = new Map<string, Readonly<BucketRecord>>();
  private generation = 0;

  constructor(private readonly meta: MetadataStore) {}

  /** The bucket, or undefined when there is none. */
  async get(name: string): Promise<Readonly<BucketRecord> | undefined> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const before = this.generation;
    const b = await this.meta.getBucket(name);
    if (b && before === this.generation) this.cache.set(name, Object.freeze(b));
    return b;
  }

  async require(name: string): Promise<Readonly<BucketRecord>> {
    const b = await this.get(name);
    if (!b) throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    return b;
  }

  /** Runs a change of a bucket row; the cached record is dropped before and after. */
  private async changing<T>(name: string, change: () => Promise<T>): Promise<T> {
    this.generation++;
    this.cache.delete(name);
    try {
      return await change();
    } finally {
      this.generation++;
      this.cache.delete(name);
    }
  }

  async create(name: string, acl: BucketAcl, storageClass: string, redundancy: string): Promise<BucketRecord> {
    const rec: BucketRecord = { name, createdMs: Date.now(), acl, storageClass, redundancy };
    // buckets.md §1: an existing name is 409 BucketAlreadyExists, also for its owner
    // (README open question 4).
    if (!(await this.changing(name, () => this.meta.insertBucket(rec)))) {
      throw new OssError('BucketAlreadyExists', undefined, { BucketName: name });
    }
    return rec;
  }

  async delete(name: string): Promise<void> {
    const r = await this.changing(name, () => this.meta.deleteBucketIfEmpty(name));
    if (r === 'missing') throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    if (r === 'not-empty') throw new OssError('BucketNotEmpty', undefined, { BucketName: name });
  }

  /** PutBucketCors / DeleteBucketCors (undefined removes the configuration). */
  async setCors(name: string, cors: CorsConfiguration | undefined): Promise<void> {
    const { cors: _old, ...b } = await this.require(name);
    if (!(await this.changing(name, () => this.meta.updateBucket(cors ? { ...b, cors } : b)))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  /** PutBucketTags / DeleteBucketTags: replaces the whole tag set (an empty one removes it). */
  async setTags(name: string, tags: Array<[string, string]>): Promise<void> {
    const { tags: _old, ...b } = await this.require(name);
    if (!(await this.changing(name, () => this.meta.updateBucket(tags.length > 0 ? { ...b, tags } : b)))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  /** The append size limit extension (append-limit.ts): bytes, or undefined to remove it. */
  async setAppendSizeLimit(name: string, appendSizeLimit: number | undefined): Promise<void> {
    const { appendSizeLimit: _old, ...b } = await this.require(name);
    if (!(await this.changing(name, () => this.meta.updateBucket(appendSizeLimit !== undefined ? { ...b, appendSizeLimit } : b)))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  async setAcl(name: string, acl: BucketAcl): Promise<void> {
    const b = await this.require(name);
    if (!(await this.changing(name, () => this.meta.updateBucket({ ...b, acl })))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  /** PutBucketVersioning (buckets.md §7): once enabled, a bucket can only be suspended, never unversioned again. */
  async setVersioning(name: string, versioning: VersioningStatus): Promise<void> {
    const b = await this.require(name);
    if (!(await this.changing(name, () => this.meta.updateBucket({ ...b, versioning })))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  /**
   * Up to `limit` buckets after `marker` whose names start with `prefix`, in name order;
   * with `tag`, only those carrying that tag key (and that value, when one is given).
   * Tagged buckets are few next to all buckets, so the filter pages through the store.
   */
  /** Buckets after `marker` starting with `prefix`; with tag filters, only the buckets that match every one. */
  async list(prefix: string, marker: string, limit: number, tags?: BucketTagFilter | readonly BucketTagFilter[]): Promise<BucketRecord[]> {
    const filters = tags === undefined ? [] : Array.isArray(tags) ? tags : [tags as BucketTagFilter];
    if (filters.length === 0) return this.meta.listBuckets(prefix, marker, limit);
    const found: BucketRecord[] = [];
    for (let after = marker; found.length < limit; ) {
      const page = await this.meta.listBuckets(prefix, after, 1000);
      for (const b of page) if (found.length < limit && filters.every((tag) => carriesTag(b, tag))) found.push(b);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.name;
    }
    return found;
  }
}

/** ListBuckets' `tag-key` / `tag-value` filter. */
export interface BucketTagFilter {
  key: string;
  value?: string;
}

function carriesTag(b: BucketRecord, tag: BucketTagFilter): boolean {
  return (b.tags ?? []).some(([k, v]) => k === tag.key && (tag.value === undefined || v === tag.value));
}
