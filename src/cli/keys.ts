/**
 * `ossd keys …` and `ossd sts issue`: access keys and temporary credentials, managed
 * directly in the data folder's meta.db (src/keys/key-store.ts), also while the server
 * runs; it sees every change at its next request. Secrets are printed once, when created.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type KeyInfo, type KeyStore, KeyStoreError, MAX_DURATION_S, SqliteKeyStore } from '../keys/key-store.js';
import type { KeyScope } from '../protocol/context.js';
import { validateBucketName } from '../protocol/names.js';
import { parseMetadata, redactUrl } from '../config-cluster.js';
import { PgDatabase } from '../drivers/postgres/db.js';
import { PgKeyStore } from '../drivers/postgres/key-store.js';
import { sharedMasterKey } from '../keys/master-key.js';
import { type Io, isDataFolder, isUsageError, parseDataDirCommand, rootCredentialsFile, UsageError } from './data-dir-command.js';

export const KEYS_USAGE = `usage:
  ossd keys create [--bucket NAME]... [--read-only] [--json]   new access key; prints its secret once
  ossd keys list [--json]                                      id, status, scope, created (never secrets)
  ossd keys disable|enable|delete ID                           refused at the server's next request
  ossd sts issue [--duration S] [--bucket NAME]... [--read-only] [--key ID]
                                                               temporary credentials (JSON, as STS AssumeRole)
  every command: --data-dir DIR (or OSSD_DATA_DIR; default ./data), an existing data folder
                 (--init: make a new data folder there if it is none)
  --duration: 1 to ${MAX_DURATION_S} seconds (default 3600); --key: issue under that key, within its limits
`;

function describeScope(scope: KeyScope): string {
  const access = scope.readOnly ? 'read-only' : 'read-write';
  return scope.buckets === undefined ? `${access}, all buckets` : `${access}, buckets ${scope.buckets.join(',')}`;
}

/** The root key id, when known (environment, or the file the server generates); never its secret. */
function rootKeyId(dataDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.OSSD_ROOT_ACCESS_KEY_ID) return env.OSSD_ROOT_ACCESS_KEY_ID;
  return rootCredentialsFile(dataDir)?.accessKeyId;
}

function bucketsOf(values: unknown): string[] | undefined {
  const names = ((values as string[] | undefined) ?? []).flatMap((v) => v.split(',')).map((b) => b.trim()).filter(Boolean);
  for (const b of names) {
    try {
      validateBucketName(b);
    } catch {
      throw new UsageError(`invalid bucket name ${JSON.stringify(b)}`);
    }
  }
  return names.length > 0 ? names : undefined;
}

