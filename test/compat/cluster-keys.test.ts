/**
 * Access keys, STS tokens and buckets shared by two ossd nodes over one PostgreSQL
 * (issue 19: "made on one node hold on every node from the next request"), through the
 * real ali-oss client and the real `ossd keys` command. Runs once this build has the
 * PostgreSQL metadata store.
 *
 * - A key made with `ossd keys create` (OSSD_METADATA=postgres://…) works on both nodes at
 *   once; disabled, both refuse it at the next request; enabled again, both accept it.
 * - STS credentials issued by node A's admin endpoint work on node B.
 * - A bucket made on A is listed and usable on B (small objects are inline in the metadata).
 * - Each node counts what it asks of PostgreSQL (ossd_postgres_* metrics): its own requests
 *   move its counters, not the other node's. (Checked to fail with the round trips counted
 *   on the pool only: 0 round trips.)
 * Fails when the server keeps keys in the data folder (SqliteKeyStore in open-metadata.ts
 * for postgres: both nodes refuse the CLI's key and A's STS credentials: checked, on a
 * branch with the metadata store merged and the refusal lifted).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { type Creds, KEY_MODES, keyClient, stsCreds, type StsJson } from '../helpers/keys.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { parseScrape, value } from '../helpers/metrics-scrape.js';
import { raw } from '../helpers/raw-http.js';
import { type Postgres, postgresSkip, startPostgres } from '../helpers/postgres.js';
import { rejectsWith } from '../helpers/sdk-fixtures.js';

const MAIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ossd.cjs');
const MASTER_KEY = 'a1'.repeat(32);
const B = 'cluster-keys';
const METRICS_TOKEN = 'cluster-keys-metrics-token-0123456789';
const unknownKey = { code: 'InvalidAccessKeyId', status: 403 };

const skip = postgresSkip();

let pg: Postgres | undefined;
const nodes: Ossd[] = [];

function clusterEnv(nodeId: string): Record<string, string> {
  return { OSSD_METADATA: pg!.url, OSSD_MASTER_KEY: MASTER_KEY, OSSD_NODE_ID: nodeId, OSSD_METRICS_TOKEN: METRICS_TOKEN };
}

/** `ossd <args>` against the cluster's metadata (no data folder). */
function ossdCli(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const env = { ...process.env, OSSD_METADATA: pg!.url, OSSD_MASTER_KEY: MASTER_KEY };
    execFile(process.execPath, [MAIN, ...args], { env }, (err, stdout, stderr) => (err ? fail(new Error(`ossd ${args.join(' ')}: ${stderr}`)) : done(stdout)));
  });
}

before(async () => {
  if (skip) return;
  pg = await startPostgres();
  // Started together: the migrations run once, under the advisory lock.
  nodes.push(...(await Promise.all(['node-a', 'node-b'].map((id) => startOssd({ env: clusterEnv(id) })))));
  await client(nodes[0]!, { mode: 'sld' }).putBucket(B);
});

after(async () => {
  for (const n of nodes) {
    await n.stop();
    n.cleanup();
  }
  await pg?.stop();
});

describe('keys and buckets across two nodes on PostgreSQL', { timeout: 180_000, skip }, () => {
  it('a bucket and a small object made on A are there on B', async () => {
    await client(nodes[0]!, { mode: 'sld', bucket: B }).put('small.txt', Buffer.from('from A'));
    const b = client(nodes[1]!, { mode: 'sld', bucket: B });
    assert.ok((await client(nodes[1]!, { mode: 'sld' }).listBuckets()).buckets.some((x: { name: string }) => x.name === B));
    assert.equal((await b.get('small.txt')).content.toString(), 'from A');
  });

  it('a key made by `ossd keys create` holds on both nodes; disabled, both refuse it at the next request', async () => {
    const j = JSON.parse(await ossdCli(['keys', 'create', '--json', '--bucket', B])) as { AccessKeyId: string; AccessKeySecret: string };
    const key: Creds = { id: j.AccessKeyId, secret: j.AccessKeySecret };
    for (const m of [KEY_MODES[0]!, KEY_MODES[3]!]) {
      const [a, b] = nodes.map((n) => keyClient(n, m, key, B));
      await a.put(`k-${m.label}`, Buffer.from('by key'));
      assert.equal((await b.get(`k-${m.label}`)).content.toString(), 'by key');
    }
    assert.match(await ossdCli(['keys', 'list']), new RegExp(key.id));
    await ossdCli(['keys', 'disable', key.id]);
    for (const n of nodes) await rejectsWith(keyClient(n, KEY_MODES[0]!, key, B).get('small.txt'), unknownKey);
    await ossdCli(['keys', 'enable', key.id]);
    for (const n of nodes) assert.equal((await keyClient(n, KEY_MODES[0]!, key, B).get('small.txt')).content.toString(), 'from A');
  });

  it('STS credentials issued by node A work on node B', async () => {
    const r = await raw(nodes[0]!, { method: 'POST', path: '/-/admin/sts?duration=600&read-only' });
    assert.equal(r.status, 200, r.text);
    const sts = stsCreds(JSON.parse(r.text) as StsJson);
    const b = keyClient(nodes[1]!, KEY_MODES[1]!, sts, B);
    assert.equal((await b.get('small.txt')).content.toString(), 'from A');
    await rejectsWith(b.put('nope.txt', Buffer.from('x')), { code: 'AccessDenied', status: 403 });
  });

  it('each node counts the PostgreSQL transactions and round trips its requests cost (ossd_postgres_* metrics)', async () => {
    const counters = async (n: Ossd): Promise<{ tx: number; trips: number }> => {
      const r = await raw(n, { method: 'GET', path: '/-/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` }, sign: 'none' });
      assert.equal(r.status, 200, r.text);
      const samples = parseScrape(r.text);
      return { tx: value(samples, 'ossd_postgres_transactions_total'), trips: value(samples, 'ossd_postgres_round_trips_total') };
    };
    const [a0, b0] = [await counters(nodes[0]!), await counters(nodes[1]!)];
    const a = client(nodes[0]!, { mode: 'sld', bucket: B });
    for (let i = 0; i < 20; i++) await a.put(`counted-${i}`, Buffer.from(`put ${i}`));
    const [a1, b1] = [await counters(nodes[0]!), await counters(nodes[1]!)];
    const [tx, trips] = [a1.tx - a0.tx, a1.trips - a0.trips];
    console.log(`# 20 small puts on A: ${tx} PostgreSQL transactions, ${trips} round trips; B meanwhile ${b1.tx - b0.tx} transactions`);
    // A small put: at least its commit; at most a few dozen with key and bucket lookups.
    assert.ok(tx >= 20 && tx <= 20 * 30, `transactions for 20 puts on A: ${tx}`);
    assert.ok(trips > tx, `round trips (${trips}) outnumber transactions (${tx}): BEGIN, statements, COMMIT`);
    // B served nothing: only its background work (lease renewals, sweeps) moved its counters.
    assert.ok(b1.tx - b0.tx < tx / 2, `B's transactions meanwhile: ${b1.tx - b0.tx}`);
  });
});
