/**
 * The MD5 worker thread (md5-offload.ts): hashes batches of large bodies off the event
 * loop. Messages: { id, buf, length } adds bytes [0, length) of a transferred buffer to
 * body `id` and transfers the buffer back ({ id, buf }) for reuse; { id, end: true }
 * answers { id, digest } and forgets the body.
 */
import { createHash, type Hash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

// Named so that `top -H`, `ps -L` and the bench's CPU by thread (bench/profile.ts) can
// tell it from Node's other threads, which are all called "node".
try {
  writeFileSync('/proc/thread-self/comm', 'ossd-md5'); // Linux only; elsewhere it keeps Node's name
} catch {
  // not Linux, or /proc not mounted: only the name is lost
}

const hashes = new Map<number, Hash>();

parentPort!.on('message', (m: { id: number; buf?: ArrayBuffer; length?: number; end?: boolean }) => {
  let h = hashes.get(m.id);
  if (!h) hashes.set(m.id, (h = createHash('md5')));
  if (m.buf) {
    h.update(new Uint8Array(m.buf, 0, m.length));
    parentPort!.postMessage({ id: m.id, buf: m.buf }, [m.buf]);
  }
  if (m.end) {
    hashes.delete(m.id);
    parentPort!.postMessage({ id: m.id, digest: h.digest() });
  }
});
