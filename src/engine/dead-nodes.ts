/**
 * Collection of the unsettled rows of dead nodes (issue 19, docs/storage.md "A node that
 * dies"). On one node, a crash leaves unsettled rows that the next start settles
 * (recovery.ts). In a cluster a node may die and never start again: its staged segments
 * and the blobs its commits dereferenced would stay in the shared store for ever. So
 * every node looks periodically for dead nodes' rows through the registry's `foreign`
 * capability (UnsettledStore.foreign; absent on one node, where this does nothing) and
 * settles them as the dead node's own start would:
 * - held rows (work in flight when it died): the claim fenced the dead process out, so
 *   none of those blobs can be committed any more; an unreferenced one is removed, a
 *   referenced one (committed just before the death) kept; then the rows go (those of
 *   removed blobs after one more grace period and removal: a stalled process's upload
 *   may land after the first);
 * - dereferenced rows (seq 0): removed only once the GC grace period has passed since
 *   they were recorded (deferred-removals.ts): a reader on any node may still hold the
 *   segment list that names the blob. Younger ones stay for a later sweep.
 * Only on an immutable (shared) blob store: a mutable store's blobs are files local to
 * their node, which no other node can reach.
 */
import type { BlobStore, ClaimedRows, MetadataStore } from '../drivers/types.js';
import { settleForeignBlobs } from './recovery.js';

export interface DeadNodeSweep {
  /** Dead nodes whose rows this node settled (some or all). */
  nodes: string[];
  /** Blobs removed (unreferenced staged segments, dereferenced blobs past their grace). */
  removedBlobs: number;
  /** Rows deleted. */
  clearedRows: number;
}

export class DeadNodeCollector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DeadNodeSweep> | undefined;
  private closed = false;

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly graceMs: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Whether there is anything to collect from (a cluster's registry, a shared blob store). */
  get enabled(): boolean {
    return this.meta.unsettled.foreign !== undefined && !this.blobs.mutable;
  }

  /** Sweeps periodically (every node lease TTL) until close(). */
  start(): void {
    const foreign = this.meta.unsettled.foreign;
    if (!this.enabled || !foreign || this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch(this.onError), foreign.intervalMs);
    this.timer.unref();
  }

  /** One sweep now (one at a time: a sweep still running is joined). */
  sweep(): Promise<DeadNodeSweep> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<DeadNodeSweep> {
    const result: DeadNodeSweep = { nodes: [], removedBlobs: 0, clearedRows: 0 };
    const foreign = this.meta.unsettled.foreign;
    if (!this.enabled || !foreign) return result;
    for (const node of await foreign.deadNodes()) {
      if (this.closed) break;
      const claimed = await foreign.claim(node);
      if (!claimed) continue; // alive after all, or another node is at it
      try {
        await this.settle(claimed, result);
      } finally {
        await claimed.done();
      }
    }
    return result;
  }

  private async settle(claimed: ClaimedRows, result: DeadNodeSweep): Promise<void> {
    let touched = false;
    if (claimed.held.length > 0) {
      const report = await settleForeignBlobs(this.meta, this.blobs, claimed.held.map((h) => h.blob));
      // The removals are durable: the rows of kept blobs may go; those of removed ones wait
      // out a grace period (a stalled process's upload may still land: removed once more).
      await claimed.settleHeld(report.removed);
      result.removedBlobs += report.removedOrphans;
      result.clearedRows += claimed.held.length - report.removed.length;
      touched = true;
    }
    const due = claimed.dereferenced.filter((d) => d.recordedMs + this.graceMs <= Date.now()).map((d) => d.blob);
    if (due.length > 0) {
      const report = await settleForeignBlobs(this.meta, this.blobs, due);
      await claimed.clearDereferenced(due);
      result.removedBlobs += report.removedOrphans;
      result.clearedRows += due.length;
      touched = true;
    }
    if (touched) result.nodes.push(claimed.node);
  }

  /** Stops sweeping (a clean stop); a sweep under way finishes first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
