/**
 * Where ossd spends its CPU in one case: starts ossd under `node --cpu-prof`, runs the case
 * against it alone, stops it (SIGTERM, so the profile is written) and prints the top
 * self-time functions and files.
 *
 *   node dist/bench/profile.js <case-id> [--quick] [--top 25]
 *
 * The .cpuprofile is kept in bench/results/profiles/ (git-ignored; opens in Chrome DevTools).
 * It covers the event loop only, so the CPU of each thread (/proc) is printed too: the MD5
 * worker (named ossd-md5) is what bounds a 64 MiB PutObject (BENCH.md).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { largeCases } from './cases/large.js';
import { smallCases } from './cases/small.js';
import { wrkCase } from './cases/wrk.js';
import { params } from './params.js';
import { cpuByThread, cpuMs, killAll, tempDir, type ThreadCpu, threadCpuMs } from './proc.js';
import { type Sample, summarize } from './stats.js';
import { startOssd } from './targets/raw.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function selfTimes(prof: CpuProfile): { fn: Map<string, number>; file: Map<string, number>; totalMs: number } {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    const cf = byId.get(id)?.callFrame;
    if (!cf) return;
    total += us;
    const where = cf.url.startsWith('file://') ? relative(ROOT, fileURLToPath(cf.url)) : cf.url || '(native)';
    const name = `${cf.functionName || '(anonymous)'}  ${where}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
  });
  return { fn, file, totalMs: total / 1000 };
}

function top(m: Map<string, number>, totalMs: number, n: number): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((us / 1000 / totalMs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean' }, top: { type: 'string' } } });
  const id = positionals[0];
  const c = [...smallCases, wrkCase, ...largeCases].find((x) => x.id === id);
  if (!c) throw new Error(`usage: profile.js <case-id>; cases: ${[...smallCases, wrkCase, ...largeCases].map((x) => x.id).join(', ')}`);
  const p = params(values.quick === true);
  const profDir = tempDir('prof');
  const ossd = await startOssd(undefined, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const samples: Sample[] = [];
  const pid = ossd.server.pid;
  const threads = new Map<string, number>();
  try {
    await c.setup?.(ossd, p);
    for (let run = 0; run < p.runs; run++) {
      let c0 = 0;
      let t0: ThreadCpu = new Map();
      const r = await c.run(ossd, { p, run, start: () => ((c0 = cpuMs(pid)), (t0 = threadCpuMs(pid))) });
      for (const [label, ms] of cpuByThread(t0, threadCpuMs(pid), pid, p.runs * r.ops)) threads.set(label, (threads.get(label) ?? 0) + ms);
      samples.push({ ...r, cpuMs: cpuMs(pid) - c0 });
    }
  } finally {
    await ossd.stop();
  }
  const s = summarize(samples);
  console.log(`${c.id} on ossd (profiled): ${s.opsPerSec.toFixed(1)} ops/s, ${s.mbPerSec.toFixed(1)} MB/s, CPU ${s.cpuMsPerOp.toFixed(3)} ms/op`);
  console.log(`\nCPU by thread, ms per op (an op's p50 latency: ${s.p50Ms.toFixed(3)} ms):`);
  for (const [label, ms] of [...threads].sort((a, b) => b[1] - a[1])) console.log(`${ms.toFixed(3).padStart(10)}  ${label}`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written (did ossd exit cleanly?)');
  const outDir = join(ROOT, 'bench/results/profiles');
  mkdirSync(outDir, { recursive: true });
  const kept = join(outDir, `${c.id}${p.quick ? '-quick' : ''}.cpuprofile`);
  copyFileSync(join(profDir, file), kept);
  const t = selfTimes(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile);
  const n = Number(values.top ?? 25);
  console.log(`\nsampled ${t.totalMs.toFixed(0)} ms of the main thread (idle included as "(idle)")\n\ntop self time by function:\n${top(t.fn, t.totalMs, n)}`);
  console.log(`\ntop self time by file:\n${top(t.file, t.totalMs, 12)}\n\nprofile: ${relative(ROOT, kept)}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(killAll);
