// Throughput of CRC-64 (x-oss-hash-crc64ecma, crc64.md) vs node:crypto MD5 (Content-MD5/ETag),
// the two hashes every PUT computes. Streaming over one 64 MiB buffer in 1 MiB chunks and in
// 4 KiB chunks (a socket-read-sized piece); median of 5 runs; MB = 10^6 bytes.
//
//   node dist/bench/crc64-md5.js        (after `npm run build`)
//
// measureHashes() is exported for a larger bench suite.
import { createHash, randomFillSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Crc64, crc64UsesWasm } from '../src/engine/crc64.js';
import { updateJs } from '../src/engine/crc64-js.js';

export interface HashThroughput {
  crc64MBps: number; // Crc64.update (wasm fast path when available)
  crc64JsMBps: number; // pure-JS slicing-by-16 reference path
  md5MBps: number; // node:crypto (OpenSSL) MD5
}

export interface HashBenchResult extends HashThroughput {
  /** The top-level numbers are for 1 MiB chunks; these for 4 KiB chunks. */
  chunk4k: HashThroughput;
  wasm: boolean;
}

export interface HashBenchOptions {
  totalBytes?: number; // default 64 MiB
  runs?: number; // default 5
}

type Runner = (chunks: Uint8Array[]) => void;

const runners: Record<keyof HashThroughput, Runner> = {
  crc64MBps: (chunks) => {
    const h = new Crc64();
    for (const c of chunks) h.update(c);
    h.digest();
  },
  crc64JsMBps: (chunks) => {
    const s = Uint32Array.of(0xffffffff, 0xffffffff);
    for (const c of chunks) updateJs(s, c);
  },
  md5MBps: (chunks) => {
    const h = createHash('md5');
    for (const c of chunks) h.update(c);
    h.digest();
  },
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function measure(chunks: Uint8Array[], total: number, runs: number): Promise<HashThroughput> {
  const out = { crc64MBps: 0, crc64JsMBps: 0, md5MBps: 0 };
  for (const key of Object.keys(runners) as Array<keyof HashThroughput>) {
    const run = runners[key];
    run(chunks); // warm-up (JIT, page faults)
    const rates: number[] = [];
    for (let i = 0; i < runs; i++) {
      await yieldToLoop();
      const t0 = process.hrtime.bigint();
      run(chunks);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rates.push(total / 1e6 / seconds);
    }
    out[key] = Math.round(median(rates));
  }
  return out;
}

function split(buf: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < buf.length; off += size) chunks.push(buf.subarray(off, off + size));
  return chunks;
}

export async function measureHashes(opts: HashBenchOptions = {}): Promise<HashBenchResult> {
  const total = opts.totalBytes ?? 64 * 1024 * 1024;
  const runs = opts.runs ?? 5;
  const data = randomFillSync(Buffer.allocUnsafe(total));
  const big = await measure(split(data, 1024 * 1024), total, runs);
  const small = await measure(split(data, 4096), total, runs);
  return { ...big, chunk4k: small, wasm: crc64UsesWasm };
}

async function main(): Promise<void> {
  const r = await measureHashes();
  const row = (label: string, t: HashThroughput): string =>
    `${label.padEnd(12)} crc64 ${String(t.crc64MBps).padStart(5)} MB/s | crc64-js ${String(t.crc64JsMBps).padStart(5)}` +
    ` MB/s | md5 ${String(t.md5MBps).padStart(5)} MB/s | crc64/md5 ${(t.crc64MBps / t.md5MBps).toFixed(2)}`;
  console.log(`CRC-64 fast path: ${r.wasm ? 'WebAssembly' : 'pure JS (wasm unavailable)'}; 64 MiB, median of 5`);
  console.log(row('1 MiB chunks', r));
  console.log(row('4 KiB chunks', r.chunk4k));
  console.log(JSON.stringify({ bench: 'crc64-md5', ...r }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
