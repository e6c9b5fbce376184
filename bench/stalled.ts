/**
 * Stalled uploads (issue 15, hole 7): N connections that each sent a PutObject head
 * declaring 1 MiB and 1 KiB of its body, then nothing. Measures ossd's RSS with all of
 * them open (goal: under 512 MB for 10,000) and the latency of another client's 4 KiB
 * PUT and GET meanwhile, against the same client with no stalled connection.
 *
 * Alone: `node dist/bench/stalled.js [--connections 10000] [--sent 1024] [--declared 1048576]
 * [--kind put|append]`; in the suite: the `stalled-uploads-*` cases of `npm run bench`
 * (stalledRows).
 *
 * 10,000 sockets need more open files than the usual 1,024: ossd and the stalled
 * client (stalled-client.ts, its own process) are started under `ulimit -n`. ossd runs
 * with --max-connections N + 64, else its default cap of 10,000 would leave no room for
 * the probing client.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RawClient, expectStatus } from './http-client.js';
import type { Params } from './params.js';
import { cpuMs, killAll, peakRssMB, resetPeakRss, rssMB, withOpenFiles } from './proc.js';
import type { Row } from './report.js';
import { type Sample, summarize } from './stats.js';
import { BENCH_CREDS, startOssd } from './targets/raw.js';
import { BUCKET } from './targets/types.js';

const CLIENT_MAIN = fileURLToPath(new URL('./stalled-client.js', import.meta.url));
const OPEN_FILES = 65_536;
/** Probe operations (alternating 4 KiB PUT and GET) per measurement. */
const PROBES = 200;

export interface StalledOptions {
  connections: number;
  kind: 'put' | 'append';
  /** Body bytes each connection sends before it stalls (default 1 KiB) and its Content-Length (default 1 MiB). */
  sent?: number;
  declared?: number;
  log: (s: string) => void;
}

export interface StalledResult {
  connections: number;
  /** Connections the client could not open or that the server closed before the end. */
  failed: number;
  closedByServer: number;
  rssBeforeMB: number;
  rssStalledMB: number;
  /** After the probe's 200 requests (their garbage collections free body chunks that were written out). */
  rssAfterProbeMB: number;
  peakRssMB: number;
  perConnectionKB: number;
  openSeconds: number;
  idle: Sample;
  stalled: Sample;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PROBES alternating 4 KiB PUTs and GETs from one keep-alive connection; every one must succeed. */
async function probe(client: RawClient, pid: number, tag: string): Promise<Sample> {
  const body = { chunk: Buffer.alloc(4096, 0x62) };
  const lat: number[] = [];
  const c0 = cpuMs(pid);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PROBES; i++) {
    const key = `probe/${tag}-${i >> 1}`;
    const s = process.hrtime.bigint();
    if (i % 2 === 0) expectStatus(await client.request('PUT', `/${BUCKET}/${key}`, { body }), `probe put ${key}`, 200);
    else if ((await client.request('GET', `/${BUCKET}/${key}`)).bytes !== 4096) throw new Error(`probe get ${key}: wrong length`);
    lat.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ops: PROBES, bytes: PROBES * 4096, seconds, lat, cpuMs: cpuMs(pid) - c0 };
}

/** Waits until ossd's RSS has moved by less than 1 % over 2 s (it has read what was sent), at most 60 s. */
async function settledRss(pid: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  let last = rssMB(pid);
  for (;;) {
    await sleep(2000);
    const now = rssMB(pid);
    if (Math.abs(now - last) < last * 0.01 || Date.now() > deadline) return now;
    last = now;
  }
}

