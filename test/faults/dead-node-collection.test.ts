/**
 * Issue 19, "A node killed mid-append loses nothing acknowledged. Its staged segments are
 * collected." Real processes: two long-lived nodes (B, C) and, per test, a node A over one
 * PostgreSQL and one S3 store (Ceph RGW when installed, else s3rver). A reaches PostgreSQL
 * through a proxy that can freeze its metadata traffic (test/helpers/pause-proxy.ts), so
 * that an append of A can be caught with its segment staged in S3 and its commit not done.
 * Short node leases (OSSD_NODE_LEASE_MS) and GC grace (OSSD_GC_GRACE_MS) keep it quick.
 *
 * 1. A is SIGKILLed with a staged segment in S3 (its commit hanging) and a blob its
 *    commit dereferenced still in its grace period; it never comes back. Another node
 *    collects: the S3 bucket (listed directly) no longer holds the staged segment nor the
 *    dereferenced blob, no unsettled row of A is left, and everything acknowledged reads
 *    byte-exact. Fails when the engine's sweep is not started (engine.ts deadNodes.start()
 *    removed: A's rows and the staged blob stay): checked.
 * 2. A stalls (its PostgreSQL traffic frozen) with its append's segment staged, past its
 *    lease: another node collects its rows and removes the staged segment. When A wakes,
 *    its commit must not go through (it would name a removed blob): the append is not
 *    acknowledged and A stops. Fails when the commit fence is removed (db.ts begin()
 *    without the fence statement, and onLost not exiting): the append got 200 and its
 *    bytes could not be read: checked.
 * 3. A live node's rows are never touched: an append of A streams slowly over several
 *    lease periods and sweeps; its row stays, and it commits and reads back. Fails when
 *    the claim skips the lease check (dead-nodes.ts claim() treating every lease as
 *    expired): A is fenced out and the append fails: checked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { type PauseProxy, startPauseProxy } from '../helpers/pause-proxy.js';
import { postgresSkip, psql } from '../helpers/postgres.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const skip = postgresSkip();
const B = 'deadnode';
const LEASE_MS = 3000;
const GRACE_MS = 4000;

let cluster: Cluster;
let s3: S3Client;

before(async () => {
  if (skip) return;
  cluster = await startCluster({ nodes: 2, env: { OSSD_NODE_LEASE_MS: String(LEASE_MS), OSSD_GC_GRACE_MS: String(GRACE_MS) } });
  s3 = new S3Client({
    endpoint: cluster.s3.endpoint,
    region: cluster.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cluster.s3.accessKeyId, secretAccessKey: cluster.s3.secretAccessKey },
  });
  assert.equal((await raw(cluster.nodes[0]!, { method: 'PUT', path: `/${B}/` })).status, 200);
}, { timeout: 180_000 });

after(async () => {
  if (skip) return;
  s3?.destroy();
  await cluster?.stop();
}, { timeout: 120_000 });

/** Node A: the cluster's settings, its own node id, PostgreSQL through a pausable proxy. */
async function startNodeA(nodeId: string): Promise<{ node: Ossd; proxy: PauseProxy }> {
  const pgUrl = new URL(cluster.pg.url);
  const proxy = await startPauseProxy(pgUrl.hostname, Number(pgUrl.port));
  pgUrl.port = String(proxy.port);
  const env = { ...cluster.envOf(2), OSSD_NODE_ID: nodeId, OSSD_METADATA: pgUrl.toString(), OSSD_ADDRESS: '127.0.0.4:0' };
  return { node: await startOssd({ env }), proxy };
}

