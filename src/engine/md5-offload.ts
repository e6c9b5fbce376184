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

/** One body's MD5, computed on the worker. */
export class OffloadedMd5 {
  private readonly id = nextId++;

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
    return Buffer.from((await this.ask({ end: true })).digest!);
  }

  /** The body failed: the worker forgets it. */
  discard(): void {
    this.ask({ end: true }).catch(() => undefined);
  }
}
