/**
 * The cluster benchmark (issue 19): `node dist/bench/cluster.js [--quick] [--appends N] [--fragmented-only]`.
 * The same cases as the main suite (bench/cases) against three deployments in one run:
 * - `embedded`: one node on the default SQLite + local files;
 * - `pg+s3 ×1`: one node on PostgreSQL + an S3 store (Ceph RGW when installed, else s3rver);
 * - `pg+s3 ×3`: three nodes on 127.0.0.2–4 over the same two, the client round-robin.
 * On one 2-core machine the nodes, PostgreSQL and the S3 store share the cores, so beside
 * throughput it reports where the CPU goes per operation (ossd nodes, PostgreSQL, the S3
 * store) and what each operation asked of PostgreSQL: transactions and round trips, as the
 * nodes count them (ossd_postgres_* metrics; pg_stat_database mixed in autovacuum and
 * other databases, and lagged up to 10 s behind idle connections).
 * Then a GET of a many-append object after compaction against the same bytes put once.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { largeCases } from './cases/large.js';
import { smallCases } from './cases/small.js';
import type { BenchCase } from './cases/types.js';
import { type Body, RawClient, expectStatus } from './http-client.js';
import { params } from './params.js';
import { freePort, runBenchMain, spawnServer, type ServerProc, tempDir } from './proc.js';
import { type Sample, summarize } from './stats.js';
import { BENCH_CREDS, startOssd } from './targets/raw.js';
import { type AppendOutcome, BUCKET, type Target } from './targets/types.js';
import { parseScrape, value } from '../test/helpers/metrics-scrape.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startS3Backend, type S3Backend } from '../test/helpers/s3-backend.js';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const OSSD_MAIN = fileURLToPath(new URL('../../bin/ossd.cjs', import.meta.url));
const log = (s: string): void => console.log(s);
const CASES = ['append-4k-1c', 'append-4k-64c-64obj', 'put-4k-1c', 'put-4k-64c', 'get-4k-1c', 'get-4k-64c', 'put-64m', 'get-64m'];

/** Nodes behind a round-robin client: each request goes to the next node. */
class RoundRobinTarget implements Target {
  readonly name = 'ossd' as const;
  private readonly clients: RawClient[];
  private turn = 0;

  constructor(
    readonly servers: ServerProc[],
    private readonly hosts: string[],
  ) {
    this.clients = servers.map((s, i) => new RawClient(s.port, BENCH_CREDS, 128, hosts[i]));
  }

  get server(): ServerProc {
    return this.servers[0]!;
  }

  /** The nodes' PostgreSQL counters, summed. */
  pgCounts(): Promise<PgCounts> {
    return pgCountsOf(this.servers, this.hosts);
  }

  private next(): RawClient {
    return this.clients[this.turn++ % this.clients.length]!;
  }

  async createBucket(): Promise<void> {
    expectStatus(await this.next().request('PUT', `/${BUCKET}/`), 'create bucket', 200);
  }

  async append(key: string, position: number, body: Body): Promise<AppendOutcome> {
    const r = await this.next().request('POST', `/${BUCKET}/${key}?append&position=${position}`, { body });
    expectStatus(r, `append ${key}@${position}`, 200, 409);
    return { ok: r.status === 200, next: Number(r.headers['x-oss-next-append-position']) };
  }

  async put(key: string, body: Body): Promise<void> {
    expectStatus(await this.next().request('PUT', `/${BUCKET}/${key}`, { body }), `put ${key}`, 200);
  }

  async get(key: string, range?: [number, number]): Promise<number> {
    const headers: Record<string, string> = range ? { range: `bytes=${range[0]}-${range[1]}` } : {};
    return expectStatus(await this.next().request('GET', `/${BUCKET}/${key}`, { headers }), `get ${key}`, 200, 206).bytes;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const s of this.servers) await s.stop();
  }
}

/** A deployment under test: its client, and the processes whose CPU counts. */
interface Deployment {
  label: string;
  target: Target;
  ossdPids: number[];
  pgPids: () => number[];
  s3Pids: () => number[];
  /** What the nodes asked of PostgreSQL so far, summed (undefined: no PostgreSQL). */
  pgCounts?: () => Promise<PgCounts>;
}

