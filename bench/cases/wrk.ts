/**
 * 4 KiB GETs from 64 connections driven by wrk (C, one thread): the load generator costs
 * far less CPU than a Node client, so more of the 2 cores go to the server. ossd's
 * requests carry a fixed V1 signature (Date stays within the 15-minute skew window).
 * Skipped when `wrk` is not installed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RunResult } from '../stats.js';
import { type BenchCase, KiB } from './types.js';

export function haveWrk(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(out: string): RunResult {
  const reqs = /(\d+) requests in ([\d.]+)(us|ms|s|m),\s+([\d.]+)(B|KB|MB|GB) read/.exec(out);
  if (!reqs) throw new Error(`cannot parse wrk output:\n${out}`);
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`wrk saw error responses:\n${out}`);
  const pct = (q: string): number => {
    const m = new RegExp(`^\\s*${q}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[reqs[5] as 'B'];
  return {
    ops: Number(reqs[1]),
    seconds: toMs(reqs[2]!, reqs[3]!) / 1000,
    bytes: Number(reqs[4]) * unit,
    lat: [],
    pct: { p50: pct('50'), p99: pct('99') },
  };
}

const body = { chunk: randomBytes(4 * KiB) };

export const wrkCase: BenchCase = {
  id: 'get-4k-64c-wrk',
  title: '4 KiB GetObject, 64 connections from wrk -t1 (bytes = whole responses)',
  small: false,
  targets: ['ossd', 'minimal', 'minimal-group'],
  supports: (t) => t.wrkGet !== undefined,
  async setup(t) {
    await t.put('wrk/0', body);
  },
  async run(t, ctx) {
    const { url, headers } = t.wrkGet!('wrk/0');
    const seconds = Math.max(1, Math.round(ctx.p.smallMs / 1000));
    const args = ['-t1', '-c64', `-d${seconds}s`, '--latency', '--timeout', '10s'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    args.push(url);
    ctx.start();
    const out = await new Promise<string>((resolve, reject) => {
      execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    return parseWrk(out);
  },
};
