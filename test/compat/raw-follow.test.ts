/**
 * Follow reads (docs/extensions.md "Follow reads"): a GET with `x-ossd-follow: 1` on an
 * appendable object stays open and receives each append as it commits, then the trailer
 * `x-ossd-follow-end`. Appends go through the real ali-oss client; the followers are raw
 * node:http requests (test/helpers/follow.ts), which expose the trailers. Every body is
 * checked byte-exact against what was appended.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { follow, type Follower } from '../helpers/follow.js';
import { startOssd, useOssd } from '../helpers/ossd-process.js';
import { md5Base64, presignV1, raw, signV1 } from '../helpers/raw-http.js';
import { codeOf } from '../helpers/rel-http.js';
import { sleep } from '../helpers/sdk-fixtures.js';

const B = 'follow-reads';
const VB = 'follow-versioned';
let c: OssClient;
let v: OssClient;

const ossd = useOssd({ args: ['--log-requests'] }, async (s) => {
  c = client(s, { mode: 'ip-sld', bucket: B });
  await c.putBucket(B);
  v = client(s, { mode: 'ip-sld', bucket: VB });
  await v.putBucket(VB);
  await v.putBucketVersioning(VB, 'Enabled');
});

/** An appendable object built by ali-oss appends, and the bytes it holds. */
class Appended {
  content = Buffer.alloc(0);
  constructor(
    readonly oss: OssClient,
    readonly key: string,
  ) {}

  async append(piece: Buffer): Promise<void> {
    const r = await this.oss.append(this.key, piece, { position: String(this.content.length) });
    this.content = Buffer.concat([this.content, piece]);
    assert.equal(r.nextAppendPosition, String(this.content.length));
  }
}

/** Random pieces: mostly journaled sizes (≤ 64 KiB), some that go to the file directly. */
function piece(i: number): Buffer {
  return randomBytes(i % 5 === 4 ? 70_000 + i * 13 : 1 + ((i * 7919) % 20_000));
}

function path(bucket: string, key: string): string {
  return `/${bucket}/${key}`;
}

/** The follower's body must be exactly `content` from `from` on, whole or (after a race with a delete) a prefix. */
function assertPrefix(body: Buffer, content: Buffer, from: number, label: string): void {
  assert.ok(body.length <= content.length - from, `${label}: ${body.length} bytes received, only ${content.length - from} appended`);
  assert.ok(body.equals(content.subarray(from, from + body.length)), `${label}: the bytes differ from what was appended`);
}

/** Lines of the server's request log for follow reads (--log-requests). */
function followLogLines(): Array<{ follow: string; followers: number }> {
  return ossd
    .output()
    .split('\n')
    .filter((l) => l.includes('"follow"'))
    .map((l) => JSON.parse(l) as { follow: string; followers: number });
}

