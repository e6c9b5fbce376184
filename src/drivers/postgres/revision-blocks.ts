/**
 * Revisions for a node of a cluster (docs/storage.md "Revisions unique across nodes"):
 * one `nextval('object_revision')` (INCREMENT BY 1024) reserves a block of 1,024
 * revisions that only this node hands out. The next block is drawn in the background once
 * half the current one is used, so a revision normally costs no round trip. Written
 * against a `draw` function so it is tested without a database; the driver passes one
 * that runs the nextval.
 */
export const REVISION_BLOCK = 1024;

export class RevisionBlocks {
  /** The current block: next revision to give, and the first one past the block. */
  private next = 0;
  private end = 0;
  /** The start of the block drawn ahead, once it arrived. */
  private spare: number | undefined;
  private drawing: Promise<void> | undefined;

  /** `draw` resolves to the first revision of a block of `size` nobody else will use (a sequence's nextval). */
  constructor(
    private readonly draw: () => Promise<number>,
    private readonly size = REVISION_BLOCK,
  ) {}

  /** A revision no node has used or will use. Waits only when both blocks are spent. */
  async take(): Promise<number> {
    for (;;) {
      const r = this.takeNow();
      if (r !== undefined) return r;
      await this.drawAhead();
    }
  }

  /** A revision without waiting, or undefined when none is at hand (a draw is then under way). */
  takeNow(): number | undefined {
    if (this.next === this.end && this.spare !== undefined) {
      this.next = this.spare;
      this.end = this.spare + this.size;
      this.spare = undefined;
    }
    if (this.next < this.end) {
      const r = this.next++;
      if (this.end - this.next <= this.size / 2 && this.spare === undefined) void this.drawAhead().catch(() => undefined);
      return r;
    }
    void this.drawAhead().catch(() => undefined);
    return undefined;
  }

  /** Draws the spare block unless it is there or being drawn; a failed draw is retried by the next call. */
  private drawAhead(): Promise<void> {
    if (this.spare !== undefined) return Promise.resolve();
    this.drawing ??= this.draw().then(
      (start) => {
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(start + this.size)) throw new Error(`revision block ${start} is out of range`);
        this.spare = start;
        this.drawing = undefined;
      },
      (e: unknown) => {
        this.drawing = undefined;
        throw e;
      },
    );
    return this.drawing;
  }
}
