/** CPU-bound: CRC-64 and MD5 throughput on one core, from bench/crc64-md5.ts. */
import { measureHashes } from '../crc64-md5.js';
import type { Params } from '../params.js';
import type { Row } from '../report.js';
import type { Summary } from '../stats.js';

const only = (mbPerSec: number, runs: number): Summary => ({
  runs,
  opsPerSec: NaN,
  mbPerSec,
  p50Ms: NaN,
  p99Ms: NaN,
  cpuMsPerOp: NaN,
  extra: {},
});

export async function hashRows(p: Params): Promise<Row[]> {
  const r = await measureHashes({ totalBytes: p.hashBytes, runs: p.hashRuns });
  const title = `CRC-64 (${r.wasm ? 'wasm' : 'pure JS'}) and MD5 MB/s in the bench process, ${p.hashBytes / 1048576} MiB, median of ${p.hashRuns}`;
  const row = (target: string, mb: number): Row => ({ caseId: 'hash', title, target, s: only(mb, p.hashRuns) });
  return [
    row('crc64 (1 MiB chunks)', r.crc64MBps),
    row('crc64 (4 KiB chunks)', r.chunk4k.crc64MBps),
    row('crc64-js (1 MiB chunks)', r.crc64JsMBps),
    row('md5 (1 MiB chunks)', r.md5MBps),
    row('md5 (4 KiB chunks)', r.chunk4k.md5MBps),
  ];
}
