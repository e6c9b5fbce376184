/**
 * Frees the memory of request-body chunks at once, once ingest() has written or copied
 * them, instead of leaving it to V8's collector.
 *
 * Why by hand (Node has no way to free a Buffer): V8 counts a Buffer's memory as
 * "external" until it collects the Buffer, and it adds the external memory allocated since
 * its last full collection to the old generation's size when it decides on the next one.
 * 64 MiB of chunks per PutObject, left to the collector, made it run a full mark-compact
 * every ~20 MiB: 34 per 12 puts instead of 3, and 15-20% of put-64m's throughput
 * (BENCH.md, "The embedded default before and after the scale-out work").
 *
 * How: transferring an ArrayBuffer in a message detaches it (V8 stops counting it at
 * once) and moves its memory into the message; a message on a channel whose two ports are
 * closed is dropped, and its memory freed, by Node on this thread within a turn of the
 * event loop. On this thread matters: dropped by the MD5 worker thread instead, the same
 * memory went back to malloc from another thread, and each 64 MiB PutObject took 6,000 to
 * 14,000 more page faults and ~50% more CPU.
 *
 * Only chunks that are the whole of their ArrayBuffer (as Node's HTTP parser hands them
 * over) are freed: a view of a larger buffer would take the rest of it along.
 */

/** Frees the chunks that own their memory; they read as empty from here on. */
export function freeNow(chunks: readonly Buffer[]): void {
  const owned: ArrayBuffer[] = [];
  for (const c of chunks) {
    const ab = c.buffer;
    if (ab instanceof ArrayBuffer && c.byteOffset === 0 && c.byteLength === ab.byteLength && c.byteLength > 0 && !owned.includes(ab)) owned.push(ab);
  }
  if (owned.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(null, owned);
  } catch {
    // An ArrayBuffer that cannot be transferred: all are left to the collector, as before.
  }
  port1.close();
  port2.close();
}
