/**
 * Whole-object GET of an object built from many small appends (100,000 × 1 KiB full run)
 * against the same bytes written by one PutObject. The build itself is reported too
 * (durable appends/s from one client).
 */
import { randomBytes } from 'node:crypto';
import type { Params } from '../params.js';
import { cpuMs } from '../proc.js';
import type { Row } from '../report.js';
import { type Sample, summarize } from '../stats.js';
import type { RawTarget } from '../targets/raw.js';

export async function fragmentedRows(ossd: RawTarget, p: Params, log: (s: string) => void): Promise<Row[]> {
  const piece = randomBytes(p.fragAppendBytes);
  const total = p.fragAppends * p.fragAppendBytes;
  const build: Sample = { ops: 0, bytes: 0, seconds: 0, lat: [], cpuMs: 0 };
  const c0 = cpuMs(ossd.server.pid);
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + 20 * 60_000;
  let pos = 0;
  for (let i = 0; i < p.fragAppends; i++) {
    if (Date.now() > deadline) throw new Error('fragmented build ran out of time');
    const s = process.hrtime.bigint();
    const r = await ossd.append('frag/appended', pos, { chunk: piece });
    if (!r.ok) throw new Error(`append conflict at ${pos}`);
    build.lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    pos = r.next;
  }
  build.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  build.ops = p.fragAppends;
  build.bytes = total;
  build.cpuMs = cpuMs(ossd.server.pid) - c0;
  log(`  built ${p.fragAppends} appends in ${build.seconds.toFixed(1)} s`);
  await ossd.put('frag/put', { chunk: Buffer.concat(Array.from({ length: p.fragAppends }, () => piece)) });

  const variants: Array<[string, string]> = [
    ['ossd appended', 'frag/appended'],
    ['ossd put', 'frag/put'],
  ];
  const samples = variants.map((): Sample[] => []);
  for (let run = 0; run < p.runs; run++) {
    for (const [i, [, key]] of variants.entries()) {
      await ossd.get(key); // warm (page cache), so both read from memory alike
      const lat: number[] = [];
      const c = cpuMs(ossd.server.pid);
      const s0 = process.hrtime.bigint();
      for (let k = 0; k < 3; k++) {
        const s = process.hrtime.bigint();
        const n = await ossd.get(key);
        if (n !== total) throw new Error(`${key}: got ${n} of ${total} bytes`);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
      samples[i]!.push({ ops: 3, bytes: 3 * total, seconds, lat, cpuMs: cpuMs(ossd.server.pid) - c });
    }
  }
  const n = p.fragAppends.toLocaleString('en-US');
  return [
    { caseId: 'build-fragmented', title: `building it: ${n} durable ${p.fragAppendBytes} B appends, 1 client`, target: 'ossd', s: summarize([build]) },
    ...variants.map(([label], i) => ({
      caseId: 'get-fragmented',
      title: `whole GET of a ${(total / 1e6).toFixed(0)} MB object built from ${n} appends vs one PutObject`,
      target: label,
      s: summarize(samples[i]!),
    })),
  ];
}
