/** The engine: OSS semantics over a metadata store and a blob store. Knows nothing of HTTP. */
import type { BlobStore, MetadataStore } from '../drivers/types.js';
import { BucketService } from './buckets.js';
import { type ListQuery, type ListResult, listObjects } from './listing.js';
import { MultipartService } from './multipart.js';
import { ObjectService } from './objects.js';
import { recover, type RecoveryReport } from './recovery.js';
import { SymlinkService } from './symlinks.js';

export class Engine {
  readonly buckets: BucketService;
  readonly objects: ObjectService;
  readonly multipart: MultipartService;
  readonly symlinks: SymlinkService;

  constructor(
    readonly meta: MetadataStore,
    readonly blobs: BlobStore,
    onBackgroundError: (e: unknown) => void,
  ) {
    this.buckets = new BucketService(meta);
    this.objects = new ObjectService(meta, blobs, this.buckets, onBackgroundError);
    this.multipart = new MultipartService(meta, blobs, this.buckets, this.objects, onBackgroundError);
    this.symlinks = new SymlinkService(this.buckets, this.objects);
  }

  recover(): Promise<RecoveryReport> {
    return recover(this.meta, this.blobs);
  }

  async list(bucket: string, q: ListQuery): Promise<ListResult> {
    await this.buckets.require(bucket);
    return listObjects(this.meta, bucket, q);
  }

  close(): Promise<void> {
    return this.meta.close();
  }
}