async function bucketKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: cluster.s3.bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.add(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function sql(text: string): Promise<string[]> {
  return (await psql(cluster.pg.url, text)).split('\n').filter((l) => l !== '');
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function append(node: Ossd, key: string, position: number, body: Buffer): Promise<number> {
  const r = await raw(node, { method: 'POST', path: `/${B}/${key}?append&position=${position}`, body });
  return r.status;
}

/** An append whose body is sent in two halves, the second when `finish()` is called; `answer` is its status (0: the connection broke). */
function slowAppend(node: Ossd, key: string, position: number, body: Buffer): { finish(): void; answer: Promise<number> } {
  const path = `/${B}/${key}?append&position=${position}`;
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(body.length), 'content-type': 'application/octet-stream' };
  headers.authorization = `OSS ${node.accessKeyId}:${signV1(node.accessKeySecret, 'POST', path, headers)}`;
  const req = http.request({ host: node.host, port: node.port, method: 'POST', path, headers, agent: false });
  const answer = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
  });
  const half = body.length >> 1;
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), answer };
}

async function readBack(node: Ossd, key: string): Promise<Buffer> {
  const r = await raw(node, { method: 'GET', path: `/${B}/${key}` });
  assert.equal(r.status, 200, `GET ${key} through ${node.endpoint}: ${r.text.slice(0, 300)}`);
  return r.body;
}

/** The held (seq > 0) rows of `nodeId`, as blob ids. */
async function heldRows(nodeId: string): Promise<string[]> {
  return sql(`SELECT blob FROM unsettled_blobs WHERE node_id = '${nodeId}' AND seq <> 0 ORDER BY blob`);
}

/** Waits until `nodeId` has exactly one held row (the slow append's: earlier appends' rows are cleared in batches) and returns its blob. */
async function theHeldBlob(nodeId: string, before: Set<string>): Promise<string> {
  return until(`the held row of ${nodeId}`, 20_000, async () => {
    const fresh = (await heldRows(nodeId)).filter((b) => !before.has(b));
    return fresh.length === 1 ? fresh[0] : undefined;
  });
}