interface PgCounts {
  tx: number;
  trips: number;
}

/** The nodes' ossd_postgres_* counters, summed (their /-/metrics, served anonymously in the bench). */
async function pgCountsOf(servers: ServerProc[], hosts: string[]): Promise<PgCounts> {
  const sum = { tx: 0, trips: 0 };
  for (const [i, s] of servers.entries()) {
    const samples = parseScrape(await (await fetch(`http://${hosts[i]}:${s.port}/-/metrics`)).text());
    sum.tx += value(samples, 'ossd_postgres_transactions_total');
    sum.trips += value(samples, 'ossd_postgres_round_trips_total');
  }
  return sum;
}

/** The postmaster and its children (backends, WAL writer, checkpointer…), from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const visit = (pid: number): void => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return out;
}

/**
 * CPU ms of the processes, each with the CPU of its children already gone (cutime and
 * cstime): PostgreSQL's backends come and go with connections, and the postmaster reaps them.
 */
function cpuOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone: its CPU is in its parent's cutime from now on
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

async function startNodes(n: number, pgUrl: string, s3: S3Backend, tag: string): Promise<RoundRobinTarget> {
  const servers: ServerProc[] = [];
  const hosts: string[] = [];
  for (let i = 0; i < n; i++) {
    const host = `127.0.0.${i + 2}`;
    const port = await freePort();
    servers.push(
      await spawnServer({
        name: `ossd-${tag}-${i + 1}`,
        args: [OSSD_MAIN, 'serve'],
        env: {
          OSSD_ADDRESS: `${host}:${port}`,
          OSSD_DATA_DIR: tempDir(`cluster-${tag}-${i}`),
          OSSD_ROOT_ACCESS_KEY_ID: BENCH_CREDS.id,
          OSSD_ROOT_ACCESS_KEY_SECRET: BENCH_CREDS.secret,
          OSSD_METADATA: pgUrl,
          OSSD_BLOBS: `s3://${s3.bucket}`,
          OSSD_S3_ENDPOINT: s3.endpoint,
          OSSD_S3_ACCESS_KEY_ID: s3.accessKeyId,
          OSSD_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
          OSSD_S3_REGION: s3.region,
          OSSD_NODE_ID: `bench-${tag}-${i + 1}`,
          OSSD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
          OSSD_METRICS_ANONYMOUS: 'true',
        },
        port,
        ready: /endpoint:\s+http/,
        host,
      }),
    );
    hosts.push(host);
  }
  return new RoundRobinTarget(servers, hosts);
}

