/**
 * One server per data folder. Two servers on one folder destroy data: the second one's
 * recovery removes or trims the blobs the first is still writing. So `ossd serve` takes
 * an exclusive flock(2) on `<data>/ossd.lock` before anything reads or changes the folder,
 * and holds it for its whole life; the kernel drops the lock when the process dies, however
 * it dies (kill -9 included), so a stale lock cannot block the next start.
 *
 * The file holds the holder's PID, written after the lock is taken, so that a refused
 * start can name it. The file is never removed: unlinking it while another process opens
 * it would let two processes lock two different files.
 *
 * `ossd keys` and `ossd sts` do not take the lock: they only use meta.db's key tables
 * (SQLite arbitrates) and never run recovery, so they work while the server runs.
 */
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { flockSync } from 'fs-ext';

export const LOCK_FILE = 'ossd.lock';

/** The data folder cannot be locked: start-up must stop (the message says why). */
export class DataDirLockError extends Error {}

/** Another process holds the data folder. */
export class DataDirInUseError extends DataDirLockError {}

export interface DataDirLock {
  file: string;
  /** Drops the lock (tidiness only: exiting drops it too). */
  release(): void;
}

/** The PID the holder wrote; it writes right after locking, so an empty file is retried briefly. */
function holderPid(file: string): string | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      // Unreadable (permissions): the message goes without the PID.
      return undefined;
    }
    if (/^\d+$/.test(text)) return text;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return undefined;
}

/** Takes the data folder's lock, or throws DataDirInUseError naming the folder and the holder's PID (DataDirLockError if it cannot). */
export function lockDataDir(dataDir: string): DataDirLock {
  const folder = resolve(dataDir);
  const file = join(folder, LOCK_FILE);
  let fd: number;
  try {
    mkdirSync(folder, { recursive: true });
    // No O_TRUNC: the PID in the file belongs to the holder until we hold the lock ourselves.
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (e) {
    throw new DataDirLockError(`cannot open the data folder's lock file ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    flockSync(fd, 'exnb');
  } catch (e) {
    closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
      // Fail closed: without the lock nothing stops a second server.
      throw new DataDirLockError(`cannot lock the data folder ${folder} (flock on ${file}): ${(e as Error).message}`, { cause: e });
    }
    const pid = holderPid(file);
    throw new DataDirInUseError(
      `the data folder ${folder} is in use (locked by ${pid === undefined ? 'another process' : `process ${pid}`}, see ${file}): ` +
        'only one ossd may serve a data folder. Stop that server first, or choose another --data-dir.',
    );
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  return {
    file,
    release: () => {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}