describe('the staged segments of a dead node are collected by the others', { skip, timeout: 300_000 }, () => {
  test('SIGKILLed mid-append, never restarted: its staged segment and dereferenced blob leave the S3 bucket, its rows go, acknowledged data stays', async () => {
    const [b, c] = cluster.nodes as [Ossd, Ossd];
    const { node: a, proxy } = await startNodeA('node-killed');
    try {
      // Acknowledged work of A: appends, and a put overwritten (its first blob dereferenced, in its grace period).
      const parts = [randomBytes(3000), randomBytes(5000), randomBytes(7)];
      let position = 0;
      for (const p of parts) {
        assert.equal(await append(a, 'log', position, p), 200);
        position += p.length;
      }
      const first = randomBytes(100_000); // above the inline limit (64 KiB): a blob of its own
      const second = randomBytes(120_000);
      assert.equal((await raw(a, { method: 'PUT', path: `/${B}/doc`, body: first })).status, 200);
      const firstBlob = (await sql(`SELECT blob FROM objects WHERE bucket = '${B}' AND key = 'doc'`))[0]!;
      assert.equal((await raw(a, { method: 'PUT', path: `/${B}/doc`, body: second })).status, 200);
      assert.ok((await bucketKeys()).has(firstBlob), 'the dereferenced blob waits for its grace period');

      // The slow append: its row is recorded, then A's metadata traffic freezes and the
      // body ends: the segment is staged in S3, the commit hangs.
      const knownBefore = new Set(await bucketKeys());
      const slow = slowAppend(a, 'log', position, randomBytes(100_000));
      const staged = await theHeldBlob('node-killed', new Set());
      proxy.pause();
      slow.finish();
      await until('the staged segment in S3', 20_000, async () => (await bucketKeys()).has(staged));
      assert.ok(!knownBefore.has(staged));
      await a.kill();
      await proxy.close();

      // Collected by B or C (never restarted A): rows and blobs gone.
      await until('the rows of the dead node to go', 60_000, async () => (await sql("SELECT count(*) FROM unsettled_blobs WHERE node_id = 'node-killed'"))[0] === '0');
      await until('the staged segment to leave the bucket', 30_000, async () => !(await bucketKeys()).has(staged));
      assert.deepEqual(await sql(`SELECT node_id FROM unsettled_blobs WHERE blob = '${staged}'`), [], 'the moved row was cleared too');
      await until('the dereferenced blob to leave the bucket', 30_000, async () => !(await bucketKeys()).has(firstBlob));

      for (const node of [b, c]) {
        assert.deepEqual(await readBack(node, 'log'), Buffer.concat(parts));
        assert.deepEqual(await readBack(node, 'doc'), second);
      }
      // Nothing referenced went: every segment of the log is still in the bucket.
      const keys = await bucketKeys();
      for (const seg of await sql(`SELECT blob FROM object_segments WHERE bucket = '${B}' AND key = 'log'`)) assert.ok(keys.has(seg), `segment ${seg} kept`);
    } finally {
      await a.kill();
      await proxy.close();
      a.cleanup();
    }
  });

  test('a stalled node past its lease: its staged segment is collected, and when it wakes its commit is refused (nothing acknowledged is lost)', async () => {
    const [b] = cluster.nodes as [Ossd, Ossd];
    const { node: a, proxy } = await startNodeA('node-stalled');
    try {
      const head = randomBytes(1000);
      assert.equal(await append(a, 'stalled', 0, head), 200);
      const held = new Set(await heldRows('node-stalled'));
      const slow = slowAppend(a, 'stalled', head.length, randomBytes(50_000));
      const staged = await theHeldBlob('node-stalled', held);
      proxy.pause();
      slow.finish();
      await until('the staged segment in S3', 20_000, async () => (await bucketKeys()).has(staged));
      // A's lease lapses; another node collects its rows and the staged segment.
      await until('the staged segment to be collected', 60_000, async () => !(await bucketKeys()).has(staged));
      // Its row waits one more grace period (an upload of the stalled node could still land), as a dereferenced row.
      assert.deepEqual(await sql(`SELECT node_id || ' ' || seq FROM unsettled_blobs WHERE blob = '${staged}'`), ['node-stalled 0']);
      // A wakes: its commit must not name the removed segment.
      proxy.resume();
      const status = await slow.answer;
      assert.notEqual(status, 200, 'the append of a node declared dead was acknowledged');
      const exit = await new Promise<number | null>((resolve) => {
        if (a.proc.exitCode !== null) resolve(a.proc.exitCode);
        else a.proc.once('exit', (code) => resolve(code));
      });
      assert.equal(exit, 1, 'a node that lost its lease stops');
      assert.deepEqual(await readBack(b, 'stalled'), head);
    } finally {
      await a.kill();
      await proxy.close();
      a.cleanup();
    }
  });

  test("a live node's rows are left alone by the others' sweeps", async () => {
    const [b, c] = cluster.nodes as [Ossd, Ossd];
    const { node: a, proxy } = await startNodeA('node-alive');
    try {
      const head = randomBytes(1000);
      assert.equal(await append(a, 'alive', 0, head), 200);
      const held = new Set(await heldRows('node-alive'));
      const tail = randomBytes(30_000);
      const slow = slowAppend(a, 'alive', head.length, tail);
      const row = await theHeldBlob('node-alive', held);
      // Several lease periods, so several sweeps of B and C, while the append is in flight.
      await new Promise((r) => setTimeout(r, 3 * LEASE_MS + 500));
      assert.deepEqual(await sql(`SELECT node_id FROM unsettled_blobs WHERE blob = '${row}' AND seq <> 0`), ['node-alive']);
      slow.finish();
      assert.equal(await slow.answer, 200);
      for (const node of [a, b, c]) assert.deepEqual(await readBack(node, 'alive'), Buffer.concat([head, tail]));
      assert.equal(a.proc.exitCode, null, 'the live node still runs');
    } finally {
      await a.stop();
      await proxy.close();
      a.cleanup();
    }
  });
});
