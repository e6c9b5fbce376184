/**
 * Reads of a blob whose newest bytes may still be staged in memory: small appends to an
 * existing blob are acknowledged before their bytes are written into its file
 * (journal-flusher.ts). The staged bytes form one run at the top of the blob; the file
 * holds everything below it. The snapshot is taken when the object is opened: the
 * flusher drops staged bytes only after writing them, so whatever the snapshot lacks is
 * in the file by then.
 */
import { Readable } from 'node:stream';
import type { BlobReader } from '../drivers/types.js';
import type { StagedBytes } from './journal-flusher.js';

/** The staged bytes of [start, end), in order. */
function stagedPieces(staged: readonly StagedBytes[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  for (const e of staged) {
    const from = Math.max(start, e.offset);
    const to = Math.min(end, e.offset + e.data.length);
    if (from < to) out.push(e.data.subarray(from - e.offset, to - e.offset));
  }
  return out;
}

export function withStaged(reader: BlobReader, staged: readonly StagedBytes[]): BlobReader {
  if (staged.length === 0) return reader;
  /** The file holds [0, fileEnd). */
  const fileEnd = staged.reduce((min, e) => Math.min(min, e.offset), Infinity);
  return {
    stream(start, end) {
      if (end <= fileEnd) return reader.stream(start, end);
      const memory = stagedPieces(staged, Math.max(start, fileEnd), end);
      if (start >= fileEnd) return Readable.from(memory, { objectMode: false });
      return Readable.from(
        (async function* () {
          yield* reader.stream(start, fileEnd);
          yield* memory;
        })(),
        { objectMode: false },
      );
    },
    async read(start, end) {
      const memory = stagedPieces(staged, Math.max(start, fileEnd), end);
      return Buffer.concat(start < fileEnd ? [await reader.read(start, Math.min(end, fileEnd)), ...memory] : memory);
    },
    close: () => reader.close(),
  };
}
