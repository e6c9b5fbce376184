/**
 * Streams a request body into a blob while computing, in flight, the byte count, the
 * MD5 (for Content-MD5 and Normal ETags) and the chained CRC-64 (design.md "streams end
 * to end, hashes in flight"). Nothing is buffered beyond one write batch, so memory does
 * not grow with object size. Any failure throws; the caller rolls back.
 *
 * Memory bounds (issue 15, hole 7): the bytes held count against the process's body
 * budget (body-budget.ts), and a body whose client goes quiet drops its spare buffers
 * and writes out its partial batch after IDLE_FLUSH_MS (under IDLE_FLUSH_MIN: only once
 * the budget runs short), so a stalled upload holds at most 16 KiB of body.
 */
import { createHash } from 'node:crypto';
import type { BlobWriter } from '../drivers/types.js';
import { Crc64 } from './crc64.js';
import { OssError } from './errors.js';
import { bodyBudget } from './body-budget.js';
import { freeNow } from './free-now.js';
import { joinTransferable, OffloadedMd5 } from './md5-offload.js';

/** Writes are batched to this size: fewer syscalls, and the next batch is read while one is written. */
const WRITE_BATCH = 1024 * 1024;

/** Bodies declared at least this long are MD5-hashed on the worker thread (md5-offload.ts). */
const OFFLOAD_MD5_FROM = 4 * WRITE_BATCH;

/**
 * Bodies declared at most this long may be kept whole in memory by the caller (inline
 * objects, inline.ts; journaled appends, append.ts): their bytes count against the budget
 * until the end, and are not written out early. (With OSSD_INLINE_MAX raised above this,
 * larger inline bodies are counted as if written out: a tuning knob, not a default.)
 */
const SMALL_BODY = 64 * 1024;

/** Batches of owned chunks (IngestOptions.chunksOwned) at least this large are freed at once (free-now.ts); smaller ones cost less left to the collector. */
const FREE_FROM = 64 * 1024;

/** A partial batch is written out once no byte has come for this long (a stalled client)... */
const IDLE_FLUSH_MS = 100;
/** ...if it has at least this many bytes; a smaller one only once the budget runs short (BodyBudget.whenShort). */
const IDLE_FLUSH_MIN = 16 * 1024;

export interface IngestOptions {
  /** Absolute offset of the first body byte in the blob. */
  startOffset: number;
  /** CRC to chain from: 0n for a new object, the object's CRC for an append. */
  initialCrc: bigint;
  /** More bytes than this fail with `tooLarge`. */
  maxBytes: number;
  tooLarge: () => OssError;
  /** Declared Content-Length, if any. */
  expectedLength?: number;
  /** Raw 16-byte MD5 the client declared in Content-MD5, if any. */
  expectedMd5?: Buffer;
  /** Compute the MD5 even without Content-MD5 (Normal ETags need it; appends do not). */
  needMd5?: boolean;
  /** The body's chunks are ingest's alone (BodyInput.chunksOwned): once written or copied, their memory is freed at once. */
  chunksOwned?: boolean;
}

export interface IngestResult {
  bytes: number;
  /** Empty when neither needMd5 nor expectedMd5 asked for it. */
  md5: Buffer;
  crc: bigint;
  /** Whether a writer was opened (only once a first non-empty chunk arrives). */
  wrote: boolean;
}

