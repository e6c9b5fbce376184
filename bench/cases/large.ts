/** Large transfers against ossd and minimal: 64 MiB put / append (4 MiB steps) / get, a range read, concurrent uploads. */
import { randomBytes } from 'node:crypto';
import { closedLoop } from '../load.js';
import { peakRssMB, resetPeakRss, rssMB } from '../proc.js';
import type { RunResult } from '../stats.js';
import type { TargetName } from '../targets/types.js';
import { type BenchCase, MiB, uid } from './types.js';

const step = { chunk: randomBytes(4 * MiB) };
const mib = (n: number): { chunk: Buffer; repeat: number } => ({ chunk: step.chunk, repeat: Math.max(1, Math.round(n / 4)) });
const LARGE: TargetName[] = ['ossd', 'minimal'];

/** `reps` one after another, each one operation (latency = the whole transfer). */
function sequential(reps: number, maxMs: number, op: (seq: number) => Promise<number>): Promise<RunResult> {
  return closedLoop({ concurrency: 1, durationMs: maxMs, maxOps: reps, op: async (_w, seq) => ({ bytes: await op(seq) }) });
}

const put64: BenchCase = {
  id: 'put-64m',
  title: '64 MiB PutObject (one request, same key overwritten)',
  small: false,
  targets: LARGE,
  async run(t, ctx) {
    ctx.start();
    return sequential(ctx.p.largeReps, 120_000, async () => {
      await t.put('large/put', mib(ctx.p.largeMiB));
      return ctx.p.largeMiB * MiB;
    });
  },
};

const append64: BenchCase = {
  id: 'append-64m-4m',
  title: '64 MiB built by AppendObject in 4 MiB steps (op = the whole object)',
  small: false,
  targets: LARGE,
  async run(t, ctx) {
    const steps = Math.round(ctx.p.largeMiB / 4);
    ctx.start();
    return sequential(ctx.p.largeReps, 120_000, async (seq) => {
      const key = `large/append-${ctx.run}-${seq}-${uid()}`;
      let pos = 0;
      for (let i = 0; i < steps; i++) {
        const r = await t.append!(key, pos, step);
        if (!r.ok) throw new Error(`${t.name}: append conflict at ${pos}`);
        pos = r.next;
      }
      return pos;
    });
  },
};

const get64: BenchCase = {
  id: 'get-64m',
  title: '64 MiB GetObject (whole object)',
  small: false,
  targets: LARGE,
  async setup(t, p) {
    await t.put('large/get', mib(p.largeMiB));
  },
  async run(t, ctx) {
    ctx.start();
    return sequential(ctx.p.largeGetReps, 120_000, async () => {
      const n = await t.get('large/get');
      if (n !== ctx.p.largeMiB * MiB) throw new Error(`${t.name}: got ${n} bytes`);
      return n;
    });
  },
};

const rangeRead: BenchCase = {
  id: 'get-range-big',
  title: 'Range GET from the middle of a large object (1 GiB full run; size in `extra`)',
  small: false,
  targets: LARGE,
  async setup(t, p) {
    await t.put('large/huge', mib(p.rangeObjectMiB));
  },
  async run(t, ctx) {
    const from = (ctx.p.rangeObjectMiB / 2) * MiB;
    const to = from + ctx.p.rangeReadMiB * MiB - 1;
    ctx.start();
    const r = await sequential(2, 120_000, async () => {
      const n = await t.get('large/huge', [from, to]);
      if (n !== to - from + 1) throw new Error(`${t.name}: range got ${n} bytes`);
      return n;
    });
    return { ...r, extra: { objectMiB: ctx.p.rangeObjectMiB, readMiB: ctx.p.rangeReadMiB } };
  },
};

const uploads: BenchCase = {
  id: 'put-concurrent-big',
  title: 'N concurrent M MiB PutObjects (64 × 64 MiB, one run, in the full run); server peak RSS (VmHWM) in MB',
  small: false,
  targets: LARGE,
  runs: (p) => (p.quick ? p.runs : 1), // 4 GiB per run: one run keeps the full suite under 15 minutes
  async run(t, ctx) {
    const pid = t.server.pid;
    const reset = resetPeakRss(pid);
    const before = rssMB(pid);
    ctx.start();
    const r = await closedLoop({
      concurrency: ctx.p.uploads,
      durationMs: 300_000,
      maxOps: ctx.p.uploads,
      op: async (w) => {
        await t.put(`large/conc-${w}`, mib(ctx.p.uploadMiB));
        return { bytes: ctx.p.uploadMiB * MiB };
      },
    });
    return { ...r, extra: { peakRssMB: peakRssMB(pid), rssBeforeMB: before, peakReset: reset ? 1 : 0 } };
  },
};

export const largeCases: BenchCase[] = [put64, append64, get64, rangeRead, uploads];
