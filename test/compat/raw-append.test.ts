// AppendObject over raw HTTP (append.md §2–§6, §13): query forms, position parsing, the
// 409s and their headers, CRC chaining, chunked bodies, and all-or-nothing appends when
// the digest is wrong, the client goes away or the chunk framing is broken.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { journalFlushed } from '../helpers/meta-db.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, md5Base64, raw, type RawRequest, type RawResponse } from '../helpers/raw-http.js';
import { openWire, wire, wireBytes } from '../helpers/raw-wire.js';

const B = 'raw-append';
const CRC_HELLO = '11177612005948864433';
const CRC_HELLOWORLD = '10826451443916115081';
const APPENDABLE_ETAG = /^"[0-9A-F]{32}"$/;
let ossd: Ossd;

const req = (r: RawRequest): Promise<RawResponse> => raw(ossd, r);
const append = (key: string, query: string, body: RawRequest['body'], headers: Record<string, string> = {}, chunked = false): Promise<RawResponse> =>
  req({ method: 'POST', path: `/${B}/${key}?${query}`, body, headers, chunked });

interface State { status: number; length?: string; crc?: string; etag?: string; type?: string; next?: string }
async function state(key: string): Promise<State> {
  const h = await req({ method: 'HEAD', path: `/${B}/${key}` });
  return {
    status: h.status,
    length: h.headers['content-length'],
    crc: h.headers['x-oss-hash-crc64ecma'] as string | undefined,
    etag: h.headers.etag,
    type: h.headers['x-oss-object-type'] as string | undefined,
    next: h.headers['x-oss-next-append-position'] as string | undefined,
  };
}
async function content(key: string): Promise<string> {
  const r = await req({ method: 'GET', path: `/${B}/${key}` });
  assert.equal(r.status, 200);
  return r.text;
}
function assertOk(res: RawResponse, next: number, crc: string): void {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['x-oss-next-append-position'], String(next));
  assert.equal(res.headers['x-oss-hash-crc64ecma'], crc);
  assert.match(String(res.headers.etag), APPENDABLE_ETAG);
  assert.equal(res.body.length, 0);
}
/** An object holding "hello", created by one append. */
async function hello(key: string): Promise<State> {
  assertOk(await append(key, 'append&position=0', 'hello'), 5, CRC_HELLO);
  return state(key);
}

