/**
 * Mounts test/helpers/powercut-fs/powercut_fs.py (a FUSE file system that keeps only what
 * fsync, fdatasync and directory fsyncs made durable; its header says exactly what) and
 * cuts the power under a real ossd: SIGKILL the server, unmount (everything not durable
 * is dropped, the kernel's caches of the mount with it), mount again on what survived.
 *
 * Needs /dev/fuse, python3 with fusepy (Debian: python3-fusepy, libfuse2) and fusermount
 * (fuse3). powerCutUnsupported() says what is missing, so a test can skip with the reason.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ossd } from './ossd-process.js';

const SCRIPT = resolve(fileURLToPath(import.meta.url), '../../../../test/helpers/powercut-fs/powercut_fs.py');
/** Debian's python3-fusepy is in the system python's path, not in a pyenv or venv one. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const FUSERMOUNT = ['fusermount', 'fusermount3'].find((c) => spawnSync(c, ['-V']).error === undefined);

/** Why the power-cut file system cannot run here, or undefined when it can. */
export function powerCutUnsupported(): string | undefined {
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (e) {
    return `/dev/fuse is not usable (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  const py = spawnSync(PYTHON, ['-c', 'import fusepy'], { encoding: 'utf8' });
  if (py.error !== undefined || py.status !== 0) {
    return `${PYTHON} cannot import fusepy (apt-get install python3-fusepy libfuse2): ${py.error?.message ?? py.stderr.trim().split('\n').pop()}`;
  }
  if (FUSERMOUNT === undefined) return 'fusermount is missing (apt-get install fuse3)';
  return undefined;
}

export class PowerCutFs {
  private proc: ChildProcess | undefined;
  private log = '';
  private readonly onExit = (): void => this.forceUnmount();

  private constructor(
    /** Holds tree/ (the durable state) and work/ while mounted. */
    readonly stateDir: string,
    readonly mountpoint: string,
  ) {
    // Whatever happens to the test (a failed assertion, a timeout, an exit), no mount is left behind.
    process.once('exit', this.onExit);
  }

  /** A fresh, empty file system, mounted. */
  static async mount(): Promise<PowerCutFs> {
    const base = mkdtempSync(join(tmpdir(), 'ossd-powercut-'));
    mkdirSync(join(base, 'state'));
    mkdirSync(join(base, 'mnt'));
    const fs = new PowerCutFs(join(base, 'state'), join(base, 'mnt'));
    await fs.start();
    return fs;
  }

  private async start(): Promise<void> {
    const proc = spawn(PYTHON, [SCRIPT, this.stateDir, this.mountpoint], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.log = '';
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`powercut_fs did not mount within 15 s:\n${this.log}`)), 15_000);
      const check = (): void => {
        if (!this.log.includes('mounted')) return;
        clearTimeout(timer);
        ok();
      };
      proc.stdout!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`powercut_fs exited with ${String(code)} before mounting:\n${this.log}`));
      });
    });
  }

  /**
   * Unmounts: everything that was not durable is gone. The processes using the mount must
   * have exited (a busy mount is retried for a few seconds, then detached lazily).
   */
  async unmount(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    this.proc = undefined;
    const exited = proc.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r()));
    for (let i = 0; ; i++) {
      const r = spawnSync(FUSERMOUNT!, ['-u', this.mountpoint], { encoding: 'utf8' });
      if (r.status === 0 || proc.exitCode !== null) break;
      if (i >= 50) {
        spawnSync(FUSERMOUNT!, ['-u', '-z', this.mountpoint]);
        break;
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    if (proc.exitCode !== 0) throw new Error(`powercut_fs exited with ${String(proc.exitCode ?? proc.signalCode)}:\n${this.log}`);
  }

  /** Power cut of the machine: ossd dies (SIGKILL) and all that was not durable is lost; then boot (mount again). */
  async cut(ossd: Ossd): Promise<void> {
    await ossd.kill();
    await this.unmount();
    await this.start();
  }

  /** Unmounts and removes everything. */
  async destroy(): Promise<void> {
    try {
      await this.unmount();
    } finally {
      process.removeListener('exit', this.onExit);
      rmSync(resolve(this.stateDir, '..'), { recursive: true, force: true });
    }
  }

  private forceUnmount(): void {
    if (this.proc === undefined) return;
    spawnSync(FUSERMOUNT!, ['-u', '-z', this.mountpoint]);
    this.proc.kill('SIGKILL');
  }
}
