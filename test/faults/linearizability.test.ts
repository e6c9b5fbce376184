/**
 * Linearizability of AppendObject, PutObject, DeleteObject and GetObject on the real
 * ossd process (issue "Reliability and security"). Many clients run random operations
 * concurrently on a few keys; every operation is recorded with its invocation time, its
 * response time and its result (appends: position, success or refusal and the next
 * position; puts: the body; GETs: the bytes and object type seen). Each history is then
 * checked key by key against a sequential model of an OSS key (absent | Normal(bytes) |
 * Appendable(bytes)) with a WGL search (test/helpers/rel-linearizability.ts).
 *
 * 1,000 histories in the normal run (2 keys × 4 clients × 4 operations), 10,000 with
 * OSSD_LONG_TESTS=1 (3 keys × 4 clients × 6 operations). The checker itself must refuse
 * hand-made non-linearizable histories and tampered recordings.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { crcOf, prng } from '../helpers/fault-appends.js';
import { createBucket } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { codeOf, LONG, pool, RelClient } from '../helpers/rel-http.js';
import { byKey, checkLinearizable, describeOp, type KeyOp, ossKeyModel, type Timed } from '../helpers/rel-linearizability.js';

const BUCKET = 'lin';
const HISTORIES = LONG ? 10_000 : 1_000;
const SHAPE = LONG ? { keys: 3, clients: 4, ops: 6 } : { keys: 2, clients: 4, ops: 4 };
const PARALLEL = 8;
const SEED = process.env.OSSD_LIN_SEED ? Number(process.env.OSSD_LIN_SEED) : Math.floor(Math.random() * 2 ** 31);

// ---- the checker on hand-made histories ------------------------------------------------

const b = (s: string): Buffer => Buffer.from(s);
let nextId = 0;
function op(client: number, call: number, ret: number, o: KeyOp): Timed<KeyOp> {
  return { id: nextId++, client, call, ret, op: o };
}
const append = (position: number, data: string, result: Extract<KeyOp, { type: 'append' }>['result']): KeyOp => ({ type: 'append', position, data: b(data), result });
const ok = (next: number, content: string): Extract<KeyOp, { type: 'append' }>['result'] => ({ status: 'ok', next, crc: crcOf(b(content)) });
const put = (data: string): KeyOp => ({ type: 'put', data: b(data) });
const del: KeyOp = { type: 'delete' };
const get = (content: string | null, objectType = 'Appendable'): KeyOp => ({
  type: 'get',
  result: content === null ? { status: 'absent' } : { status: 'ok', objectType, bytes: b(content) },
});

describe('the linearizability checker', { timeout: LONG ? 10_800_000 : 600_000 }, () => {
  const refuse: Array<[string, Timed<KeyOp>[]]> = [
    ['a read after a completed put sees nothing', [op(0, 0, 1, put('A')), op(1, 2, 3, get(null))]],
    ['two appends at 0, one after the other, both succeed', [op(0, 0, 1, append(0, 'ab', ok(2, 'ab'))), op(1, 2, 3, append(0, 'cd', ok(2, 'cd')))]],
    ['two overlapping appends at 0 both succeed', [op(0, 0, 10, append(0, 'ab', ok(2, 'ab'))), op(1, 1, 9, append(0, 'cd', ok(2, 'cd')))]],
    ['an acknowledged append is missing from a later read', [op(0, 0, 1, append(0, 'hello', ok(5, 'hello'))), op(1, 2, 3, get('hel'))]],
    ['a completed delete is undone', [op(0, 0, 1, put('A')), op(0, 2, 3, del), op(1, 4, 5, get('A', 'Normal'))]],
    ['real time: a later put loses to an earlier one', [op(0, 0, 1, put('A')), op(1, 2, 3, put('B')), op(2, 4, 5, get('A', 'Normal'))]],
    ['a read returns bytes nobody wrote', [op(0, 0, 1, put('A')), op(1, 0, 2, get('Z', 'Normal'))]],
    ['a refusal names the wrong next position', [op(0, 0, 1, append(0, 'abc', ok(3, 'abc'))), op(1, 2, 3, append(0, 'x', { status: 'position', next: 2 }))]],
    ['an append to a Normal object succeeds', [op(0, 0, 1, put('A')), op(1, 2, 3, append(1, 'x', ok(2, 'Ax')))]],
    ['the type is wrong', [op(0, 0, 1, put('A')), op(1, 2, 3, get('A', 'Appendable'))]],
    ['the CRC of an append is wrong', [op(0, 0, 1, append(0, 'ab', { status: 'ok', next: 2, crc: '1' }))]],
    ['reads go back in time', [op(0, 0, 1, append(0, 'a', ok(1, 'a'))), op(1, 0, 10, append(1, 'b', ok(2, 'ab'))), op(2, 2, 3, get('ab')), op(2, 4, 5, get('a'))]],
  ];
  for (const [name, history] of refuse) {
    test(`refuses: ${name}`, () => {
      const v = checkLinearizable(ossKeyModel, history);
      assert.equal(v.linearizable, false, `accepted in order ${JSON.stringify(v.linearizable && v.order)}`);
    });
  }

  const accept: Array<[string, Timed<KeyOp>[]]> = [
    ['overlapping puts, either may win', [op(0, 0, 5, put('A')), op(1, 1, 4, put('B')), op(2, 6, 7, get('A', 'Normal'))]],
    ['a read overlapping the creating append sees nothing', [op(0, 0, 5, append(0, 'x', ok(1, 'x'))), op(1, 1, 2, get(null))]],
    ['a race at position 0: one wins, the other is told the new length', [op(0, 0, 5, append(0, 'x', ok(1, 'x'))), op(1, 1, 4, append(0, 'yy', { status: 'position', next: 1 }))]],
    ['a chain of appends across clients', [op(0, 0, 1, append(0, 'a', ok(1, 'a'))), op(1, 2, 3, append(1, 'b', ok(2, 'ab'))), op(0, 4, 5, append(2, 'c', ok(3, 'abc'))), op(1, 6, 7, get('abc'))]],
    ['delete, then append at 0 makes a new object', [op(0, 0, 1, put('A')), op(1, 2, 3, append(0, 'x', { status: 'not-appendable' })), op(0, 4, 5, del), op(1, 6, 7, append(0, 'x', ok(1, 'x')))]],
    ['a read must be ordered between two overlapping writes', [op(0, 0, 10, put('A')), op(1, 0, 10, del), op(2, 1, 2, get('A', 'Normal')), op(2, 3, 4, get(null))]],
  ];
  for (const [name, history] of accept) {
    test(`accepts: ${name}`, () => {
      const v = checkLinearizable(ossKeyModel, history);
      assert.equal(v.linearizable, true, v.linearizable ? '' : v.reason);
    });
  }

  test('the search is bounded: 16 fully concurrent operations are decided quickly, a step limit stops the rest', () => {
    const history: Timed<KeyOp>[] = [];
    for (let i = 0; i < 6; i++) history.push(op(i, 0, 100, append(0, `d${i}`, { status: 'position', next: 2 })));
    history.push(op(6, 0, 100, append(0, 'zz', ok(2, 'zz'))));
    for (let i = 0; i < 9; i++) history.push(op(7 + i, 0, 100, get(i % 2 ? null : 'zz')));
    const t0 = performance.now();
    const v = checkLinearizable(ossKeyModel, history);
    assert.equal(v.linearizable, true);
    assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
    const tiny = checkLinearizable(ossKeyModel, history, 10);
    assert.equal(tiny.linearizable, false);
    assert.match(tiny.linearizable ? '' : tiny.reason, /search bound/);
  });
});

// ---- histories recorded on the real server ---------------------------------------------

type Recorded = Timed<KeyOp> & { key: string };

let ossd: Ossd;
let client: RelClient;

before(async () => {
  ossd = await startOssd();
  client = new RelClient(ossd, PARALLEL * SHAPE.clients + 4);
  await createBucket(ossd, BUCKET);
});

after(async () => {
  client.close();
  await ossd.stop();
  ossd.cleanup();
});

/** One client: `ops` random operations on `keys`, one at a time, each recorded. */
async function runClient(c: number, keys: string[], ops: number, rand: () => number, out: Recorded[], problems: string[]): Promise<void> {
  const known = new Map<string, number>();
  for (let i = 0; i < ops; i++) {
    const key = keys[Math.floor(rand() * keys.length)]!;
    const path = `/${BUCKET}/${key}`;
    const r = rand();
    const call = performance.now();
    let o: KeyOp;
    try {
      if (r < 0.45) {
        const k = known.get(key) ?? 0;
        const p = rand();
        const position = p < 0.75 ? k : p < 0.85 ? 0 : p < 0.95 ? k + 1 : Math.max(0, k - 1);
        const data = randomBytes(1 + Math.floor(rand() * 6));
        const res = await client.signed('POST', `${path}?append&position=${position}`, {}, data);
        const next = Number(res.headers['x-oss-next-append-position']);
        const code = codeOf(res.text);
        let result: Extract<KeyOp, { type: 'append' }>['result'];
        if (res.status === 200) result = { status: 'ok', next, crc: String(res.headers['x-oss-hash-crc64ecma']) };
        else if (res.status === 409 && code === 'PositionNotEqualToLength') result = { status: 'position', next };
        else if (res.status === 409 && code === 'ObjectNotAppendable') result = { status: 'not-appendable' };
        else {
          problems.push(`append ${key}@${position}: unexpected ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
        if ('next' in result) known.set(key, result.next);
        o = { type: 'append', position, data, result };
      } else if (r < 0.6) {
        const data = randomBytes(1 + Math.floor(rand() * 6));
        const res = await client.signed('PUT', path, {}, data);
        if (res.status !== 200) {
          problems.push(`put ${key}: unexpected ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
        o = { type: 'put', data };
      } else if (r < 0.72) {
        const res = await client.signed('DELETE', path);
        if (res.status !== 204) {
          problems.push(`delete ${key}: unexpected ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
        o = { type: 'delete' };
      } else {
        const res = await client.signed('GET', path);
        if (res.status === 200) {
          const type = String(res.headers['x-oss-object-type']);
          if (res.headers['x-oss-hash-crc64ecma'] !== crcOf(res.body)) problems.push(`get ${key}: CRC header does not match the bytes`);
          if (type === 'Appendable') known.set(key, res.body.length);
          o = { type: 'get', result: { status: 'ok', objectType: type, bytes: res.body } };
        } else if (res.status === 404 && codeOf(res.text) === 'NoSuchKey') {
          known.set(key, 0);
          o = { type: 'get', result: { status: 'absent' } };
        } else {
          problems.push(`get ${key}: unexpected ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
      }
    } catch (e) {
      problems.push(`${key}: no answer: ${(e as Error).message}`);
      return;
    }
    out.push({ id: out.length, client: c, call, ret: performance.now(), op: o, key });
  }
}

/**
 * A copy of the history with one GET's last byte altered, or undefined when it has no
 * non-empty GET. Every state of a key ends with the last byte of the put or append that
 * made it, so the new byte is one that no write of the history ends with: the altered
 * read is then surely impossible (a bit flip could land on a concurrent write's value).
 */
function tampered(h: Timed<KeyOp>[]): Timed<KeyOp>[] | undefined {
  const i = h.findIndex((x) => x.op.type === 'get' && x.op.result.status === 'ok' && x.op.result.bytes.length > 0);
  if (i < 0) return undefined;
  const endings = new Set(h.flatMap((x) => (x.op.type === 'put' || x.op.type === 'append' ? [x.op.data[x.op.data.length - 1]] : [])));
  const unwritten = Array.from({ length: 256 }, (_, v) => v).find((v) => !endings.has(v))!;
  return h.map((x, j) => {
    if (j !== i || x.op.type !== 'get' || x.op.result.status !== 'ok') return x;
    const bytes = Buffer.from(x.op.result.bytes);
    bytes[bytes.length - 1] = unwritten;
    return { ...x, op: { type: 'get', result: { ...x.op.result, bytes } } };
  });
}

test(`${HISTORIES} concurrent histories on the real server are linearizable (seed ${SEED})`, { timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
  const started = performance.now();
  const problems: string[] = [];
  const violations: string[] = [];
  const stats = { histories: 0, keyHistories: 0, ops: 0, maxSteps: 0, totalSteps: 0, tampered: 0, tamperAccepted: 0, appendsOk: 0, appendsRefused: 0 };
  const indexes = Array.from({ length: HISTORIES }, (_, i) => i);
  await pool(indexes, PARALLEL, async (h) => {
    if (problems.length > 0) return;
    const keys = Array.from({ length: SHAPE.keys }, (_, k) => `h${h}/k${k}`);
    const recorded: Recorded[] = [];
    await Promise.all(Array.from({ length: SHAPE.clients }, (_, c) => runClient(c, keys, SHAPE.ops, prng(SEED + h * 7919 + c + 1), recorded, problems)));
    stats.histories++;
    for (const [key, history] of byKey(recorded)) {
      stats.keyHistories++;
      stats.ops += history.length;
      for (const x of history) {
        if (x.op.type === 'append') {
          if (x.op.result.status === 'ok') stats.appendsOk++;
          else stats.appendsRefused++;
        }
      }
      const v = checkLinearizable(ossKeyModel, history);
      stats.maxSteps = Math.max(stats.maxSteps, v.steps);
      stats.totalSteps += v.steps;
      if (!v.linearizable) {
        violations.push(`history ${h}, key ${key}: ${v.reason}\n${[...history].sort((a, b2) => a.call - b2.call).map(describeOp).join('\n')}`);
        continue;
      }
      // The same recording with one read altered must be refused: the checker has teeth on real data.
      const bad = tampered(history);
      if (bad) {
        stats.tampered++;
        if (checkLinearizable(ossKeyModel, bad).linearizable) stats.tamperAccepted++;
      }
    }
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const summary =
    `linearizability: ${stats.histories} histories (${stats.keyHistories} per-key histories, ${stats.ops} operations; ` +
    `${stats.appendsOk} appends acknowledged, ${stats.appendsRefused} refused) checked in ${seconds} s, seed ${SEED}; ` +
    `search steps max ${stats.maxSteps}, mean ${(stats.totalSteps / Math.max(1, stats.keyHistories)).toFixed(1)}; ` +
    `${stats.tampered} tampered recordings, ${stats.tamperAccepted} wrongly accepted`;
  t.diagnostic(summary);
  assert.deepEqual(problems, [], 'every request got an answer the model knows');
  assert.deepEqual(violations, [], `non-linearizable histories (replay with OSSD_LIN_SEED=${SEED})`);
  assert.equal(stats.histories, HISTORIES);
  assert.ok(stats.appendsOk > 0 && stats.appendsRefused > 0, 'appends both won and lost races');
  assert.ok(stats.tampered > HISTORIES / 10, `only ${stats.tampered} recordings could be tampered with`);
  assert.equal(stats.tamperAccepted, 0, 'the checker accepted a tampered recording');
});
