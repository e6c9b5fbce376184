/**
 * Revision blocks of a cluster node (src/drivers/postgres/revision-blocks.ts), over a fake
 * sequence: revisions never repeat across nodes sharing the sequence, the next block is
 * drawn ahead (no wait at a block boundary), and a failed draw is retried.
 *
 * Fails when the spare block is not drawn ahead (the `size / 2` prefetch removed: the
 * boundary take waits, checked) and when a failed draw is not cleared
 * (the retry gets the old rejection: checked).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RevisionBlocks } from '../../src/drivers/postgres/revision-blocks.js';

/** A sequence INCREMENT BY `size` START WITH `size`, as in 001-initial.sql; counts its draws. */
function fakeSequence(size: number) {
  let value = 0;
  const seq = {
    draws: 0,
    nextval: async (): Promise<number> => {
      seq.draws++;
      await new Promise((r) => setImmediate(r));
      value += size;
      return value;
    },
  };
  return seq;
}

describe('revision blocks', { timeout: 30_000 }, () => {
  test('three nodes on one sequence never hand out the same revision', async () => {
    const seq = fakeSequence(16);
    const nodes = [0, 1, 2].map(() => new RevisionBlocks(seq.nextval, 16));
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const r = await nodes[i % 3]!.take();
      assert.equal(seen.has(r), false, `revision ${r} given twice`);
      seen.add(r);
    }
  });

  test('the next block is drawn ahead: crossing a block boundary does not wait', async () => {
    const seq = fakeSequence(8);
    const blocks = new RevisionBlocks(seq.nextval, 8);
    await blocks.take(); // the first block has to be drawn
    for (let i = 1; i < 3; i++) assert.notEqual(blocks.takeNow(), undefined);
    assert.equal(seq.draws, 1, 'no prefetch before half the block is used');
    assert.notEqual(blocks.takeNow(), undefined); // the 4th of 8: half used, the spare is drawn now
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(seq.draws, 2);
    const taken = [];
    for (let i = 0; i < 8; i++) taken.push(blocks.takeNow());
    assert.ok(taken.every((r) => r !== undefined), 'the boundary was crossed without waiting');
  });

  test('a failed draw is retried by the next take', async () => {
    let fail = true;
    const blocks = new RevisionBlocks(async () => {
      if (fail) throw new Error('connection lost');
      return 4096;
    }, 4);
    await assert.rejects(blocks.take(), /connection lost/);
    fail = false;
    assert.equal(await blocks.take(), 4096);
    assert.equal(await blocks.take(), 4097);
  });
});
