/**
 * Open descriptors of appendable blobs, kept between appends: opening and closing the
 * file on every 4 KiB append was a tenth of its CPU. At most `limit` idle descriptors
 * are kept (least recently used are closed). A removed blob's descriptor is closed as
 * soon as no writer uses it.
 */
import { closeFd } from './fd.js';

interface Entry {
  fd: Promise<number>;
  users: number;
  forgotten: boolean;
}

export class WriterCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit: number) {}

  async acquire(blob: string, open: () => Promise<number>): Promise<number> {
    let entry = this.entries.get(blob);
    if (entry) {
      // Re-insert: Map order is the LRU order.
      this.entries.delete(blob);
    } else {
      entry = { fd: open(), users: 0, forgotten: false };
    }
    this.entries.set(blob, entry);
    entry.users++;
    try {
      return await entry.fd;
    } catch (e) {
      entry.users--;
      if (this.entries.get(blob) === entry) this.entries.delete(blob);
      throw e;
    }
  }

  async release(blob: string): Promise<void> {
    const entry = this.entries.get(blob);
    if (!entry) return;
    entry.users--;
    if (entry.forgotten && entry.users === 0) {
      this.entries.delete(blob);
      await closeFd(await entry.fd);
    }
    await this.evictIdle();
  }

  /** The blob is being removed: close its descriptor once unused. */
  forget(blob: string): void {
    const entry = this.entries.get(blob);
    if (!entry) return;
    entry.forgotten = true;
    if (entry.users === 0) {
      this.entries.delete(blob);
      void entry.fd.then(closeFd, () => undefined).catch(() => undefined);
    }
  }

  private async evictIdle(): Promise<void> {
    if (this.entries.size <= this.limit) return;
    for (const [blob, entry] of this.entries) {
      if (this.entries.size <= this.limit) break;
      if (entry.users > 0) continue;
      this.entries.delete(blob);
      await closeFd(await entry.fd).catch(() => undefined);
    }
  }
}
