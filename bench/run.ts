/**
 * The bench suite: `npm run bench [-- --quick] [-- --only id,id]`. Starts ossd, the
 * minimal servers and the peers as child processes, runs every case against each
 * target interleaved (A B A B …), prints the median table with ratios and the PASS/FAIL
 * goals, and appends JSON lines to bench/results/<date>.jsonl. See bench/README.md.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fragmentedRows } from './cases/fragmented.js';
import { hashRows } from './cases/hash.js';
import { largeCases } from './cases/large.js';
import { listRows } from './cases/scale.js';
import { startupRows, startupVerdicts } from './cases/startup.js';
import { smallCases } from './cases/small.js';
import { stalledRows } from './stalled.js';
import type { BenchCase } from './cases/types.js';
import { haveWrk, wrkCase } from './cases/wrk.js';
import { machine, machineLine } from './machine.js';
import { params, type Params } from './params.js';
import { cpuMs, killAll, runBenchMain } from './proc.js';
import { type Row, legend, table, verdictLines, verdicts } from './report.js';
import { type Sample, summarize } from './stats.js';
import { AzuriteTarget, S3rverTarget } from './targets/peers.js';
import { type RawTarget, startMinimal, startOssd } from './targets/raw.js';
import type { Target } from './targets/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = (s: string): void => console.log(s);

async function runCase(c: BenchCase, all: Target[], p: Params): Promise<Row[]> {
  const ts = all.filter((t) => c.targets.includes(t.name) && (c.supports?.(t) ?? true));
  for (const t of ts) await c.setup?.(t, p);
  const samples = new Map<Target, Sample[]>(ts.map((t) => [t, []]));
  // Small cases measure steady state: a server that just started, or has not run this
  // operation yet, spends its first thousands of requests in V8's JIT (ossd made 900,
  // 1,400 and 1,700 appends/s in three 1.5 s runs in a row). One unmeasured run each.
  if (c.small) for (const t of ts) await c.run(t, { p, run: -1, start: () => undefined });
  const runs = c.runs?.(p) ?? p.runs;
  for (let run = 0; run < runs; run++) {
    for (const t of ts) {
      let cpu0 = NaN;
      const ctx = { p, run, start: () => (cpu0 = cpuMs(t.server.pid)) };
      const r = await c.run(t, ctx);
      if (Number.isNaN(cpu0)) throw new Error(`${c.id}: run never called start()`);
      samples.get(t)!.push({ ...r, cpuMs: cpuMs(t.server.pid) - cpu0 });
    }
  }
  return ts.map((t) => ({ caseId: c.id, title: c.title, target: t.name, s: summarize(samples.get(t)!) }));
}

async function tryStart<T>(name: string, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    log(`! ${name} did not start, its cases are skipped: ${String(err).slice(0, 500)}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
  const p = params(values.quick === true);
  const only = values.only?.split(',').filter(Boolean);
  const wanted = (id: string): boolean => !only || only.some((o) => id.startsWith(o));
  const began = Date.now();
  const date = new Date().toISOString();
  const m = machine(tmpdir());
  const loadStart = loadavg()[0]!;
  log(`ossd bench (${p.quick ? 'quick' : 'full'}), ${date}\n${machineLine(m)}`);

  const rows: Row[] = [];
  const errors: string[] = [];
  const targets: Target[] = [];
  let ossd: RawTarget | undefined;
  try {
    ossd = await startOssd();
    targets.push(ossd, await startMinimal(false), await startMinimal(true));
    for (const peer of [await tryStart('azurite', () => AzuriteTarget.start()), await tryStart('s3rver', () => S3rverTarget.start())]) {
      if (peer) targets.push(peer);
    }
    log(`targets: ${targets.map((t) => `${t.name} (pid ${t.server.pid})`).join(', ')}`);
    const cases = [...smallCases, ...(haveWrk() ? [wrkCase] : []), ...largeCases];
    if (!haveWrk()) log('wrk not found: the wrk case is skipped');
    const step = async (id: string, f: () => Promise<Row[]>): Promise<void> => {
      if (!wanted(id)) return;
      const t0 = Date.now();
      try {
        const got = await f();
        rows.push(...got);
        const brief = got.map((r) => `${r.target} ${Number.isNaN(r.s.opsPerSec) ? `${r.s.mbPerSec} MB/s` : `${r.s.opsPerSec.toFixed(1)} ops/s`}`);
        log(`${id} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${brief.join(', ')}`);
      } catch (err) {
        errors.push(`${id}: ${String((err as Error).stack ?? err)}`);
        log(`! ${id} failed: ${String(err).slice(0, 800)}`);
      }
    };
    for (const c of cases) await step(c.id, () => runCase(c, targets, p));
    await step('hash', () => hashRows(p));
    await step('get-fragmented', () => fragmentedRows(ossd!, p, log));
    await step('stalled-uploads', () => stalledRows(p, log));
    // Peers are done; stop them before the scale case so they cannot disturb it.
    for (const t of targets.splice(0)) await t.stop();
    await step('list-first-page', () => listRows(p, log));
    await step('startup', () => startupRows(p, log));
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
    killAll();
  }

  const smallIds = smallCases.map((c) => c.id);
  const v = [...verdicts(rows, smallIds), ...startupVerdicts(rows)].filter((x) => !only || !/not measured|–/.test(x.detail));
  const minutes = ((Date.now() - began) / 60_000).toFixed(1);
  const load = `load average (1 min) at start ${loadStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)} on ${m.nproc} CPUs (anything above ~0 is other processes competing with the bench)`;
  const md = [
    `## ${p.quick ? 'Quick' : 'Full'} run, ${date} (${minutes} min)`,
    '',
    machineLine(m),
    '',
    load,
    '',
    table(rows),
    '',
    'Cases:',
    legend(rows),
    '',
    'Goals:',
    verdictLines(v),
    ...(errors.length > 0 ? ['', 'Errors:', ...errors.map((e) => `- ${e.split('\n')[0]}`)] : []),
  ].join('\n');
  log(`\n${md}`);

  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const day = date.slice(0, 10);
  const file = join(dir, `${day}.jsonl`);
  const mode = p.quick ? 'quick' : 'full';
  const lines = [
    { kind: 'run', date, mode, machine: m, minutes: Number(minutes), load, errors },
    ...rows.map((r) => ({ kind: 'row', date, mode, case: r.caseId, target: r.target, ...r.s })),
    ...v.map((x) => ({ kind: 'goal', date, mode, ...x })),
  ];
  appendFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(join(dir, `latest-${mode}.md`), md + '\n');
  log(`\nwrote ${file} and bench/results/latest-${mode}.md`);
  if (errors.length > 0) process.exitCode = 1;
}

runBenchMain(main);