async function measure(c: BenchCase, d: Deployment, p: ReturnType<typeof params>): Promise<string> {
  await c.setup?.(d.target, p);
  if (c.small) await c.run(d.target, { p, run: -1, start: () => undefined });
  const samples: Sample[] = [];
  const split = { ossd: 0, pg: 0, s3: 0, tx: 0, trips: 0, ops: 0 };
  for (let run = 0; run < (c.runs?.(p) ?? p.runs); run++) {
    const snapshot = () => ({ ossd: cpuOf(d.ossdPids), pg: cpuOf(d.pgPids()), s3: cpuOf(d.s3Pids()) });
    let before = snapshot();
    const countsBefore = (await d.pgCounts?.()) ?? { tx: 0, trips: 0 };
    let started = false;
    const r = await c.run(d.target, {
      p,
      run,
      start: () => {
        started = true;
        before = snapshot();
      },
    });
    if (!started) throw new Error(`${c.id}: run never called start()`);
    const after = snapshot();
    const countsAfter = (await d.pgCounts?.()) ?? { tx: 0, trips: 0 };
    samples.push({ ...r, cpuMs: after.ossd - before.ossd + after.pg - before.pg + after.s3 - before.s3 });
    split.ossd += after.ossd - before.ossd;
    split.pg += after.pg - before.pg;
    split.s3 += after.s3 - before.s3;
    split.tx += countsAfter.tx - countsBefore.tx;
    split.trips += countsAfter.trips - countsBefore.trips;
    split.ops += r.ops;
  }
  const s = summarize(samples);
  const per = (x: number): string => (split.ops > 0 ? (x / split.ops).toFixed(2) : '–');
  return `| ${c.id} | ${d.label} | ${s.opsPerSec.toFixed(0)} | ${s.mbPerSec.toFixed(1)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${per(split.ossd)} | ${per(split.pg)} | ${per(split.s3)} | ${d.pgCounts ? `${per(split.tx)} | ${per(split.trips)}` : '– | –'} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, appends: { type: 'string' }, 'fragmented-only': { type: 'boolean', default: false } },
  });
  const p = params(values.quick!);
  const appends = Number(values.appends ?? (values.quick ? 2_000 : 100_000));
  const pgServer = await startPostgres();
  const s3 = await startS3Backend('ossd-bench');
  log(`PostgreSQL ${pgServer.url}; S3 store: ${s3.kind} ${s3.endpoint}`);
  const pgRoot = Number(readFileSync(`${pgServer.dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);

  const embedded = await startOssd(); // with its bucket
  const one = await startNodes(1, pgServer.url, s3, 'one');
  await one.createBucket();
  const three = await startNodes(3, pgServer.url, s3, 'three');
  const deployments: Deployment[] = [
    { label: 'embedded ×1', target: embedded, ossdPids: [embedded.server.pid], pgPids: () => [], s3Pids: () => [] },
    { label: 'pg+s3 ×1', target: one, ossdPids: one.servers.map((s) => s.pid), pgPids: () => processTree(pgRoot), s3Pids: () => s3.pids(), pgCounts: () => one.pgCounts() },
    { label: 'pg+s3 ×3', target: three, ossdPids: three.servers.map((s) => s.pid), pgPids: () => processTree(pgRoot), s3Pids: () => s3.pids(), pgCounts: () => three.pgCounts() },
  ];
  log('\n| case | deployment | ops/s | MB/s | p50 ms | p99 ms | ossd CPU ms/op | PostgreSQL CPU ms/op | S3 store CPU ms/op | PostgreSQL transactions/op | PostgreSQL round trips/op |');
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const id of values['fragmented-only'] ? [] : CASES) {
    const c = [...smallCases, ...largeCases].find((x) => x.id === id)!;
    for (const d of deployments) log(await measure(c, d, p));
  }

  // A many-append object after compaction against the same bytes put once (pg+s3 ×1).
  const piece = { chunk: Buffer.alloc(p.fragAppendBytes, 7) };
  const t0 = Date.now();
  let pos = 0;
  for (let i = 0; i < appends; i++) pos = (await one.append('frag/appended', pos, piece)).next;
  log(`\nbuilt ${appends} appends of ${p.fragAppendBytes} B on pg+s3 ×1 in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await one.put('frag/put', { chunk: Buffer.alloc(appends * p.fragAppendBytes, 7) });
  const getMs = async (key: string): Promise<number> => {
    const s = Date.now();
    const n = await one.get(key);
    if (n !== appends * p.fragAppendBytes) throw new Error(`${key}: ${n} bytes`);
    return Date.now() - s;
  };
  // Compaction runs in the background: read until the appended object reads as fast as it will
  // (no new best for 20 reads in a row, at most 15 minutes: 100,000 segments take a while to merge).
  let best = Infinity;
  const first = await getMs('frag/appended');
  log(`GET of the ${appends}-append object right after the appends: ${first} ms`);
  for (let i = 0, since = 0, t = Date.now(); since < 20 && Date.now() - t < 15 * 60_000; i++) {
    const ms = await getMs('frag/appended');
    if (ms < best) [best, since] = [ms, 0];
    else since++;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const put = Math.min(await getMs('frag/put'), await getMs('frag/put'), await getMs('frag/put'));
  log(`GET of the ${appends}-append object: ${best} ms; of the same bytes put once: ${put} ms; ratio (put time / appended time) ${(put / best).toFixed(2)}× (goal ≥ 0.8×)`);

  for (const d of deployments) await d.target.stop();
  await s3.stop();
  await pgServer.stop();
}

runBenchMain(main);
