/**
 * Local state that lets an interrupted command resume: `ossd append`'s start record and
 * `ossd cp`'s multipart checkpoints, one small JSON file each, named by a hash of what
 * they belong to. Folder: OSSD_STATE_DIR, else ~/.ossd/state.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv): string {
  return env.OSSD_STATE_DIR ?? join(env.HOME ?? homedir(), '.ossd', 'state');
}

/** The file for `kind` (append, cp) and the identity parts (endpoint, bucket, key, input). */
export function statePath(env: NodeJS.ProcessEnv, kind: string, parts: string[]): string {
  const id = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  return join(stateDir(env), `${kind}-${id}.json`);
}

export function readState<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined; // absent, or torn by a kill mid-write before the rename: start over
  }
}

/** Written whole then renamed, so a kill leaves the old or the new file, never half of one. */
export function writeState(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

export function removeState(path: string): void {
  rmSync(path, { force: true });
}
