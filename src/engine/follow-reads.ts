/**
 * The reads of follow reads (follow.ts). An append wakes every follower of its key at
 * once; 10,000 followers each opening the blob for the same 100 bytes would open 10,000
 * files (past the open-file limit) for one read's worth of data. So:
 * - followers at the same offset share one read of the new bytes (the piece stays cached,
 *   within a byte budget, for the followers that wake a little later);
 * - at most SLOTS follow reads hold a file open at a time, whatever the number of keys.
 * Every read goes through ObjectService.open (committed bytes only, staged ones included)
 * and is checked to be of the object the follower follows.
 */
import { appendableIdentity, type ObjectRecord } from './model.js';
import type { ObjectService, OpenedObject } from './objects.js';

/** Files open for follow reads at once. */
const SLOTS = 32;
/** Pieces up to this size are shared; a follower further behind streams its catch-up alone. */
export const SHARED_MAX = 1024 * 1024;
/** Bytes of shared pieces kept, all keys together (the oldest go first). */
const CACHE_BUDGET = 32 * 1024 * 1024;

interface Piece {
  blob: string | null;
  start: number;
  end: number;
  /** undefined: the key no longer held that object when it was read. */
  data: Promise<Buffer | undefined>;
}

export class FollowReads {
  private readonly pieces = new Map<string, Piece>();
  private cached = 0;
  private busy = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly objects: ObjectService) {}

  /**
   * Bytes [from, to) of `rec` (the key's current object, as just looked up), shared with
   * the other followers of the key; undefined when the key holds another object by the
   * time the bytes are read (the caller looks again).
   */
  async shared(rec: ObjectRecord, from: number, to: number): Promise<Buffer | undefined> {
    const k = `${rec.bucket}\0${rec.key}`;
    let piece = this.pieces.get(k);
    if (!piece || piece.blob !== appendableIdentity(rec) || piece.start > from || piece.end < to) {
      piece = { blob: appendableIdentity(rec), start: from, end: to, data: this.readOnce(rec, from, to) };
      this.keep(k, piece);
    }
    const data = await piece.data;
    return data?.subarray(from - piece.start, to - piece.start);
  }

  /** Opens the key's current object if it is still `rec`'s (same blob, at least `to` bytes), within a slot; else undefined. */
  async open(rec: ObjectRecord, to: number): Promise<{ opened: OpenedObject; release: () => void } | undefined> {
    await this.slot();
    let opened: OpenedObject | undefined;
    try {
      opened = await this.objects.open(rec.bucket, rec.key);
      const now = opened.record;
      if (now.type === 'Appendable' && appendableIdentity(now) === appendableIdentity(rec) && now.size >= to) {
        const held = opened;
        return {
          opened: held,
          release: () => {
            void held.close().catch(() => undefined);
            this.release();
          },
        };
      }
    } catch {
      // Gone meanwhile (NoSuchKey, its blob removed): the caller looks at the key again.
    }
    await opened?.close().catch(() => undefined);
    this.release();
    return undefined;
  }

  private async readOnce(rec: ObjectRecord, from: number, to: number): Promise<Buffer | undefined> {
    const held = await this.open(rec, to);
    if (!held) return undefined;
    try {
      const { opened } = held;
      if (opened.read) return await opened.read(from, to);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.stream(from, to) as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks);
    } finally {
      held.release();
    }
  }

  private keep(k: string, piece: Piece): void {
    const old = this.pieces.get(k);
    if (old) this.cached -= old.end - old.start;
    this.pieces.delete(k);
    this.pieces.set(k, piece);
    this.cached += piece.end - piece.start;
    // A failed read is not kept.
    piece.data.then(
      (d) => d === undefined && this.drop(k, piece),
      () => this.drop(k, piece),
    );
    for (const [key, p] of this.pieces) {
      if (this.cached <= CACHE_BUDGET) break;
      this.drop(key, p);
    }
  }

  private drop(k: string, piece: Piece): void {
    if (this.pieces.get(k) !== piece) return;
    this.pieces.delete(k);
    this.cached -= piece.end - piece.start;
  }

  private slot(): Promise<void> {
    if (this.busy < SLOTS) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.busy--;
  }
}
