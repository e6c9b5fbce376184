/** Bucket rules (buckets.md): create, delete, list, ACL. */
import type { MetadataStore } from '../drivers/types.js';
import { OssError } from './errors.js';
import type { CorsConfiguration } from './cors.js';
import type { BucketAcl, BucketRecord, VersioningStatus } from './model.js';

export class BucketService {
  constructor(private readonly meta: MetadataStore) {}

  async require(name: string): Promise<BucketRecord> {
    const b = await this.meta.getBucket(name);
    if (!b) throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    return b;
  }

  async create(name: string, acl: BucketAcl, storageClass: string, redundancy: string): Promise<BucketRecord> {
    const rec: BucketRecord = { name, createdMs: Date.now(), acl, storageClass, redundancy };
    // buckets.md §1: an existing name is 409 BucketAlreadyExists, also for its owner
    // (README open question 4).
    if (!(await this.meta.insertBucket(rec))) {
      throw new OssError('BucketAlreadyExists', undefined, { BucketName: name });
    }
    return rec;
  }

  async delete(name: string): Promise<void> {
    const r = await this.meta.deleteBucketIfEmpty(name);
    if (r === 'missing') throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    if (r === 'not-empty') throw new OssError('BucketNotEmpty', undefined, { BucketName: name });
  }

  /** PutBucketCors / DeleteBucketCors (undefined removes the configuration). */
  async setCors(name: string, cors: CorsConfiguration | undefined): Promise<void> {
    const { cors: _old, ...b } = await this.require(name);
    if (!(await this.meta.updateBucket(cors ? { ...b, cors } : b))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  async setAcl(name: string, acl: BucketAcl): Promise<void> {
    const b = await this.require(name);
    if (!(await this.meta.updateBucket({ ...b, acl }))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  /** PutBucketVersioning (buckets.md §7): once enabled, a bucket can only be suspended, never unversioned again. */
  async setVersioning(name: string, versioning: VersioningStatus): Promise<void> {
    const b = await this.require(name);
    if (!(await this.meta.updateBucket({ ...b, versioning }))) {
      throw new OssError('NoSuchBucket', undefined, { BucketName: name });
    }
  }

  list(prefix: string, marker: string, limit: number): Promise<BucketRecord[]> {
    return this.meta.listBuckets(prefix, marker, limit);
  }
}
