/**
 * MD5 of large bodies on a worker thread. MD5 runs at about 0.6 GB/s on one core and
 * Normal objects need it for their ETag: on the event loop it was the largest cost of a
 * 64 MiB PutObject (bench: put-64m). On a worker it overlaps with receiving and writing
 * the body. Each batch is transferred (not copied) to the worker, which transfers it
 * back when hashed; ingest.ts then writes it to the blob and reuses the buffer for a
 * later batch: no copy, and no garbage left for the worker's own collector
 * (SharedArrayBuffers were tried: freed only when both threads collect them, they piled
 * up to 1.6 GB in 64 concurrent puts).
 *
 * Node has no MD5 in the thread pool (crypto.subtle has no MD5), hence this small worker.
 */
import { Worker } from 'node:worker_threads';

interface Answer {
  buf?: ArrayBuffer;
  digest?: Uint8Array;
}

interface Waiter {
  resolve: (a: Answer) => void;
  reject: (e: Error) => void;
}

let worker: Worker | undefined;
let nextId = 1;
/** Per body: the answers awaited, in the order the worker sends them. */
const waiting = new Map<number, Waiter[]>();

function failAll(e: Error): void {
  for (const list of waiting.values()) for (const w of list) w.reject(e);
  waiting.clear();
  worker = undefined;
}

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./md5-thread.js', import.meta.url));
  w.on('message', (m: Answer & { id: number }) => {
    const list = waiting.get(m.id);
    const next = list?.shift();
    if (list?.length === 0) waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
    next?.resolve(m);
  });
  w.on('error', (e) => failAll(e));
  w.on('exit', (code) => failAll(new Error(`MD5 worker exited (${code})`)));
  // Keeps the process alive only while an answer is awaited (ask()). After the listeners:
  // adding a 'message' listener refs it again.
  w.unref();
  worker = w;
  return w;
}

/** `total` bytes of chunks in a buffer that owns its whole ArrayBuffer (so it can be transferred), reusing `spare` if big enough. */
export function joinTransferable(chunks: Buffer[], total: number, spare: ArrayBuffer | undefined): Buffer {
  const out = spare && spare.byteLength >= total ? Buffer.from(spare, 0, total) : Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const c of chunks) at += c.copy(out, at);
  return out;
}

/** Bodies being hashed on the worker now (between new OffloadedMd5() and digest() or discard()). */
let activeBodies = 0;

/**
 * Batches all bodies together may keep waiting for the worker or the disk. A body alone
 * keeps up to 8 (a lone 64 MiB PutObject: 183 -> 155 ms with 8 instead of 1 here: the
 * event loop keeps reading while the worker catches up); 64 concurrent bodies keep 1
 * each, so that their memory stays bounded (bench: put-concurrent-big under 300 MB).
 */
const BATCHES_IN_FLIGHT = 32;
const MAX_DEPTH = 8;

/**
 * Batch size: 512 KiB, halved while more than 8 bodies are hashed at once. Each body
 * holds a few batches (one filling, depth() + 1 hashing or writing, the spares), so 64
 * concurrent uploads hold about 15 MB less (bench: put-concurrent-big, under 300 MB),
 * while a lone body keeps the larger batches (fewer messages: 3% less CPU per 64 MiB).
 */
const BATCH_BYTES = 512 * 1024;
const CROWDED = 8;

/** One body's MD5, computed on the worker. */
export class OffloadedMd5 {
  private readonly id = nextId++;
  private finished = false;

  constructor() {
    activeBodies++;
  }

  /** How many of this body's batches may wait for the worker or the disk before reading more (at least 1). */
  depth(): number {
    return Math.max(1, Math.min(MAX_DEPTH, Math.floor(BATCHES_IN_FLIGHT / activeBodies)));
  }

  /** How many bytes to gather before handing a batch to the worker. */
  batchBytes(): number {
    return activeBodies > CROWDED ? BATCH_BYTES / 2 : BATCH_BYTES;
  }

  private finish(): void {
    if (!this.finished) activeBodies--;
    this.finished = true;
  }

  private ask(message: object, transfer: ArrayBuffer[] = []): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const w = theWorker();
      if (waiting.size === 0) w.ref();
      const list = waiting.get(this.id) ?? [];
      list.push({ resolve, reject });
      waiting.set(this.id, list);
      w.postMessage({ id: this.id, ...message }, transfer);
    });
  }

  /**
   * Hands the batch to the worker (from joinTransferable: `data` is unusable from here on)
   * and resolves with its buffer back once hashed.
   */
  async update(data: Buffer): Promise<ArrayBuffer> {
    const buf = data.buffer as ArrayBuffer;
    return (await this.ask({ buf, length: data.byteLength }, [buf])).buf!;
  }

  async digest(): Promise<Buffer> {
    this.finish();
    return Buffer.from((await this.ask({ end: true })).digest!);
  }

  /** The body failed: the worker forgets it. */
  discard(): void {
    this.finish();
    this.ask({ end: true }).catch(() => undefined);
  }
}
