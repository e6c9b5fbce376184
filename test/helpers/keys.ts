/** `ossd keys` / `ossd sts` as child processes, and ali-oss clients for the keys they make. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OssClient } from './clients.js';
import type { Ossd } from './ossd-process.js';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (opts: Record<string, unknown>) => OssClient;
const MAIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `ossd <args>` on the server's data folder, with the server's root key id in the environment. */
export function cli(ossd: Ossd, args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...ossd.cliEnv, OSSD_DATA_DIR: ossd.dataDir, OSSD_ROOT_ACCESS_KEY_ID: ossd.accessKeyId };
    delete env.OSSD_ROOT_ACCESS_KEY_SECRET;
    execFile(process.execPath, [MAIN, ...args], { env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

/** Runs `ossd <args>` and fails, showing its stderr, unless it exits 0. */
export async function cliOk(ossd: Ossd, args: string[]): Promise<CliResult> {
  const r = await cli(ossd, args);
  if (r.code !== 0) throw new Error(`ossd ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
  return r;
}

export interface Creds { id: string; secret: string; token?: string }

export async function createKey(ossd: Ossd, flags: string[] = []): Promise<Creds> {
  const r = await cli(ossd, ['keys', 'create', '--json', ...flags]);
  if (r.code !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { AccessKeyId: string; AccessKeySecret: string };
  return { id: j.AccessKeyId, secret: j.AccessKeySecret };
}

export interface StsJson { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string }

export function stsCreds(j: StsJson): Creds {
  return { id: j.AccessKeyId, secret: j.AccessKeySecret, token: j.SecurityToken };
}

export async function issueSts(ossd: Ossd, flags: string[] = []): Promise<StsJson> {
  const r = await cli(ossd, ['sts', 'issue', ...flags]);
  if (r.code !== 0) throw new Error(`sts issue failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StsJson;
}

export type KeyMode = { mode: 'ip' | 'sld'; v4: boolean; label: string };

/** The modes the brief asks for: path style on localhost and the IP endpoint, V1 and V4. */
export const KEY_MODES: readonly KeyMode[] = [
  { mode: 'sld', v4: false, label: 'sld V1' },
  { mode: 'sld', v4: true, label: 'sld V4' },
  { mode: 'ip', v4: false, label: 'ip V1' },
  { mode: 'ip', v4: true, label: 'ip V4' },
];

export function keyClient(ossd: Ossd, m: Pick<KeyMode, 'mode' | 'v4'>, c: Creds, bucket?: string): OssClient {
  return new OSS({
    accessKeyId: c.id,
    accessKeySecret: c.secret,
    // With no refresh interval ali-oss warns on every client; nothing refreshes here.
    ...(c.token === undefined ? {} : { stsToken: c.token, refreshSTSTokenInterval: 3_600_000 }),
    region: 'oss-cn-hangzhou',
    bucket,
    authorizationV4: m.v4,
    timeout: 30_000,
    endpoint: m.mode === 'sld' ? `http://localhost:${ossd.port}` : `http://127.0.0.1:${ossd.port}`,
    sldEnable: m.mode === 'sld',
  });
}

/** Every file under dir (recursively) whose bytes contain needle. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    try {
      if (statSync(p).isDirectory()) hits.push(...filesContaining(p, needle));
      else if (readFileSync(p).includes(Buffer.from(needle, 'utf8'))) hits.push(p);
    } catch (e) {
      // The running server may remove a temporary file meanwhile.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return hits;
}
