/**
 * A throw-away PostgreSQL whose data directory lies on the power-cut file system
 * (test/helpers/powercut-fs/powercut_fs.py: only what fsync, fdatasync and directory fsyncs
 * made durable survives an unmount), for the cluster power-cut test (issue 19). A power cut
 * of the machine PostgreSQL runs on is then: freeze every PostgreSQL process (SIGSTOP of the
 * postmaster, so it forks nothing more, then SIGKILL of it and all its children), unmount
 * (everything not made durable is gone, the kernel's caches of the mount with it), mount
 * again on what survived and start PostgreSQL on the same port: it runs crash recovery
 * from its WAL as after a real power cut.
 *
 * powercut_fs.py runs as the user PostgreSQL runs as (postgres, or nobody): a FUSE mount
 * is reachable only by the user who mounted it, and reports that user as the owner of
 * every file, which PostgreSQL checks for its data directory. The cluster is made by
 * initdb in the file system's durable tree before the first mount (a mount is a boot:
 * the tree is what it shows), so initdb does not run through FUSE.
 *
 * The database and its schema (`prepare`, e.g. ossd's migrations) are made there too, by a
 * PostgreSQL on the plain folder, stopped cleanly before the mount: powercut_fs keeps a new
 * file's name only once its directory is fsynced (the strict reading of POSIX), while
 * PostgreSQL 15 fsyncs a new relation file but not its directory (ext4 and XFS make the
 * name durable with the file). Checked here: on powercut_fs, CREATE DATABASE or CREATE
 * TABLE, then a CHECKPOINT, then a cut, and the database ("base/16384" is not a valid data
 * directory) or the table ("could not open file base/16384/16385") is gone. ossd makes no
 * table after its migrations, so only its rows and PostgreSQL's own WAL, data-file and
 * control-file writes go through the file system that forgets.
 *
 * PostgreSQL runs with wal_init_zero=off: a new WAL segment is not filled with 16 MiB of
 * zeros first (through this single-threaded Python file system that costs seconds), which
 * PostgreSQL's recovery does not need (each WAL page carries its own header and CRC).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { PG_DATABASE, PG_USER, type Postgres, postgresBinDir, psql, run, serverUser, traversableTmp, waitReady } from './postgres.js';
import { powerCutUnsupported } from './powercut-fs.js';

const SCRIPT = resolve(fileURLToPath(import.meta.url), '../../../../test/helpers/powercut-fs/powercut_fs.py');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const FUSERMOUNT = ['fusermount', 'fusermount3'].find((c) => spawnSync(c, ['-V']).error === undefined);

export interface PowerCutPostgres extends Postgres {
  /** The power cut: every PostgreSQL process frozen, then killed; nothing more reaches the disk. */
  cut(): Promise<void>;
  /** Boot after the cut: unmount (what was not durable is lost), mount, start PostgreSQL on the same port. */
  boot(): Promise<void>;
}

/** Why it cannot run here (no FUSE, no fusepy, not root), or undefined. */
export function powerCutPostgresUnsupported(): string | undefined {
  const fuse = powerCutUnsupported();
  if (fuse !== undefined) return fuse;
  // As root the server runs as another user, who then owns the mount; as that user it would need no switch.
  if (process.getuid?.() !== 0) return 'needs root: the FUSE mount and PostgreSQL run as the postgres (or nobody) user';
  return undefined;
}

