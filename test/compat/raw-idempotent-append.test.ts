/**
 * Exactly-once appends (docs/extensions.md "Exactly-once appends"; issue 17): AppendObject
 * with `Idempotency-Key`, through the real ossd process, with ali-oss (its `append` passes
 * `options.headers` through) and raw HTTP. Restarts and kill -9 are in
 * test/faults/idempotent-append-crash.test.ts.
 *
 * Mutations, each made in the server, this file run, then restored (checked 2026-12-05):
 *   - no lookup of the key (src/engine/append.ts appendOnce: `recorded` always undefined):
 *     every retry test fails (409 PositionNotEqualToLength instead of the replayed 200),
 *     the racing retries see one 200 and seven 409s, and the reused keys get 409, not 422;
 *   - the body not compared (src/engine/idempotency.ts replay: the CRC check removed):
 *     "same key, another body of the same length" answers 200 and fails;
 *   - the fast refusal before the key's lock kept for keyed appends (append.ts
 *     `token === undefined &&` removed): "a retry while a later append holds the object"
 *     fails (409 at once);
 *   - the per-object count not enforced (AppendKeyChange.keep not passed): the 1001st-key
 *     test fails (the first key is still replayed);
 *   - records not tied to the object (idempotency.ts stillApplies: the blob compare
 *     removed): "a deleted and re-created object forgets its keys" fails (replayed 200).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crcOf } from '../helpers/fault-appends.js';
import { answerOf, keyedAppend } from '../helpers/keyed-appends.js';
import { client } from '../helpers/clients.js';
import { sleep, startPartialUpload, waitFor } from '../helpers/fault-store.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw, rawSocket, signV1 } from '../helpers/raw-http.js';

const B = 'idem-append';
const ossd = useOssd({}, async (o) => {
  assert.equal((await raw(o, { method: 'PUT', path: `/${B}/` })).status, 200);
});

async function content(key: string): Promise<Buffer> {
  const r = await raw(ossd, { method: 'GET', path: `/${B}/${encodeURIComponent(key)}` });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('AppendObject with Idempotency-Key', { timeout: 120_000 }, () => {
  it('a retry with the same key, position and body gets the original answer, marked replayed, and appends nothing (ali-oss)', async () => {
    const oss = client(ossd, { mode: 'sld', bucket: B });
    const body = Buffer.from('first batch\n');
    const first = await oss.append('sdk-retry', body, { position: 0, headers: { 'Idempotency-Key': 'batch-0001' } });
    assert.equal(first.nextAppendPosition, String(body.length));
    assert.equal(first.res.headers['x-ossd-idempotent-replay'], undefined, 'the first append is not a replay');
    const again = await oss.append('sdk-retry', body, { position: 0, headers: { 'Idempotency-Key': 'batch-0001' } });
    assert.equal(again.res.status, 200);
    assert.equal(again.res.headers['x-ossd-idempotent-replay'], 'true');
    assert.equal(again.nextAppendPosition, String(body.length));
    assert.equal(again.res.headers['x-oss-hash-crc64ecma'], first.res.headers['x-oss-hash-crc64ecma']);
    assert.equal(again.res.headers.etag, first.res.headers.etag);
    assert.deepEqual(await content('sdk-retry'), body);
  });

  it('a retry after later appends gets the original answer, not the object as it is now', async () => {
    const parts = ['alpha-', 'beta-', 'gamma'].map((s) => Buffer.from(s));
    const answers = [];
    let at = 0;
    for (const [i, p] of parts.entries()) {
      const a = await keyedAppend(ossd, B, 'later', at, p, `later-${i}`);
      assert.equal(a.status, 200, a.text);
      answers.push(a);
      at += p.length;
    }
    const whole = Buffer.concat(parts);
    for (const [i, p] of parts.entries()) {
      const position = parts.slice(0, i).reduce((n, x) => n + x.length, 0);
      const r = await keyedAppend(ossd, B, 'later', position, p, `later-${i}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.replay, true);
      assert.deepEqual(answerOf(r), answerOf(answers[i]!), `retry of append ${i}`);
      assert.equal(r.crc, crcOf(Buffer.concat(parts.slice(0, i + 1))), 'the CRC-64 of the object right after that append');
    }
    assert.deepEqual(await content('later'), whole);
    // An append without a key is not affected: the stale position is refused as on OSS.
    const plain = await keyedAppend(ossd, B, 'later', 0, parts[0]!, undefined);
    assert.equal(plain.status, 409);
    assert.equal(plain.code, 'PositionNotEqualToLength');
    assert.equal(plain.replay, false);
  });

  it('the same key with another body, length or position: 422 IdempotencyKeyMismatch, nothing appended', async () => {
    const body = Buffer.from('0123456789');
    assert.equal((await keyedAppend(ossd, B, 'reuse', 0, body, 'reuse-key')).status, 200);
    const cases = [
      { what: 'another body of the same length', position: 0, body: Buffer.from('0123456788') },
      { what: 'a shorter body', position: 0, body: Buffer.from('01234') },
      { what: 'a longer body', position: 0, body: Buffer.from('0123456789ab') },
      { what: 'another position', position: 10, body },
      { what: 'an empty body', position: 0, body: Buffer.alloc(0) },
    ];
    for (const c of cases) {
      const r = await keyedAppend(ossd, B, 'reuse', c.position, c.body, 'reuse-key');
      assert.equal(r.status, 422, `${c.what}: ${r.text}`);
      assert.equal(r.code, 'IdempotencyKeyMismatch', c.what);
      assert.match(r.text, /^<\?xml[^>]*>\s*<Error>/, `${c.what}: an OSS-style XML error`);
      assert.match(r.text, /<RequestId>[^<]+<\/RequestId>/);
      assert.equal(r.replay, false);
    }
    // A longer body sent chunked (no Content-Length): refused once it passes the recorded length.
    const chunked = await raw(ossd, {
      method: 'POST',
      path: `/${B}/reuse?append&position=0`,
      headers: { 'idempotency-key': 'reuse-key' },
      body: [body, Buffer.from('more')],
      chunked: true,
    });
    assert.equal(chunked.status, 422, chunked.text);
    assert.deepEqual(await content('reuse'), body, 'nothing of the refused retries was appended');
    // The original retry still replays.
    const same = await keyedAppend(ossd, B, 'reuse', 0, body, 'reuse-key');
    assert.equal(same.status, 200);
    assert.equal(same.replay, true);
    // A chunked retry of the same body replays too: the body is read and compared, not its headers.
    const sameChunked = await raw(ossd, { method: 'POST', path: `/${B}/reuse?append&position=0`, headers: { 'idempotency-key': 'reuse-key' }, body: [body.subarray(0, 3), body.subarray(3)], chunked: true });
    assert.equal(sameChunked.status, 200, sameChunked.text);
    assert.equal(sameChunked.headers['x-ossd-idempotent-replay'], 'true');
  });

  it('concurrent identical retries: exactly one append happens, every answer is the same 200', async () => {
    const body = Buffer.from('racing body '.repeat(100));
    const answers = await Promise.all(Array.from({ length: 8 }, () => keyedAppend(ossd, B, 'race', 0, body, 'race-key')));
    for (const a of answers) {
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(answerOf(a), { next: body.length, crc: crcOf(body), etag: answers[0]!.etag });
    }
    assert.equal(answers.filter((a) => !a.replay).length, 1, 'one original, the others replayed');
    assert.deepEqual(await content('race'), body);
    // The same with a large body (written to the blob file, not journaled) onto an existing object.
    const big = Buffer.alloc(300 * 1024, 7);
    const more = await Promise.all(Array.from({ length: 4 }, () => keyedAppend(ossd, B, 'race', body.length, big, 'race-big')));
    assert.deepEqual(more.map((a) => [a.status, a.next]), Array.from({ length: 4 }, () => [200, body.length + big.length]));
    assert.equal(more.filter((a) => !a.replay).length, 1);
    assert.deepEqual(await content('race'), Buffer.concat([body, big]));
  });

  it('a retry while a later append holds the object (its body still arriving) waits for it, then is replayed', async () => {
    assert.equal((await keyedAppend(ossd, B, 'held', 0, 'abc', 'held-0')).status, 200);
    const total = 2 * 1024 * 1024;
    const later = startPartialUpload(ossd, 'POST', `/${B}/held?append&position=3`, total, total / 2);
    await waitFor('half of the later append sent', () => later.sent() === total / 2);
    const retry = keyedAppend(ossd, B, 'held', 0, 'abc', 'held-0');
    // Not answered while the later append holds the object: it is queued behind it (a check of
    // the position before queueing would refuse it with 409 at once).
    const early = await Promise.race([retry.then(() => 'answered'), sleep(300).then(() => 'waiting')]);
    assert.equal(early, 'waiting');
    later.finish();
    assert.equal((await later.done).status, 200);
    const r = await retry;
    assert.deepEqual([r.status, r.replay, r.next], [200, true, 3], r.text);
    assert.equal((await content('held')).length, 3 + total);
  });

  it('keys belong to one object: the same key on another object is another append', async () => {
    const a = await keyedAppend(ossd, B, 'per-object-a', 0, 'aaa', 'shared-key');
    const b = await keyedAppend(ossd, B, 'per-object-b', 0, 'bbbb', 'shared-key');
    assert.deepEqual([a.status, a.replay, b.status, b.replay], [200, false, 200, false]);
    assert.equal((await content('per-object-b')).toString(), 'bbbb');
  });

  it('a deleted and re-created object forgets its keys', async () => {
    assert.equal((await keyedAppend(ossd, B, 'recreated', 0, 'old-bytes', 'gone-key')).status, 200);
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${B}/recreated` })).status, 204);
    assert.equal((await keyedAppend(ossd, B, 'recreated', 0, 'new-bytes-longer', 'other-key')).status, 200);
    // The old key names an append to the deleted object: the retry is an append like any other.
    const r = await keyedAppend(ossd, B, 'recreated', 0, 'old-bytes', 'gone-key');
    assert.equal(r.status, 409, r.text);
    assert.equal(r.code, 'PositionNotEqualToLength');
    // Overwritten by PutObject: not appendable any more.
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/recreated`, body: 'normal' })).status, 200);
    const n = await keyedAppend(ossd, B, 'recreated', 0, 'new-bytes-longer', 'other-key');
    assert.equal(n.status, 409, n.text);
    assert.equal(n.code, 'ObjectNotAppendable');
  });

  it('an empty append with a key is replayed too', async () => {
    const e = await keyedAppend(ossd, B, 'empty', 0, '', 'empty-key');
    assert.deepEqual([e.status, e.next, e.crc], [200, 0, '0']);
    assert.equal((await keyedAppend(ossd, B, 'empty', 0, 'data', 'data-key')).status, 200);
    const r = await keyedAppend(ossd, B, 'empty', 0, '', 'empty-key');
    assert.deepEqual([r.status, r.replay, r.next, r.crc], [200, true, 0, '0']);
  });

  it('only the last 1000 keys of an object are kept', { timeout: 300_000 }, async () => {
    let at = 0;
    for (let i = 0; i <= 1000; i++) {
      const a = await keyedAppend(ossd, B, 'many', at, 'x', `many-${i}`);
      assert.equal(a.status, 200, a.text);
      at++;
    }
    const oldest = await keyedAppend(ossd, B, 'many', 0, 'x', 'many-0');
    assert.equal(oldest.status, 409, 'the 1001st key pushed out the first: its retry is a plain append');
    assert.equal(oldest.code, 'PositionNotEqualToLength');
    const kept = await keyedAppend(ossd, B, 'many', 1, 'x', 'many-1');
    assert.deepEqual([kept.status, kept.replay, kept.next], [200, true, 2]);
  });

  it('a malformed Idempotency-Key: 400 InvalidArgument, nothing appended', async () => {
    const bad = ['', 'has space', 'x'.repeat(129), 'tab\there'];
    for (const token of bad) {
      const r = await keyedAppend(ossd, B, 'malformed', 0, 'data', token);
      assert.equal(r.status, 400, `${JSON.stringify(token)}: ${r.text}`);
      assert.equal(r.code, 'InvalidArgument');
    }
    const longest = await keyedAppend(ossd, B, 'malformed', 0, 'data', '~'.repeat(128));
    assert.equal(longest.status, 200, 'the longest key is taken');
    // Two headers arrive joined by ", ": refused. A DEL byte (0x7F), sent raw (clients refuse
    // to), is refused by the HTTP parser before ossd reads the header: 400 InvalidRequest.
    const raws: Array<[string[], string]> = [
      [['Idempotency-Key: a', 'Idempotency-Key: b'], 'InvalidArgument'],
      [['Idempotency-Key: a\x7fb'], 'InvalidRequest'],
    ];
    for (const [lines, code] of raws) {
      const path = `/${B}/malformed2?append&position=0`;
      const date = new Date().toUTCString();
      const auth = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'POST', path, { date, 'content-length': '4' })}`;
      const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Date: ${date}`, `Authorization: ${auth}`, 'Content-Length: 4', 'Connection: close', ...lines];
      const answer = await rawSocket(ossd, Buffer.from(`${head.join('\r\n')}\r\n\r\ndata`, 'latin1'));
      assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(lines));
      assert.match(answer, new RegExp(`<Code>${code}</Code>`));
    }
    assert.equal((await raw(ossd, { method: 'HEAD', path: `/${B}/malformed2` })).status, 404);
  });
});
