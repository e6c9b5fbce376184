/**
 * The hostile-clients battery of test/faults/hostile-clients.test.ts (embedded default) and
 * test/faults/batteries-cluster.test.ts (a PostgreSQL + S3 node): see the first for what it does.
 * One body for both, so the drivers are held to one standard.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createBucket, settledStoreProblems } from './fault-store.js';
import { type Ossd, startOssd, type StartOptions } from './ossd-process.js';
import { errorCode, raw, signV1 } from './raw-http.js';
import { openWire, parseResponses, type Wire, wireBytes } from './raw-wire.js';
import { answerProblem, exchange, LONG, RelClient, sleep } from './rel-http.js';

export interface HostileOptions {
  /** Starts the main server with `opts.env` added to its environment. */
  start(opts: Pick<StartOptions, 'env'>): Promise<Ossd>;
  /** Added to the describes' names. */
  title?: string;
  skip?: string | false;
  /** false: no look into the data folder (a node whose blobs are in S3 has none to look at). */
  storeProblems?: false;
  /** false: only the groups where the storage drivers take part (bodies cut off, refused appends, bad framing). */
  serverLayer?: false;
}

export function hostileBattery(o: HostileOptions): void {
  const HEADERS_TIMEOUT = 2000;
  const IDLE_TIMEOUT = 2000;
  const B = 'hostile';
  const GIB = 1024 ** 3;
  /** Why the server-layer groups do not run here, or false. */
  const serverOnly = o.serverLayer === false && 'timeouts, floods and head limits are the HTTP layer\'s, the same code on every driver (hostile-clients.test.ts)';

  let ossd: Ossd;
  let client: RelClient;

  before(async () => {
    if (o.skip) return;
    ossd = await o.start({ env: { OSSD_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT), OSSD_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT) } });
    client = new RelClient(ossd);
    await createBucket(ossd, B);
  });

  after(async () => {
    client?.close();
    await ossd?.stop();
    ossd?.cleanup();
  });

  const date = (): string => new Date().toUTCString();
  const head = (key: string) => raw(ossd, { method: 'HEAD', path: `/${B}/${key}` });

  async function healthy(o: Ossd = ossd): Promise<void> {
    assert.equal(o.proc.exitCode, null, 'ossd is running');
    const res = await raw(o, { method: 'GET', path: '/-/health', sign: 'none' });
    assert.equal(res.status, 200);
    const put = await raw(o, { method: 'PUT', path: `/${B}/health-probe`, body: 'ok' });
    assert.equal(put.status, 200, put.text);
  }

  /** Resolves once the server has closed the connection; the time it took, in ms. */
  async function closedWithin(w: Wire, ms: number): Promise<number> {
    const t0 = Date.now();
    await w.read(() => false, ms);
    return w.closed() ? Date.now() - t0 : Infinity;
  }

  async function noStoreProblems(): Promise<void> {
    if (o.storeProblems === false) return;
    assert.deepEqual(await settledStoreProblems(ossd, [B]), [], 'the data folder holds exactly the committed objects');
  }

  /** An appendable object `hello` (5 bytes) at key. */
  async function appendable(key: string): Promise<void> {
    await raw(ossd, { method: 'DELETE', path: `/${B}/${key}` });
    const res = await raw(ossd, { method: 'POST', path: `/${B}/${key}?append&position=0`, body: 'hello' });
    assert.equal(res.status, 200, res.text);
  }

  async function bodyOf(key: string): Promise<string> {
    const res = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
    return res.status === 200 ? res.text : `status ${res.status}`;
  }

  describe(`clients that go away${o.title ?? ''}`, { skip: o.skip, timeout: LONG ? 10_800_000 : 600_000 }, () => {
    test('disconnect mid-body: nothing stored (PutObject, chunked PutObject, AppendObject)', async () => {
      await appendable('app-mid');
      const cases: Array<{ key: string; path: string; headers: Record<string, string>; part: Buffer }> = [
        { key: 'put-mid', path: `/${B}/put-mid`, headers: { date: date(), 'content-length': String(1 << 20) }, part: randomBytes(256 * 1024) },
        { key: 'put-mid-chunked', path: `/${B}/put-mid-chunked`, headers: { date: date(), 'transfer-encoding': 'chunked' }, part: Buffer.from(`40000\r\n${'a'.repeat(100_000)}`) },
        { key: 'app-mid', path: `/${B}/app-mid?append&position=5`, headers: { date: date(), 'content-length': String(1 << 20) }, part: randomBytes(300 * 1024) },
        { key: 'app-new-mid', path: `/${B}/app-new-mid?append&position=0`, headers: { date: date(), 'content-length': '1000' }, part: randomBytes(999) },
      ];
      for (const c of cases) {
        const method = c.path.includes('append') ? 'POST' : 'PUT';
        const w = await openWire(ossd);
        w.write(wireBytes(ossd, { method, path: c.path, headers: c.headers }));
        w.write(c.part);
        await sleep(150);
        w.destroy();
      }
      await sleep(300);
      for (const key of ['put-mid', 'put-mid-chunked', 'app-new-mid']) assert.equal((await head(key)).status, 404, `${key} must not exist`);
      assert.equal(await bodyOf('app-mid'), 'hello', 'the appendable object keeps exactly its committed bytes');
      await noStoreProblems();
      await healthy();
    });

    test('disconnect mid-download does not disturb other connections or files', async () => {
      // Regression: a download stream over the blob's raw fd closed that fd when the client
      // went away, and the reader's close() then closed whatever had reused the number
      // (another upload's file, a client socket, even the listening socket).
      const big = randomBytes(8 << 20);
      assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/big.bin`, body: big })).status, 200);
      const rounds = LONG ? 300 : 40;
      let stop = false;
      const problems: string[] = [];
      const busy = (async () => {
        let i = 0;
        while (!stop) {
          const key = `busy-${i++ % 8}`;
          const body = randomBytes(1000 + (i % 5000));
          try {
            const put = await client.signed('PUT', `/${B}/${key}`, {}, body);
            if (put.status !== 200) problems.push(`PUT ${key}: ${put.status} ${put.text.slice(0, 200)}`);
            const get = await client.signed('GET', `/${B}/${key}`);
            if (get.status !== 200 || !get.body.equals(body)) problems.push(`GET ${key}: ${get.status}, ${get.body.length} bytes`);
          } catch (e) {
            problems.push(`${key}: ${(e as Error).message}`);
          }
        }
      })();
      for (let i = 0; i < rounds; i++) {
        await new Promise<void>((resolve) => {
          const headers: Record<string, string> = { date: date() };
          headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', `/${B}/big.bin`, headers)}`;
          const req = http.request({ host: '127.0.0.1', port: ossd.port, path: `/${B}/big.bin`, headers, agent: false }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', () => resolve());
          req.end();
        });
      }
      await sleep(200);
      stop = true;
      await busy;
      assert.deepEqual(problems, []);
      assert.ok(!/"level":"error"/.test(ossd.output()), `internal errors were logged:\n${ossd.output().split('\n').filter((l) => l.includes('"level":"error"')).join('\n')}`);
      const again = await raw(ossd, { method: 'GET', path: `/${B}/big.bin` });
      assert.ok(again.status === 200 && again.body.equals(big));
      await healthy();
    });
  });

  describe(`slow clients are cut by the timeouts${o.title ?? ''}`, { skip: o.skip || serverOnly, timeout: LONG ? 10_800_000 : 600_000 }, () => {
    test('slowloris: a header line every second is cut within the headers timeout', async () => {
      const w = await openWire(ossd);
      w.write(`GET /${B}/ HTTP/1.1\r\nhost: 127.0.0.1\r\ndate: ${date()}\r\n`);
      let lines = 0;
      const timer = setInterval(() => {
        lines++;
        w.write(`x-slow-${lines}: ${'v'.repeat(10)}\r\n`);
      }, 1000);
      try {
        // Meanwhile everyone else is served.
        await healthy();
        const took = await closedWithin(w, HEADERS_TIMEOUT + 3000);
        assert.ok(took <= HEADERS_TIMEOUT + 1500, `cut after ${took} ms (headers timeout ${HEADERS_TIMEOUT} ms)`);
        assert.ok(lines <= Math.ceil(HEADERS_TIMEOUT / 1000) + 2, `${lines} header lines were sent before the cut`);
      } finally {
        clearInterval(timer);
        w.destroy();
      }
      await healthy();
    });

    test('trickled body: the idle timeout cuts it and nothing is stored', async () => {
      await appendable('app-trickle');
      for (const [key, path] of [['put-trickle', `/${B}/put-trickle`], ['app-trickle', `/${B}/app-trickle?append&position=5`]] as const) {
        const w = await openWire(ossd);
        w.write(wireBytes(ossd, { method: path.includes('append') ? 'POST' : 'PUT', path, headers: { date: date(), 'content-length': '100' } }));
        for (let i = 0; i < 5; i++) {
          w.write('x');
          await sleep(300);
        }
        // ...then nothing: the connection has been idle for IDLE_TIMEOUT.
        const took = await closedWithin(w, IDLE_TIMEOUT + 3000);
        w.destroy();
        assert.ok(took <= IDLE_TIMEOUT + 1500, `${key}: cut after ${took} ms of silence (idle timeout ${IDLE_TIMEOUT} ms)`);
      }
      assert.equal((await head('put-trickle')).status, 404);
      assert.equal(await bodyOf('app-trickle'), 'hello');
      await noStoreProblems();
      await healthy();
    });
  });

  describe(`floods and oversized requests${o.title ?? ''}`, { skip: o.skip || serverOnly, timeout: LONG ? 10_800_000 : 600_000 }, () => {
    test('2,000 open connections: the server stays healthy and keeps answering', { timeout: 120_000 }, async () => {
      const flood = await startOssd();
      const sockets: net.Socket[] = [];
      try {
        await createBucket(flood, B);
        const n = LONG ? 5000 : 2000;
        const closedByServer = { count: 0 };
        for (let i = 0; i < n; i += 200) {
          await Promise.all(
            Array.from({ length: Math.min(200, n - i) }, () =>
              new Promise<void>((resolve, reject) => {
                const s = net.connect(flood.port, '127.0.0.1');
                s.once('connect', () => resolve());
                s.once('error', reject);
                s.on('close', () => closedByServer.count++);
                sockets.push(s);
              }),
            ),
          );
        }
        // Half of them even start a request and stop in the middle of the head.
        for (const s of sockets.slice(0, n / 2)) s.write(`GET /${B}/ HTTP/1.1\r\nhost: x\r\n`);
        const c = new RelClient(flood, 4);
        try {
          for (let i = 0; i < 20; i++) {
            const body = randomBytes(100);
            const put = await c.signed('PUT', `/${B}/flood-${i}`, {}, body);
            assert.equal(put.status, 200);
            const got = await c.signed('GET', `/${B}/flood-${i}`);
            assert.ok(got.body.equals(body));
          }
          assert.equal((await c.anonymous('GET', '/-/health')).status, 200);
        } finally {
          c.close();
        }
        assert.equal(closedByServer.count, 0, 'no connection was dropped');
        // And one of the flood's own connections still gets served.
        const w = sockets[n - 1]!;
        const answer = new Promise<string>((resolve) => {
          let got = '';
          w.on('data', (d: Buffer) => {
            got += d.toString('latin1');
            if (got.includes('\r\n\r\n')) resolve(got);
          });
        });
        w.write('GET /-/health HTTP/1.1\r\nhost: x\r\n\r\n');
        assert.match(await answer, /^HTTP\/1\.1 200/);
        assert.equal(flood.proc.exitCode, null);
      } finally {
        for (const s of sockets) s.destroy();
        await flood.stop();
        flood.cleanup();
      }
    });

    test('OSSD_MAX_CONNECTIONS caps connections; the server answers again once they go', async () => {
      const capped = await startOssd({ env: { OSSD_MAX_CONNECTIONS: '50' } });
      const sockets: net.Socket[] = [];
      try {
        let dropped = 0;
        await Promise.all(
          Array.from({ length: 80 }, () =>
            new Promise<void>((resolve) => {
              const s = net.connect(capped.port, '127.0.0.1');
              s.on('error', () => undefined);
              s.on('close', () => {
                dropped++;
                resolve();
              });
              s.once('connect', () => setTimeout(resolve, 300));
              sockets.push(s);
            }),
          ),
        );
        await sleep(200);
        assert.ok(dropped >= 30, `${dropped} of 80 connections were dropped with a cap of 50`);
        for (const s of sockets) s.destroy();
        await sleep(200);
        const res = await raw(capped, { method: 'GET', path: '/-/health', sign: 'none' });
        assert.equal(res.status, 200);
      } finally {
        for (const s of sockets) s.destroy();
        await capped.stop();
        capped.cleanup();
      }
    });

    test('a head over 16 KiB: 431 RequestHeaderTooLarge with x-oss-request-id, server healthy', async () => {
      for (const extra of [{ 'x-oss-meta-big': 'v'.repeat(17 * 1024) }, Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`x-h-${i}`, 'v'.repeat(16)]))]) {
        const { data } = await exchange(ossd, wireBytes(ossd, { method: 'PUT', path: `/${B}/big-head`, headers: { date: date(), 'content-length': '0', ...extra } }));
        const [res] = parseResponses(data);
        assert.ok(res, `an answer: ${JSON.stringify(data.slice(0, 200))}`);
        assert.equal(res.status, 431);
        assert.match(res.headers['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/);
        assert.match(res.body.toString(), /<Code>RequestHeaderTooLarge<\/Code>/);
        assert.equal(answerProblem('PUT', res), undefined);
      }
      assert.equal((await head('big-head')).status, 404);
      await healthy();
    });

    test('Content-Length over 5 GiB on PutObject: 400 EntityTooLarge before any body byte is sent', async () => {
      for (const expect of [false, true]) {
        const w = await openWire(ossd);
        try {
          const headers: Record<string, string> = { date: date(), 'content-length': String(5 * GIB + 1) };
          if (expect) headers.expect = '100-continue';
          w.write(wireBytes(ossd, { method: 'PUT', path: `/${B}/too-large`, headers }));
          const got = await w.read((s) => parseResponses(s).some((r) => r.status >= 200), 3000);
          const responses = parseResponses(got);
          assert.deepEqual(responses.map((r) => r.status), [400], got);
          assert.equal(errorCode({ status: 400, headers: {}, body: responses[0]!.body, text: responses[0]!.body.toString() }), 'EntityTooLarge');
          assert.equal(responses[0]!.headers.connection, 'close', 'the unread body is not waited for');
        } finally {
          w.destroy();
        }
      }
      assert.equal((await head('too-large')).status, 404);
      await healthy();
    });
  });

  describe(`Expect: 100-continue and bad framing${o.title ?? ''}`, { skip: o.skip, timeout: LONG ? 10_800_000 : 600_000 }, () => {
    const expectAppend = (key: string, position: number, length: number, sign: 'good' | 'bad'): Buffer => {
      const headers: Record<string, string> = { date: date(), 'content-length': String(length), expect: '100-continue' };
      const path = `/${B}/${key}?append&position=${position}`;
      if (sign === 'good') return wireBytes(ossd, { method: 'POST', path, headers });
      return wireBytes(ossd, { method: 'POST', path, headers: { ...headers, authorization: `OSS ${ossd.accessKeyId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` }, sign: 'none' });
    };

    test('append with a wrong position: 409 and no 100 Continue; wrong signature: 403 and none; right: 100 then 200', async () => {
      await appendable('expect-app');
      for (const [position, sign, status, code] of [[0, 'good', 409, 'PositionNotEqualToLength'], [6, 'good', 409, 'PositionNotEqualToLength'], [5, 'bad', 403, 'SignatureDoesNotMatch']] as const) {
        const w = await openWire(ossd);
        try {
          w.write(expectAppend('expect-app', position, 5, sign));
          const got = await w.read((s) => parseResponses(s).some((r) => r.status >= 200), 3000);
          assert.ok(!/100 Continue/i.test(got), `no 100 Continue before the refusal: ${JSON.stringify(got.slice(0, 100))}`);
          const responses = parseResponses(got);
          assert.deepEqual(responses.map((r) => r.status), [status]);
          assert.match(responses[0]!.body.toString(), new RegExp(`<Code>${code}</Code>`));
          if (status === 409) assert.equal(responses[0]!.headers['x-oss-next-append-position'], '5');
        } finally {
          w.destroy();
        }
      }
      const w = await openWire(ossd);
      try {
        w.write(expectAppend('expect-app', 5, 5, 'good'));
        const interim = await w.read((s) => s.includes('\r\n\r\n'), 3000);
        assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/);
        w.write('world');
        const all = await w.read((s) => parseResponses(s).some((r) => r.status >= 200), 3000);
        const final = parseResponses(all).find((r) => r.status >= 200);
        assert.equal(final?.status, 200);
        assert.equal(final?.headers['x-oss-next-append-position'], '10');
      } finally {
        w.destroy();
      }
      assert.equal(await bodyOf('expect-app'), 'helloworld');
    });

    test('chunked bodies with bad framing: 400, nothing stored, server healthy', async () => {
      await appendable('chunk-app');
      const bad = [
        '5\r\nhello\r\nzz\r\n\r\n', // not hex
        '5\r\nhelloXX0\r\n\r\n', // no CRLF after the data
        'fffffffffffffffffff\r\nab\r\n0\r\n\r\n', // size overflows
        '-5\r\nhello\r\n0\r\n\r\n', // negative
        '5\r\nhel', // ends early (connection half-closed)
        '3\r\nhello\r\n0\r\n\r\n', // more data than the size says
        '5 \x00\r\nhello\r\n0\r\n\r\n', // garbage in the size line
      ];
      for (const [i, framing] of bad.entries()) {
        for (const [key, method, path] of [[`chunk-put-${i}`, 'PUT', `/${B}/chunk-put-${i}`], ['chunk-app', 'POST', `/${B}/chunk-app?append&position=5`]] as const) {
          const bytes = wireBytes(ossd, { method, path, headers: { date: date(), 'transfer-encoding': 'chunked' }, body: framing });
          const { data } = await exchange(ossd, bytes, 3000);
          const responses = parseResponses(data);
          assert.equal(responses.length, 1, `${key} ${JSON.stringify(framing)}: one answer, got ${JSON.stringify(data.slice(0, 300))}`);
          assert.equal(responses[0]!.status, 400, `${key} ${JSON.stringify(framing)}: ${JSON.stringify(data.slice(0, 300))}`);
          assert.match(responses[0]!.headers['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/);
          assert.equal(answerProblem(method, responses[0]!), undefined);
        }
        assert.equal((await head(`chunk-put-${i}`)).status, 404, `chunk-put-${i} must not exist`);
      }
      assert.equal(await bodyOf('chunk-app'), 'hello');
      // Content-Length and Transfer-Encoding together (request smuggling): refused.
      const smuggle = wireBytes(ossd, { method: 'PUT', path: `/${B}/smuggle`, headers: { date: date(), 'content-length': '5', 'transfer-encoding': 'chunked' }, body: `0\r\n\r\nGET /${B}/ HTTP/1.1\r\nhost: x\r\n\r\n` });
      const { data } = await exchange(ossd, smuggle, 3000);
      assert.deepEqual(parseResponses(data).map((r) => r.status), [400], data.slice(0, 300));
      assert.equal((await head('smuggle')).status, 404);
      await noStoreProblems();
      await healthy();
    });
  });
}