before(async () => {
  ossd = await startOssd();
  assert.equal((await req({ method: 'PUT', path: `/${B}/` })).status, 200);
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

test('?append&position, ?append=&position and ?position&append= all append, CRC chains', { timeout: 300_000 }, async () => {
  for (const [i, q] of ['append&position=0', 'append=&position=0', 'position=0&append='].entries()) {
    assertOk(await append(`form-${i}`, q, 'hello'), 5, CRC_HELLO);
  }
  const first = await state('form-0');
  const second = await append('form-0', 'append=&position=5', 'world');
  assertOk(second, 10, CRC_HELLOWORLD);
  assert.notEqual(second.headers.etag, first.etag, 'the ETag changes on every append');
  assertOk(await append('form-0', 'position=10&append', ''), 10, CRC_HELLOWORLD);
  assert.equal(await content('form-0'), 'helloworld');
});

test('missing position: 400 MissingArgument; garbage positions: 400 InvalidArgument; nothing created', { timeout: 300_000 }, async () => {
  assertErr(await append('pos', 'append', 'x'), 400, 'MissingArgument');
  assertErr(await append('pos', 'append=', 'x'), 400, 'MissingArgument');
  for (const p of ['-1', 'abc', '1.5', '0x10', '', '99999999999999999999', '%200', '+0', '1e3']) {
    assertErr(await append('pos', `append&position=${p}`, 'x'), 400, 'InvalidArgument');
  }
  assert.equal((await state('pos')).status, 404);
});

test('PositionNotEqualToLength carries x-oss-next-append-position (0 for a missing key)', { timeout: 300_000 }, async () => {
  await hello('pnel');
  for (const p of [0, 4, 6]) {
    const res = await append('pnel', `append&position=${p}`, 'x');
    assertErr(res, 409, 'PositionNotEqualToLength');
    assert.equal(res.headers['x-oss-next-append-position'], '5');
    assert.equal(res.headers['x-oss-ec'], '0026-00000016');
  }
  const missing = await append('pnel-missing', 'append&position=3', 'x');
  assertErr(missing, 409, 'PositionNotEqualToLength');
  assert.equal(missing.headers['x-oss-next-append-position'], '0');
  assert.equal((await state('pnel-missing')).status, 404);
  assert.equal(await content('pnel'), 'hello');
});

test('append onto a Normal object: 409 ObjectNotAppendable, EC 0026-00000017', { timeout: 300_000 }, async () => {
  assert.equal((await req({ method: 'PUT', path: `/${B}/normal`, body: 'hello' })).status, 200);
  for (const p of [0, 5]) {
    const res = await append('normal', `append&position=${p}`, 'x');
    assertErr(res, 409, 'ObjectNotAppendable');
    assert.equal(res.headers['x-oss-ec'], '0026-00000017');
    assert.match(res.text, /<EC>0026-00000017<\/EC>/);
  }
  const s = await state('normal');
  assert.equal(s.type, 'Normal');
  assert.equal(await content('normal'), 'hello');
});

test('GET and HEAD of an appendable object: type, next position, CRC', { timeout: 300_000 }, async () => {
  await hello('typed');
  const get = await req({ method: 'GET', path: `/${B}/typed` });
  assert.equal(get.headers['x-oss-object-type'], 'Appendable');
  assert.equal(get.headers['x-oss-next-append-position'], '5');
  assert.equal(get.headers['x-oss-hash-crc64ecma'], CRC_HELLO);
  const head = await state('typed');
  assert.equal(head.type, 'Appendable');
  assert.equal(head.next, '5');
  assert.equal(head.length, '5');
  assert.equal(head.etag, get.headers.etag);
});

test('chunked append bodies (C++ stream / ali-oss putStream style)', { timeout: 300_000 }, async () => {
  assertOk(await append('chunked', 'append&position=0', [Buffer.from('hel'), Buffer.from('lo')], {}, true), 5, CRC_HELLO);
  assertOk(await append('chunked', 'append&position=5', [Buffer.from('w'), Buffer.from('orld')], {}, true), 10, CRC_HELLOWORLD);
  assert.equal(await content('chunked'), 'helloworld');
});

test('Content-MD5 mismatch: 400 InvalidDigest, object unchanged, next append at the same position works', { timeout: 300_000 }, async () => {
  const before = await hello('md5');
  assertErr(await append('md5', 'append&position=5', 'world', { 'content-md5': md5Base64('WORLD') }), 400, 'InvalidDigest');
  assert.deepEqual(await state('md5'), before);
  assert.equal(await content('md5'), 'hello');
  assertOk(await append('md5', 'append&position=5', 'world', { 'content-md5': md5Base64('world') }), 10, CRC_HELLOWORLD);
  assertErr(await append('md5-new', 'append&position=0', 'hello', { 'content-md5': md5Base64('x') }), 400, 'InvalidDigest');
  assert.equal((await state('md5-new')).status, 404, 'a failed first append creates nothing');
});

/** Total bytes of all blob files: uncommitted bytes left on disk would show here (once journalFlushed()). */
function blobBytes(): number {
  let n = 0;
  const root = join(ossd.dataDir, 'blobs');
  for (const shard of readdirSync(root)) for (const f of readdirSync(join(root, shard))) n += statSync(join(root, shard, f)).size;
  return n;
}

/** Declares `declared` bytes, sends `sent`, lets the server take them, then disconnects. */
async function abandon(key: string, position: number, declared: number, sent: number): Promise<void> {
  const w = await openWire(ossd);
  const headers = { date: new Date().toUTCString(), 'content-length': String(declared), 'content-type': 'application/octet-stream' };
  w.write(wireBytes(ossd, { method: 'POST', path: `/${B}/${key}?append&position=${position}`, headers, body: Buffer.alloc(sent, 0x61) }));
  await sleep(150);
  w.destroy();
  await sleep(50);
}

test('a client that disconnects mid-body leaves no trace', { timeout: 300_000 }, async () => {
  // 10 of 1000 bytes (still buffered), then 2 MiB of 3 MiB (already written to the blob file).
  for (const [i, [declared, sent]] of [[1000, 10], [3 << 20, 2 << 20]].entries()) {
    const before = await hello(`abandon-${i}`);
    await journalFlushed(ossd.dataDir);
    const bytesBefore = blobBytes();
    await abandon(`abandon-${i}`, 5, declared!, sent!);
    assert.deepEqual(await state(`abandon-${i}`), before);
    // An empty append queues behind the abandoned one, so its rollback is done after this.
    assertOk(await append(`abandon-${i}`, 'append&position=5', ''), 5, CRC_HELLO);
    await journalFlushed(ossd.dataDir);
    assert.equal(blobBytes(), bytesBefore, 'the bytes received before the disconnect are gone from disk');
    assertOk(await append(`abandon-${i}`, 'append&position=5', 'world'), 10, CRC_HELLOWORLD);
    assert.equal(await content(`abandon-${i}`), 'helloworld');
    await abandon(`abandon-new-${i}`, 0, declared!, sent!);
    assert.equal((await state(`abandon-new-${i}`)).status, 404);
    assertOk(await append(`abandon-new-${i}`, 'append&position=0', 'hello'), 5, CRC_HELLO);
    assert.equal(await content(`abandon-new-${i}`), 'hello');
  }
});

test('broken chunk framing: 400, no trace', { timeout: 300_000 }, async () => {
  const big = (2 << 20).toString(16);
  for (const body of ['zz\r\nworld\r\n0\r\n\r\n', '5\r\nworld\r\nzz\r\n', `${big}\r\n${'a'.repeat(2 << 20)}\r\nzz\r\n`]) {
    const before = await hello('framing');
    await journalFlushed(ossd.dataDir);
    const bytesBefore = blobBytes();
    const headers = { date: new Date().toUTCString(), 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' };
    const res = await wire(ossd, { method: 'POST', path: `/${B}/framing?append&position=5`, headers, body });
    assert.equal(res.status, 400, res.raw);
    assert.match(res.headers['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/, 'x-oss-request-id on every response (README §3)');
    assert.deepEqual(await state('framing'), before);
    assertOk(await append('framing', 'append&position=5', ''), 5, CRC_HELLO);
    await journalFlushed(ossd.dataDir);
    assert.equal(blobBytes(), bytesBefore, 'no stray bytes left on disk');
    assertOk(await append('framing', 'append&position=5', 'world'), 10, CRC_HELLOWORLD);
    assert.equal(await content('framing'), 'helloworld');
    assert.equal((await req({ method: 'DELETE', path: `/${B}/framing` })).status, 204);
  }
});

test('an append past 5 GiB is refused from the headers: 400 InvalidArgument before any body byte', { timeout: 300_000 }, async () => {
  const headers = { date: new Date().toUTCString(), 'content-length': String(5 * 1024 ** 3 + 1) };
  const res = await wire(ossd, { method: 'POST', path: `/${B}/huge?append&position=0`, headers }, 3000);
  assert.equal(res.status, 400, res.raw);
  assert.match(res.body.toString(), /<Code>InvalidArgument<\/Code>/);
  assert.equal((await state('huge')).status, 404);
  await hello('huge-2');
  const more = { date: new Date().toUTCString(), 'content-length': String(5 * 1024 ** 3 - 4) };
  const res2 = await wire(ossd, { method: 'POST', path: `/${B}/huge-2?append&position=5`, headers: more }, 3000);
  assert.equal(res2.status, 400, res2.raw);
  assert.match(res2.body.toString(), /<Code>InvalidArgument<\/Code>/);
  assert.equal((await state('huge-2')).length, '5');
});

test('invalid x-oss-tagging on the first append: 400 InvalidTag (InvalidArgument when not decodable), nothing created', { timeout: 300_000 }, async () => {
  const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
  for (const tagging of [eleven, `${'k'.repeat(129)}=v`, 'a=1&a=2']) {
    assertErr(await append('tagged', 'append&position=0', 'hello', { 'x-oss-tagging': tagging }), 400, 'InvalidTag');
  }
  assertErr(await append('tagged', 'append&position=0', 'hello', { 'x-oss-tagging': 'a=%ZZ' }), 400, 'InvalidArgument');
  assert.equal((await state('tagged')).status, 404);
  const ok = await append('tagged', 'append&position=0', 'hello', { 'x-oss-tagging': 'a=1&b=2' });
  assertOk(ok, 5, CRC_HELLO);
  assert.equal((await req({ method: 'HEAD', path: `/${B}/tagged` })).headers['x-oss-tagging-count'], '2');
});

test('x-oss-tagging on a later append is ignored, even when invalid (append.md §2.1)', { timeout: 300_000 }, async () => {
  await hello('tagged-later');
  const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
  assertOk(await append('tagged-later', 'append&position=5', 'world', { 'x-oss-tagging': eleven }), 10, CRC_HELLOWORLD);
  assert.equal((await req({ method: 'HEAD', path: `/${B}/tagged-later` })).headers['x-oss-tagging-count'], undefined);
});

test('cold-archive storage classes on append: 400 InvalidArgument; IA is accepted', { timeout: 300_000 }, async () => {
  for (const sc of ['ColdArchive', 'DeepColdArchive', 'Glacier']) {
    assertErr(await append('cold', 'append&position=0', 'hello', { 'x-oss-storage-class': sc }), 400, 'InvalidArgument');
  }
  assert.equal((await state('cold')).status, 404);
  assertOk(await append('cold', 'append&position=0', 'hello', { 'x-oss-storage-class': 'IA' }), 5, CRC_HELLO);
  assert.equal((await req({ method: 'HEAD', path: `/${B}/cold` })).headers['x-oss-storage-class'], 'IA');
});
