/**
 * Small objects are stored inline: their bytes go into the metadata store in the same
 * transaction as their row (drivers/sqlite/inline-store.ts), so a small put is durable
 * with one shared WAL fsync and a small GET reads no file.
 */
import { Readable } from 'node:stream';
import type { BlobWriter } from '../drivers/types.js';
import type { ObjectRecord } from './model.js';
import type { OpenedObject } from './objects.js';

/**
 * Bodies of a declared length up to this many bytes are stored inline (PutObject,
 * PostObject, CopyObject). OSSD_INLINE_MAX changes it (0: never), for tuning and for
 * tests that need the file path. 64 KiB: SQLite reads blobs of this size faster than
 * the file system opens and reads files ("Internal Versus External BLOBs", sqlite.org),
 * and it keeps a batch of concurrent puts a few MiB of WAL at most.
 */
export function inlineMax(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.OSSD_INLINE_MAX ?? '');
  return env.OSSD_INLINE_MAX && Number.isSafeInteger(v) && v >= 0 ? v : 64 * 1024;
}

/** A BlobWriter that keeps what ingest() writes (in order, from offset 0), for inline bodies. */
export class MemoryWriter implements BlobWriter {
  readonly keepsChunks = true;
  private readonly chunks: Buffer[] = [];

  async write(chunks: readonly Buffer[]): Promise<void> {
    this.chunks.push(...chunks);
  }

  async sync(): Promise<void> {}

  async truncate(): Promise<void> {}

  async close(): Promise<void> {}

  bytes(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

/** An opened object whose bytes are already in memory. */
export function inlineObject(record: ObjectRecord, data: Buffer): OpenedObject {
  const slice = (start: number, end: number): Buffer => data.subarray(start, Math.min(end, record.size));
  return {
    record,
    stream: (start, end) => Readable.from([slice(start, end)], { objectMode: false }),
    read: async (start, end) => slice(start, end),
    close: async () => undefined,
  };
}
