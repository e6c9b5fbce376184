/**
 * Start-up time on a large store (issue 15, hole 8): 1,000,000 objects, 100,000 of them
 * appendable and 100,000 more with a blob file (quick: a tenth), seeded without HTTP
 * (startup-store.ts). Each run starts ossd after a clean stop (SIGTERM), puts work in
 * flight (large PUTs and appends cut mid-body, a burst of small appends), kills it with
 * SIGKILL and starts it again. The time is from spawn to `/-/health` answering 200 (the
 * banner's `endpoint:` line comes just before). Goals: ≤ 2 s after a clean stop,
 * ≤ 10 s after kill -9. `--ossd <bin/ossd.cjs>` measures another build (e.g. the code
 * before the change) on the same kind of store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { type Credentials, RawClient, expectStatus, signV1 } from '../http-client.js';
import type { Params } from '../params.js';
import { freePort, removeTempDir, tempDir } from '../proc.js';
import type { Row, Verdict } from '../report.js';
import { type Sample, summarize } from '../stats.js';
import { seedStore, type StoreShape } from './startup-store.js';

const OSSD_MAIN = fileURLToPath(new URL('../../../bin/ossd.cjs', import.meta.url));
const CREDS: Credentials = { id: 'LTAIbenchAccessKeyId01', secret: 'benchAccessKeySecretForOssd0001' };
const BUCKET = 'startup';
export const CLEAN_GOAL_MS = 2000;
export const KILL_GOAL_MS = 10_000;
const MiB = 1024 * 1024;

export function storeShape(p: Params): StoreShape {
  return p.quick ? { objects: 100_000, appendables: 10_000, fileObjects: 10_000 } : { objects: 1_000_000, appendables: 100_000, fileObjects: 100_000 };
}

interface Started {
  proc: ChildProcess;
  port: number;
  exited: Promise<void>;
  /** Spawn to the banner's endpoint line, and to the first 200 of /-/health, in ms. */
  bannerMs: number;
  healthMs: number;
  /** Blobs recovery visited, from its log line (builds that log it). */
  visited?: number;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/-/health', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
  });
}

async function startTimed(main: string, dataDir: string): Promise<Started> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const proc = spawn(process.execPath, [main, 'serve'], {
    env: { ...process.env, OSSD_ADDRESS: `127.0.0.1:${port}`, OSSD_DATA_DIR: dataDir, OSSD_ROOT_ACCESS_KEY_ID: CREDS.id, OSSD_ROOT_ACCESS_KEY_SECRET: CREDS.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  let bannerMs = NaN;
  const banner = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (Number.isNaN(bannerMs) && /endpoint:\s+http/.test(out)) {
        bannerMs = ms();
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`ossd exited with ${code} during start:\n${out.slice(-3000)}`)));
    setTimeout(() => reject(new Error(`ossd did not start within 10 minutes:\n${out.slice(-3000)}`)), 600_000).unref();
  });
  await banner;
  while (!(await healthy(port))) await new Promise((r) => setTimeout(r, 5));
  const healthMs = ms();
  const visited = /"visitedBlobs":(\d+)/.exec(out)?.[1];
  return { proc, port, exited, bannerMs, healthMs, visited: visited === undefined ? undefined : Number(visited) };
}

async function stop(s: Started, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill(signal);
  await s.exited;
}

/** A signed request whose body is `total` bytes, of which only `sent` are ever sent: it stays in flight. */
function partialRequest(port: number, method: string, path: string, total: number, sent: number): http.ClientRequest {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(total) };
  headers.authorization = `OSS ${CREDS.id}:${signV1(CREDS.secret, method, path, headers)}`;
  const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false });
  req.on('error', () => undefined);
  req.write(Buffer.alloc(sent, 7));
  return req;
}

