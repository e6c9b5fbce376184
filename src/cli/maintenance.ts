/**
 * `ossd check`, `ossd backup`, `ossd restore` and `ossd du`: the operator's tools for a
 * data folder (docs/operations-guide.md).
 *
 * check and backup run offline when no server holds the folder: they take its lock, open
 * the store (start-up recovery included, as a server start would) and work on it. When a
 * server holds it, they ask that server through its root-only admin endpoint
 * (`--endpoint`, or OSSD_ADDRESS, default 127.0.0.1:9000; root keys from the environment
 * or DIR/root-credentials.json), so they run online beside live traffic.
 * du reads the metadata only, which SQLite lets it do while the server runs.
 * restore builds a new data folder from a backup, marks it for a full sweep, and verifies
 * it with check.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openBlobs } from '../drivers/open-blobs.js';
import { openMetadata } from '../drivers/open-metadata.js';
import { parseBlobs } from '../config-cluster.js';
import { usageSync } from '../drivers/sqlite/snapshot.js';
import { markEveryBlobUnsettled } from '../drivers/sqlite/unsettled-store.js';
import { backupStore } from '../engine/backup.js';
import { type CheckReport, checkStore } from '../engine/check.js';
import { Engine } from '../engine/engine.js';
import { v1Signature, v1StringToSign } from '../protocol/auth/v1.js';
import { type Io, isDataFolder, isUsageError, parseDataDirCommand, rootCredentialsFile, UsageError } from './data-dir-command.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

export const MAINTENANCE_USAGE = `usage:
  ossd check [--repair] [--rate BYTES_PER_S] [--json]   verify every object's bytes (CRC-64, MD5), blobs and orphans
  ossd backup DIR [--link]                              consistent snapshot into a new folder DIR, while ossd runs or not
                                                        (--link: hard-link blob files: fast, but shares their bytes with the live store)
  ossd restore BACKUP                                   a new data folder (--data-dir, must be new or empty) from a backup, verified
  ossd du [BUCKET] [--json]                             objects, bytes and versions per bucket, from metadata
  every command: --data-dir DIR (or OSSD_DATA_DIR; default ./data); online: --endpoint URL (default http://OSSD_ADDRESS)
exit codes: 0 done and clean; 1 damage or orphans found (check, restore), or the command failed; 2 usage
`;

/**
 * Opens the store like a server start does (recovery included); the caller holds the lock.
 * The data folder's metadata: these commands are refused when the environment names another
 * metadata store (cli/main.ts refuseOtherBackends).
 */
async function openStore(dataDir: string, env: NodeJS.ProcessEnv): Promise<Engine> {
  const blobs = await openBlobs(parseBlobs(env.OSSD_BLOBS, env, (message) => {
    throw new UsageError(message);
  }), dataDir);
  const { meta, keys } = await openMetadata({ metadata: { kind: 'sqlite' }, dataDir, nodeId: 'local' });
  await keys.close();
  const engine = new Engine(meta, blobs, () => undefined);
  await engine.recover();
  return engine;
}

function rootKeys(dataDir: string, env: NodeJS.ProcessEnv): { id: string; secret: string } {
  if (env.OSSD_ROOT_ACCESS_KEY_ID && env.OSSD_ROOT_ACCESS_KEY_SECRET) return { id: env.OSSD_ROOT_ACCESS_KEY_ID, secret: env.OSSD_ROOT_ACCESS_KEY_SECRET };
  const c = rootCredentialsFile(dataDir);
  if (!c) throw new Error('the server holds the data folder; to ask it, set OSSD_ROOT_ACCESS_KEY_ID and OSSD_ROOT_ACCESS_KEY_SECRET (no root-credentials.json here)');
  return { id: c.accessKeyId!, secret: c.accessKeySecret! };
}