/** Pids whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A signal to a process that may have exited meanwhile (a backend ending on its own). */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `prepare`: run against the database before the first mount (its schema), see above. */
export async function startPowerCutPostgres(prepare?: (url: string) => Promise<void>): Promise<PowerCutPostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  if (user === undefined) throw new Error(powerCutPostgresUnsupported());
  const dir = mkdtempSync(join(traversableTmp(), 'ossd-pgcut-'));
  const state = join(dir, 'state');
  const mnt = join(dir, 'mnt');
  mkdirSync(join(state, 'tree'), { recursive: true });
  mkdirSync(mnt);
  for (const d of [dir, state, join(state, 'tree'), mnt]) chownSync(d, user.uid, user.gid);
  // The file system runs as PostgreSQL's user, who may not traverse the checkout (a clone in a
  // mktemp -d folder is 0700): it runs from a copy in the traversable folder.
  const script = join(dir, 'powercut_fs.py');
  copyFileSync(SCRIPT, script);
  chmodSync(script, 0o644);
  let fs: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let fsLog = '';
  let output = '';
  const port = await freePort();
  const url = `postgres://${PG_USER}@127.0.0.1:${port}/${PG_DATABASE}`;

  const mount = async (): Promise<void> => {
    fsLog = '';
    const p = spawn(PYTHON, [script, state, mnt], { ...user, stdio: ['ignore', 'pipe', 'pipe'] });
    fs = p;
    p.stdout!.on('data', (d: Buffer) => (fsLog += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (fsLog += d.toString()));
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`powercut_fs did not mount within 15 s:\n${fsLog}`)), 15_000);
      p.stdout!.on('data', () => {
        if (!fsLog.includes('mounted')) return;
        clearTimeout(timer);
        ok();
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`powercut_fs exited with ${String(code)} before mounting:\n${fsLog}`));
      });
    });
  };

  /** Unmounts once the processes using the mount are gone; the durable state is written back as the tree. */
  const unmount = async (): Promise<void> => {
    const p = fs;
    fs = undefined;
    if (p === undefined) return;
    const exited = p.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()));
    for (let i = 0; ; i++) {
      if (spawnSync(FUSERMOUNT!, ['-u', mnt]).status === 0 || p.exitCode !== null) break;
      if (i >= 50) {
        spawnSync(FUSERMOUNT!, ['-u', '-z', mnt]);
        break;
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    if (p.exitCode !== 0) throw new Error(`powercut_fs exited with ${String(p.exitCode ?? p.signalCode)}:\n${fsLog}`);
  };

  const startServer = async (data = join(mnt, 'data')): Promise<void> => {
    output = '';
    const s = spawn(join(bin, 'postgres'), [
      '-D', data,
      '-p', String(port),
      '-k', '',
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'shared_buffers=16MB',
      '-c', 'max_connections=100',
      '-c', 'wal_init_zero=off',
    ], { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    server = s;
    s.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    s.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitReady(bin, port, dir, s, () => output);
  };

  /** Fast shutdown (a shutdown checkpoint): before the first mount only. */
  const stopServer = async (): Promise<void> => {
    const s = server!;
    server = undefined;
    const exited = new Promise<void>((r) => s.once('exit', () => r()));
    s.kill('SIGINT');
    await exited;
  };

  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s === undefined || s.exitCode !== null) return;
    const pm = s.pid!;
    process.kill(pm, 'SIGSTOP');
    const pids = [pm, ...childrenOf(pm)];
    // Every backend frozen before any dies: a killed backend's socket closes at once, and a
    // node still running would answer its request with PostgreSQL's failure (a 500) before
    // the test's kill reaches it (seen once). The kills come after the caller's same-tick
    // SIGKILLs of the nodes.
    for (const pid of pids) signal(pid, 'SIGSTOP');
    await new Promise((r) => setImmediate(r));
    for (const pid of pids) signal(pid, 'SIGKILL');
    // The postmaster is our child (reaped by node); its children were re-parented: poll until gone.
    await new Promise<void>((r) => (s.exitCode !== null || s.signalCode !== null ? r() : s.once('exit', () => r())));
    for (let i = 0; pids.some(alive) && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
  };

  const boot = async (): Promise<void> => {
    await unmount();
    await mount();
    await startServer();
  };

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killNow);
    await cut();
    await unmount().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that exits without stop() leaves neither a server nor a mount behind.
  const killNow = (): void => {
    server?.kill('SIGKILL');
    spawnSync(FUSERMOUNT!, ['-u', '-z', mnt]);
    fs?.kill('SIGKILL');
  };
  process.once('exit', killNow);

  try {
    const tree = join(state, 'tree', 'data');
    await run(join(bin, 'initdb'), ['-D', tree, '-U', PG_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], user);
    await startServer(tree);
    await psql(`postgres://${PG_USER}@127.0.0.1:${port}/postgres`, `CREATE DATABASE ${PG_DATABASE}`);
    await prepare?.(url);
    await stopServer();
    await mount();
    await startServer();
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, dir, log: () => `${output}\n[powercut_fs]\n${fsLog}`, stop, cut, boot };
}