/** Large PUTs and appends cut mid-body, and small appends, in flight when ossd is killed. */
async function workInFlight(s: Started, appendableKeys: string[], appendableSize: number, round: number): Promise<void> {
  const reqs: http.ClientRequest[] = [];
  for (let i = 0; i < 8; i++) reqs.push(partialRequest(s.port, 'PUT', `/${BUCKET}/inflight/put-${round}-${i}`, 8 * MiB, 4 * MiB));
  // Appends at the seeded length, on keys no earlier round touched.
  for (let i = 0; i < 8; i++) {
    const key = appendableKeys[(round * 100 + i) % appendableKeys.length]!;
    reqs.push(partialRequest(s.port, 'POST', `/${BUCKET}/${key}?append&position=${appendableSize}`, 8 * MiB, 4 * MiB));
  }
  const client = new RawClient(s.port, CREDS, 64);
  const small = Array.from({ length: 64 }, (_, i) =>
    client.request('POST', `/${BUCKET}/inflight/small-${round}-${i}?append&position=0`, { body: { chunk: Buffer.alloc(4096, 1) } }).catch(() => undefined),
  );
  await new Promise((r) => setTimeout(r, 500));
  await stop(s, 'SIGKILL');
  for (const r of reqs) r.destroy();
  await Promise.all(small);
  client.close();
}

export async function startupRows(p: Params, log: (s: string) => void, main = OSSD_MAIN): Promise<Row[]> {
  const shape = storeShape(p);
  const dir = tempDir('ossd-startup');
  try {
    const first = await startTimed(main, dir);
    const client = new RawClient(first.port, CREDS, 1);
    expectStatus(await client.request('PUT', `/${BUCKET}/`), 'create bucket', 200);
    client.close();
    await stop(first, 'SIGTERM'); // the store must be stopped while the bench writes into it
    const t0 = Date.now();
    const { appendableKeys, appendableSize } = seedStore(dir, BUCKET, shape);
    log(`  seeded ${shape.objects} objects (${shape.appendables} appendable, ${shape.fileObjects} more with a blob file) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const clean: Sample[] = [];
    const killed: Sample[] = [];
    const sample = (s: Started): Sample => ({
      ops: 1,
      bytes: 0,
      seconds: s.healthMs / 1000,
      lat: [s.healthMs],
      cpuMs: NaN,
      extra: { bannerMs: s.bannerMs, ...(s.visited === undefined ? {} : { visitedBlobs: s.visited }) },
    });
    for (let run = 0; run < p.runs; run++) {
      const a = await startTimed(main, dir);
      clean.push(sample(a));
      log(`  run ${run}: start after a clean stop ${a.healthMs.toFixed(0)} ms (banner ${a.bannerMs.toFixed(0)} ms)${a.visited === undefined ? '' : `, ${a.visited} blobs visited`}`);
      await workInFlight(a, appendableKeys, appendableSize, run);
      const b = await startTimed(main, dir);
      killed.push(sample(b));
      log(`  run ${run}: start after kill -9 ${b.healthMs.toFixed(0)} ms (banner ${b.bannerMs.toFixed(0)} ms)${b.visited === undefined ? '' : `, ${b.visited} blobs visited`}`);
      await stop(b, 'SIGTERM');
    }
    const label = `${shape.objects >= 1e6 ? `${shape.objects / 1e6}M` : `${shape.objects / 1e3}k`} objects`;
    const title =
      `time from spawn to /-/health 200 (p50 ms column; bannerMs: to the endpoint line) on a store of ${shape.objects} objects, ` +
      `${shape.appendables} appendable and ${shape.fileObjects} more with a blob file; kill -9 with 8 PUTs and 8 appends cut mid-body and 64 small appends in flight`;
    return [
      { caseId: 'startup', title, target: `ossd ${label}, after clean stop`, s: summarize(clean) },
      { caseId: 'startup', title, target: `ossd ${label}, after kill -9`, s: summarize(killed) },
    ];
  } finally {
    removeTempDir(dir);
  }
}

/** The goals as ratios to the limit (≤ 1 passes). */
export function startupVerdicts(rows: Row[]): Verdict[] {
  const goal = (suffix: string, limitMs: number): Verdict[] => {
    const row = rows.find((r) => r.caseId === 'startup' && r.target.endsWith(suffix));
    if (!row) return [];
    const ms = row.s.p50Ms;
    return [{ goal: `start-up ${suffix} on ${row.target.split(',')[0]!.replace('ossd ', '')} ≤ ${limitMs / 1000} s`, pass: ms <= limitMs, detail: `${(ms / 1000).toFixed(2)} s = ${(ms / limitMs).toFixed(2)}× the goal` }];
  };
  return [...goal('after clean stop', CLEAN_GOAL_MS), ...goal('after kill -9', KILL_GOAL_MS)];
}
