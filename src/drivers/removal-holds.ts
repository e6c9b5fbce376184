/**
 * BlobStore.holdRemovals() for every driver: while a backup copies the blobs its
 * snapshot refers to, removals wait (engine/backup.ts). Holds nest; each release function
 * works once, and removals resume when the last hold is released.
 */
export class RemovalHolds {
  private holds = 0;
  private resumed: Promise<void> = Promise.resolve();
  private resume: () => void = () => undefined;

  /** A hold on removals until the returned function is called (a second call does nothing). */
  hold(): () => void {
    if (this.holds++ === 0) this.resumed = new Promise((resolve) => (this.resume = resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) this.resume();
    };
  }

  /** Resolves once no hold is left (at once without one): awaited by a removal before it removes. */
  async wait(): Promise<void> {
    while (this.holds > 0) await this.resumed;
  }
}
