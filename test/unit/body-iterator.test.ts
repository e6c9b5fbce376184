/**
 * bodyIterator (src/protocol/body-iterator.ts) on real HTTP requests: a node:http server
 * and a raw socket client that sends a body in pieces, stops halfway, or goes away.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { bodyIterator } from '../../src/protocol/body-iterator.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** A server running `handler` for one request; `client` gets a connected raw socket. */
async function withServer(handler: Handler, client: (socket: net.Socket) => Promise<void>): Promise<void> {
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  try {
    await client(socket);
  } finally {
    socket.destroy();
    await new Promise((r) => server.close(r));
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Everything the socket receives until the server ends the response or closes. */
function responseOf(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*done$/.test(text)) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
}

async function collect(it: AsyncIterator<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

describe('bodyIterator', { timeout: 30_000 }, () => {
  it('yields a body that arrives in pieces, some before the first read and some after, then ends', async () => {
    let got: Buffer | undefined;
    await withServer(
      async (req, res) => {
        await pause(50); // the first pieces are buffered by then
        got = await collect(bodyIterator(req));
        res.end('done');
      },
      async (socket) => {
        const answered = responseOf(socket);
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nabc');
        socket.write('def');
        await pause(100);
        socket.write('ghijkl');
        assert.match(await answered, /^HTTP\/1\.1 200/);
      },
    );
    assert.equal(got?.toString(), 'abcdefghijkl');
  });

  it('rejects, instead of waiting forever, when the client goes away in the middle of the body', async () => {
    let outcome: unknown;
    await withServer(
      async (req) => {
        outcome = await collect(bodyIterator(req)).catch((e: unknown) => e);
      },
      async (socket) => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly some');
        await pause(50);
        socket.destroy();
        for (let i = 0; i < 100 && outcome === undefined; i++) await pause(10);
      },
    );
    assert.ok(outcome instanceof Error, `rejected: ${String(outcome)}`);
  });

  it('a stream closed before its end, without an error, also makes the read throw (premature close)', async () => {
    const stream = new Readable({ read() {} });
    stream.push('some');
    const it = bodyIterator(stream);
    assert.equal((await it.next()).value?.toString(), 'some');
    setTimeout(() => stream.destroy(), 20);
    await assert.rejects(it.next(), (e: NodeJS.ErrnoException) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
    // Closed before the iterator was even made: the first read throws.
    const closed = new Readable({ read() {} });
    closed.destroy();
    await new Promise((r) => closed.once('close', r));
    await assert.rejects(bodyIterator(closed).next(), (e: NodeJS.ErrnoException) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
  });

  it('stopping early leaves the connection open for the answer', async () => {
    await withServer(
      async (req, res) => {
        const it = bodyIterator(req);
        assert.equal((await it.next()).done, false);
        await it.return!();
        res.setHeader('connection', 'close');
        res.end('done');
      },
      async (socket) => {
        const answered = responseOf(socket);
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
        const text = await answered;
        assert.match(text, /^HTTP\/1\.1 200/);
        assert.match(text, /done$/);
      },
    );
  });
});
