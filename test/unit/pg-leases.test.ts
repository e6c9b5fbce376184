/**
 * Leases and revisions of cluster nodes on PostgreSQL (src/drivers/postgres/leases.ts,
 * revisions.ts), against a throw-away server, nodes standing as separate pools.
 *
 * - Holders racing for a free lease: exactly one wins, every round. Fails when the
 *   upsert's guard is dropped (`WHERE l.expires_ms < now OR l.holder = …` removed: every
 *   racer "wins"; checked).
 * - An expired lease goes to the next taker; the old holder can then neither renew nor
 *   release it. Fails when renew() ignores the holder (`AND holder = $2` removed: checked).
 * - Revisions of three nodes drawing from one sequence never repeat; newRevision() with no
 *   block at hand throws 503 ServiceUnavailable instead of repeating. Fails when take()
 *   falls back to a clock value instead of throwing (`?? Date.now()`: checked).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PgLeases } from '../../src/drivers/postgres/leases.js';
import { PgRevisions } from '../../src/drivers/postgres/revisions.js';
import { usePgDatabases } from '../helpers/pg-databases.js';
import { postgresSkip } from '../helpers/postgres.js';

const dbs = usePgDatabases(3);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL leases and revisions', { timeout: 120_000, skip: postgresSkip() }, () => {
  test('racing holders: exactly one wins each lease', async () => {
    const nodes = dbs.map((db, i) => new PgLeases(db, `node-${i}`));
    for (let round = 0; round < 20; round++) {
      const won = await Promise.all(nodes.map((n) => n.take(`gc-${round}`, 30_000)));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.join(',')}`);
      const winner = nodes[won.indexOf(true)]!;
      // The holder renews by taking again; the others still cannot.
      assert.equal(await winner.take(`gc-${round}`, 30_000), true);
      for (const other of nodes.filter((n) => n !== winner)) assert.equal(await other.take(`gc-${round}`, 30_000), false);
      assert.equal(await nodes[0]!.holder(`gc-${round}`), `node-${won.indexOf(true)}`);
    }
  });

  test('expiry hands the lease over; the old holder can neither renew nor release it', async () => {
    const [a, b] = dbs.map((db, i) => new PgLeases(db, `node-${i}`));
    assert.equal(await a!.take('compaction:b1', 300), true);
    assert.equal(await b!.take('compaction:b1', 300), false);
    assert.equal(await a!.renew('compaction:b1', 300), true);
    await sleep(450);
    assert.equal(await a!.holder('compaction:b1'), undefined, 'expired: nobody holds it');
    assert.deepEqual(await a!.expired('compaction:'), ['compaction:b1']);
    assert.equal(await b!.take('compaction:b1', 30_000), true, 'expired: the next taker gets it');
    assert.equal(await a!.renew('compaction:b1', 30_000), false);
    assert.equal(await a!.release('compaction:b1'), false);
    assert.equal(await a!.holder('compaction:b1'), 'node-1');
    assert.equal(await b!.release('compaction:b1'), true);
    assert.equal(await a!.take('compaction:b1', 30_000), true, 'released: free at once');
  });

  test('revisions of three nodes never repeat; none at hand is a 503, never a repeat', async () => {
    const nodes = await Promise.all(dbs.map((db) => PgRevisions.open(db)));
    const seen = new Set<number>();
    // Interleaved, with pauses so each node refills ahead: several blocks per node.
    for (let i = 0; i < 6_000; i++) {
      const r = nodes[i % 3]!.take();
      assert.ok(Number.isSafeInteger(r) && r > 0);
      assert.ok(!seen.has(r), `revision ${r} repeated`);
      seen.add(r);
      if (i % 256 === 0) await sleep(5);
    }
    // A draw that never answers: the first block is used up, then take() refuses.
    let draws = 0;
    const stuck = await PgRevisions.open(dbs[0]!, () => (++draws === 1 ? Promise.resolve(1 << 30) : new Promise<number>(() => undefined)), 8);
    const got = [];
    for (let i = 0; i < 7; i++) got.push(stuck.take());
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7].map((n) => (1 << 30) + n));
    assert.throws(() => stuck.take(), (e: Error & { code?: string }) => e.code === 'ServiceUnavailable');
    assert.throws(() => stuck.take(), (e: Error & { code?: string }) => e.code === 'ServiceUnavailable');
  });
});
