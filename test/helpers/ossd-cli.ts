/**
 * `ossd <client command>` as a real child process (node bin/ossd.cjs ...), configured
 * like a user would: OSS_ENDPOINT and the OSS_ACCESS_KEY_* variables, with HOME and the
 * state folder in a temporary directory of the test's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ossd } from './ossd-process.js';

export const OSSD_BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions {
  /** Bytes for stdin (stdin is closed after them; empty when absent). */
  input?: Buffer | string;
  /** Extra or overriding environment variables; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Endpoint instead of the server's own (e.g. a proxy in front of it). */
  endpoint?: string;
}

/** A HOME for one test file: the CLI's state folder (~/.ossd/state) lives there. */
export function cliHome(): string {
  return mkdtempSync(join(tmpdir(), 'ossd-cli-home-'));
}

export function cliEnv(ossd: Ossd, home: string, opts: CliOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    OSS_ENDPOINT: opts.endpoint ?? ossd.endpoint,
    OSS_ACCESS_KEY_ID: ossd.accessKeyId,
    OSS_ACCESS_KEY_SECRET: ossd.accessKeySecret,
  };
  for (const name of ['OSS_SESSION_TOKEN', 'OSS_REGION', 'OSSD_PROFILE', 'OSSD_CREDENTIALS_FILE', 'OSSD_STATE_DIR', 'OSSD_PATH_STYLE']) delete env[name];
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Starts `ossd args...` with piped stdio (the caller feeds stdin and reads the output). */
export function spawnCli(ossd: Ossd, home: string, args: string[], opts: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [OSSD_BIN, ...args], { env: cliEnv(ossd, home, opts), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Waits for a started CLI to exit, collecting its output. */
export function collect(child: ChildProcess): Promise<CliRun> {
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((done) => {
    child.once('close', (code, signal) => done({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** Runs `ossd args...` to the end. */
export function runCli(ossd: Ossd, home: string, args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const child = spawnCli(ossd, home, args, opts);
  const result = collect(child);
  child.stdin!.on('error', () => undefined); // a command that never reads stdin may exit first
  child.stdin!.end(opts.input ?? '');
  return result;
}

/** Runs `ossd args...` and fails with its stderr unless it exits 0. */
export async function runCliOk(ossd: Ossd, home: string, args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const r = await runCli(ossd, home, args, opts);
  if (r.code !== 0) throw new Error(`ossd ${args.join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr}`);
  return r;
}
