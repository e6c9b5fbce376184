/**
 * Reading a segmented (multipart) object: its bytes are the part blobs in order
 * (multipart.md §4), streamed one file after another. A range may start and end inside
 * any segment; only the overlapping files are opened, one at a time, so reading stays
 * streaming and holds one file descriptor whatever the number of parts.
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../drivers/types.js';
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

/** Bytes [start, end) of the object made of `segments`. */
export function segmentedStream(blobs: BlobStore, segments: readonly Segment[], start: number, end: number): Readable {
  if (end <= start) return Readable.from([]);
  return Readable.from(readSegments(blobs, segments, start, end), { objectMode: false });
}
