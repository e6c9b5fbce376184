/**
 * Start-up problems a user must fix, found before the server touches anything and told in
 * one line naming the setting (exit code 2), instead of a stack trace or a hang:
 * a data folder that is missing its parent, not a folder, read-only, not writable, or on a
 * special file system (/proc, /sys…: writes there fail in odd ways or block); and the
 * listen errors (port taken, permission denied, an address this machine does not have).
 */
import { accessSync, constants, mkdirSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class StartupError extends Error {}

/** statfs(2) f_type of the pseudo file systems that cannot hold data (linux/magic.h). */
const SPECIAL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'], [0x62656570, 'configfs'], [0x65735543, 'fusectl'], [0x19800202, 'mqueue'], [0x6e736673, 'nsfs'],
]);

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** The data folder's problem in words, from an errno code. */
function folderProblem(code: string): string {
  if (code === 'EROFS') return 'is on a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'is not writable by this user (permission denied)';
  if (code === 'ENOSPC') return 'is on a full disk';
  return `cannot be used (${code})`;
}

/** Checks (and creates, when its parent exists) the data folder; throws StartupError. */
export function checkDataDir(dataDir: string): void {
  const folder = resolve(dataDir);
  let exists = true;
  try {
    if (!statSync(folder).isDirectory()) throw new StartupError(`data-dir: ${folder} is not a folder`);
  } catch (e) {
    if (e instanceof StartupError) throw e;
    if (errno(e) !== 'ENOENT') throw new StartupError(`data-dir: ${folder} ${folderProblem(errno(e))}`);
    exists = false;
  }
  const probe = exists ? folder : dirname(folder);
  let type: number;
  try {
    type = Number(statfsSync(probe).type);
  } catch (e) {
    if (errno(e) === 'ENOENT') throw new StartupError(`data-dir: the parent folder of ${folder} does not exist (ossd creates the data folder, not its parents)`);
    throw new StartupError(`data-dir: ${probe} ${folderProblem(errno(e))}`);
  }
  const special = SPECIAL_FILE_SYSTEMS.get(type);
  if (special !== undefined) throw new StartupError(`data-dir: ${folder} is on the special file system ${special}, which cannot hold data; choose a folder on a disk`);
  try {
    if (exists) accessSync(folder, constants.W_OK | constants.X_OK);
    else mkdirSync(folder);
  } catch (e) {
    throw new StartupError(`data-dir: ${exists ? folder : `cannot create ${folder}: ${dirname(folder)}`} ${folderProblem(errno(e))}`);
  }
}

/** A one-line explanation of an error from listening or from the data folder, or undefined for a bug. */
export function explainStartupFailure(e: unknown, address: string): string | undefined {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err.syscall === 'listen' || err.syscall === 'bind') {
    if (err.code === 'EADDRINUSE') return `address: ${address} is already in use by another process; stop it or choose another --address`;
    if (err.code === 'EACCES' || err.code === 'EPERM') return `address: permission denied to listen on ${address} (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
    if (err.code === 'EADDRNOTAVAIL') return `address: ${address} is not an address of this machine`;
    return `address: cannot listen on ${address} (${err.code ?? err.message})`;
  }
  // A metadata or blob store the configuration names that cannot be used (drivers/s3/blob-store.ts init()).
  if (err.code === 'OSSD_BACKEND_UNAVAILABLE') return err.message;
  if (err.syscall === 'getaddrinfo') return `address: the host of ${address} cannot be resolved`;
  if (typeof err.path === 'string' && (err.code === 'EROFS' || err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'ENOSPC')) {
    return `data-dir: ${err.path} ${folderProblem(err.code)}`;
  }
  // SQLite reports its own codes (better-sqlite3's SqliteError).
  if (err.code === 'SQLITE_READONLY' || err.code === 'SQLITE_CANTOPEN' || err.code === 'SQLITE_FULL') return `data-dir: the metadata database cannot be written (${err.code}): ${err.message}`;
  return undefined;
}
