/** Inline blob ids (src/drivers/types.ts): time-ordered, so indexes on blob ids take new ones at their right end. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isInlineBlob, newInlineBlobId } from '../../src/drivers/types.js';

it('inline blob ids sort in the order they were made, and stay unique within a millisecond', { timeout: 30_000 }, async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(newInlineBlobId());
    await new Promise((r) => setTimeout(r, 5)); // the next millisecond, with room to spare
  }
  assert.deepEqual([...ids].sort(), ids);
  for (const id of ids) {
    assert.match(id, /^inline-[0-9a-f]{32}$/);
    assert.ok(isInlineBlob(id));
  }
  const burst = Array.from({ length: 10_000 }, () => newInlineBlobId());
  assert.equal(new Set(burst).size, burst.length);
});
