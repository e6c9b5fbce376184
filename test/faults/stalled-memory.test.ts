/**
 * Memory bounds (issue 15, hole 7), against the real ossd process:
 *
 * - Stalled uploads: 400 connections each send a PutObject head declaring 1 MiB and
 *   256 KiB of its body, then nothing. Each may hold only a small fixed buffer: the
 *   server's RSS grows by less than 64 KiB per connection, and another client is served
 *   meanwhile. Before the fix each one held everything it had sent (up to a 1 MiB write
 *   batch): about 270 KiB each here, 0.79 MB in the probe that found it.
 * - The global cap (--max-buffered-body-bytes): when the bytes held are spent, a new body
 *   waits (backpressure) instead of being read, and goes on once bytes are given back;
 *   many concurrent uploads on a tiny cap all complete byte-exact (no deadlock).
 *
 * What a request *holds* is measured, not garbage not yet collected: the stalled-upload
 * server runs with a collection every 200 ms (--expose-gc and a preload) and with glibc
 * returning freed chunks of 32 KiB and more to the system at once (MALLOC_MMAP_THRESHOLD_).
 * Without those, RSS also carries garbage and allocator slack, which are bounded by
 * constants, not by the number of connections: see bench/stalled.ts and BENCH.md for
 * 10,000 stalled connections on a stock process.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blobFiles, createBucket } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const B = 'stalled';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** A signed request head (V1) for raw sockets. */
function head(ossd: Ossd, method: string, path: string, contentLength: number): Buffer {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(contentLength), 'content-type': 'application/octet-stream' };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, path, headers)}`;
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${ossd.port}\r\n${lines.join('')}\r\n`);
}

interface Stalled {
  socket: net.Socket;
  /** Everything the server answered so far. */
  answer(): string;
}

/** Opens a connection that sends the head and `part` of the body, then nothing; resolves once written. */
function stall(ossd: Ossd, path: string, declared: number, part: Buffer, method = 'PUT'): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(ossd.port, '127.0.0.1');
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(Buffer.concat([head(ossd, method, path, declared), part]), () => resolve({ socket, answer: () => answer })));
  });
}

async function putGet(ossd: Ossd, key: string, data: Buffer): Promise<void> {
  const put = await raw(ossd, { method: 'PUT', path: `/${B}/${key}`, body: data });
  assert.equal(put.status, 200, put.text);
  const got = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
  assert.equal(got.status, 200);
  assert.ok(got.body.equals(data), `${key} reads back byte-exact`);
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** A signed upload whose body goes in two halves with a pause between them; resolves with the status. */
function uploadInTwo(ossd: Ossd, method: string, path: string, data: Buffer, pauseMs: number): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(data.length) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, path, headers)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ossd.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const half = Math.floor((data.length * 2) / 3);
    req.write(data.subarray(0, half));
    setTimeout(() => req.end(data.subarray(half)), pauseMs);
  });
}

describe('stalled uploads hold a small fixed buffer', { timeout: 240_000 }, () => {
  const CONNECTIONS = 400;
  const SENT = 256 * KiB;
  const PER_CONNECTION_LIMIT_KB = 64;
  let ossd: Ossd;
  let preloadDir: string;
  before(async () => {
    preloadDir = mkdtempSync(join(tmpdir(), 'ossd-gc-'));
    const preload = join(preloadDir, 'gc.cjs');
    writeFileSync(preload, 'setInterval(() => globalThis.gc(), 200).unref();\n');
    ossd = await startOssd({ env: { NODE_OPTIONS: `--expose-gc --require ${preload}`, MALLOC_MMAP_THRESHOLD_: '32768' } });
    await createBucket(ossd, B);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
    rmSync(preloadDir, { recursive: true, force: true });
  });

  // Fails on the code before the fix (about 270 KiB per connection: the partial write batch
  // stayed in memory): checked. Fails too when ingest's idle flush is removed: checked.
  test(`${CONNECTIONS} uploads stalled after ${SENT / KiB} KiB: RSS grows < ${PER_CONNECTION_LIMIT_KB} KiB each; others are served`, async (t) => {
    // Warm up the paths the measurement will use, so their first-use costs are not counted.
    await putGet(ossd, 'warm-small', randomBytes(4 * KiB));
    await putGet(ossd, 'warm-big', randomBytes(2 * MiB));
    await sleep(1000);
    const before = rssKb(ossd.proc.pid!);

    const part = randomBytes(SENT);
    const stalled: Stalled[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i += 50) {
        stalled.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => stall(ossd, `/${B}/stalled-${i + k}`, MiB, part)))));
      }
      // The server has read every byte sent once they are all in blob files (bounded wait:
      // the old code never writes a partial batch, and the RSS check below then fails).
      const deadline = Date.now() + 60_000;
      const onDisk = (): number => blobFiles(ossd.dataDir).reduce((n, f) => n + f.size, 0);
      while (onDisk() < CONNECTIONS * SENT + 2 * MiB && Date.now() < deadline) await sleep(250);
      await sleep(1000); // a few more collections
      const grownKb = (rssKb(ossd.proc.pid!) - before) / CONNECTIONS;
      t.diagnostic(`RSS grew ${grownKb.toFixed(1)} KiB per stalled upload`);

      // Another client is served meanwhile: small and large, put and get.
      await putGet(ossd, 'during-small', randomBytes(4 * KiB));
      await putGet(ossd, 'during-big', randomBytes(3 * MiB));

      assert.ok(grownKb < PER_CONNECTION_LIMIT_KB, `RSS grew ${grownKb.toFixed(1)} KiB per stalled upload (limit ${PER_CONNECTION_LIMIT_KB})`);
      assert.equal(stalled.filter((s) => s.socket.destroyed).length, 0, 'the stalled connections are still open');
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
  });
});