export async function ingest(
  body: AsyncIterable<Buffer | string>,
  openWriter: () => Promise<BlobWriter>,
  opts: IngestOptions,
): Promise<IngestResult> {
  const wantMd5 = opts.needMd5 !== false || opts.expectedMd5 !== undefined;
  const offloaded = wantMd5 && (opts.expectedLength ?? 0) >= OFFLOAD_MD5_FROM ? new OffloadedMd5() : undefined;
  const md5 = wantMd5 && !offloaded ? createHash('md5') : undefined;
  /** Batch buffers the MD5 worker gave back, for reuse. */
  const spare: ArrayBuffer[] = [];
  const crc = new Crc64(opts.initialCrc);
  const budget = bodyBudget();
  /** Kept until the end: the writer may be the caller's memory (see SMALL_BODY). */
  const wholeInMemory = opts.expectedLength !== undefined && opts.expectedLength <= SMALL_BODY;
  /** Bytes of this body counted in the budget: received and not yet written (or, whole in memory, all). */
  let held = 0;
  const release = (n: number): void => {
    held -= n;
    budget.give(n);
  };
  let bytes = 0;
  let writer: BlobWriter | undefined;
  let pending: Promise<void> = Promise.resolve();
  /** Offloaded batches not yet written (each settles after the one before it). */
  const inFlight: Array<Promise<void>> = [];
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let position = opts.startOffset;
  let writeFailure: unknown;

  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    // A batch for the MD5 worker must own its ArrayBuffer: it is transferred to it.
    // Otherwise the chunks are written as they came (writev): no copy to join them.
    const chunks = batch;
    const at = position;
    const length = batchBytes;
    const written = wholeInMemory ? 0 : length;
    position += batchBytes;
    batch = [];
    batchBytes = 0;
    writer ??= await openWriter();
    const w = writer;
    // A writer that keeps what it is given (inline bodies) keeps these very buffers.
    const keeps = w.keepsChunks === true;
    const free = opts.chunksOwned === true && length >= FREE_FROM && !keeps;
    if (offloaded) {
      // Hashed on the worker, then written (after the previous batch): the next batch is
      // hashed while this one is written. At most depth() + 1 batches in flight.
      const previous = pending;
      const hashed = offloaded.update(joinTransferable(chunks, length, spare.pop()));
      if (free) freeNow(chunks); // copied into the batch
      pending = hashed.then(async (buf) => {
        await previous;
        await w.write([Buffer.from(buf, 0, length)], at);
        release(written);
        // Kept for reuse only up to what the depth allowed now cycles through (depth + 1
        // in flight): a body that had a deep queue while alone must not hold on to it once
        // 63 others have started. Fewer would leave 512 KiB buffers to the collector. Never
        // when the writer keeps the batch itself.
        if (spare.length <= offloaded.depth() && !keeps) spare.push(buf);
      });
      hashed.catch(() => undefined); // reported through `pending`
    } else {
      await pending;
      pending = w.write(chunks, at).then(() => {
        release(written);
        if (free) freeNow(chunks);
      });
    }
    // Observed now (no unhandled rejection while the next chunk is awaited: a full disk
    // must not crash the process); rethrown by the next `await pending`.
    pending.catch((e: unknown) => (writeFailure ??= e));
    if (offloaded) {
      inFlight.push(pending);
      while (inFlight.length > offloaded.depth()) await inFlight.shift();
    }
  };
  /** Flushes one after another: the idle timer's flush and the loop's may overlap. */
  let flushing: Promise<void> = Promise.resolve();
  const flushInOrder = (): Promise<void> => (flushing = flushing.then(flush));

  // A client that goes quiet mid-body: its partial batch is written out (its bytes given
  // back to the budget) and the spare buffers dropped. One timer per body, re-armed from
  // the time of the last chunk, so a streaming body costs a timestamp per chunk.
  let lastChunkAt = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const writeOut = (): void => {
    flushInOrder()
      .then(() => (spare.length = 0))
      .catch((e: unknown) => (writeFailure ??= e));
  };
  const onIdle = (): void => {
    idleTimer = undefined;
    const quiet = Date.now() - lastChunkAt;
    if (quiet < IDLE_FLUSH_MS) {
      idleTimer = setTimeout(onIdle, IDLE_FLUSH_MS - quiet);
      return;
    }
    spare.length = 0;
    if (batchBytes >= IDLE_FLUSH_MIN) writeOut();
    else budget.whenShort(writeOut);
  };
  const stopIdleTimer = (): void => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    budget.notShort(writeOut);
  };

  /**
   * Counts a chunk in the budget. When it is spent, a body bound for a file first writes
   * out what it holds, then waits. Undefined when counted at once (no await per chunk).
   */
  const account = (n: number): Promise<void> | undefined => {
    if (wholeInMemory) {
      const wait = budget.take(n, held);
      held += n;
      return wait;
    }
    if (budget.tryTake(n)) {
      held += n;
      return undefined;
    }
    return (async () => {
      await flushInOrder();
      await pending;
      await budget.take(n, held);
      held += n;
    })();
  };

  try {
    for await (const raw of body) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (writeFailure !== undefined) throw writeFailure;
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      if (bytes > opts.maxBytes) throw opts.tooLarge();
      const waitForBudget = account(chunk.length);
      if (waitForBudget) await waitForBudget;
      md5?.update(chunk);
      crc.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      // Offloaded batches are smaller (OffloadedMd5.batchBytes()): one waits for the worker
      // before it is written, so several are held per body, and 64 concurrent 64 MiB
      // uploads must stay under 300 MB of RSS (bench: put-concurrent-big).
      if (batchBytes >= (offloaded ? offloaded.batchBytes() : WRITE_BATCH)) await flushInOrder();
      else if (!wholeInMemory) {
        lastChunkAt = Date.now();
        idleTimer ??= setTimeout(onIdle, IDLE_FLUSH_MS);
        budget.notShort(writeOut);
      }
    }
    stopIdleTimer();
    await flushInOrder();
    await pending;
    if (writeFailure !== undefined) throw writeFailure;
  } catch (e) {
    stopIdleTimer();
    // Let an in-flight write settle before the caller rolls back or closes the file.
    await flushing.catch(() => undefined);
    await pending.catch(() => undefined);
    offloaded?.discard();
    throw e;
  } finally {
    release(held);
  }

  if (opts.expectedLength !== undefined && bytes !== opts.expectedLength) {
    offloaded?.discard();
    throw new OssError('IncompleteBody', undefined, {});
  }
  const digest = offloaded ? await offloaded.digest() : md5 ? md5.digest() : Buffer.alloc(0);
  if (opts.expectedMd5 && !digest.equals(opts.expectedMd5)) {
    throw new OssError('InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  return { bytes, md5: digest, crc: crc.digest(), wrote: writer !== undefined };
}
