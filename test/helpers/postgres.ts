/**
 * A throw-away PostgreSQL cluster for tests (issue 19): `initdb` into a temp folder, then
 * the `postgres` server on a free loopback port, and everything removed again by `stop()`.
 * Debian's `postgresql` package provides the binaries (.ci/run installs it).
 *
 * initdb and postgres refuse to run as root, so as root both run as the `postgres` user
 * (or `nobody` when there is none), through spawn's uid/gid: the server is then a direct
 * child of the test process, in its process group, so the test runner's watchdog kills it
 * with the test file. (`pg_ctl start` would detach it with setsid and leave it running.)
 *
 * For developers: `node dist/test/helpers/postgres.js` starts one, prints its URL and
 * runs until Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The superuser initdb creates, and the database made for the tests. */
export const PG_USER = 'ossd';
export const PG_DATABASE = 'ossd';

export interface Postgres {
  /** `postgres://ossd@127.0.0.1:<port>/ossd` (trust authentication on loopback). */
  url: string;
  port: number;
  /** The cluster's folder (data directory, socket and log inside). */
  dir: string;
  /** The server's log so far (for failure messages). */
  log(): string;
  /** Stops the server (fast shutdown, SIGKILL after 10 s) and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/** Folder of the PostgreSQL binaries: OSSD_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
export function postgresBinDir(): string {
  const forced = process.env.OSSD_PG_BIN;
  if (forced) {
    if (existsSync(join(forced, 'initdb'))) return forced;
    throw new Error(`PostgreSQL not found: OSSD_PG_BIN=${forced} holds no initdb`);
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb'))) return bin;
  }
  throw new Error('PostgreSQL not found (apt-get install postgresql, or set OSSD_PG_BIN to the folder of initdb)');
}

/**
 * Why these tests cannot run here, or undefined. Outside CI they are skipped with this
 * reason (the test runner's summary shows it, as for Chromium); in CI (CI=true) they run
 * and fail, since .ci/run installs PostgreSQL (issue 18: the README's test command works on
 * a fresh machine).
 */
export function postgresSkip(): string | false {
  try {
    postgresBinDir();
    return false;
  } catch (e) {
    return process.env.CI === 'true' ? false : (e as Error).message;
  }
}

/** The uid/gid to run the server as: none when not root; else `postgres`, or `nobody`. */
export function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // no such user: try the next one
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists: initdb refuses to run as root');
}

/** The temp folder, or /tmp when the server's user could not reach into it (a TMPDIR under /root). */
export function traversableTmp(): string {
  const base = tmpdir();
  for (let d = base; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp';
    if (dirname(d) === d) return base;
  }
}


/** Runs a command to its end; rejects with its output when it fails. */
export function run(cmd: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<string> {
  return new Promise((done, fail) => {
    const proc = spawn(cmd, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', fail);
    proc.once('close', (code) => (code === 0 ? done(out) : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/**
 * Runs SQL through `psql` (no ~/.psqlrc, stop at the first error, unaligned tuples only):
 * what it printed, one row a line. Rejects with psql's message when a statement fails.
 */
export function psql(url: string, sql: string): Promise<string> {
  return run(join(postgresBinDir(), 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], undefined);
}

/** Runs a psql script file (its own BEGIN/COMMIT, meta-commands allowed), stopping at the first error. */
export function psqlFile(url: string, file: string): Promise<string> {
  return run(join(postgresBinDir(), 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], undefined);
}

export async function waitReady(bin: string, port: number, dir: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`postgres exited at start:\n${log()}`);
    try {
      await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', 'postgres'], undefined);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`postgres in ${dir} not ready after 60 s:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts a new, empty cluster with a database `ossd`. */
export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = mkdtempSync(join(user ? traversableTmp() : tmpdir(), 'ossd-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  let server: ChildProcess | undefined;
  let output = '';
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s && s.exitCode === null && s.signalCode === null) {
      const exited = new Promise<void>((r) => s.once('exit', () => r()));
      s.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
      const timer = setTimeout(() => s.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killNow);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that exits without stop() must not leave a server behind.
  const killNow = (): void => {
    server?.kill('SIGQUIT'); // immediate shutdown
  };
  process.once('exit', killNow);
  try {
    // --no-sync: a throw-away cluster need not survive a power cut of its own creation (saves seconds).
    await run(join(bin, 'initdb'), ['-D', data, '-U', PG_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], user);
    // A port can be taken between freePort() and the bind: then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      output = '';
      const s = spawn(join(bin, 'postgres'), [
        '-D', data,
        '-p', String(port),
        '-k', '', // no Unix socket (TCP only): nothing in /var/run/postgresql, no socket path length limit
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'shared_buffers=16MB',
        '-c', 'max_connections=100',
      ], { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      server = s;
      s.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      s.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      try {
        await waitReady(bin, port, dir, s, () => output);
      } catch (e) {
        if (attempt < 3 && /could not bind|Address already in use/.test(output)) continue;
        throw e;
      }
      const url = `postgres://${PG_USER}@127.0.0.1:${port}/${PG_DATABASE}`;
      await psql(`postgres://${PG_USER}@127.0.0.1:${port}/postgres`, `CREATE DATABASE ${PG_DATABASE}`);
      return { url, port, dir, log: () => output, stop };
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

// `node dist/test/helpers/postgres.js`: a cluster for a developer, until Ctrl-C.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pg = await startPostgres();
  process.stdout.write(`${pg.url}\n(folder ${pg.dir}; Ctrl-C stops and removes it)\n`);
  const end = (): void => void pg.stop().then(() => process.exit(0));
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
}