describe('the global cap on buffered body bytes', { timeout: 240_000 }, () => {
  const CAP = 128 * KiB;
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd({ env: { OSSD_MAX_BUFFERED_BODY_BYTES: String(CAP) } });
    await createBucket(ossd, B);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  // Fails on the code before the fix (no cap: the third upload is answered at once): checked.
  test('with the cap spent, a new body waits (backpressure) and completes once bytes are given back', async () => {
    // Two small bodies (kept whole in memory, stored inline) hold 120 KiB of the 128 KiB.
    const small = [randomBytes(64 * KiB), randomBytes(64 * KiB)];
    const holders = await Promise.all(small.map((data, i) => stall(ossd, `/${B}/holder-${i}`, data.length, data.subarray(0, 60 * KiB))));
    await sleep(1500); // read by the server (also on a loaded machine) before the third comes
    const big = randomBytes(MiB);
    let answered = false;
    const third = raw(ossd, { method: 'PUT', path: `/${B}/waiting`, body: big }).then((r) => {
      answered = true;
      return r;
    });
    await sleep(1500);
    assert.equal(answered, false, 'the third upload waits while the budget is spent');
    for (const [i, h] of holders.entries()) h.socket.write(small[i]!.subarray(60 * KiB));
    const r = await third;
    assert.equal(r.status, 200, r.text);
    for (const [i, h] of holders.entries()) {
      const deadline = Date.now() + 10_000;
      while (!/\r\n\r\n/.test(h.answer()) && Date.now() < deadline) await sleep(50);
      assert.match(h.answer(), /^HTTP\/1\.1 200 /, `holder ${i} answered 200`);
      h.socket.destroy();
      const got = await raw(ossd, { method: 'GET', path: `/${B}/holder-${i}` });
      assert.equal(md5(got.body), md5(small[i]!));
    }
    const got = await raw(ossd, { method: 'GET', path: `/${B}/waiting` });
    assert.equal(md5(got.body), md5(big));
  });

  // Fails when BodyBudget's deadlock escape is removed: checked (the bodies kept whole
  // each hold part of the cap and wait for the rest of it: the test times out).
  test('bodies kept whole in memory, arriving in parts, never wait for each other forever', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(60 * KiB + i));
    const results = await Promise.all([
      ...bodies.slice(0, 5).map((data, i) => uploadInTwo(ossd, 'PUT', `/${B}/whole-${i}`, data, 500)),
      ...bodies.slice(5).map((data, i) => uploadInTwo(ossd, 'POST', `/${B}/whole-app-${i}?append&position=0`, data, 500)),
    ]);
    for (const r of results) assert.equal(r.status, 200, r.text);
    for (const [i, data] of bodies.entries()) {
      const got = await raw(ossd, { method: 'GET', path: `/${B}/${i < 5 ? `whole-${i}` : `whole-app-${i - 5}`}` });
      assert.equal(md5(got.body), md5(data));
    }
  });

  test('many concurrent uploads of every kind on the tiny cap all complete byte-exact', async () => {
    const puts = [3 * MiB, 5 * MiB, 40 * KiB, 60 * KiB, 300 * KiB, 1 * MiB + 7, 64 * KiB, 9 * KiB, 5 * MiB + 3, 200 * KiB, 50 * KiB, 2 * MiB];
    const bodies = puts.map((n) => randomBytes(n));
    const appendKeys = ['app-0', 'app-1', 'app-2', 'app-3'];
    const appendPieces = appendKeys.map((_, i) => [randomBytes(30 * KiB), randomBytes(300 * KiB + i), randomBytes(60 * KiB)]);
    const deleteXml = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${Array.from({ length: 400 }, (_, i) => `<Object><Key>gone-${i}</Key></Object>`).join('')}</Delete>`;

    const appendChain = async (key: string, pieces: Buffer[]): Promise<void> => {
      let position = 0;
      for (const piece of pieces) {
        // Sent in pieces so that the bodies interleave.
        const parts = [piece.subarray(0, piece.length >> 1), piece.subarray(piece.length >> 1)];
        const r = await raw(ossd, { method: 'POST', path: `/${B}/${key}?append&position=${position}`, body: parts });
        assert.equal(r.status, 200, r.text);
        position += piece.length;
      }
    };
    const deletes = Array.from({ length: 3 }, async () => {
      const body = Buffer.from(deleteXml);
      const r = await raw(ossd, { method: 'POST', path: `/${B}/?delete`, body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } });
      assert.equal(r.status, 200, r.text);
    });
    const started = Date.now();
    await Promise.all([
      ...bodies.map(async (data, i) => {
        const parts = [data.subarray(0, 4096), data.subarray(4096)];
        const r = await raw(ossd, { method: 'PUT', path: `/${B}/put-${i}`, body: parts });
        assert.equal(r.status, 200, r.text);
      }),
      ...appendKeys.map((key, i) => appendChain(key, appendPieces[i]!)),
      ...deletes,
    ]);
    assert.ok(Date.now() - started < 120_000);
    for (const [i, data] of bodies.entries()) {
      const got = await raw(ossd, { method: 'GET', path: `/${B}/put-${i}` });
      assert.equal(got.status, 200);
      assert.equal(md5(got.body), md5(data), `put-${i} byte-exact`);
    }
    for (const [i, key] of appendKeys.entries()) {
      const got = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
      assert.equal(md5(got.body), md5(Buffer.concat(appendPieces[i]!)), `${key} byte-exact`);
    }
  });
});
