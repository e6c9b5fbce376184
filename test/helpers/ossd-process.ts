/** Starts the real ossd process for integration tests and stops or kills it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

const MAIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');

export const TEST_KEY_ID = 'LTAItestAccessKeyId0001';
export const TEST_KEY_SECRET = 'testAccessKeySecretForOssdTests01';

export interface Ossd {
  endpoint: string;
  /** The address it listens on (127.0.0.1 unless OSSD_ADDRESS named another, e.g. a cluster node on 127.0.0.3). */
  host: string;
  port: number;
  dataDir: string;
  /** What an `ossd` CLI run against this server needs besides OSSD_DATA_DIR (a cluster node: its metadata URL and master key). */
  cliEnv?: Record<string, string>;
  accessKeyId: string;
  accessKeySecret: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
  /** Working directory of the server process (default: the test's). */
  cwd?: string;
}

export async function startOssd(opts: StartOptions = {}): Promise<Ossd> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ossd-test-'));
  const proc = spawn(process.execPath, [MAIN, 'serve', ...(opts.args ?? [])], {
    env: {
      ...process.env,
      OSSD_ADDRESS: `127.0.0.1:${opts.port ?? 0}`,
      OSSD_DATA_DIR: dataDir,
      OSSD_ROOT_ACCESS_KEY_ID: TEST_KEY_ID,
      OSSD_ROOT_ACCESS_KEY_SECRET: TEST_KEY_SECRET,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const endpoint = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`ossd did not start:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /endpoint:\s+(https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ossd exited with ${code}:\n${out}`));
    });
  });
  const port = Number(new URL(endpoint).port);
  return {
    endpoint,
    host: new URL(endpoint).hostname,
    port,
    dataDir,
    accessKeyId: TEST_KEY_ID,
    accessKeySecret: TEST_KEY_SECRET,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * One ossd for the whole test file: started before its first test (then `setup` runs),
 * stopped and removed after its last. The returned object stands for that process (usable inside tests).
 */
export function useOssd(opts: StartOptions = {}, setup?: (ossd: Ossd) => Promise<void>): Ossd {
  let current: Ossd | undefined;
  before(async () => {
    current = await startOssd(opts);
    // In the same hook: a second top-level hook of node:test is not sure to run after this one.
    await setup?.(current);
  });
  after(async () => {
    await current?.stop();
    current?.cleanup();
  });
  return new Proxy({} as Ossd, {
    get(_, prop) {
      if (!current) throw new Error('ossd is not started yet: use it inside tests or hooks');
      return current[prop as keyof Ossd];
    },
  });
}