/** POST /-/admin/<route> to the server holding the folder, signed with the root key (V1). */
async function askServer(route: string, query: string, dataDir: string, endpoint: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const { id, secret } = rootKeys(dataDir, env);
  const date = new Date().toUTCString();
  const signature = v1Signature(secret, v1StringToSign('POST', { date }, date, { bucket: '-', key: `admin/${route}` }, []));
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/-/admin/${route}${query}`, { method: 'POST', headers: { date, authorization: `OSS ${id}:${signature}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the server answered ${res.status}: ${text.trim()}`);
  return JSON.parse(text);
}

/** Runs `work` offline under the folder's lock, or `online` when a server holds it. */
async function offlineOrOnline<T>(dataDir: string, env: NodeJS.ProcessEnv, work: (engine: Engine) => Promise<T>, online: () => Promise<T>): Promise<{ result: T; online: boolean }> {
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (e) {
    if (e instanceof DataDirInUseError) return { result: await online(), online: true };
    throw e;
  }
  try {
    const engine = await openStore(dataDir, env);
    try {
      return { result: await work(engine), online: false };
    } finally {
      await engine.close();
    }
  } finally {
    lock.release();
  }
}

function printCheck(r: CheckReport, io: Io, json: boolean, online: boolean): number {
  if (json) io.out(JSON.stringify(r, null, 2) + '\n');
  else {
    io.out(`checked ${r.versions} object versions (${r.bytes} bytes) in ${r.buckets} buckets, ${online ? 'online' : 'offline'}, in ${(r.ms / 1000).toFixed(1)} s\n`);
    for (const d of r.damaged) io.out(`DAMAGED ${d.bucket}/${d.key} (version ${d.versionId}): ${d.problem}: ${d.detail}${d.quarantined ? `; quarantined in ${d.quarantined}` : ''}\n`);
    for (const o of r.orphans) io.out(`ORPHAN blob ${o}${r.removedOrphans > 0 ? ' (removed)' : ''}\n`);
    io.out(r.damaged.length + r.orphans.length === 0 ? 'no damage found\n' : `${r.damaged.length} damaged versions, ${r.orphans.length} orphan blobs\n`);
  }
  const orphansLeft = r.orphans.length - r.removedOrphans;
  return r.damaged.length > 0 || orphansLeft > 0 ? 1 : 0;
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyTree(src, join(to, name));
    else copyFileSync(src, join(to, name));
  }
}

export async function runMaintenanceCommand(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  try {
    const parsed = parseDataDirCommand(argv, env, {
      endpoint: { type: 'string' }, repair: { type: 'boolean' }, rate: { type: 'string' }, json: { type: 'boolean' }, link: { type: 'boolean' },
    });
    const { values, positionals } = parsed;
    const [command, arg, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`${command}: too many arguments`);
    const dataDir = resolve(parsed.dataDir);
    const endpoint = values.endpoint ?? `http://${env.OSSD_ADDRESS || '127.0.0.1:9000'}`;
    const json = values.json === true;
    if (command === 'restore') {
      if (arg === undefined) throw new UsageError('restore needs the backup folder');
      const backup = resolve(arg);
      if (!existsSync(join(backup, 'meta.db'))) throw new UsageError(`${backup} is not an ossd backup (no meta.db)`);
      if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new UsageError(`${dataDir} is not empty: restore makes a new data folder`);
      copyTree(backup, dataDir);
      // Blobs written after the snapshot, bytes beyond its lengths: the first start sweeps them.
      const db = new Database(join(dataDir, 'meta.db'));
      try {
        markEveryBlobUnsettled(db);
      } finally {
        db.close();
      }
      io.out(`restored ${backup} into ${dataDir}; verifying\n`);
      const { result } = await offlineOrOnline(dataDir, env, (engine) => checkStore(engine), () => Promise.reject(new Error('the new data folder is in use')));
      return printCheck(result, io, json, false);
    }
    if (!isDataFolder(dataDir)) {
      io.err(`ossd ${command}: ${dataDir} is not an ossd data folder (no meta.db); pass the server's --data-dir\n`);
      return 1;
    }
    if (command === 'check') {
      const rate = values.rate;
      if (rate !== undefined && !/^\d{1,15}$/.test(rate)) throw new UsageError('--rate must be a whole number of bytes per second');
      const quarantineDir = join(dataDir, 'quarantine', new Date().toISOString().replace(/[:.]/g, '-'));
      const query = [values.repair ? 'repair' : '', rate ? `rate=${rate}` : ''].filter(Boolean).join('&');
      const { result, online } = await offlineOrOnline(
        dataDir,
        env,
        (engine) => checkStore(engine, { repair: values.repair === true, quarantineDir, bytesPerSecond: rate ? Number(rate) : undefined }),
        async () => (await askServer('check', query ? `?${query}` : '', dataDir, endpoint, env)) as CheckReport,
      );
      return printCheck(result, io, json, online);
    }
    if (command === 'backup') {
      if (arg === undefined) throw new UsageError('backup needs a folder');
      const dir = resolve(arg);
      if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`${dir} is not empty: a backup goes into a new or empty folder`);
      const { result, online } = await offlineOrOnline(
        dataDir,
        env,
        async (engine) => {
          const r = await backupStore(engine, dir, values.link === true);
          if (existsSync(join(dataDir, 'root-credentials.json'))) copyFileSync(join(dataDir, 'root-credentials.json'), join(dir, 'root-credentials.json'));
          return r;
        },
        async () => (await askServer('backup', `?dir=${encodeURIComponent(dir)}${values.link ? '&link' : ''}`, dataDir, endpoint, env)) as Awaited<ReturnType<typeof backupStore>>,
      );
      io.out(`backed up ${dataDir} into ${dir} ${online ? 'online' : 'offline'} in ${(result.ms / 1000).toFixed(1)} s: ${result.linked} blobs linked, ${result.copied} copied\n`);
      return 0;
    }
    if (command === 'du') {
      const db = new Database(join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        const rows = usageSync(db).filter((u) => arg === undefined || u.bucket === arg);
        if (arg !== undefined && rows.length === 0) throw new UsageError(`no bucket ${arg}`);
        if (json) io.out(JSON.stringify(rows, null, 2) + '\n');
        else {
          io.out(['BUCKET', 'OBJECTS', 'BYTES', 'NONCURRENT VERSIONS', 'NONCURRENT BYTES'].join('\t') + '\n');
          for (const u of rows) io.out([u.bucket, u.objects, u.bytes, u.noncurrentVersions, u.noncurrentBytes].join('\t') + '\n');
        }
      } finally {
        db.close();
      }
      return 0;
    }
    throw new UsageError(`unknown command ${command}`);
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`ossd: ${e.message}\n\n${MAINTENANCE_USAGE}`);
      return 2;
    }
    io.err(`ossd: ${(e as Error).message}\n`);
    return 1;
  }
}