export async function measureStalled(o: StalledOptions): Promise<StalledResult> {
  const ossd = await startOssd(undefined, [], { env: { OSSD_MAX_CONNECTIONS: String(o.connections + 64) }, openFiles: OPEN_FILES });
  const pid = ossd.server.pid;
  const client = new RawClient(ossd.server.port, BENCH_CREDS, 1);
  try {
    await probe(client, pid, 'warm'); // JIT warm-up, not measured
    const idle = await probe(client, pid, 'idle');
    const rssBeforeMB = await settledRss(pid);
    resetPeakRss(pid);
    const args = [
      CLIENT_MAIN, '--port', String(ossd.server.port), '--count', String(o.connections), '--bucket', BUCKET,
      '--id', BENCH_CREDS.id, '--secret', BENCH_CREDS.secret, '--kind', o.kind,
      '--sent', String(o.sent ?? 1024), '--declared', String(o.declared ?? 1024 * 1024),
    ];
    const t0 = Date.now();
    const child = spawn(...withOpenFiles(OPEN_FILES, process.execPath, args), { stdio: ['pipe', 'pipe', 'inherit'] });
    let closedByServer = 0;
    let ready: { ready: number; failed: number } | undefined;
    const gotReady = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = JSON.parse(line) as { ready?: number; failed?: number; closed?: number };
        if (m.closed !== undefined) closedByServer = m.closed;
        if (m.ready !== undefined) {
          ready = { ready: m.ready, failed: m.failed ?? 0 };
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`stalled client exited with ${code}`)));
    });
    try {
      await gotReady;
      const openSeconds = (Date.now() - t0) / 1000;
      o.log(`  ${ready!.ready} stalled ${o.kind} connections open in ${openSeconds.toFixed(1)} s (${ready!.failed} failed)`);
      const rssStalledMB = await settledRss(pid);
      const stalled = await probe(client, pid, 'stalled');
      const rssAfterProbeMB = rssMB(pid);
      const peak = peakRssMB(pid);
      const failed = ready!.failed + closedByServer;
      return {
        connections: o.connections, failed, closedByServer, rssBeforeMB, rssStalledMB, rssAfterProbeMB, peakRssMB: peak,
        perConnectionKB: ((rssStalledMB - rssBeforeMB) * 1024) / Math.max(1, ready!.ready), openSeconds, idle, stalled,
      };
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    client.close();
    await ossd.stop();
  }
}

/**
 * The bench case: 10,000 connections (quick: 2,000) that sent 1 KiB each (the issue's
 * goal: RSS under 512 MB), and 2,000 (quick: 500) that sent 800 KiB each (the probe that
 * found the hole: 0.79 MB held per connection). Rows: the probe client's latency without
 * and with them; RSS in `extra`.
 */
export async function stalledRows(p: Params, log: (s: string) => void): Promise<Row[]> {
  const variants = [
    { caseId: 'stalled-uploads-1k', connections: p.quick ? 2000 : 10_000, sent: 1024 },
    { caseId: 'stalled-uploads-800k', connections: p.quick ? 500 : 2000, sent: 800 * 1024 },
  ];
  const rows: Row[] = [];
  for (const v of variants) {
    const r = await measureStalled({ connections: v.connections, kind: 'put', sent: v.sent, log });
    const n = v.connections.toLocaleString('en-US');
    const title = `${n} connections each sent a PutObject head (Content-Length 1 MiB) and ${v.sent / 1024} KiB of body, then stall; probe: one client's 4 KiB PUT/GET meanwhile; extra: ossd RSS MB, KB per stalled connection`;
    const extra = { rssMB: r.rssStalledMB, peakRssMB: r.peakRssMB, kbPerConn: r.perConnectionKB, failed: r.failed };
    rows.push(
      { caseId: v.caseId, title, target: 'ossd, none stalled', s: summarize([{ ...r.idle, extra: { rssMB: r.rssBeforeMB } }]) },
      { caseId: v.caseId, title, target: `ossd, ${n} stalled`, s: summarize([{ ...r.stalled, extra }]) },
    );
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '10000' },
      kind: { type: 'string', default: 'put' },
      sent: { type: 'string', default: '1024' },
      declared: { type: 'string', default: String(1024 * 1024) },
    },
  });
  const kind = values.kind === 'append' ? 'append' : 'put';
  const [sent, declared] = [Number(values.sent), Number(values.declared)];
  const r = await measureStalled({ connections: Number(values.connections), kind, sent, declared, log: console.log });
  const s = (x: Sample): string => {
    const sum = summarize([x]);
    return `p50 ${sum.p50Ms.toFixed(2)} ms, p99 ${sum.p99Ms.toFixed(2)} ms`;
  };
  console.log(JSON.stringify({ ...r, idle: undefined, stalled: undefined }));
  console.log(`ossd RSS: ${r.rssBeforeMB.toFixed(0)} MB before, ${r.rssStalledMB.toFixed(0)} MB with ${r.connections} stalled ${kind} uploads (${sent} of ${declared} bytes sent), ${r.rssAfterProbeMB.toFixed(0)} MB after the probe (peak ${r.peakRssMB.toFixed(0)} MB), ${r.perConnectionKB.toFixed(1)} KB each; ${r.failed} failed`);
  console.log(`probe 4 KiB PUT/GET: idle ${s(r.idle)}; while stalled ${s(r.stalled)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('exit', killAll);
  main().catch((err: unknown) => {
    console.error(err);
    killAll();
    process.exitCode = 1;
  });
}
