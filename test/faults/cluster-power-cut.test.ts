/**
 * Issue 19: "The SIGKILL and power-cut cycles of the trust issue also run against a node
 * of the cluster." This file is the power-cut half (SIGKILL: cluster-crash-cycles.test.ts).
 *
 * A cluster node is stateless: what it acknowledges lives in PostgreSQL and in the S3
 * store. A power cut of the cluster therefore means: every ossd node dies at once, and the
 * machine PostgreSQL runs on loses everything it had not fsynced. Simulated here as in
 * power-cut.test.ts, with PostgreSQL's data directory on the power-cut file system
 * (test/helpers/powercut-postgres.ts over test/helpers/powercut-fs/powercut_fs.py: only what
 * fsync, fdatasync and directory fsyncs made durable survives): at a seeded random instant
 * every PostgreSQL process is frozen and killed and both ossd nodes are killed (SIGKILL),
 * the file system is unmounted (the unsynced writes are gone) and mounted again, PostgreSQL
 * starts on what survived (its crash recovery replays the WAL), and the nodes start again
 * with the same node ids and addresses, each on a new, empty data folder (a stateless node
 * needs nothing from its local disk). Then the ledgers of the storm of
 * test/helpers/cluster-storm.ts are checked through both nodes, as after a SIGKILL.
 *
 * What is not simulated: ossd's schema is made before the first mount (see
 * powercut-postgres.ts: PostgreSQL 15 does not fsync the folder of a new relation file,
 * which powercut_fs, stricter than ext4 and XFS, requires); the S3 store is not cut. s3rver and Ceph RGW run on this machine
 * without a file system that forgets; an S3 store acknowledges a PUT only once it is
 * durable by its own contract (Ceph: once the OSD's BlueStore has committed it), and a cut
 * of Ceph's OSD would test Ceph, not ossd. What ossd must get right on that side, that it
 * commits metadata only after the S3 store has acknowledged the segment, the SIGKILL
 * cycles show too. Torn writes inside one fsync are not simulated (powercut_fs keeps all of
 * a sync or none; PostgreSQL's full_page_writes covers those on real disks).
 *
 * OSSD_LONG_TESTS=1 runs 10 cuts instead of 2; OSSD_FAULT_SEED replays a run's sizes and
 * cut instants. Without /dev/fuse, python3-fusepy or root the test is skipped with the
 * reason, except in CI (CI=true), where that is a failure.
 *
 * Fails when PostgreSQL answers a commit before its WAL is durable (synchronous_commit=off
 * added to startServer in test/helpers/powercut-postgres.ts): cut 0 fails with
 * acknowledged versions not listed, an acknowledged copy source and an acknowledged part
 * missing: checked 2026-12-05 on s3rver, seed 328190033. A SIGKILL of every process alone
 * (no file system that forgets) would not show that: the WAL written but not flushed is
 * still in the page cache.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { ClusterStorm } from '../helpers/cluster-storm.js';
import { prng } from '../helpers/fault-appends.js';
import { sleep, waitFor } from '../helpers/fault-store.js';
import { startOssd } from '../helpers/ossd-process.js';
import { postgresSkip } from '../helpers/postgres.js';
import { migrate } from '../helpers/postgres-migrate.js';
import { type PowerCutPostgres, powerCutPostgresUnsupported, startPowerCutPostgres } from '../helpers/powercut-postgres.js';

const secs = (ms: number): string => (ms / 1000).toFixed(1);
const LONG = process.env.OSSD_LONG_TESTS === '1';
const CUTS = LONG ? 10 : 2;
const pgMissing = postgresSkip();
const unsupported = pgMissing === false ? powerCutPostgresUnsupported() : pgMissing;
const title = `pg+s3 cluster of two nodes, ${CUTS} power cuts (PostgreSQL on powercut_fs, every node killed) under a storm through ali-oss: nothing acknowledged lost, nothing torn`;
const timeout = LONG ? 1_800_000 : 240_000;

if (unsupported !== undefined && process.env.CI === 'true') it(title, { timeout }, () => assert.fail(`the cluster power-cut test must run in CI: ${unsupported}`));
else it(title, { timeout, skip: unsupported === undefined ? false : `cannot run here: ${unsupported}` }, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays sizes and cut instants)`);
  const rand = prng(seed);
  const started = Date.now();
  let pg: PowerCutPostgres | undefined;
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ nodes: 2, env: { OSSD_GC_GRACE_MS: '2000' }, postgres: async () => (pg = await startPowerCutPostgres(migrate)) });
    const c = cluster;
    t.diagnostic(`S3 store: ${c.s3.kind}; cluster started in ${secs(Date.now() - started)} s`);
    await ClusterStorm.createBuckets(c.nodes[0]!);
    const storm = new ClusterStorm(rand);
    for (let cut = 0; cut < CUTS; cut++) {
      let stopped = false;
      const running = storm.start([...c.nodes], cut % 2, cut, () => stopped);
      const t0 = Date.now();
      await waitFor(`cut ${cut}: an answer to every kind of writer (60 s)`, () => ClusterStorm.underWay(running), 60_000);
      await sleep(Math.floor(rand() * 800));
      // The cut. pg.cut() freezes PostgreSQL before its first await: no commit completes
      // after this instant; the nodes die in the same tick, before any could answer a
      // request with PostgreSQL's failure.
      await Promise.all([pg!.cut(), ...c.nodes.map((n) => n.kill())]);
      const t1 = Date.now();
      stopped = true;
      await running.done;
      assert.deepEqual(ClusterStorm.unexpected(running), [], `seed ${seed}, cut ${cut}: every answer one the request allows`);

      // Boot: PostgreSQL on what its disk kept, then the nodes, each on a new, empty data folder.
      await pg!.boot();
      const t2 = Date.now();
      const old = [...c.nodes];
      await Promise.all(old.map(async (_, i) => (c.nodes[i] = await startOssd({ env: c.envOf(i) }))));
      for (const n of old) n.cleanup();
      const t3 = Date.now();
      // A read that breaks off (a node cannot read bytes it acknowledged) fails with the nodes' words.
      const { problems, summary } = await storm.checkAndReset(c.nodes, running).catch((e: unknown): never =>
        assert.fail(`seed ${seed}, cut ${cut}: reading back: ${String(e)}\n${c.nodes.map((n, i) => `node ${i + 1}: ${n.output().slice(-1500)}`).join('\n')}`),
      );
      assert.deepEqual(problems, [], `seed ${seed}, cut ${cut}: the ledgers after the power cut\n${pg!.log().slice(-3000)}`);
      t.diagnostic(`cut ${cut}: ${summary} (s: storm to the cut ${secs(t1 - t0)}, PostgreSQL's boot ${secs(t2 - t1)}, the nodes' ${secs(t3 - t2)}, check ${secs(Date.now() - t3)})`);
    }
    const n = storm.totals;
    t.diagnostic(
      `${n.cycles} power cuts in ${Math.round((Date.now() - started) / 1000)} s: ${n.appends} appends acknowledged, 0 lost (${n.appendsInFlight} in flight at a cut); ` +
        `${n.versionsAcked} versioned puts/deletes acknowledged, 0 lost (${n.versionsInFlightApplied} in flight took effect); ${n.completes} completes and ${n.copies} copies acknowledged, 0 lost; ` +
        `${n.keyedLost} keyed appends lost at a cut retried (${n.keyedReplayed} replayed), 0 duplicated; ${n.seals} seals acknowledged, 0 lost`,
    );
  } finally {
    await cluster?.stop();
  }
});
