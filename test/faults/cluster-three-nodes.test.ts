/**
 * Issue 19, "A 3-node test": three ossd processes on 127.0.0.2–4 over one PostgreSQL and
 * one S3 store (Ceph RGW when installed, else s3rver), driven by the real ali-oss client
 * round-robin across the nodes, and by raw HTTP where the check needs a header ali-oss
 * does not expose (x-oss-next-append-position on a 409).
 *
 * 1. Racing appends from the three nodes at one position: exactly one 200; the others
 *    409 PositionNotEqualToLength naming the winner's next position. Racing seals: one
 *    time for all. One Idempotency-Key sent to the three nodes at once: appended once.
 * 2. A follow read on node A wakes on an append committed on node B (LISTEN/NOTIFY), well
 *    within 1 s.
 * 3. The storm: appenders (each append through the next node), put/delete churners and
 *    multipart uploads whose Initiate, parts and Complete go to different nodes, all
 *    through ali-oss; node 3 is killed (SIGKILL) in the middle. Afterwards, read through
 *    each surviving node and through node 3 restarted: every appendable key holds exactly
 *    its acknowledged appends laid end to end (plus, possibly, ones in flight at the kill),
 *    every whole-object key its last acknowledged write (or one in flight), every
 *    completed upload its parts.
 *
 * Fails when the compare-and-set's revision guard is removed from the PostgreSQL store
 * (two racing appends both win): checked. Fails when the PostgreSQL LISTEN is not started
 * (the follower on node A waits for its idle timeout): checked.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { type Attempt, explainBytes, prng, randomBody } from '../helpers/fault-appends.js';
import { follow } from '../helpers/follow.js';
import type { Ossd } from '../helpers/ossd-process.js';
import { postgresSkip } from '../helpers/postgres.js';
import { errorCode, raw } from '../helpers/raw-http.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OssClient = any;
const OSS = require('ali-oss') as new (opts: Record<string, unknown>) => OssClient;

const LONG = process.env.OSSD_LONG_TESTS === '1';
const STORM_MS = LONG ? 60_000 : 10_000;
const SEED = Number(process.env.OSSD_FAULT_SEED ?? Date.now() % 1_000_000);
const B = 'cluster';
const skip = postgresSkip();

let cluster: Cluster;

function oss(node: Ossd, v4 = false): OssClient {
  return new OSS({
    endpoint: node.endpoint,
    accessKeyId: node.accessKeyId,
    accessKeySecret: node.accessKeySecret,
    region: 'oss-cn-hangzhou',
    bucket: B,
    authorizationV4: v4,
    timeout: 30_000,
  });
}

const nodes = (): Ossd[] => cluster.nodes;

before(async () => {
  if (skip) return;
  cluster = await startCluster({ nodes: 3, env: { OSSD_GC_GRACE_MS: '2000' } });
  assert.equal((await raw(nodes()[0]!, { method: 'PUT', path: `/${B}/` })).status, 200);
}, { timeout: 180_000 });

after(async () => {
  if (!skip) await cluster?.stop();
}, { timeout: 120_000 });

async function appendRaw(node: Ossd, key: string, position: number, body: Buffer, headers: Record<string, string> = {}) {
  const r = await raw(node, { method: 'POST', path: `/${B}/${key}?append&position=${position}`, body, headers });
  return { status: r.status, code: errorCode(r), next: Number(r.headers['x-oss-next-append-position']), crc: r.headers['x-oss-hash-crc64ecma'], headers: r.headers };
}

describe('three nodes over one PostgreSQL and one S3 store', { skip, timeout: 600_000 }, () => {
  test('racing appends at one position from the three nodes: exactly one wins, the others learn its next position', async () => {
    for (let round = 0; round < 20; round++) {
      const key = `race/${round}`;
      let position = 0;
      for (let step = 0; step < 3; step++) {
        const bodies = nodes().map((_, i) => randomBody(100 + i * 37 + step));
        const answers = await Promise.all(nodes().map((n, i) => appendRaw(n, key, position, bodies[i]!)));
        const winners = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
        assert.equal(winners.length, 1, `round ${round} step ${step}: ${JSON.stringify(answers.map((a) => [a.status, a.code]))}`);
        const w = winners[0]!;
        const next = position + bodies[w]!.length;
        for (const [i, a] of answers.entries()) {
          if (i === w) assert.equal(a.next, next);
          else assert.deepEqual([a.status, a.code, a.next], [409, 'PositionNotEqualToLength', next]);
        }
        position = next;
      }
      // The object is the winners' bodies: read through each node.
      const lengths = await Promise.all(nodes().map(async (n) => Number((await raw(n, { method: 'HEAD', path: `/${B}/${key}` })).headers['content-length'])));
      assert.deepEqual(lengths, [position, position, position]);
    }
  });

  test('racing seals keep one time; racing retries of one Idempotency-Key append once', async () => {
    const key = 'race/seal';
    assert.equal((await appendRaw(nodes()[0]!, key, 0, Buffer.from('sealed soon'))).status, 200);
    const seals = await Promise.all(nodes().map((n) => raw(n, { method: 'POST', path: `/${B}/${key}?seal&position=11` })));
    assert.deepEqual(seals.map((s) => s.status), [200, 200, 200], seals.map((s) => s.text).join());
    const times = new Set(seals.map((s) => s.headers['x-oss-sealed-time']));
    assert.equal(times.size, 1, `sealed times ${[...times].join(' / ')}`);
    const late = await appendRaw(nodes()[2]!, key, 11, Buffer.from('x'));
    assert.deepEqual([late.status, late.code], [409, 'ObjectNotAppendable']);

    const keyed = 'race/keyed';
    const body = randomBody(500);
    const answers = await Promise.all(nodes().map((n) => appendRaw(n, keyed, 0, body, { 'idempotency-key': 'cluster-once-1' })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200], JSON.stringify(answers.map((a) => [a.status, a.code])));
    assert.deepEqual(answers.map((a) => a.next), [500, 500, 500]);
    assert.equal(new Set(answers.map((a) => a.crc)).size, 1);
    const got = await raw(nodes()[1]!, { method: 'GET', path: `/${B}/${keyed}` });
    assert.ok(got.body.equals(body), `the object holds ${got.body.length} bytes, not the one append`);
  });

  test('a follow read on node 1 wakes on an append committed on node 2 within 1 s', async (t) => {
    const key = 'follow/x';
    assert.equal((await appendRaw(nodes()[1]!, key, 0, Buffer.from('start\n'))).status, 200);
    const reader = follow(nodes()[0]!, `/${B}/${key}`, { from: 6, idleS: 30 });
    await reader.head;
    const latencies: number[] = [];
    let position = 6;
    for (let i = 0; i < 10; i++) {
      const line = Buffer.from(`line ${i}\n`);
      const a = await appendRaw(nodes()[1 + (i % 2)]!, key, position, line);
      assert.equal(a.status, 200);
      const t0 = Date.now();
      position += line.length;
      await reader.atLeast(position - 6);
      latencies.push(Date.now() - t0);
    }
    reader.destroy();
    latencies.sort((x, y) => x - y);
    const worst = latencies[latencies.length - 1]!;
    t.diagnostic(`cross-node follow wake-up ms: ${latencies.join(' ')}`);
    assert.ok(worst < 1000, `a follower saw an append on another node only after ${worst} ms`);
  });

  test('storm across the nodes with ali-oss, node 3 killed in the middle: nothing acknowledged lost or torn', async (t) => {
    const rand = prng(SEED);
    t.diagnostic(`OSSD_FAULT_SEED=${SEED}`);
    const alive = [true, true, true];
    const clients = nodes().map((n) => oss(n));
    let turn = 0;
    const pick = (): number => {
      for (let tries = 0; tries < 3; tries++) {
        const i = turn++ % 3;
        if (alive[i]) return i;
      }
      throw new Error(`no node left alive:\n${nodes().map((n, i) => `node ${i + 1}: ${n.output().slice(-2000)}`).join('\n')}`);
    };
    const stopAt = Date.now() + STORM_MS;
    const stopped = (): boolean => Date.now() > stopAt;
    const lost = (e: unknown): 'uncertain' | 'unsent' | undefined => {
      const err = e as { code?: string; status?: number; message?: string };
      if (err.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(err.message))) return 'unsent';
      if (err.status === -1 || err.status === -2 || /ECONNRESET|socket hang up|EPIPE/.test(String(err.message) + String(err.code))) return 'uncertain';
      return undefined;
    };

    // Appenders: 6 keys, 2 appenders each; each append through the next node.
    const ledger: Attempt[] = [];
    const unexpected: string[] = [];
    const appendKeys = Array.from({ length: 6 }, (_, i) => `storm/append-${i}`);
    const appenderLoop = async (key: string): Promise<void> => {
      let position = 0;
      while (!stopped()) {
        const node = pick();
        const body = randomBody(1 + Math.floor(rand() * 20_000));
        const a: Attempt = { key, position, body, md5: 'none', state: 'uncertain', sentAt: Date.now() };
        ledger.push(a);
        try {
          const res = await clients[node].append(key, body, { position: String(position) });
          a.state = 'acked';
          a.next = Number(res.nextAppendPosition);
          position = a.next;
        } catch (e) {
          const how = lost(e);
          if (how) {
            a.state = how;
            if (node !== 2) unexpected.push(`node ${node + 1} (never killed) did not answer an append: ${String((e as Error).message)}`);
            alive[node] = false;
            continue;
          }
          a.state = 'refused';
          const code = (e as { code?: string }).code;
          if (code !== 'PositionNotEqualToLength') unexpected.push(`${key}@${position}: ${String(code)} ${String((e as Error).message)}`);
          // ali-oss does not expose x-oss-next-append-position on an error: ask another node.
          const head = await clients[pick()].head(key).catch(() => undefined);
          position = Number(head?.res.headers['x-oss-next-append-position'] ?? position);
        }
      }
    };

    // Whole-object churners: put or delete through the next node; the ledger of each key.
    type Whole = { op: 'put' | 'delete'; body?: Buffer; state: Attempt['state'] };
    const wholes = new Map<string, Whole[]>();
    const churnLoop = async (key: string): Promise<void> => {
      const mine: Whole[] = [];
      wholes.set(key, mine);
      while (!stopped()) {
        const node = pick();
        const w: Whole = rand() < 0.7 ? { op: 'put', body: randomBody(Math.floor(rand() * 100_000)), state: 'uncertain' } : { op: 'delete', state: 'uncertain' };
        mine.push(w);
        try {
          if (w.op === 'put') await clients[node].put(key, w.body);
          else await clients[node].delete(key);
          w.state = 'acked';
        } catch (e) {
          const how = lost(e);
          if (!how) unexpected.push(`${w.op} ${key}: ${String((e as Error).message)}`);
          w.state = how ?? 'refused';
          if (how && node !== 2) unexpected.push(`node ${node + 1} (never killed) did not answer a ${w.op}: ${String((e as Error).message)}`);
          if (how) alive[node] = false;
        }
      }
    };

    // Multipart: Initiate on one node, each part on the next, Complete on the next.
    const completed: Array<{ key: string; body: Buffer }> = [];
    const uncertainUploads = new Set<string>();
    const multipartLoop = async (worker: number): Promise<void> => {
      for (let n = 0; !stopped(); n++) {
        const key = `storm/mp-${worker}-${n}`;
        const parts = [randomBody(100 * 1024), randomBody(100 * 1024), randomBody(1 + Math.floor(rand() * 50_000))];
        try {
          const { uploadId } = await clients[pick()].initMultipartUpload(key);
          const done: Array<{ number: number; etag: string }> = [];
          for (const [i, part] of parts.entries()) {
            const r = await clients[pick()].uploadPart(key, uploadId, i + 1, part, 0, part.length);
            done.push({ number: i + 1, etag: r.etag });
          }
          uncertainUploads.add(key);
          await clients[pick()].completeMultipartUpload(key, uploadId, done);
          uncertainUploads.delete(key);
          completed.push({ key, body: Buffer.concat(parts) });
        } catch (e) {
          const how = lost(e);
          if (!how) unexpected.push(`multipart ${key}: ${String((e as Error).message)}`);
        }
      }
    };

    const storm = Promise.all([
      ...appendKeys.flatMap((k) => [appenderLoop(k), appenderLoop(k)]),
      ...['storm/whole-0', 'storm/whole-1', 'storm/whole-2'].map(churnLoop),
      multipartLoop(0),
      multipartLoop(1),
    ]);
    await new Promise((r) => setTimeout(r, STORM_MS / 2));
    await nodes()[2]!.kill();
    alive[2] = false;
    await storm;
    assert.deepEqual(unexpected, []);

    const acked = ledger.filter((a) => a.state === 'acked').length;
    t.diagnostic(`appends: ${acked} acknowledged, ${ledger.filter((a) => a.state === 'uncertain').length} without answer; multipart completed: ${completed.length}`);
    assert.ok(acked > 30, `only ${acked} appends were acknowledged`);

    const check = async (node: Ossd, label: string): Promise<void> => {
      const problems: string[] = [];
      for (const key of appendKeys) {
        const got = await raw(node, { method: 'GET', path: `/${B}/${key}` });
        const bytes = got.status === 200 ? got.body : Buffer.alloc(0);
        const why = explainBytes(bytes, Buffer.alloc(0), ledger.filter((a) => a.key === key));
        if (why) problems.push(`${label} ${key}: ${why}`);
      }
      for (const [key, mine] of wholes) {
        const got = await raw(node, { method: 'GET', path: `/${B}/${key}` });
        let last = -1;
        mine.forEach((w, i) => {
          if (w.state === 'acked') last = i;
        });
        const may = (last < 0 ? [] : [mine[last]!]).concat(mine.slice(last + 1).filter((w) => w.state === 'uncertain'));
        const fits = may.some((w) => (w.op === 'delete' ? got.status === 404 : got.status === 200 && got.body.equals(w.body!)));
        const absentOk = last < 0 && got.status === 404;
        if (!fits && !absentOk) problems.push(`${label} ${key}: ${got.status} ${got.body.length} bytes fits no acknowledged or in-flight write`);
      }
      for (const c of completed) {
        const got = await raw(node, { method: 'GET', path: `/${B}/${c.key}` });
        if (got.status !== 200 || !got.body.equals(c.body)) problems.push(`${label} ${c.key}: multipart object ${got.status}, ${got.body.length} bytes`);
      }
      assert.deepEqual(problems, []);
    };
    await check(nodes()[0]!, 'node 1');
    await check(nodes()[1]!, 'node 2');
    const restarted = await cluster.restart(2);
    await check(restarted, 'node 3 restarted');
  });
});
