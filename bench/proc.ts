/**
 * Child processes of the bench: every target server runs as its own process, started
 * here, tracked, and killed at the end even on error. Also /proc readers for the
 * server-side CPU time and peak RSS.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerProc {
  name: string;
  pid: number;
  port: number;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  args: string[];
  env?: Record<string, string>;
  port: number;
  /** The address it listens on (default 127.0.0.1; cluster nodes use 127.0.0.2–4). */
  host?: string;
  /** Stdout/stderr pattern that means ready; when absent, ready = TCP port accepts. */
  ready?: RegExp;
  timeoutMs?: number;
  /** Raise the child's open-file limit to this (through `bash -c 'ulimit -n'`; capped at the hard limit). */
  openFiles?: number;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ossd-bench-${tag}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Kills every child still alive and deletes every temp folder (sync: also runs on 'exit'). */
export function killAll(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * Runs a bench entry point: every server and temp folder it made is removed however it
 * ends (normal exit, Ctrl-C, SIGTERM, a thrown error).
 */
export function runBenchMain(main: () => Promise<void>): void {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  main().catch((err: unknown) => {
    console.error(err);
    killAll();
    process.exitCode = 1;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tcpReady(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The command and arguments that run `file args` with the open-file limit raised to `n`
 * (soft limit; when the hard one is lower, to the hard one). `exec` keeps the pid.
 */
export function withOpenFiles(n: number | undefined, file: string, args: string[]): [string, string[]] {
  if (n === undefined) return [file, args];
  const script = `ulimit -n ${n} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return ['bash', ['-c', script, file, ...args]];
}

export async function spawnServer(o: SpawnOptions): Promise<ServerProc> {
  const proc = spawn(...withOpenFiles(o.openFiles, process.execPath, o.args), {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 64 * 1024) out = out.slice(-32 * 1024); // bounded: some servers log per request
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let stopping = false;
  // A server that dies mid-run would otherwise show only as a client's "socket hang up".
  proc.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`\n${o.name} (pid ${proc.pid}) exited unexpectedly (code ${code}, signal ${signal}); its last output:\n${out.slice(-4000)}\n`);
  });
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${o.name} exited during start:\n${out}`);
    if (Date.now() > deadline) {
      stopping = true;
      proc.kill('SIGKILL');
      throw new Error(`${o.name} did not start in time:\n${out}`);
    }
    if (o.ready ? o.ready.test(out) && (await tcpReady(o.port, o.host)) : await tcpReady(o.port, o.host)) break;
    await sleep(50);
  }
  return {
    name: o.name,
    pid: proc.pid!,
    port: o.port,
    proc,
    output: () => out,
    stop: async () => {
      stopping = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      live.delete(proc);
    },
  };
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process in milliseconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  return cpuMsOf(`/proc/${pid}/stat`);
}

function cpuMsOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/** CPU of each thread by thread id, with the thread's name. */
export type ThreadCpu = Map<number, { name: string; ms: number }>;

/** utime + stime of each thread of a process in milliseconds (/proc/<pid>/task/<tid>/stat and comm). */
export function threadCpuMs(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, ms: cpuMsOf(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU per op from `before` to `after` (threadCpuMs): the event loop (the thread whose id is
 * the pid), each named thread (ossd's MD5 worker `ossd-md5`; V8's profiler thread under
 * --cpu-prof), and the threads still called "node" (the libuv pool, V8's platform
 * threads) together. Threads that started in between count from zero.
 */
export function cpuByThread(before: ThreadCpu, after: ThreadCpu, pid: number, ops: number): Array<[string, number]> {
  const rows = new Map<string, number>();
  for (const [tid, t] of after) {
    const label = tid === pid ? 'event loop' : t.name === 'node' ? 'other threads (libuv pool, V8)' : t.name;
    rows.set(label, (rows.get(label) ?? 0) + (t.ms - (before.get(tid)?.ms ?? 0)) / ops);
  }
  return [...rows].sort((a, b) => b[1] - a[1]);
}

function statusKb(pid: number, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export const rssMB = (pid: number): number => statusKb(pid, 'VmRSS') / 1024;
export const peakRssMB = (pid: number): number => statusKb(pid, 'VmHWM') / 1024;

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, `echo 5 > clear_refs`); false when refused. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
