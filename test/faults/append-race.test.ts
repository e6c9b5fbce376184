/**
 * Concurrent AppendObject against the real ossd process: append is a compare-and-set on
 * the position (design.md "append is a compare-and-set"; append.md §3 steps 4–9 and
 * checklist item 11). Many writers, readers and an overwriting PutObject race on one key;
 * the stored bytes must always be explained by the acknowledged appends.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ackedBytes,
  appendAttempt,
  appender,
  type Attempt,
  crcOf,
  explainBytes,
  randomBody,
  unexpectedAnswers,
} from '../helpers/fault-appends.js';
import {
  createBucket,
  type FetchedObject,
  getObject,
  settledStoreProblems,
  sleep,
  startPartialUpload,
} from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const BUCKET = 'fault-race';
const EMPTY = Buffer.alloc(0);

function bodyOfSize(max: number): () => { body: Buffer; md5: Attempt['md5'] } {
  return () => ({ body: randomBody(1 + Math.floor(Math.random() * max)), md5: Math.random() < 0.5 ? 'good' : 'none' });
}

/** Runs `clients` appenders of `rounds` acknowledged appends each on one new key. */
async function appendStorm(ossd: Ossd, key: string, clients: number, rounds: number, during?: () => Promise<void>) {
  const ledger: Attempt[] = [];
  const appenders = Array.from({ length: clients }, () =>
    appender({ ossd, bucket: BUCKET, key, start: 0, ledger, rounds, nextBody: bodyOfSize(4096) }),
  );
  let finished = false;
  const all = Promise.all(appenders).finally(() => (finished = true));
  const side = during ? (async () => {
    while (!finished) await during();
  })() : Promise.resolve();
  await Promise.all([all, side]);
  return ledger;
}

/** The checks every storm ends with: ledger clean, bytes = acknowledged appends, CRCs chain. */
function checkStormResult(key: string, ledger: Attempt[], got: FetchedObject, expectedAcks: number): void {
  assert.deepEqual(unexpectedAnswers(ledger), [], 'every answer is a 200 or a 409 PositionNotEqualToLength');
  assert.deepEqual(ledger.filter((a) => a.state === 'uncertain' || a.state === 'unsent').length, 0, 'no request failed on the network');
  const acked = ledger.filter((a) => a.state === 'acked');
  assert.equal(acked.length, expectedAcks);
  assert.equal(got.status, 200);
  assert.equal(got.type, 'Appendable');
  assert.equal(explainBytes(got.body, EMPTY, ledger), undefined, `${key}: stored bytes vs the ledger`);
  assert.ok(got.body.equals(ackedBytes(EMPTY, ledger)), `${key}: stored bytes are the acknowledged appends in position order`);
  assert.equal(got.contentLength, got.body.length);
  assert.equal(got.nextPosition, got.body.length);
  assert.equal(got.crc, crcOf(got.body), 'the CRC header is the CRC-64 of the bytes');
  for (const a of acked) {
    assert.equal(a.crc, crcOf(got.body.subarray(0, a.next)), `the CRC acknowledged at ${a.position} chains to the object prefix`);
  }
}

