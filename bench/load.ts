/** Closed-loop load: N workers each issue one operation after another, bounded by count and time. */
import type { RunResult } from './stats.js';

export interface OpOutcome {
  bytes: number;
  retries?: number;
  /** false: the operation gave up (bounded retry loop); not counted as an op, its retries are. */
  ok?: boolean;
}

export interface LoopOptions {
  concurrency: number;
  durationMs: number;
  maxOps: number;
  op: (worker: number, seq: number) => Promise<OpOutcome>;
}

export async function closedLoop(o: LoopOptions): Promise<RunResult> {
  const lat: number[] = [];
  let issued = 0;
  let bytes = 0;
  let retries = 0;
  let anyRetries = false;
  let abandoned = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + o.durationMs;
  const worker = async (w: number): Promise<void> => {
    for (let seq = 0; issued < o.maxOps && Date.now() < end; seq++) {
      issued++;
      const s = process.hrtime.bigint();
      const r = await o.op(w, seq);
      if (r.ok === false) abandoned++;
      else lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      bytes += r.bytes;
      if (r.retries !== undefined) {
        anyRetries = true;
        retries += r.retries;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const extra = abandoned > 0 ? { abandoned } : undefined;
  return { ops: lat.length, bytes, seconds, lat, retries: anyRetries ? retries : undefined, extra };
}

/** Times one async block as a single operation (large transfers). */
export async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const s = process.hrtime.bigint();
  const bytes = await fn();
  return { ms: Number(process.hrtime.bigint() - s) / 1e6, bytes };
}
