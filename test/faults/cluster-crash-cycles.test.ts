/**
 * Issue 19: "The SIGKILL and power-cut cycles of the trust issue also run against a node
 * of the cluster." This file is the SIGKILL half (the power cuts: cluster-power-cut.test.ts).
 *
 * Two ossd nodes over one PostgreSQL and one S3 store (Ceph RGW when installed, else
 * s3rver; OSSD_TEST_S3 forces one). Each cycle runs the storm of
 * test/helpers/cluster-storm.ts on both nodes (ali-oss appends racing at one position from
 * the two nodes, versioned puts and deletes and multipart uploads going round the nodes;
 * copies, append-then-delete churners, appends with an Idempotency-Key and seals on the
 * victim), kills one node with SIGKILL at a seeded random instant once every kind of writer
 * has had an answer, lets the other node go on while the victim restarts with the same node
 * id and address (two cycles in three the kill comes the moment the victim acknowledges an
 * append or a put), then stops the storm and checks the ledgers through both nodes: nothing
 * acknowledged lost, every write in flight at the kill whole or absent, the CRC-64 every
 * acknowledged append returned is that of the object's bytes up to its end, the keyed
 * appends lost at the kill replay exactly once. The victim alternates between the nodes.
 *
 * OSSD_LONG_TESTS=1 runs 20 cycles instead of 3; OSSD_FAULT_SEED replays a run's sizes and
 * kill instants (printed as a diagnostic).
 *
 * Fails when the S3 blob driver acknowledges before the S3 store has the bytes
 * (src/drivers/s3/blob-store.ts S3BlobWriter.sync() returning at once, the Upload's body
 * ended 300 ms later by a timer): cycle 0 fails, "reading back: Error: aborted" (the
 * restarted node cannot read an acknowledged write's segment): checked 2026-12-05 on
 * s3rver, seed 1361782499. With sync() only not awaiting the Upload (no delay) it failed
 * in 1 run of 3 (seed 1679089116, cycle 0, the same way): the single PUT of a small
 * segment has mostly left the node before the metadata commit's round trip to PostgreSQL
 * ends, so a kill finds it unsent only in a window of a millisecond or so.
 * Fails when the compare-and-set of an append loses its revision guard
 * (src/drivers/postgres/object-rows.ts UPDATE_OBJECT, `revision = $3` replaced by
 * `$3::bigint IS NOT NULL`): cycle 0, appends racing from the two nodes answered 500
 * InternalError: checked 2026-12-05 on s3rver, seed 1850439203.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { ClusterStorm } from '../helpers/cluster-storm.js';
import { prng } from '../helpers/fault-appends.js';
import { sleep, waitFor } from '../helpers/fault-store.js';
import { postgresSkip } from '../helpers/postgres.js';

const secs = (ms: number): string => (ms / 1000).toFixed(1);
const LONG = process.env.OSSD_LONG_TESTS === '1';
const CYCLES = LONG ? 20 : 3;
const skip = postgresSkip();

it(`pg+s3 cluster of two nodes, ${CYCLES} SIGKILL cycles of one node under a storm through ali-oss: nothing acknowledged lost, nothing torn`, { skip, timeout: LONG ? 1_800_000 : 240_000 }, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays sizes and kill instants)`);
  const rand = prng(seed);
  const started = Date.now();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ nodes: 2, env: { OSSD_GC_GRACE_MS: '2000' } });
    const c = cluster;
    t.diagnostic(`S3 store: ${cluster.s3.kind}; cluster started in ${secs(Date.now() - started)} s`);
    await ClusterStorm.createBuckets(cluster.nodes[0]!);
    const storm = new ClusterStorm(rand);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const victim = cycle % 2;
      let stopped = false;
      const target = c.nodes[victim]!;
      // Two cycles in three the kill comes the moment the victim acknowledges a write (what a
      // node wrongly leaves for after its answer is then in progress); else at the instant drawn.
      let killAtAck = false;
      const atAck = (node: number): void => {
        if (!killAtAck || node !== victim) return;
        killAtAck = false;
        target.proc.kill('SIGKILL');
      };
      const running = storm.start([...c.nodes], victim, cycle, () => stopped, atAck);
      const t0 = Date.now();
      await waitFor(`cycle ${cycle}: an answer to every kind of writer (60 s)`, () => ClusterStorm.underWay(running), 60_000);
      const t1 = Date.now();
      await sleep(Math.floor(rand() * 800));
      if (cycle % 3 !== 0) {
        killAtAck = true;
        await waitFor(`cycle ${cycle}: an acknowledgement from node ${victim + 1} (30 s)`, () => !killAtAck, 30_000);
      }
      await target.kill();
      // The other node goes on serving the storm while the victim restarts.
      await cluster.restart(victim);
      const t2 = Date.now();
      stopped = true;
      await running.done;
      const t3 = Date.now();
      assert.deepEqual(ClusterStorm.unexpected(running), [], `seed ${seed}, cycle ${cycle}: every answer one the request allows`);
      // A read that breaks off (a node cannot read bytes it acknowledged) fails with the nodes' words.
      const { problems, summary } = await storm.checkAndReset(c.nodes, running).catch((e: unknown): never =>
        assert.fail(`seed ${seed}, cycle ${cycle}: reading back: ${String(e)}\n${c.nodes.map((n, i) => `node ${i + 1}: ${n.output().slice(-1500)}`).join('\n')}`),
      );
      assert.deepEqual(problems, [], `seed ${seed}, cycle ${cycle} (node ${victim + 1} killed): the ledgers after the restart`);
      t.diagnostic(`cycle ${cycle}, node ${victim + 1} killed: ${summary} (s: storm to the kill ${secs(t1 - t0)}, kill and restart ${secs(t2 - t1)}, storm's end ${secs(t3 - t2)}, check ${secs(Date.now() - t3)})`);
    }
    const n = storm.totals;
    t.diagnostic(
      `${n.cycles} cycles in ${Math.round((Date.now() - started) / 1000)} s: ${n.appends} appends acknowledged, 0 lost (${n.appendsInFlight} in flight at a kill); ` +
        `${n.versionsAcked} versioned puts/deletes acknowledged, 0 lost (${n.versionsInFlightApplied} in flight took effect); ${n.completes} completes and ${n.copies} copies acknowledged, 0 lost; ` +
        `${n.keyedLost} keyed appends lost at a kill retried (${n.keyedReplayed} replayed), 0 duplicated; ${n.seals} seals acknowledged, 0 lost`,
    );
  } finally {
    await cluster?.stop();
  }
});
