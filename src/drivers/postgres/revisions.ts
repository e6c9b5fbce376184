/**
 * The PostgreSQL store's `MetadataStore.newRevision()` (issue 19, docs/storage.md
 * "Revisions unique across nodes"): RevisionBlocks (revision-blocks.ts) over the
 * `object_revision` sequence (INCREMENT BY 1024), so a revision never repeats across nodes
 * and normally costs no round trip.
 *
 * newRevision() is synchronous (the engine builds records without awaiting), so it cannot
 * wait for a block: open() draws the first block before the store serves anything, and the
 * next one is drawn in the background once half of the current one is used. Should both be
 * spent (more than half a block, 512 revisions, taken within one round trip to PostgreSQL,
 * or PostgreSQL unreachable), take() throws a retryable `503 ServiceUnavailable` rather than
 * hand out a revision that might repeat; the draw under way fills the block for the retry.
 */
import { OssError } from '../../engine/errors.js';
import type { PgDatabase } from './db.js';
import { REVISION_BLOCK, RevisionBlocks } from './revision-blocks.js';

export class PgRevisions {
  private constructor(private readonly blocks: RevisionBlocks) {}

  /** Revisions from `draw` (default: the database's object_revision sequence), with the first block drawn already. */
  static async open(db: PgDatabase, draw?: () => Promise<number>, size = REVISION_BLOCK): Promise<PgRevisions> {
    const blocks = new RevisionBlocks(draw ?? (() => drawBlock(db)), size);
    // take() waits for the first block; the revision it gives is simply not used.
    await blocks.take();
    return new PgRevisions(blocks);
  }

  /** A revision no node has used or will use; throws 503 ServiceUnavailable (retryable) when no block is at hand. */
  take(): number {
    const r = this.blocks.takeNow();
    if (r === undefined) {
      throw new OssError('ServiceUnavailable', 'The metadata store has no revision at hand right now; retry the request.');
    }
    return r;
  }
}

/** The first revision of a new block: one nextval of the sequence (INCREMENT BY the block size). */
async function drawBlock(db: PgDatabase): Promise<number> {
  const r = await db.query<{ start: number }>("SELECT nextval('object_revision') AS start");
  return r.rows[0]!.start;
}