describe('follow reads', { timeout: 240_000 }, () => {
  // Fails when an append does not notify (objects.ts append()): checked.
  it('sends what is there, then each append as it commits, byte-exact, and ends with idle-timeout', async () => {
    const o = new Appended(c, 'basic.log');
    await o.append(randomBytes(1000));
    const f = follow(ossd, path(B, o.key), { idleS: 2 });
    const head = await f.head;
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['x-ossd-follow'], '1');
    assert.equal(head.headers.trailer, 'x-ossd-follow-end');
    assert.equal(head.headers['transfer-encoding'], 'chunked');
    assert.equal(head.headers['content-length'], undefined);
    await f.atLeast(1000);
    for (let i = 0; i < 15; i++) {
      await o.append(piece(i));
      await f.atLeast(o.content.length);
    }
    const r = await f.done;
    assert.equal(r.end, 'idle-timeout');
    assert.ok(r.body.equals(o.content));
  });

  // Fails without the seal listener in ObjectService (objects.ts: the follower then waits
  // until its idle timeout): checked.
  it('a seal ends followers with sealed after every byte; a follow of a sealed object sends it and ends at once', async () => {
    const o = new Appended(c, 'sealed.log');
    await o.append(randomBytes(500));
    const f = follow(ossd, path(B, o.key), { idleS: 30 });
    await f.atLeast(500);
    for (let i = 0; i < 5; i++) await o.append(piece(i));
    const seal = await raw(ossd, { method: 'POST', path: `${path(B, o.key)}?seal&position=${o.content.length}` });
    assert.equal(seal.status, 200, seal.text);
    const r = await f.done;
    assert.equal(r.end, 'sealed');
    assert.ok(r.body.equals(o.content), 'every byte up to the seal');
    const late = await follow(ossd, path(B, o.key), { idleS: 30 }).done;
    assert.equal(late.end, 'sealed');
    assert.ok(late.body.equals(o.content));
  });

  // Fails when the handler stops waiting for 'drain' (write's false ignored), so the object
  // piles up in the response's buffer: checked (RSS grew by 20 MB against 5 MB here).
  it('a reader that does not read keeps the server from buffering the object', async () => {
    const o = new Appended(c, 'big.bin');
    for (let i = 0; i < 12; i++) await o.append(randomBytes(4 * 1024 * 1024));
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ossd.proc.pid}/status`, 'utf8'))![1]) * 1024;
    await sleep(300);
    const before = rss();
    const f = follow(ossd, path(B, o.key), { idleS: 30, paused: true });
    await f.head;
    await sleep(1500);
    const grown = rss() - before;
    f.destroy();
    assert.ok(grown < 12_000_000, `server RSS grew by ${grown} bytes for a reader that reads nothing`);
  });

  // Fails when DeleteObject does not notify (the followers end by idle-timeout instead): checked.
  it('followers racing appends get every byte, from wherever they start, and then deleted', async () => {
    const o = new Appended(c, 'race.log');
    await o.append(randomBytes(10));
    const followers: Array<{ f: Follower; from: number }> = [0, 5, 10].map((from) => ({ from, f: follow(ossd, path(B, o.key), { from, idleS: 20 }) }));
    const appends = (async () => {
      for (let i = 0; i < 40; i++) {
        await o.append(piece(i));
        // Later followers join mid-stream, at the end and just below it.
        if (i === 15 || i === 25) {
          const len = o.content.length;
          followers.push({ from: len, f: follow(ossd, path(B, o.key), { from: len, idleS: 20 }) });
          followers.push({ from: len - 3, f: follow(ossd, path(B, o.key), { from: len - 3, idleS: 20 }) });
        }
      }
    })();
    await appends;
    await Promise.all(followers.map(({ f, from }) => f.atLeast(o.content.length - from)));
    await c.delete(o.key);
    for (const { f, from } of followers) {
      const r = await f.done;
      assert.equal(r.end, 'deleted', `from ${from}`);
      assert.ok(r.body.equals(o.content.subarray(from)), `from ${from}: not byte-exact`);
      assert.equal((await f.head).statusCode, 206);
    }
  });

  // Fails when the response head waits for the first bytes (no flushHeaders: the follower
  // at the end gets no head until it ends, and the appends start only after): checked.
  it('a delete racing appends ends every follower with deleted after a prefix of the bytes', async () => {
    const o = new Appended(c, 'race-delete.log');
    await o.append(randomBytes(100));
    const followers = [0, 50, 100].map((from) => ({ from, f: follow(ossd, path(B, o.key), { from, idleS: 20 }) }));
    await Promise.all(followers.map(({ f }) => f.head));
    let stop = false;
    const appends = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await o.append(piece(i));
        } catch {
          return; // the delete came first: PositionNotEqualToLength
        }
      }
    })();
    await sleep(300);
    await c.delete(o.key);
    stop = true;
    await appends;
    for (const { f, from } of followers) {
      const r = await f.done;
      assert.equal(r.end, 'deleted');
      assertPrefix(r.body, o.content, from, `from ${from}`);
    }
  });

  // Fails when collectReplaced() does not notify 'replaced': checked (idle-timeout).
  it('an overwrite by PutObject or CopyObject ends followers with replaced', async () => {
    await c.put('normal-source', Buffer.from('a normal object'));
    for (const overwrite of [
      (key: string) => c.put(key, Buffer.from('overwritten')),
      (key: string) => c.copy(key, 'normal-source'),
    ]) {
      const o = new Appended(c, 'overwritten.log');
      await o.append(randomBytes(500));
      const f = follow(ossd, path(B, o.key), { from: 200, idleS: 20 });
      const g = follow(ossd, path(B, o.key), { from: 500, idleS: 20 });
      await f.atLeast(300);
      await o.append(randomBytes(70_000));
      await Promise.all([f.atLeast(o.content.length - 200), g.atLeast(o.content.length - 500)]);
      await overwrite(o.key);
      for (const [x, from] of [[f, 200], [g, 500]] as const) {
        const r = await x.done;
        assert.equal(r.end, 'replaced');
        assert.ok(r.body.equals(o.content.subarray(from)));
      }
      await c.delete(o.key);
    }
  });

  it('in a versioned bucket: a new version is replaced, a delete marker or the version deleted by id is deleted', async () => {
    const cases: Array<[string, (key: string, versionId: string) => Promise<unknown>, string]> = [
      ['new version', (key) => v.put(key, Buffer.from('new version')), 'replaced'],
      ['delete marker', (key) => v.delete(key), 'deleted'],
      ['deleted by id', (key, versionId) => v.delete(key, { versionId }), 'deleted'],
    ];
    for (const [label, change, reason] of cases) {
      const key = `versioned-${label.replace(/ /g, '-')}.log`;
      const o = new Appended(v, key);
      await o.append(randomBytes(300));
      const versionId = (await v.head(key)).res.headers['x-oss-version-id'] as string;
      const f = follow(ossd, path(VB, key), { idleS: 20 });
      await o.append(randomBytes(300));
      await f.atLeast(600);
      await change(key, versionId);
      const r = await f.done;
      assert.equal(r.end, reason, label);
      assert.ok(r.body.equals(o.content), label);
    }
  });

  // Fails when the follower reads up to the blob file's size instead of the committed
  // length (follow.ts catchUp() sending [offset, file size)): checked, the follower at the
  // end got the 600,000 bytes of the cut append.
  it('a failed append (client gone mid-body, or a Content-MD5 mismatch) is never seen by a follower', async () => {
    const o = new Appended(c, 'failed.log');
    await o.append(randomBytes(10));
    // 600 KB of a 1 MB append: written beyond the committed length, never committed.
    const cut = http.request({
      host: '127.0.0.1',
      port: ossd.port,
      method: 'POST',
      path: `${path(B, o.key)}?append&position=10`,
      headers: (() => {
        const h: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(1_000_000), 'content-type': 'application/octet-stream' };
        h.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'POST', `${path(B, o.key)}?append&position=10`, h)}`;
        return h;
      })(),
      agent: false,
    });
    cut.on('error', () => undefined);
    cut.write(Buffer.alloc(600_000, 0x58));
    await sleep(500);
    // Both look at the object while those bytes are in its file.
    const atEnd = follow(ossd, path(B, o.key), { from: 10, idleS: 20 });
    const fromStart = follow(ossd, path(B, o.key), { idleS: 20 });
    await fromStart.atLeast(10);
    await sleep(300);
    cut.destroy();
    // The append after it is at 10: nothing of the cut one was committed.
    for (let tries = 0; ; tries++) {
      try {
        await o.append(randomBytes(2000));
        break;
      } catch (e) {
        // The cut append may still hold the key while the server notices the client left.
        if (tries > 20) throw e;
        await sleep(100);
      }
    }
    const bad = randomBytes(200_000);
    const md5Path = `${path(B, o.key)}?append&position=${o.content.length}`;
    const refused = await raw(ossd, { method: 'POST', path: md5Path, headers: { 'content-md5': md5Base64('other bytes') }, body: bad });
    assert.equal(refused.status, 400);
    assert.equal(codeOf(refused.text), 'InvalidDigest');
    await o.append(randomBytes(100_000));
    await Promise.all([atEnd.atLeast(o.content.length - 10), fromStart.atLeast(o.content.length)]);
    await c.delete(o.key);
    const [r1, r2] = await Promise.all([atEnd.done, fromStart.done]);
    assert.ok(r1.body.equals(o.content.subarray(10)), 'the follower at the end saw bytes of a failed append');
    assert.ok(r2.body.equals(o.content), 'the follower from 0 saw bytes of a failed append');
  });

  // Fails when a sent byte does not reset the idle timer, and when the max-duration timer is removed: checked.
  it('idle-timeout counts from the last byte; max-duration ends a busy reader', async () => {
    const o = new Appended(c, 'timers.log');
    await o.append(randomBytes(10));
    const started = Date.now();
    const f = follow(ossd, path(B, o.key), { idleS: 1 });
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      await o.append(randomBytes(10));
    }
    const lastAppend = Date.now();
    const r = await f.done;
    assert.equal(r.end, 'idle-timeout');
    assert.ok(r.body.equals(o.content));
    // Not 1 s after the start: each append reset it.
    assert.ok(Date.now() - started >= 1500, `ended ${Date.now() - started} ms after the start`);
    assert.ok(Date.now() - lastAppend >= 800, `ended ${Date.now() - lastAppend} ms after the last append`);

    const g = follow(ossd, path(B, o.key), { idleS: 30, maxS: 2 });
    const from = Date.now();
    let ended = false;
    void g.done.then(() => (ended = true));
    while (!ended && Date.now() - from < 10_000) {
      await o.append(randomBytes(10));
      await sleep(200);
    }
    const m = await g.done;
    assert.equal(m.end, 'max-duration');
    const took = Date.now() - from;
    assert.ok(took >= 1800 && took < 5000, `max-duration of 2 s ended after ${took} ms`);
    assertPrefix(m.body, o.content, 0, 'max-duration');
    assert.ok(m.body.length > 60, 'the busy reader received the appends');
  });

  // Fails when follow.ts's finally does not unsubscribe: checked (the log said 10 followers left).
  it('a client that goes away leaves no listener behind', async () => {
    const o = new Appended(c, 'gone.log');
    await o.append(randomBytes(10));
    const linesBefore = followLogLines().length;
    const followers = Array.from({ length: 10 }, () => follow(ossd, path(B, o.key), { idleS: 60 }));
    await Promise.all(followers.map((f) => f.atLeast(10)));
    for (const f of followers) f.destroy();
    let lines = followLogLines().slice(linesBefore);
    for (let i = 0; i < 100 && lines.length < 10; i++) {
      await sleep(50);
      lines = followLogLines().slice(linesBefore);
    }
    assert.equal(lines.length, 10);
    assert.ok(lines.every((l) => l.follow === 'client-gone'));
    assert.equal(lines.at(-1)!.followers, 0);
    // And the key still notifies nobody: an append goes through as usual.
    await o.append(randomBytes(10));
  });

  // Fails when followStart() follows any object type: checked.
  it('on a Normal object, x-ossd-follow gets a plain GET, without the header', async () => {
    const body = randomBytes(3000);
    await c.put('plain.bin', body);
    const r = await follow(ossd, path(B, 'plain.bin'), { idleS: 1 }).done;
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-ossd-follow'], undefined);
    assert.equal(r.headers['content-length'], '3000');
    assert.equal(r.end, undefined);
    assert.ok(r.body.equals(body));
    const ranged = await follow(ossd, path(B, 'plain.bin'), { from: 1000 }).done;
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['x-ossd-follow'], undefined);
    assert.ok(ranged.body.equals(body.subarray(1000)));
  });

  it('authorizes as a GET does: anonymous refused on a private bucket, a presigned URL works', async () => {
    const o = new Appended(c, 'private.log');
    await o.append(randomBytes(100));
    const anonymous = await follow(ossd, path(B, o.key), { sign: 'none' }).done;
    assert.equal(anonymous.status, 403);
    assert.equal(codeOf(anonymous.body.toString()), 'AccessDenied');
    const presigned = presignV1({ id: ossd.accessKeyId, secret: ossd.accessKeySecret }, 'GET', path(B, o.key), Math.floor(Date.now() / 1000) + 600);
    const f = follow(ossd, presigned, { sign: 'none', idleS: 1 });
    assert.equal((await f.head).headers['x-ossd-follow'], '1');
    await f.atLeast(100);
    await o.append(randomBytes(100));
    const r = await f.done;
    assert.equal(r.end, 'idle-timeout');
    assert.ok(r.body.equals(o.content));
  });

  // Fails when a start past the length is accepted (206 then): checked.
  it('refuses a start past the length (416 InvalidRange) and a bad timer header (400 InvalidArgument)', async () => {
    const o = new Appended(c, 'bad-requests.log');
    await o.append(randomBytes(100));
    const past = await follow(ossd, path(B, o.key), { from: 101 }).done;
    assert.equal(past.status, 416);
    assert.equal(codeOf(past.body.toString()), 'InvalidRange');
    for (const bad of ['0', '-1', 'soon', '1.5']) {
      const r = await follow(ossd, path(B, o.key), { headers: { 'x-ossd-follow-idle-timeout': bad } }).done;
      assert.equal(r.status, 400, bad);
      assert.equal(codeOf(r.body.toString()), 'InvalidArgument', bad);
    }
  });
});

describe('follow reads at shutdown', { timeout: 60_000 }, () => {
  const own = { server: undefined as Awaited<ReturnType<typeof startOssd>> | undefined };
  after(() => own.server?.cleanup());

  // Fails when server.ts's close() does not shut the change notifier down ('aborted': the connection is cut): checked.
  it('a stopping server ends its followers with shutdown', async () => {
    const s = (own.server = await startOssd());
    const oss = client(s, { mode: 'ip-sld', bucket: 'shutdown' });
    await oss.putBucket('shutdown');
    const o = new Appended(oss, 'a.log');
    await o.append(randomBytes(1000));
    const f = follow(s, path('shutdown', o.key), { idleS: 60 });
    await f.atLeast(1000);
    await s.stop();
    const r = await f.done;
    assert.equal(r.end, 'shutdown');
    assert.ok(r.body.equals(o.content));
  });
});
