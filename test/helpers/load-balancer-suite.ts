/**
 * The tests of a documented load-balancer config (docs/deploy.md): a real ossd behind the
 * proxy from Debian, driven through the proxy only (test/compat/load-balancer.test.ts runs
 * them for nginx and HAProxy). The tests run concurrently (the follow read waits 65 s; the
 * others fit in that time).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { after, before, it } from 'node:test';
import { client, MODES } from './clients.js';
import { follow } from './follow.js';
import { type Proxy, type ProxyKind, startProxy } from './load-balancer.js';
import { type Ossd, startOssd } from './ossd-process.js';
import { raw } from './raw-http.js';
import { signV1 } from './raw-v1.js';

const BUCKET = 'lb-bucket';
/** Longer than the idle timeouts proxies have by default: nginx's proxy_read_timeout 60 s, Debian haproxy.cfg's 50 s. */
const FOLLOW_IDLE_MS = 65_000;

/** What breaks each documented pass-through, for the tests that show the config matters. */
const HOST_REWRITE: Record<ProxyKind, (c: string) => string> = {
  nginx: (c) => c.replace('proxy_set_header Host $http_host;', 'proxy_set_header Host $proxy_host;'),
  haproxy: (c) => c.replace('default_backend ossd', 'http-request set-header Host ossd\n    default_backend ossd'),
};
const BODY_LIMIT: Record<ProxyKind, (c: string) => string> = {
  nginx: (c) => c.replace('client_max_body_size 0;', 'client_max_body_size 1m;'),
  haproxy: (c) => c.replace('default_backend ossd', 'http-request deny deny_status 413 if { req.hdr_val(content-length) gt 1048576 }\n    default_backend ossd'),
};

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A V1-signed PUT with `Expect: 100-continue` on a bare socket: the body goes only after "100 Continue". */
function expectContinuePut(via: Ossd, path: string, body: Buffer): Promise<{ sawContinue: boolean; response: string }> {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${via.port}`,
    date: new Date().toUTCString(),
    'content-type': 'application/octet-stream',
    'content-length': String(body.length),
    expect: '100-continue',
  };
  headers.authorization = `OSS ${via.accessKeyId}:${signV1(via.accessKeySecret, 'PUT', path, headers)}`;
  const head = `PUT ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}connection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const sock = net.connect(via.port, '127.0.0.1', () => sock.write(head));
    let text = '';
    let sawContinue = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no final response in 20 s; got: ${JSON.stringify(text)}`));
    }, 20_000);
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!sawContinue && /^HTTP\/1\.1 100 /.test(text) && text.includes('\r\n\r\n')) {
        sawContinue = true;
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
        sock.write(body);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ sawContinue, response: text });
    });
  });
}

/** Defines the tests (call inside a describe with a timeout and `concurrency: true`). */
export function loadBalancerTests(kind: ProxyKind): void {
  let ossd: Ossd;
  let proxy: Proxy;
  /** ossd as clients see it: through the proxy. */
  let via: Ossd;
  const extra: Proxy[] = [];

  before(async () => {
    ossd = await startOssd();
    proxy = await startProxy(kind, ossd.port);
    via = { ...ossd, port: proxy.port, endpoint: `http://127.0.0.1:${proxy.port}` };
    const made = await raw(via, { method: 'PUT', path: `/${BUCKET}/` });
    assert.equal(made.status, 200, `${made.text}\n${proxy.output()}`);
  });
  after(async () => {
    for (const p of extra) await p.stop();
    await proxy?.stop();
    await ossd?.stop();
    ossd?.cleanup();
  });

  // V4 signs the Host; virtual-hosted requests name the bucket in it: both pass only when
  // the proxy passes Host unchanged (see the Host-rewriting config below failing).
  for (const m of MODES) {
    it(`ali-oss ${m.label}: put, append, get, range, head, list, delete through ${kind}`, async () => {
      const c = client(via, { mode: m.mode, v4: m.v4, bucket: BUCKET });
      const dir = `${m.mode}-${m.v4 ? 'v4' : 'v1'}/`;
      const body = Buffer.from(`through ${kind}: ${m.label}`);
      await c.put(`${dir}a b+c.txt`, body, { headers: { 'x-oss-meta-my_key': 'under_score' } });
      const got = await c.get(`${dir}a b+c.txt`);
      assert.deepEqual(got.content, body);
      assert.equal(got.res.headers['x-oss-meta-my_key'], 'under_score');
      // The request line goes through as sent: a proxy that merged slashes would read another key.
      await c.put(`${dir}x//y`, Buffer.from('slashes'));
      assert.equal((await c.get(`${dir}x//y`)).content.toString(), 'slashes');
      assert.equal(await c.get(`${dir}x/y`).then(() => 'found', (e: { status?: number }) => e.status), 404);
      await c.delete(`${dir}x//y`);
      const part = await c.get(`${dir}a b+c.txt`, { headers: { Range: 'bytes=0-6' } });
      assert.equal(part.content.toString(), 'through');
      const first = await c.append(`${dir}log`, Buffer.from('one,'));
      await c.append(`${dir}log`, Buffer.from('two'), { position: first.nextAppendPosition });
      assert.equal((await c.get(`${dir}log`)).content.toString(), 'one,two');
      const head = await c.head(`${dir}log`);
      assert.equal(head.res.headers['x-oss-object-type'], 'Appendable');
      const listed = await c.list({ prefix: dir, 'max-keys': 10 });
      assert.deepEqual(listed.objects.map((o: { name: string }) => o.name).sort(), [`${dir}a b+c.txt`, `${dir}log`]);
      await c.delete(`${dir}a b+c.txt`);
      await c.delete(`${dir}log`);
    });
  }

  it(`a chunked PUT (Transfer-Encoding: chunked) streams through ${kind}`, async () => {
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(3, 'b'), Buffer.alloc(200_000, 'c')];
    const put = await raw(via, { method: 'PUT', path: `/${BUCKET}/chunked`, body: parts, chunked: true });
    assert.equal(put.status, 200, put.text);
    const get = await raw(via, { method: 'GET', path: `/${BUCKET}/chunked` });
    assert.equal(get.status, 200);
    assert.equal(md5(get.body), md5(Buffer.concat(parts)));
  });

  it(`a PUT with Expect: 100-continue gets "100 Continue", then its body is stored (${kind})`, async () => {
    const body = Buffer.alloc(300_000, 'e');
    const r = await expectContinuePut(via, `/${BUCKET}/expect`, body);
    assert.ok(r.sawContinue, `no 100 Continue; got ${JSON.stringify(r.response.slice(0, 300))}`);
    assert.match(r.response, /^HTTP\/1\.1 200 /, r.response.slice(0, 500));
    const get = await raw(via, { method: 'GET', path: `/${BUCKET}/expect` });
    assert.equal(md5(get.body), md5(body));
  });

  it(`a 24 MiB body goes in and out through ${kind} (no body size limit in the proxy)`, async () => {
    const big = Buffer.alloc(24 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const c = client(via, { mode: 'ip', v4: true, bucket: BUCKET });
    await c.put('big', big, { timeout: 120_000 });
    const back = await c.get('big', { timeout: 120_000 });
    assert.equal(md5(back.content), md5(big));
    await c.delete('big');
  });

  it(`a follow read idle for ${FOLLOW_IDLE_MS / 1000} s still gets the next append (${kind} timeouts)`, async () => {
    const c = client(via, { mode: 'ip', v4: false, bucket: BUCKET });
    const first = await c.append('followed', Buffer.from('start'));
    const f = follow(via, `/${BUCKET}/followed`, { from: 0, idleS: 120, maxS: (FOLLOW_IDLE_MS + 10_000) / 1000 });
    await f.atLeast(5);
    await sleep(FOLLOW_IDLE_MS);
    await c.append('followed', Buffer.from('late!'), { position: first.nextAppendPosition });
    // Ends at the max duration; a proxy that cut the idle read ended it before 'late!'.
    const r = await f.done;
    assert.equal(r.body.toString(), 'startlate!');
    // The end reason is a trailer: HAProxy passes it; nginx drops upstream trailers (docs/deploy.md).
    if (kind === 'haproxy') assert.equal(r.end, 'max-duration');
  });

  it(`a config that rewrites Host fails V4 requests (the tests above can fail)`, async () => {
    const bad = await startProxy(kind, ossd.port, HOST_REWRITE[kind]);
    extra.push(bad);
    const badVia = { ...ossd, port: bad.port };
    const v4 = client(badVia, { mode: 'ip', v4: true, bucket: BUCKET });
    await assert.rejects(v4.put('host-rewritten', Buffer.from('x')), (e: { code?: string; status?: number }) => {
      assert.equal(e.code, 'SignatureDoesNotMatch');
      assert.equal(e.status, 403);
      return true;
    });
    // (Path-style V1 with this config fails as well, observed: SignatureDoesNotMatch.)
  });

  it(`a config with a body size limit fails the large upload (the 24 MiB test can fail)`, async () => {
    const bad = await startProxy(kind, ossd.port, BODY_LIMIT[kind]);
    extra.push(bad);
    // With Expect: 100-continue the proxy answers before any body byte is sent: a plain PUT
    // raced the proxy's early 413 and close (the client's write could fail with EPIPE first).
    const r = await expectContinuePut({ ...ossd, port: bad.port }, `/${BUCKET}/limited`, Buffer.alloc(2 << 20));
    assert.match(r.response, /^HTTP\/1\.1 413 /, r.response.slice(0, 300));
    assert.equal(r.sawContinue, false);
    const direct = await raw(ossd, { method: 'HEAD', path: `/${BUCKET}/limited` });
    assert.equal(direct.status, 404);
  });
}
