/**
 * Promise wrappers over Node's callback fs API on plain descriptors. The FileHandle
 * API costs noticeably more per call (profiled: open/close of a FileHandle was a
 * quarter of a small GET's CPU), and blobs are opened and closed on every request.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

export const openFd = promisify(fs.open) as (path: string, flags: number | string, mode?: number) => Promise<number>;
export const closeFd = promisify(fs.close) as (fd: number) => Promise<void>;
export const fdatasyncFd = promisify(fs.fdatasync) as (fd: number) => Promise<void>;
export const fsyncFd = promisify(fs.fsync) as (fd: number) => Promise<void>;
export const ftruncateFd = promisify(fs.ftruncate) as (fd: number, len: number) => Promise<void>;

/**
 * After a writev wrote `n` bytes of `rest`: drops what was written from the front of the
 * list, so the next call continues where a short write stopped (a full disk reports
 * ENOSPC only on the next call).
 */
export function dropWritten(rest: Buffer[], n: number): void {
  while (rest.length > 0 && n >= rest[0]!.length) n -= rest.shift()!.length;
  if (n > 0) rest[0] = rest[0]!.subarray(n);
}

export function writevFd(fd: number, chunks: readonly Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, chunks as Buffer[], position, (e, n) => (e ? reject(e) : resolve(n))));
}

export function readFd(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** fsync of a directory, so entries created in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await openFd(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** fsyncDir on the event loop, for the rare entry that must be durable before going on. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Group commit for directory fsyncs: callers that arrive while one is running share the
 * next one (which starts after theirs were created), so N concurrent new blobs in one
 * folder cost about two fsyncs, not N.
 */
export class DirSyncer {
  private running = new Map<string, Promise<void>>();
  private queued = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const queued = this.queued.get(dir);
    if (queued) return queued;
    const running = this.running.get(dir);
    if (!running) return this.start(dir);
    const next = running.catch(() => undefined).then(() => {
      this.queued.delete(dir);
      return this.start(dir);
    });
    this.queued.set(dir, next);
    return next;
  }

  private start(dir: string): Promise<void> {
    const p = fsyncDir(dir).finally(() => {
      if (this.running.get(dir) === p) this.running.delete(dir);
    });
    this.running.set(dir, p);
    return p;
  }
}
