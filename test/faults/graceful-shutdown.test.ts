/**
 * Graceful stop of the real process (issue 18, src/server/graceful.ts): on SIGTERM or
 * SIGINT, ossd stops accepting, lets the requests in flight finish (each answered, with
 * Connection: close), closes idle keep-alive connections at once, closes the store and
 * exits 0; past --shutdown-timeout it cuts what is left; a second signal exits at once.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exitOf(ossd: Ossd): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  return new Promise((resolve) => {
    if (ossd.proc.exitCode !== null) resolve({ code: ossd.proc.exitCode, signal: null, at: Date.now() });
    ossd.proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
}

async function logged(ossd: Ossd, msg: string): Promise<void> {
  for (let i = 0; i < 200 && !ossd.output().includes(`"msg":"${msg}`); i++) await sleep(25);
  assert.ok(ossd.output().includes(`"msg":"${msg}`), `a log line "${msg}"`);
}

interface Upload {
  /** Sends the rest of the body. */
  finish(): void;
  answer: Promise<{ status: number; connection?: string; body: string }>;
}

/** A signed PUT (or AppendObject at 0) that sends the first half of `body` now and the rest on finish(). */
function slowUpload(ossd: Ossd, agent: http.Agent, path: string, body: Buffer): Upload {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(body.length) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, path.includes('?append') ? 'POST' : 'PUT', path, headers)}`;
  const req = http.request({ host: '127.0.0.1', port: ossd.port, method: path.includes('?append') ? 'POST' : 'PUT', path, headers, agent });
  const answer = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, body.length >> 1));
  return { finish: () => req.end(body.subarray(body.length >> 1)), answer };
}

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('graceful stop', { timeout: 600_000 }, () => {
  // Fails when main.ts stops at once (running.shutdown(0) on SIGTERM: the uploads are cut): checked.
  it('SIGTERM under load: every upload in flight completes 200 and is readable after a restart; new connections are refused; exit 0', async () => {
    let ossd = await startOssd({ args: ['--shutdown-timeout', '120'] });
    const dataDir = ossd.dataDir;
    try {
      assert.equal((await raw(ossd, { method: 'PUT', path: '/drain/' })).status, 200);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i * 997, `upload ${i} `));
      const paths = bodies.map((_, i) => (i % 4 === 3 ? `/drain/append-${i}?append&position=0` : `/drain/put-${i}`));
      const uploads = bodies.map((b, i) => slowUpload(ossd, agent, paths[i]!, b));
      await sleep(500);
      const exit = exitOf(ossd);
      ossd.proc.kill('SIGTERM');
      await logged(ossd, 'stopping: no new connections');
      assert.equal(await connectOutcome(ossd.port), 'ECONNREFUSED', 'no new connections once stopping');
      assert.equal(ossd.proc.exitCode, null, 'still running while uploads are in flight');
      for (const u of uploads) u.finish();
      const answers = await Promise.all(uploads.map((u) => u.answer));
      for (const a of answers) {
        assert.equal(a.status, 200, a.body);
        assert.equal(a.connection, 'close', 'answers during a stop close their connection');
      }
      const { code } = await exit;
      assert.equal(code, 0);
      assert.match(ossd.output(), /"msg":"stopping: every request in flight was answered"/);
      assert.match(ossd.output(), /"msg":"stopping: store closed cleanly"/);
      agent.destroy();

      ossd = await startOssd({ dataDir });
      assert.match(ossd.output(), /"replayedAppends":0/);
      for (const [i, b] of bodies.entries()) {
        const got = await raw(ossd, { method: 'GET', path: paths[i]!.replace(/\?.*$/, '') });
        assert.equal(got.status, 200);
        assert.equal(md5(got.body), md5(b), paths[i]);
      }
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
  });

  // Fails when graceful.ts neither closes the server nor its idle connections (Node 20's server.close() closes idle ones itself): checked.
  it('an idle keep-alive connection is closed at once, while an upload is still being answered', async () => {
    const ossd = await startOssd({ args: ['--shutdown-timeout', '60'] });
    try {
      assert.equal((await raw(ossd, { method: 'PUT', path: '/idle/' })).status, 200);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      // The agent keeps the socket after the answer: an idle keep-alive connection.
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: ossd.port, path: '/-/health', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.socket!));
        });
        req.on('error', reject);
      });
      const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
      const upload = slowUpload(ossd, new http.Agent({ keepAlive: true }), '/idle/slow', Buffer.alloc(100_000, 1));
      await sleep(300);
      const exit = exitOf(ossd);
      ossd.proc.kill('SIGTERM');
      const closedInTime = await Promise.race([socketClosed.then(() => true), sleep(10_000).then(() => false)]);
      assert.ok(closedInTime, 'the idle connection was closed');
      assert.equal(ossd.proc.exitCode, null, 'while the upload is still in flight');
      upload.finish();
      assert.equal((await upload.answer).status, 200);
      assert.equal((await exit).code, 0);
      agent.destroy();
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
  });

  // Fails when graceful.ts waits without the deadline (the stalled upload holds the stop for good): checked.
  it('past --shutdown-timeout the requests left are cut, the store is closed and the exit is 0', async () => {
    const ossd = await startOssd({ args: ['--shutdown-timeout', '1'] });
    try {
      assert.equal((await raw(ossd, { method: 'PUT', path: '/late/' })).status, 200);
      const agent = new http.Agent({ keepAlive: false });
      const stalled = slowUpload(ossd, agent, '/late/never', Buffer.alloc(100_000));
      stalled.answer.catch(() => undefined);
      await sleep(300);
      const exit = exitOf(ossd);
      const started = Date.now();
      ossd.proc.kill('SIGINT');
      const { code, at } = await exit;
      assert.equal(code, 0);
      assert.ok(at - started >= 900, 'waited for the deadline');
      await assert.rejects(stalled.answer);
      assert.match(ossd.output(), /"cut":1,.*"msg":"stopping: deadline reached, requests still in flight were cut"/);
      assert.match(ossd.output(), /"msg":"stopping: store closed cleanly"/);
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
  });

  // Fails when main.ts ignores the second signal (the stop then waits the 120 s deadline): checked.
  it('a second signal exits at once', async () => {
    const ossd = await startOssd({ args: ['--shutdown-timeout', '120'] });
    try {
      assert.equal((await raw(ossd, { method: 'PUT', path: '/twice/' })).status, 200);
      const stalled = slowUpload(ossd, new http.Agent({ keepAlive: false }), '/twice/never', Buffer.alloc(100_000));
      stalled.answer.catch(() => undefined);
      await sleep(300);
      const exit = exitOf(ossd);
      ossd.proc.kill('SIGTERM');
      await logged(ossd, 'stopping: no new connections');
      const started = Date.now();
      ossd.proc.kill('SIGTERM');
      const { code, at } = await exit;
      assert.equal(code, 143, '128 + SIGTERM');
      assert.ok(at - started < 5000, `exited in ${at - started} ms`);
      assert.match(ossd.output(), /"msg":"second signal: exiting at once"/);
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
  });
});