async function listKeys(store: KeyStore, rootId: string | undefined, json: boolean, io: Io): Promise<void> {
  const keys = await store.listKeys();
  if (json) {
    const rows = keys.map((k: KeyInfo) => ({
      AccessKeyId: k.id, Status: k.enabled ? 'Enabled' : 'Disabled', Buckets: k.scope.buckets ?? null,
      ReadOnly: k.scope.readOnly, CreateDate: new Date(k.createdMs).toISOString(),
    }));
    io.out(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const lines: string[][] = [['ACCESS KEY ID', 'STATUS', 'SCOPE', 'CREATED']];
  if (rootId !== undefined) lines.push([rootId, 'enabled', 'root: full access, admin endpoint', '-']);
  for (const k of keys) {
    lines.push([k.id, k.enabled ? 'enabled' : 'disabled', describeScope(k.scope), new Date(k.createdMs).toISOString().replace(/\.\d{3}Z$/, 'Z')]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  io.out(lines.map((l) => l.map((c, i) => (i < l.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n') + '\n');
}

async function keysCommand(store: KeyStore, rootId: string | undefined, sub: string, v: Record<string, unknown>, ids: string[], io: Io): Promise<number> {
  const json = v.json === true;
  if (sub === 'create') {
    if (ids.length > 0) throw new UsageError('keys create takes no arguments');
    const key = await store.createKey({ buckets: bucketsOf(v.bucket), readOnly: v['read-only'] === true });
    if (json) {
      io.out(JSON.stringify({ AccessKeyId: key.id, AccessKeySecret: key.secret, Buckets: key.scope.buckets ?? null, ReadOnly: key.scope.readOnly }) + '\n');
    } else {
      io.out([
        `access key id:     ${key.id}`,
        `access key secret: ${key.secret}`,
        `scope:             ${describeScope(key.scope)}`,
        'The secret is shown only now: ossd keeps it encrypted and cannot display it again.',
        '',
      ].join('\n'));
    }
    return 0;
  }
  if (sub === 'list') {
    await listKeys(store, rootId, json, io);
    return 0;
  }
  if (sub !== 'disable' && sub !== 'enable' && sub !== 'delete') throw new UsageError(`unknown command: keys ${sub}`);
  if (ids.length !== 1) throw new UsageError(`keys ${sub} takes one access key id`);
  const id = ids[0]!;
  if (id === rootId) {
    io.err(`ossd: ${id} is the root key: it comes from the configuration and cannot be ${sub}d here\n`);
    return 1;
  }
  const found = sub === 'delete' ? await store.deleteKey(id) : await store.setEnabled(id, sub === 'enable');
  if (!found) {
    io.err(`ossd: no access key ${id}\n`);
    return 1;
  }
  io.out(`${sub}d ${id}\n`);
  return 0;
}

async function stsCommand(store: KeyStore, sub: string, v: Record<string, unknown>, rest: string[], io: Io): Promise<number> {
  if (sub !== 'issue' || rest.length > 0) throw new UsageError(`unknown command: sts ${[sub, ...rest].join(' ')}`);
  const duration = typeof v.duration === 'string' ? v.duration : '3600';
  if (!/^\d{1,6}$/.test(duration)) throw new UsageError(`--duration must be 1 to ${MAX_DURATION_S} seconds`);
  const credentials = await store.issueTemporary({
    durationS: Number(duration),
    buckets: bucketsOf(v.bucket),
    readOnly: v['read-only'] === true,
    parent: typeof v.key === 'string' ? v.key : undefined,
  });
  io.out(JSON.stringify(credentials, null, 2) + '\n');
  return 0;
}

/**
 * The cluster's key store when OSSD_METADATA names PostgreSQL (with the shared master key of
 * OSSD_MASTER_KEY or OSSD_MASTER_KEY_FILE), else undefined: the data folder's.
 */
async function clusterKeyStore(env: NodeJS.ProcessEnv): Promise<KeyStore | undefined> {
  const metadata = parseMetadata(env.OSSD_METADATA, (m) => {
    throw new UsageError(m);
  });
  if (metadata.kind !== 'postgres') return undefined;
  const master = sharedMasterKey(env.OSSD_MASTER_KEY, env.OSSD_MASTER_KEY_FILE || undefined);
  if (!master) throw new KeyStoreError('with OSSD_METADATA=postgres://… set OSSD_MASTER_KEY (or OSSD_MASTER_KEY_FILE), the key every node shares');
  const db = new PgDatabase(metadata.url, 2);
  try {
    // The tables exist before the first node started (migrations run under their advisory lock).
    await db.migrate();
  } catch (e) {
    await db.close();
    throw new KeyStoreError(`PostgreSQL at ${redactUrl(metadata.url)}: ${(e as Error).message}`);
  }
  return new PgKeyStore(db, master, true);
}

/** Runs `keys …` / `sts …` (argv starts with `keys` or `sts`); returns the exit code. */
export async function runKeysCommand(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  try {
    const { values, positionals, dataDir } = parseDataDirCommand(argv, env, {
      bucket: { type: 'string', multiple: true },
      'read-only': { type: 'boolean' },
      json: { type: 'boolean' },
      duration: { type: 'string' },
      key: { type: 'string' },
      init: { type: 'boolean' },
    });
    const [group, sub, ...rest] = positionals;
    if (sub === undefined) throw new UsageError(`${group} needs a command`);
    const cluster = await clusterKeyStore(env);
    if (cluster) {
      try {
        return await (group === 'sts' ? stsCommand(cluster, sub, values, rest, io) : keysCommand(cluster, env.OSSD_ROOT_ACCESS_KEY_ID, sub, values, rest, io));
      } finally {
        await cluster.close();
      }
    }
    // A mistyped --data-dir, or a command run from the wrong folder, would otherwise make a new,
    // empty data folder holding the key, which the server never reads. meta.db marks a data folder.
    if (values.init === true) mkdirSync(dataDir, { recursive: true });
    else if (!isDataFolder(dataDir)) {
      const what = existsSync(dataDir) ? `${dataDir} is not an ossd data folder (it has no meta.db)` : `there is no data folder ${dataDir}`;
      io.err(`ossd: ${what}: pass the server's --data-dir (or OSSD_DATA_DIR), or add --init to make a new one\n`);
      return 1;
    }
    const store: KeyStore = new SqliteKeyStore(dataDir);
    try {
      return await (group === 'sts' ? stsCommand(store, sub, values, rest, io) : keysCommand(store, rootKeyId(dataDir, env), sub, values, rest, io));
    } finally {
      await store.close();
    }
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`ossd: ${e.message}\n\n${KEYS_USAGE}`);
      return 2;
    }
    if (e instanceof KeyStoreError) {
      io.err(`ossd: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
