/**
 * S3 blob driver (issue 19): each blob is one object of an S3 bucket (Ceph RGW, MinIO,
 * AWS S3), on @aws-sdk/client-s3. S3 objects cannot change once written, so this store is
 * immutable (`mutable: false`): a blob is written once, start to end, by one writer, and
 * is durable when S3 acknowledged it (sync()). The engine then keeps appendable objects as
 * lists of segments, one new blob per append (docs/storage.md "Scale-out design"); it
 * never asks this store to append, truncate or write in place, and never uses the
 * backend's own append (Ceph RGW's was seen losing acknowledged data under racing writers).
 *
 * Writes stream through @aws-sdk/lib-storage's Upload: a body up to one part is one
 * PutObject, a larger one a multipart upload of PART_BYTES parts with at most
 * UPLOAD_QUEUE parts in flight, so memory stays bounded whatever the object's size.
 * Reads are GetObject with a Range.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import type { S3Config } from '../../config-cluster.js';
import { RemovalHolds } from '../removal-holds.js';
import type { BlobReader, BlobStore, BlobWriter } from '../types.js';

/** Multipart part size of streamed uploads (S3's minimum is 5 MiB). */
export const PART_BYTES = 8 * 1024 * 1024;
/** Parts uploaded at once per blob: what one upload holds in memory is about (queue + 1) parts. */
const UPLOAD_QUEUE = 2;

const BLOB_ID = /^[0-9a-f]{32}$/;

/**
 * DeleteObjects in flight at once, per store. Compaction dereferences every segment an
 * append made (and the merged blobs in turn), and each removal comes due one grace period
 * later (deferred-removals.ts): as many removals as appends, in the background. Sent
 * unbounded, they piled up in the client's 50 sockets whenever the S3 store slowed, and
 * the appends' segment PUTs queued behind them (1,513 requests were seen waiting during
 * a 100,000-append bench) until appends failed. Removals are never urgent: they wait here
 * instead, and the foreground keeps the other sockets.
 */
const REMOVALS_AT_ONCE = 4;

// The SDK warns on every start that its 2027 releases need Node 22; ossd runs on Node 20
// with this release, and the warning would only clutter the server's log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The client for an S3Config (also used by tests to make and empty buckets). */
export function s3Client(config: S3Config): S3Client {
  const options: S3ClientConfig = {
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // Ceph 16 and s3rver know nothing of the SDK's default CRC32 checksums (sent since
    // 3.729): compute and check them only where S3 requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (config.endpoint !== undefined) options.endpoint = config.endpoint;
  if (config.accessKeyId !== undefined && config.secretAccessKey !== undefined) {
    options.credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  }
  return new S3Client(options);
}

/** Whether an SDK error says the object (or its key) does not exist. */
function notFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

/** An error shaped as Node's fs gives it for a missing file: the engine looks for `code === 'ENOENT'`. */
function enoent(blob: string, cause: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`blob ${blob} is gone`, { cause }), { code: 'ENOENT' });
}

function immutable(what: string): Error {
  return new Error(`${what}: the S3 blob store is immutable (the engine keeps appendable objects as segments there)`);
}

export class S3BlobStore implements BlobStore {
  readonly mutable = false;
  /** holdRemovals(): remove() waits while a backup holds them. */
  private readonly removalHolds = new RemovalHolds();
  private readonly removalSlots = pLimit(REMOVALS_AT_ONCE);

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  static fromConfig(config: S3Config): S3BlobStore {
    return new S3BlobStore(s3Client(config), config.bucket);
  }

  /** Checks at start that the bucket is there and these credentials reach it: a clear refusal, not a 500 on the first write. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      const why = status === 404 ? 'it does not exist' : status === 403 ? 'access denied' : `${err.name ?? 'error'}: ${err.message ?? String(e)}`;
      // Marked for the start-up message (cli/startup-checks.ts): one line, no stack.
      throw Object.assign(new Error(`blobs: cannot use S3 bucket ${JSON.stringify(this.bucket)}: ${why}`, { cause: e }), { code: 'OSSD_BACKEND_UNAVAILABLE' });
    }
  }

  newBlobId(): string {
    return randomBytes(16).toString('hex');
  }

  /** The object key of a blob (checked: a blob id never names anything else in the bucket). */
  private keyOf(blob: string): string {
    if (!BLOB_ID.test(blob)) throw new Error(`invalid blob id ${JSON.stringify(blob)}`);
    return blob;
  }

  async openWriter(blob: string, create: boolean): Promise<BlobWriter> {
    if (!create) throw immutable('appending to an existing blob');
    return new S3BlobWriter(this.client, this.bucket, this.keyOf(blob));
  }

  async openReader(blob: string): Promise<BlobReader> {
    // No request here: a GET of a missing blob fails in the read itself, with ENOENT.
    return new S3BlobReader(this.client, this.bucket, this.keyOf(blob), blob);
  }

  async syncBlob(blob: string): Promise<boolean> {
    // A blob is durable once written (S3 acknowledged it); only whether it is there.
    return (await this.size(blob)) !== undefined;
  }