describe('concurrent appends (real ossd)', { timeout: 600_000 }, () => {
  let ossd: Ossd;

  before(async () => {
    ossd = await startOssd();
    await createBucket(ossd, BUCKET);
  });

  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  it('32 concurrent appends at one position: exactly one 200, the rest 409 with the new length', async () => {
    const key = 'same-position';
    let base: Buffer = EMPTY;
    // Round 0 races to create the object, round 1 to extend it.
    for (const round of [0, 1]) {
      const position = base.length;
      const ledger: Attempt[] = [];
      // Distinct sizes: the 409s' next position identifies which body won.
      const bodies = Array.from({ length: 32 }, (_, i) => randomBody(2000 + i * 61 + round * 7));
      await Promise.all(bodies.map((b, i) => appendAttempt(ossd, BUCKET, key, position, b, ledger, i % 2 === 0 ? 'good' : 'none')));
      const winners = ledger.filter((a) => a.status === 200);
      assert.equal(winners.length, 1, `round ${round}: statuses ${ledger.map((a) => a.status).join(',')}`);
      const winner = winners[0]!;
      const length = position + winner.body.length;
      assert.equal(winner.next, length);
      for (const a of ledger) {
        if (a === winner) continue;
        assert.equal(a.status, 409);
        assert.equal(a.code, 'PositionNotEqualToLength');
        assert.equal(a.next, length, 'x-oss-next-append-position is the length after the winning append');
      }
      const got = await getObject(ossd, BUCKET, key);
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(Buffer.concat([base, winner.body])), `round ${round}: the object holds exactly the winner's body`);
      assert.equal(got.crc, crcOf(got.body));
      assert.equal(winner.crc, got.crc);
      base = got.body;
    }
  });

  it('16 appenders x 25 rounds with position retries: the object is the acknowledged appends', async () => {
    const key = 'many-appenders';
    const ledger = await appendStorm(ossd, key, 16, 25);
    const got = await getObject(ossd, BUCKET, key);
    checkStormResult(key, ledger, got, 16 * 25);
    assert.ok(ledger.some((a) => a.code === 'PositionNotEqualToLength'), 'the appenders really raced (some 409s)');
  });

  it('readers during appends see only committed prefixes, never torn or uncommitted bytes', async (t) => {
    const key = 'read-while-appending';
    const reads: FetchedObject[][] = [[], [], [], []];
    // Four readers GET in a loop while the appends run; each keeps its reads in order.
    const ledger = await appendStorm(ossd, key, 8, 20, async () => {
      await Promise.all(reads.map(async (list) => list.push(await getObject(ossd, BUCKET, key))));
    });
    const got = await getObject(ossd, BUCKET, key);
    checkStormResult(key, ledger, got, 8 * 20);
    const committed = new Set(ledger.filter((a) => a.state === 'acked').map((a) => a.next!));
    let seen = 0;
    for (const list of reads) {
      let existed = false;
      for (const r of list) {
        if (r.status === 404) {
          assert.equal(r.code, 'NoSuchKey');
          assert.equal(existed, false, 'a key that was readable never disappears while only appends run');
          continue;
        }
        assert.equal(r.status, 200);
        existed = true;
        seen++;
        assert.equal(r.contentLength, r.body.length, 'Content-Length equals the bytes sent');
        assert.ok(committed.has(r.body.length), `a GET returned ${r.body.length} bytes, which is no committed length`);
        assert.ok(got.body.subarray(0, r.body.length).equals(r.body), 'a GET body is a prefix of the final object');
        assert.equal(r.crc, crcOf(r.body), 'the CRC header matches the bytes of the same GET');
        assert.equal(r.nextPosition, r.body.length);
      }
    }
    const lengths = new Set(reads.flat().filter((r) => r.status === 200).map((r) => r.body.length));
    t.diagnostic(`${seen} successful GETs, ${lengths.size} distinct lengths, ${committed.size} committed lengths`);
    assert.ok(seen >= 20, `readers overlapped the appends (${seen} successful GETs)`);
    assert.ok(lengths.size >= 5, `readers saw the object grow (${lengths.size} distinct lengths)`);
  });

  it('PutObject racing appends on one key: the put wins cleanly, appends stop with ObjectNotAppendable', async (t) => {
    let ackedTotal = 0;
    for (let i = 0; i < 10; i++) {
      const key = `put-vs-append-${i}`;
      const ledger: Attempt[] = [];
      let start = 0;
      if (i % 2 === 0) {
        const first = await appendAttempt(ossd, BUCKET, key, 0, randomBody(1000), ledger);
        assert.equal(first.status, 200);
        start = first.next!;
      }
      const putBody = randomBody(50_000 + i * 997);
      let putAt = Infinity;
      const putStart = Date.now();
      const putting = (async () => {
        await sleep(i * 2);
        const res = await raw(ossd, { method: 'PUT', path: `/${BUCKET}/${key}`, body: putBody });
        putAt = Date.now();
        return res;
      })();
      const appenders = Array.from({ length: 6 }, () =>
        appender({ ossd, bucket: BUCKET, key, start, ledger, rounds: 500, nextBody: bodyOfSize(8192) }),
      );
      const [put] = await Promise.all([putting, ...appenders]);

      assert.equal(put.status, 200, put.text);
      assert.deepEqual(unexpectedAnswers(ledger), []);
      assert.equal(ledger.filter((a) => a.code === 'ObjectNotAppendable').length, 6, 'every appender ended on ObjectNotAppendable');
      for (const a of ledger) {
        if (a.sentAt > putAt) assert.equal(a.code, 'ObjectNotAppendable', 'an append sent after the put was acknowledged is refused');
        if (a.state === 'acked') assert.ok(a.sentAt <= putAt, 'no append is acknowledged if sent after the put');
      }
      // Acknowledged appends (all before the put) formed one gapless chain from 0.
      const acked = ledger.filter((a) => a.state === 'acked').sort((x, y) => x.position - y.position);
      let end = 0;
      for (const a of acked) {
        assert.equal(a.position, end, `${key}: acknowledged appends chain without gaps or duplicates`);
        end = a.next!;
      }
      ackedTotal += acked.filter((a) => a.sentAt >= putStart).length;
      const got = await getObject(ossd, BUCKET, key);
      assert.equal(got.status, 200);
      assert.equal(got.type, 'Normal');
      assert.ok(got.body.equals(putBody), `${key}: the object is exactly the put's bytes`);
      assert.equal(got.crc, crcOf(putBody));
      assert.equal(got.etag, `"${createHash('md5').update(putBody).digest('hex').toUpperCase()}"`);
    }
    t.diagnostic(`${ackedTotal} appends acknowledged while the puts were in flight`);
    assert.ok(ackedTotal >= 5, 'appends really ran while the puts were in flight');
    // Replaced appendable blobs and losing creations are collected: one blob per object.
    assert.deepEqual(await settledStoreProblems(ossd, [BUCKET]), []);
  });

  it('an append whose object is overwritten or deleted while its body streams answers 409, not 5xx', async () => {
    for (const op of ['PUT', 'DELETE'] as const) {
      const key = `replaced-mid-append-${op}`;
      const first = await appendAttempt(ossd, BUCKET, key, 0, Buffer.from('hello'), []);
      assert.equal(first.status, 200);
      // Half the body is sent; the server holds the key's append lock and waits for the rest.
      const upload = startPartialUpload(ossd, 'POST', `/${BUCKET}/${key}?append&position=5`, 64 * 1024, 32 * 1024);
      await sleep(150);
      const replaced = await raw(ossd, { method: op, path: `/${BUCKET}/${key}`, body: op === 'PUT' ? 'normal' : undefined });
      assert.equal(replaced.status, op === 'PUT' ? 200 : 204);
      await sleep(50); // the replaced blob is removed in the background
      upload.finish();
      const answer = await upload.done;
      // append.md §6: now a Normal object → ObjectNotAppendable; now absent → next position 0.
      assert.equal(answer.status, 409, `${op}: the append answered ${String(answer.status)} ${String(answer.code)}`);
      if (op === 'PUT') {
        assert.equal(answer.code, 'ObjectNotAppendable');
      } else {
        assert.equal(answer.code, 'PositionNotEqualToLength');
        assert.equal(answer.headers?.['x-oss-next-append-position'], '0');
      }
      const got = await getObject(ossd, BUCKET, key);
      if (op === 'PUT') assert.equal(got.body.toString(), 'normal');
      else assert.equal(got.status, 404);
    }
  });

  it('after all races the data folder holds exactly the committed bytes', async () => {
    assert.deepEqual(await settledStoreProblems(ossd, [BUCKET]), []);
  });
});
