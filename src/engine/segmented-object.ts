/**
 * Reading a segmented (multipart) object: its bytes are the part blobs in order
 * (multipart.md §4), streamed one file after another. A range may start and end inside
 * any segment; only the overlapping files are opened, one at a time, so reading stays
 * streaming and holds one file descriptor whatever the number of parts.
 */
import { Readable } from 'node:stream';
import type { BlobReader, BlobStore } from '../drivers/types.js';
import type { Segment } from './model.js';

async function* readSegments(blobs: BlobStore, segments: readonly Segment[], start: number, end: number): AsyncGenerator<Buffer> {
  let offset = 0;
  for (const seg of segments) {
    const segStart = offset;
    offset += seg.size;
    if (offset <= start) continue;
    if (segStart >= end) return;
    const reader = await blobs.openReader(seg.blob);
    try {
      yield* reader.stream(Math.max(start, segStart) - segStart, Math.min(end, offset) - segStart) as AsyncIterable<Buffer>;
    } finally {
      await reader.close();
    }
  }
}

/**
 * On an immutable store (S3) every segment is a request with its own latency, and an
 * appendable object may have a dozen segments (compaction.ts): the next segment's request
 * goes out while the current one streams, so the latencies overlap instead of adding up.
 * At most two segments are open at once; the prefetched one holds a stream buffer's worth.
 */
async function* readSegmentsAhead(blobs: BlobStore, segments: readonly Segment[], start: number, end: number): AsyncGenerator<Buffer> {
  const pieces: Array<{ blob: string; from: number; to: number }> = [];
  let offset = 0;
  for (const seg of segments) {
    const segStart = offset;
    offset += seg.size;
    if (offset <= start) continue;
    if (segStart >= end) break;
    pieces.push({ blob: seg.blob, from: Math.max(start, segStart) - segStart, to: Math.min(end, offset) - segStart });
  }
  const open = async (i: number): Promise<{ reader: BlobReader; stream: Readable }> => {
    const piece = pieces[i]!;
    const reader = await blobs.openReader(piece.blob);
    const stream = reader.stream(piece.from, piece.to);
    // A failure before the stream is iterated is reported by the iteration, not as an
    // unhandled 'error' event.
    stream.on('error', () => undefined);
    stream.read(0); // starts the request now
    return { reader, stream };
  };
  let next: Promise<{ reader: BlobReader; stream: Readable }> | undefined = pieces.length > 0 ? open(0) : undefined;
  try {
    for (let i = 0; i < pieces.length; i++) {
      const current = await next!;
      next = i + 1 < pieces.length ? open(i + 1) : undefined;
      next?.catch(() => undefined); // awaited in the next turn (or dropped in finally)
      try {
        yield* current.stream as AsyncIterable<Buffer>;
      } finally {
        await current.reader.close();
      }
    }
  } finally {
    // A reader that stopped early: the prefetched segment is dropped.
    const pending = await next?.catch(() => undefined);
    pending?.stream.destroy();
    await pending?.reader.close();
  }
}

/** Bytes [start, end) of the object made of `segments`. */
export function segmentedStream(blobs: BlobStore, segments: readonly Segment[], start: number, end: number): Readable {
  if (end <= start) return Readable.from([]);
  const read = blobs.mutable ? readSegments : readSegmentsAhead;
  return Readable.from(read(blobs, segments, start, end), { objectMode: false });
}