  async writeAt(): Promise<void> {
    throw immutable('writeAt');
  }

  async remove(blob: string): Promise<void> {
    const key = this.keyOf(blob);
    await this.removalHolds.wait();
    // S3 answers 204 whether or not the key existed.
    await this.removalSlots(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async syncRemovals(): Promise<void> {
    // A DeleteObject is durable once acknowledged.
  }

  async size(blob: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(blob) }));
      return head.ContentLength ?? 0;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  async truncate(): Promise<void> {
    throw immutable('truncate');
  }

  async *list(): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined && BLOB_ID.test(o.Key)) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async clearStaging(): Promise<void> {
    // Nothing staged by this store: an interrupted streamed upload is an incomplete
    // multipart upload, never visible as an object. Other nodes may be uploading into the
    // same bucket right now, so none is aborted here: a bucket lifecycle rule
    // (AbortIncompleteMultipartUpload) reclaims them (docs/deploy.md).
  }

  holdRemovals(): () => void {
    return this.removalHolds.hold();
  }

  async exportTo(): Promise<{ linked: number; copied: number }> {
    // The bucket's bytes are backed up by the S3 store's own means (versioning, replication).
    throw new Error('ossd backup copies local blob files only; back up an S3 bucket with the S3 store\'s own replication or versioning');
  }
}

/**
 * One new S3 object, streamed: bytes go into an Upload as they are written (in order,
 * from offset 0), and sync() completes it. Until then nothing is visible in the bucket;
 * close() before sync() aborts the upload.
 */
class S3BlobWriter implements BlobWriter {
  private readonly body = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  /** Rejects when the upload fails; never resolves otherwise (raced by each write). */
  private readonly failed: Promise<never>;
  private failure: unknown;
  private written = 0;
  private completed = false;

  constructor(client: S3Client, bucket: string, key: string) {
    this.upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: this.body }, partSize: PART_BYTES, queueSize: UPLOAD_QUEUE });
    this.done = this.upload.done();
    // Observed now; reported by the next write() or by sync().
    this.done.catch((e: unknown) => {
      this.failure ??= e;
      this.body.destroy();
    });
    this.failed = this.done.then(
      () => new Promise<never>(() => undefined),
      (e: unknown) => Promise.reject(e),
    );
    this.failed.catch(() => undefined);
  }

  async write(chunks: readonly Buffer[], position: number): Promise<void> {
    if (position !== this.written) throw new Error(`S3 blobs are written in order: write at ${position}, ${this.written} written`);
    for (const given of chunks) {
      if (this.failure !== undefined) throw this.failure;
      // A copy: Upload keeps the chunks until it has a whole part (8 MiB), but the caller
      // may reuse its buffers once write() resolves (ingest.ts hands batch buffers to the
      // MD5 worker and back), as it may with a file, whose write is done by then.
      const chunk = Buffer.from(given);
      this.written += chunk.length;
      // Resolves once the upload took the chunk in (backpressure): at most a part or so
      // waits in memory; a failed upload rejects instead of leaving the write waiting.
      await Promise.race([
        new Promise<void>((resolve, reject) => this.body.write(chunk, (e) => (e ? reject(e) : resolve()))),
        this.failed,
      ]);
    }
  }

  async sync(): Promise<void> {
    if (this.completed) return;
    if (this.failure !== undefined) throw this.failure;
    this.body.end();
    await this.done;
    this.completed = true;
  }

  async truncate(): Promise<void> {
    throw immutable('truncate');
  }

  async close(): Promise<void> {
    if (this.completed) return;
    // Abandoned before sync(): the multipart upload, if any was started, is aborted.
    this.failure ??= new Error('closed');
    this.body.destroy();
    await this.upload.abort().catch(() => undefined);
    await this.done.catch(() => undefined);
  }
}

class S3BlobReader implements BlobReader {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly blob: string,
  ) {}

  /** Bytes [start, end) as the response body hands them over. */
  private async *get(start: number, end: number): AsyncGenerator<Buffer> {
    let r;
    try {
      r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: `bytes=${start}-${end - 1}` }));
    } catch (e) {
      if (notFound(e)) throw enoent(this.blob, e);
      throw e;
    }
    const body = r.Body as Readable;
    // A server may answer a range with the whole object (200, no Content-Range: s3rver
    // does for `bytes=0-0`): the bytes before `start` are skipped, and never more than
    // the range is passed on.
    let skip = r.ContentRange === undefined ? start : 0;
    let left = end - start;
    try {
      for await (const raw of body as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
        }
        if (chunk.length > left) chunk = chunk.subarray(0, left);
        left -= chunk.length;
        if (chunk.length > 0) yield chunk;
        if (left === 0) break;
      }
    } finally {
      body.destroy();
    }
    if (left > 0) throw new Error(`blob ${this.blob} ended ${left} bytes before ${end}`);
  }

  stream(start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    // The request is made when the stream is first read; destroying the stream ends it.
    return Readable.from(this.get(start, end), { objectMode: false });
  }

  async read(start: number, end: number): Promise<Buffer> {
    if (end <= start) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    for await (const chunk of this.get(start, end)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {}
}
