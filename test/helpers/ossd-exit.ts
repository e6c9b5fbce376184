/** Runs an `ossd` command that is expected to end by itself (a refused start, a CLI command) and reports how. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');

export interface Exit {
  /** Exit code; null when killed (after `limitMs`, or by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Whether it had to be killed because it was still running after `limitMs`. */
  timedOut: boolean;
}

/** `ossd <args>` with `env` added to this process's environment; killed (SIGKILL) if it runs longer than `limitMs`. */
export function runOssd(args: string[], env: Record<string, string | undefined>, limitMs: number): Promise<Exit> {
  const started = Date.now();
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const proc = spawn(process.execPath, [MAIN, ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, limitMs);
  return new Promise((done) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}
