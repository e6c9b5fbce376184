/**
 * Appends batches to one object, exactly once each, against ossd and OSS alike
 * (CONTRACT17 "CLI"; docs/cli.md "ossd append"):
 * - every request carries an Idempotency-Key, the same for every retry of a batch;
 * - a timeout, lost connection or 5xx is retried with the same key, position and body
 *   (ossd answers a retry of a landed batch with its original 200; OSS, which ignores the key,
 *   answers 409 PositionNotEqualToLength);
 * - after a 409 the object's length and x-oss-hash-crc64ecma decide: length = position +
 *   batch and CRC = the locally chained CRC-64 means the batch landed (carry on), anything
 *   else means another writer changed the object (stop, append nothing more).
 */
import { randomBytes } from 'node:crypto';
import { crc64 } from '../../engine/crc64.js';
import { isTransient } from '../errors.js';
import { ClientError } from '../exit-codes.js';
import type { OssApi } from '../oss-client.js';
import { headObject } from './object-state.js';

export interface AppenderOptions {
  /** Attempts per batch after the first, for transient failures. */
  retries: number;
  /** Called before each retry (for a message on stderr). */
  onRetry?: (why: string, attempt: number) => void;
  /**
   * Content-Type of the object the first append creates (`--content-type`); sent only on the
   * append at position 0, the one that creates the object (OSS keeps the creating append's
   * headers). Unset: ali-oss's guess from the key's extension, else application/octet-stream.
   */
  contentType?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ObjectAppender {
  /** Unique per run: keys of two runs never collide (ossd would answer 422 for a reused key). */
  private readonly runId = `ossd-cli-${randomBytes(9).toString('base64url')}`;
  private seq = 0;

  constructor(
    private readonly client: OssApi,
    private readonly key: string,
    /** The object's length: where the next batch goes. */
    public position: number,
    /** The object's CRC-64 (undefined when the server reports none). */
    public crc: bigint | undefined,
    private readonly options: AppenderOptions,
  ) {}

  async append(batch: Buffer): Promise<void> {
    const idempotencyKey = `${this.runId}-${this.seq++}`;
    const end = this.position + batch.length;
    const expectedCrc = this.crc === undefined ? undefined : crc64(batch, this.crc);
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const headers: Record<string, string> = { 'Idempotency-Key': idempotencyKey };
        if (this.position === 0 && this.options.contentType !== undefined) headers['Content-Type'] = this.options.contentType;
        const r = await this.client.append(this.key, batch, { position: String(this.position), headers });
        return this.landed(end, expectedCrc, Number(r.res.headers['x-oss-next-append-position']), r.res.headers['x-oss-hash-crc64ecma']);
      } catch (e) {
        if (e instanceof ClientError) throw e;
        failure = e;
      }
      if ((failure as { code?: string }).code === 'PositionNotEqualToLength') {
        if (await this.landedAccordingToHead(end, expectedCrc)) return;
      } else if (!isTransient(failure)) {
        throw failure;
      }
      if (attempt >= this.options.retries) throw failure;
      const why = (failure as Error).message ?? String(failure);
      this.options.onRetry?.(why, attempt + 1);
      await sleep(Math.min(200 * 2 ** attempt, 5000));
    }
  }

  private landed(end: number, expectedCrc: bigint | undefined, next: number, crcHeader: string | undefined): void {
    if (next !== end) throw new ClientError(`the server says the object now ends at ${next}, expected ${end}: another writer?`);
    const crc = crcHeader === undefined ? expectedCrc : BigInt(crcHeader);
    if (expectedCrc !== undefined && crc !== expectedCrc) {
      throw new ClientError(`the object's CRC-64 after appending is ${crc}, expected ${expectedCrc}: another writer changed it`);
    }
    this.position = end;
    this.crc = crc;
  }

  /**
   * After a 409: true if the object is exactly what it would be with this batch (it landed),
   * false if it is still as before (retry); otherwise another writer changed it: throws.
   */
  private async landedAccordingToHead(end: number, expectedCrc: bigint | undefined): Promise<boolean> {
    const state = await this.headWithRetries();
    const length = state?.length ?? 0;
    if (length === end && (expectedCrc === undefined || state?.crc === undefined || state.crc === expectedCrc)) {
      this.position = end;
      this.crc = state?.crc ?? expectedCrc;
      return true;
    }
    if (length === this.position && (this.crc === undefined || state?.crc === undefined || state.crc === this.crc)) return false;
    throw new ClientError(
      `the object changed under this append (another writer?): expected length ${this.position} or ${end} with this batch, ` +
        `found ${length}${state?.crc !== undefined ? ` with CRC-64 ${state.crc}` : ''}; nothing more was appended`,
    );
  }

  private async headWithRetries(): ReturnType<typeof headObject> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await headObject(this.client, this.key);
      } catch (e) {
        if (!isTransient(e) || attempt >= this.options.retries) throw e;
        await sleep(Math.min(200 * 2 ** attempt, 5000));
      }
    }
  }
}
