/**
 * A few MiB of disk kept aside for deletes. On a full disk every SQLite commit can fail
 * with SQLITE_FULL, deletes included (their WAL frames and the checkpoint need space),
 * and then nothing could ever free space again. The store keeps a `reserve` file; when a
 * commit that frees space (a delete, an abort) fails with SQLITE_FULL, the file is removed
 * and the commit tried once more. The reserve is made again once the disk has room.
 * (The idea of a ballast file, as used by databases and log stores.)
 */
import fs from 'node:fs';
import { dirname } from 'node:path';

const RESERVE_BYTES = 2 * 1024 * 1024;
/** The reserve is made again only when this much is free, so it never takes the last space a write needs. */
const REARM_FREE_BYTES = 16 * RESERVE_BYTES;

export class SpaceReserve {
  private held = false;

  constructor(private readonly path: string) {
    this.held = fs.existsSync(path) && fs.statSync(path).size === RESERVE_BYTES;
    if (!this.held) this.make();
  }

  /** Frees the reserve; false when there is none to free. */
  release(): boolean {
    if (!this.held) return false;
    fs.rmSync(this.path, { force: true });
    this.held = false;
    return true;
  }

  /** Makes the reserve again if it was released and the disk has room now. */
  rearm(): void {
    if (this.held) return;
    try {
      const s = fs.statfsSync(dirname(this.path));
      if (s.bavail * s.bsize >= REARM_FREE_BYTES) this.make();
    } catch {
      // Best effort: without a reserve, deletes on a full disk may fail, as they would anyway.
    }
  }

  private make(): void {
    try {
      fs.writeFileSync(this.path, Buffer.alloc(RESERVE_BYTES));
      this.held = true;
    } catch {
      fs.rmSync(this.path, { force: true });
    }
  }
}
