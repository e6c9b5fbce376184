// Request framing on raw sockets (issue 16).
//
// (a) Content-Length together with Transfer-Encoding: chunked. RFC 9112 §6.1 lets a server
//     read it as chunked and close the connection after; ali-oss sends both for streamed
//     puts and OSS accepts them. Node's parser refuses them unless insecureHTTPParser turns
//     on every llhttp leniency at once (request-smuggling risk), so ossd keeps the refusal
//     (docs/errors.md): one clean OSS error, 400 InvalidRequest with x-oss-request-id and an
//     XML body naming the cause, then the connection closes, and nothing sent behind it on the
//     connection (a smuggled second request) is run.
// (b) A GET or HEAD that declares a body (Content-Length > 0, or chunked) is answered, then
//     its connection is closed (`Connection: close`, the socket ends) instead of reused, and a
//     request pipelined behind it in the same packet is not run. Content-Length: 0 is no body.
//
// Fail before the fix: checked (2026-12-05: (a) answered "The request could not be parsed as
// HTTP."; (b) answered keep-alive, and ran the pipelined PUT). Fails when the
// closeAfterAnswer / isClosing calls (pipeline.ts, server.ts) are removed: checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw, rawSocket } from '../helpers/raw-http.js';
import { parseResponses, wireBytes } from '../helpers/raw-wire.js';

const B = 'framing';
let ossd: Ossd;

/** Sends bytes on a fresh socket; resolves with what came back and whether the server closed it first. */
async function exchange(bytes: Buffer): Promise<{ data: string; closedByServer: boolean }> {
  const waitMs = 5000;
  const started = Date.now();
  const data = await rawSocket(ossd, bytes, waitMs);
  return { data, closedByServer: Date.now() - started < waitMs - 200 };
}

async function exists(key: string): Promise<boolean> {
  return (await raw(ossd, { method: 'HEAD', path: `/${B}/${key}` })).status === 200;
}

const signedPut = (key: string): Buffer => wireBytes(ossd, { method: 'PUT', path: `/${B}/${key}`, headers: { date: new Date().toUTCString(), 'content-length': '5' }, body: 'hello' });

describe('request framing', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/obj`, body: 'object body' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('Content-Length with Transfer-Encoding: chunked is one clean 400, then the connection closes; nothing behind it runs', async () => {
    const head = wireBytes(ossd, {
      method: 'PUT', path: `/${B}/both-headers`,
      headers: { date: new Date().toUTCString(), 'content-length': '5', 'transfer-encoding': 'chunked' },
      body: '5\r\nhello\r\n0\r\n\r\n',
    });
    const { data, closedByServer } = await exchange(Buffer.concat([head, signedPut('smuggled-a')]));
    const answers = parseResponses(data);
    assert.equal(answers.length, 1, data);
    const [answer] = answers;
    assert.equal(answer!.status, 400, data);
    assert.match(answer!.body.toString(), /^<\?xml[^>]*>\s*<Error><Code>InvalidRequest<\/Code>/);
    assert.match(answer!.body.toString(), /Content-Length and Transfer-Encoding/);
    assert.match(answer!.headers['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/);
    assert.equal(answer!.headers.connection, 'close');
    assert.ok(closedByServer, 'the server closed the connection');
    assert.equal(await exists('both-headers'), false);
    assert.equal(await exists('smuggled-a'), false);
  });

  const bodied: Array<[string, string, Record<string, string>, string]> = [
    ['GET with Content-Length', 'GET', { 'content-length': '3' }, 'abc'],
    ['GET chunked', 'GET', { 'transfer-encoding': 'chunked' }, '3\r\nabc\r\n0\r\n\r\n'],
    ['HEAD with Content-Length', 'HEAD', { 'content-length': '3' }, 'abc'],
    ['HEAD chunked', 'HEAD', { 'transfer-encoding': 'chunked' }, '3\r\nabc\r\n0\r\n\r\n'],
  ];
  for (const [name, method, headers, body] of bodied) {
    test(`${name}: answered, Connection: close, the socket ends, a pipelined request is not run`, async () => {
      const key = `pipelined-${method}-${headers['content-length'] ?? 'chunked'}`;
      const first = wireBytes(ossd, { method, path: `/${B}/obj`, headers: { date: new Date().toUTCString(), ...headers }, body });
      const { data, closedByServer } = await exchange(Buffer.concat([first, signedPut(key)]));
      const answers = parseResponses(data, method === 'HEAD');
      assert.equal(answers.length, 1, data);
      assert.equal(answers[0]!.status, 200, data);
      if (method === 'GET') assert.equal(answers[0]!.body.toString(), 'object body');
      assert.equal(answers[0]!.headers.connection, 'close');
      assert.ok(closedByServer, 'the server closed the connection');
      assert.equal(await exists(key), false, 'the pipelined PUT was not run');
    });
  }

  test('GET with Content-Length: 0 keeps the connection: a pipelined request is answered', async () => {
    const first = wireBytes(ossd, { method: 'GET', path: `/${B}/obj`, headers: { date: new Date().toUTCString(), 'content-length': '0' } });
    const data = await rawSocket(ossd, Buffer.concat([first, signedPut('after-empty-get')]), 1500);
    const answers = parseResponses(data);
    assert.equal(answers.length, 2, data);
    assert.notEqual(answers[0]!.headers.connection, 'close');
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.equal(await exists('after-empty-get'), true);
  });

  test('an error answer to a GET with a body closes the connection too', async () => {
    const first = wireBytes(ossd, { method: 'GET', path: `/${B}/no-such-key`, headers: { date: new Date().toUTCString(), 'content-length': '3' }, body: 'abc' });
    const { data, closedByServer } = await exchange(first);
    const answers = parseResponses(data);
    assert.equal(answers.length, 1, data);
    assert.equal(answers[0]!.status, 404);
    assert.equal(answers[0]!.headers.connection, 'close');
    assert.ok(closedByServer);
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/no-such-key` }), 404, 'NoSuchKey');
  });
});
