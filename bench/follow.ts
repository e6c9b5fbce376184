/**
 * The follow-read benchmark alone (docs/extensions.md "Follow reads"):
 * `node dist/bench/follow.js [--quick] [--followers N]` (default 10,000; --quick: 1,000).
 *
 * 1. Memory: N idle followers, each on its own appendable object (the notifier's worst
 *    case: one listener set per key). Server RSS (VmRSS) before they connect and once all
 *    are waiting, after a pause.
 * 2. Latency: 1, 100 and N followers on ONE object; for each of several appends, the time
 *    from the append's 200 reaching the appender to each follower receiving the bytes
 *    (nearest-rank percentiles over every follower and append). A follower may get the
 *    bytes before the appender gets its 200 (the server wakes followers as it answers):
 *    then the figure is negative. The followers are all in this one process, so with N of
 *    them the figure includes this process receiving N responses on one core.
 *
 * The server runs with --max-connections N + 100, and both it and this process with the
 * open-file limit raised (this process re-runs itself under `ulimit -n`; proc.ts).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { httpDate, signV1 } from './http-client.js';
import { runBenchMain, withOpenFiles } from './proc.js';
import { BENCH_CREDS, type RawTarget, startOssd } from './targets/raw.js';
import { BUCKET } from './targets/types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

const mb = (n: number): string => (n / 1e6).toFixed(1);

/** One follow read held open by this process. */
class Follower {
  received = 0;
  private want = Infinity;
  private reached: ((at: number) => void) | undefined;
  readonly ready: Promise<void>;
  private req: http.ClientRequest | undefined;

  constructor(port: number, key: string, from: number) {
    const path = `/${BUCKET}/${key}`;
    const headers: Record<string, string> = {
      date: httpDate(),
      'x-ossd-follow': '1',
      'x-ossd-follow-idle-timeout': '3600',
      range: `bytes=${from}-`,
    };
    headers.authorization = `OSS ${BENCH_CREDS.id}:${signV1(BENCH_CREDS.secret, 'GET', path, headers)}`;
    this.ready = new Promise((resolve, reject) => {
      this.req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        if (res.headers['x-ossd-follow'] !== '1') reject(new Error(`not a follow read: HTTP ${res.statusCode}`));
        else resolve();
        res.on('data', (c: Buffer) => {
          this.received += c.length;
          if (this.received >= this.want) this.reached?.(performance.now());
        });
        res.on('error', () => undefined);
      });
      this.req.on('error', reject);
      this.req.end();
    });
  }

  /** Resolves with the time at which `n` bytes in all had come. */
  until(n: number): Promise<number> {
    if (this.received >= n) return Promise.resolve(performance.now());
    this.want = n;
    return new Promise((resolve) => (this.reached = resolve));
  }

  close(): void {
    this.req?.destroy();
  }
}

/** Opens `n` followers, `concurrency` connections at a time. */
async function openFollowers(n: number, open: (i: number) => Follower, concurrency = 200): Promise<Follower[]> {
  const out: Follower[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => open(i + j));
    await Promise.all(batch.map((f) => f.ready));
    out.push(...batch);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function memoryCase(t: RawTarget, n: number): Promise<string> {
  const body = { chunk: Buffer.alloc(100, 0x61) };
  const keys = Array.from({ length: n }, (_, i) => `idle-${i}`);
  for (let i = 0; i < n; i += 64) await Promise.all(keys.slice(i, i + 64).map((k) => t.append(k, 0, body)));
  await sleep(2000);
  const before = rssBytes(t.server.pid);
  const started = performance.now();
  const followers = await openFollowers(n, (i) => new Follower(t.server.port, keys[i]!, 100));
  const openMs = performance.now() - started;
  await sleep(3000);
  const after = rssBytes(t.server.pid);
  for (const f of followers) f.close();
  await sleep(1000);
  const line = `| ${n.toLocaleString('en')} idle followers, one object each | ${mb(before)} MB | ${mb(after)} MB | ${mb(after - before)} MB | ${((after - before) / n / 1024).toFixed(1)} KiB | ${(openMs / 1000).toFixed(1)} s |`;
  console.log(line);
  return line;
}

async function latencyCase(t: RawTarget, n: number, appends: number, key: string): Promise<string> {
  const piece = { chunk: Buffer.alloc(100, 0x62) };
  let length = (await t.append(key, 0, piece)).next;
  const followers = await openFollowers(n, () => new Follower(t.server.port, key, length));
  await sleep(n > 1000 ? 3000 : 500);
  const rss = rssBytes(t.server.pid);
  const samples: number[] = [];
  for (let a = 0; a < appends; a++) {
    // Each follower started at the same length: it wants 100 more bytes than it has now.
    const waits = followers.map((f) => f.until(f.received + 100));
    const r = await t.append(key, length, piece);
    const okAt = performance.now();
    length = r.next;
    for (const at of await Promise.all(waits)) samples.push(at - okAt);
    await sleep(100);
  }
  for (const f of followers) f.close();
  await sleep(500);
  samples.sort((x, y) => x - y);
  const ms = (v: number): string => v.toFixed(1);
  const line = `| ${n.toLocaleString('en')} on one object | ${appends} | ${ms(percentile(samples, 50))} | ${ms(percentile(samples, 99))} | ${ms(samples.at(-1)!)} | ${mb(rss)} MB |`;
  console.log(line);
  return line;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, followers: { type: 'string' } } });
  const n = Number(values.followers ?? (values.quick ? 1000 : 10_000));
  // This process holds n sockets too: re-run under a raised open-file limit.
  if (process.env.OSSD_BENCH_FOLLOW_CHILD !== '1') {
    const [file, args] = withOpenFiles(2 * n + 1000, process.execPath, process.argv.slice(1));
    const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, OSSD_BENCH_FOLLOW_CHILD: '1' } });
    process.exitCode = await new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
    return;
  }
  const t = await startOssd(undefined, [], { env: { OSSD_MAX_CONNECTIONS: String(2 * n + 200) }, openFiles: 2 * n + 1000 });
  try {
    console.log(`follow reads, ${n.toLocaleString('en')} followers; server pid ${t.server.pid}\n`);
    console.log('| case | server RSS before | after | growth | per follower | time to open them all |');
    console.log('|---|---|---|---|---|---|');
    await memoryCase(t, n);
    console.log('\n| followers | appends | p50 ms | p99 ms | max ms | server RSS while they wait |');
    console.log('|---|---|---|---|---|---|');
    await latencyCase(t, 1, 50, 'one');
    await latencyCase(t, 100, 30, 'hundred');
    await latencyCase(t, n, 5, 'many');
  } finally {
    await t.stop();
  }
}

runBenchMain(main);
