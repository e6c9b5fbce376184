/**
 * Node liveness and the claim of a dead node's unsettled rows on PostgreSQL
 * (src/drivers/postgres/node-liveness.ts, dead-nodes.ts), against a throw-away server,
 * nodes standing as separate pools. The processes' side is test/faults/dead-node-collection.test.ts.
 *
 * - A node whose lease lapsed is claimed only once its transaction in flight ended, and
 *   every transaction it starts after the claim is refused (503); its next renewal tells
 *   it that it lost the lease. Fails when the claim does not take the fence lock (it
 *   resolves while the transaction is still open: checked), or when the fence is not
 *   checked at BEGIN (the late transaction commits: checked).
 * - A node whose lease is renewed is neither listed as dead nor claimed; its rows stay.
 *   Fails when the claim skips the expiry check: checked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PgDatabase } from '../../src/drivers/postgres/db.js';
import { PgForeignUnsettled } from '../../src/drivers/postgres/dead-nodes.js';
import { PgLeases } from '../../src/drivers/postgres/leases.js';
import { PgNodeLiveness } from '../../src/drivers/postgres/node-liveness.js';
import { PgUnsettledStore } from '../../src/drivers/postgres/unsettled-store.js';
import { usePgDatabases } from '../helpers/pg-databases.js';
import { postgresSkip } from '../helpers/postgres.js';

const dbs = usePgDatabases(4);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Renewed only every 20 s: a test makes a lease lapse by setting its expiry in the past. */
const TTL = 60_000;

describe('PostgreSQL node liveness and dead-node claims', { timeout: 120_000, skip: postgresSkip() }, () => {
  test('a lapsed node is claimed after its transaction in flight, and fenced out from then on', async () => {
    const [dbA, dbB] = dbs as [PgDatabase, PgDatabase];
    const lost: Array<string | undefined> = [];
    const a = await PgNodeLiveness.start(dbA, 'a', { ttlMs: TTL, onLost: (h) => lost.push(h) });
    await PgNodeLiveness.start(dbB, 'b', { ttlMs: TTL, onLost: () => assert.fail('b lost its lease') });
    await new PgUnsettledStore(dbA, 'a').add('staged-a', 7);
    await new PgUnsettledStore(dbA, 'a').add('replaced-a', 8);
    await dbA.query("UPDATE unsettled_blobs SET seq = 0 WHERE blob = 'replaced-a'");
    const collector = new PgForeignUnsettled(dbB, 'b', new PgLeases(dbB, 'b'), TTL);

    // A transaction of A is in flight (a stalled commit) when its lease lapses.
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const inFlight = dbA.tx(async (c) => {
      await c.query('SELECT 1');
      await gate;
    });
    await sleep(100);
    await dbB.query("UPDATE leases SET expires_ms = 0 WHERE name = 'node:a'");
    assert.deepEqual(await collector.deadNodes(), ['a']);
    let claimed = false;
    const claim = collector.claim('a').then((rows) => ((claimed = true), rows));
    await sleep(500);
    assert.equal(claimed, false, 'the claim waits for the transaction of A in flight');
    finish();
    await inFlight;
    const rows = await claim;
    assert.ok(rows);
    assert.deepEqual(rows.held, [{ blob: 'staged-a', seq: 7 }]);
    assert.deepEqual(rows.dereferenced.map((d) => d.blob), ['replaced-a']);
    assert.deepEqual((await dbA.query("SELECT node_id FROM unsettled_blobs WHERE blob = 'staged-a'")).rows, [{ node_id: 'b' }]);
    // Another node cannot claim it meanwhile.
    assert.equal(await new PgForeignUnsettled(dbs[2]!, 'c', new PgLeases(dbs[2]!, 'c'), TTL).claim('a'), undefined);
    await rows.settleHeld(['staged-a']);
    assert.deepEqual((await dbA.query("SELECT node_id, seq FROM unsettled_blobs WHERE blob = 'staged-a'")).rows, [{ node_id: 'a', seq: 0 }]);
    await rows.done();

    // A wakes: nothing of it commits any more, and its next renewal says so.
    await assert.rejects(dbA.tx(async (c) => c.query('SELECT 1')), (e: Error & { code?: string }) => e.code === 'ServiceUnavailable');
    await a.renew();
    assert.equal(lost.length, 1);
    assert.match(lost[0] ?? '', /^dead \(collected by b\)$/);
  });

  test("a fenced node's transactions take BEGIN's modes (a snapshot read runs; a serializable write is still fenced)", async () => {
    // Found by the batteries on a pg+s3 node: ListObjectVersions' snapshot set its isolation
    // with SET TRANSACTION, which fails after the fence's statements (500 on every listing).
    const db = dbs[3]!; // a pool of its own: the fence stays on it
    await PgNodeLiveness.start(db, 'modes', { ttlMs: TTL, onLost: () => undefined });
    const isolation = (modes?: string): Promise<string> =>
      db.tx(async (c) => (await c.query<{ i: string }>("SELECT current_setting('transaction_isolation') AS i")).rows[0]!.i, modes);
    assert.equal(await isolation('ISOLATION LEVEL REPEATABLE READ READ ONLY'), 'repeatable read');
    assert.equal(await isolation(), 'read committed');
    assert.equal(await isolation('ISOLATION LEVEL SERIALIZABLE'), 'serializable');
    await db.query("UPDATE leases SET holder = 'someone else' WHERE name = 'node:modes'");
    await assert.rejects(isolation('ISOLATION LEVEL SERIALIZABLE'), (e: Error & { code?: string }) => e.code === 'ServiceUnavailable');
    await db.query("DELETE FROM leases WHERE name = 'node:modes'");
  });

  test('a node whose lease is renewed is neither dead nor claimed', async () => {
    const [, dbB, dbC] = dbs as [PgDatabase, PgDatabase, PgDatabase];
    const c = await PgNodeLiveness.start(dbC, 'live', { ttlMs: TTL, onLost: () => assert.fail('lost') });
    await new PgUnsettledStore(dbC, 'live').add('staged-live', 3);
    await c.renew();
    const collector = new PgForeignUnsettled(dbB, 'b', new PgLeases(dbB, 'b'), TTL);
    assert.equal((await collector.deadNodes()).includes('live'), false);
    assert.equal(await collector.claim('live'), undefined);
    assert.deepEqual((await dbC.query("SELECT node_id, seq FROM unsettled_blobs WHERE blob = 'staged-live'")).rows, [{ node_id: 'live', seq: 3 }]);
    // Its transactions go on.
    await dbC.tx(async (t) => t.query('SELECT 1'));
  });
});
