/**
 * The append size limit (issue 17 "Size guard"; docs/extensions.md "Append size limit"),
 * through the real process: the limit is set, read and removed with the extension
 * sub-resource `?x-ossd-append-limit` (raw requests, V1-signed by test/helpers/raw-v1.ts),
 * appends go through ali-oss. An append that would pass the limit is refused whole with
 * 409 AppendSizeLimitExceeded naming the limit and the current length (ossd's own code:
 * OSS has no such limit); at the limit it succeeds.
 *
 * Fails when appendRefusal ignores the limit (src/engine/append.ts, `limit` replaced by
 * MAX_OBJECT_SIZE in the Content-Length check): checked, "a declared Content-Length past
 * the limit" fails (the others pass: the body is then refused as it streams). Fails when
 * ingest's maxBytes ignores it: checked, "a chunked body" fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { startOssd, useOssd } from '../helpers/ossd-process.js';
import { raw, type RawResponse, rawSocket, signV1 } from '../helpers/raw-http.js';
import { contentOf, rejectsWith } from '../helpers/sdk-fixtures.js';

const ossd = useOssd();
const GiB = 1024 * 1024 * 1024;

const limitBody = (n: number | string): string => `<AppendSizeLimit><MaxSize>${n}</MaxSize></AppendSizeLimit>`;

function setLimit(bucket: string, body: string, target = ossd): Promise<RawResponse> {
  return raw(target, { method: 'PUT', path: `/${bucket}/?x-ossd-append-limit`, body });
}

function codeOf(res: RawResponse): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(res.text)?.[1];
}

function element(res: RawResponse, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(res.text)?.[1];
}

function append(bucket: string, key: string, position: number, body: Buffer, chunked = false): Promise<RawResponse> {
  return raw(ossd, { method: 'POST', path: `/${bucket}/${key}?append&position=${position}`, body: chunked ? [body.subarray(0, 10), body.subarray(10)] : body, chunked });
}

describe('append size limit: the sub-resource', { timeout: 60_000 }, () => {
  const bucket = 'limit-config';
  before(async () => {
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${bucket}/` })).status, 200);
  });

  it('PUT sets it, GET answers it, DELETE removes it (GET then 404 NoSuchAppendSizeLimit)', async () => {
    const none = await raw(ossd, { method: 'GET', path: `/${bucket}/?x-ossd-append-limit` });
    assert.equal(none.status, 404);
    assert.equal(codeOf(none), 'NoSuchAppendSizeLimit');
    assert.equal((await setLimit(bucket, limitBody(4096))).status, 200);
    const got = await raw(ossd, { method: 'GET', path: `/${bucket}/?x-ossd-append-limit` });
    assert.equal(got.status, 200, got.text);
    assert.equal(element(got, 'MaxSize'), '4096');
    assert.match(got.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\s*<AppendSizeLimit><MaxSize>4096<\/MaxSize><\/AppendSizeLimit>/);
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${bucket}/?x-ossd-append-limit` })).status, 204);
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${bucket}/?x-ossd-append-limit` })).status, 204);
    assert.equal((await raw(ossd, { method: 'GET', path: `/${bucket}/?x-ossd-append-limit` })).status, 404);
  });

  it('ali-oss sets it with its own signer, V1 and V4 (the example in docs/extensions.md)', async () => {
    for (const [v4, n] of [[false, 111], [true, 222]] as const) {
      const c = client(ossd, { mode: 'ip', v4, bucket });
      const params = c._bucketRequestParams('PUT', bucket, { 'x-ossd-append-limit': '' });
      params.content = limitBody(n);
      params.successStatuses = [200];
      await c.request(params);
      const got = await raw(ossd, { method: 'GET', path: `/${bucket}/?x-ossd-append-limit` });
      assert.equal(element(got, 'MaxSize'), String(n), v4 ? 'V4' : 'V1');
    }
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${bucket}/?x-ossd-append-limit` })).status, 204);
  });

  it('bad bodies: MalformedXML; a size of 0, above 5 GiB or not a number: InvalidArgument; nothing set', async () => {
    for (const body of ['', '<AppendSizeLimit>', '<Other><MaxSize>5</MaxSize></Other>']) {
      const r = await setLimit(bucket, body);
      assert.equal(r.status, 400, body);
      assert.equal(codeOf(r), 'MalformedXML', body);
    }
    for (const n of ['0', String(5 * GiB + 1), 'abc', '-5', '1.5']) {
      const r = await setLimit(bucket, limitBody(n));
      assert.equal(r.status, 400, n);
      assert.equal(codeOf(r), 'InvalidArgument', n);
    }
    assert.equal((await setLimit(bucket, limitBody(5 * GiB))).status, 200);
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${bucket}/?x-ossd-append-limit` })).status, 204);
  });

  it('owner only, signed: anonymous 403 AccessDenied; a signature without the sub-resource 403 SignatureDoesNotMatch', async () => {
    const anon = await raw(ossd, { method: 'PUT', path: `/${bucket}/?x-ossd-append-limit`, body: limitBody(10), sign: 'none' });
    assert.equal(anon.status, 403);
    assert.equal(codeOf(anon), 'AccessDenied');
    // A signature made for `PUT /bucket/` (PutBucket) replayed with the sub-resource added.
    const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(limitBody(10).length) };
    headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'PUT', `/${bucket}/`, headers)}`;
    const replay = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ossd.port, method: 'PUT', path: `/${bucket}/?x-ossd-append-limit`, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(limitBody(10));
    });
    assert.equal(replay.status, 403, replay.text);
    assert.match(replay.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.equal((await raw(ossd, { method: 'GET', path: `/${bucket}/?x-ossd-append-limit` })).status, 404, 'nothing was set');
  });

  it('at object level, or another method: 501 NotImplemented, never PutObject', async () => {
    const r = await raw(ossd, { method: 'PUT', path: `/${bucket}/obj?x-ossd-append-limit`, body: 'junk' });
    assert.equal(r.status, 501);
    assert.equal(codeOf(r), 'NotImplemented');
    assert.equal((await raw(ossd, { method: 'GET', path: `/${bucket}/obj` })).status, 404);
  });
});

describe('append size limit: appends', { timeout: 120_000 }, () => {
  const bucket = 'limit-appends';
  const LIMIT = 1000;
  let c: OssClient;
  before(async () => {
    c = client(ossd, { mode: 'ip', bucket });
    await c.putBucket(bucket);
    assert.equal((await setLimit(bucket, limitBody(LIMIT))).status, 200);
  });

  it('below, at and above the limit: up to it succeeds; past it 409 AppendSizeLimitExceeded with the limit and length, nothing appended', async () => {
    const a = randomBytes(600);
    const b = randomBytes(400);
    await c.append('k', a);
    const atLimit = await c.append('k', b, { position: 600 });
    assert.equal(atLimit.nextAppendPosition, String(LIMIT));
    await rejectsWith(c.append('k', Buffer.from('x'), { position: LIMIT }), { code: 'AppendSizeLimitExceeded', status: 409, message: /1000 bytes.*1000 bytes long/ });
    const refused = await append(bucket, 'k', LIMIT, Buffer.from('x'));
    assert.equal(refused.status, 409);
    assert.equal(codeOf(refused), 'AppendSizeLimitExceeded');
    assert.equal(element(refused, 'AppendSizeLimit'), String(LIMIT));
    assert.equal(element(refused, 'CurrentLength'), String(LIMIT));
    assert.equal(refused.headers['x-oss-next-append-position'], String(LIMIT));
    assert.ok(contentOf(await c.get('k')).equals(Buffer.concat([a, b])));
    // An empty append at the limit passes nothing.
    assert.equal((await append(bucket, 'k', LIMIT, Buffer.alloc(0))).status, 200);

    // A creating append larger than the limit: refused, no object made.
    await rejectsWith(c.append('big', randomBytes(LIMIT + 1)), { code: 'AppendSizeLimitExceeded', status: 409 });
    await rejectsWith(c.head('big'), { code: 'NoSuchKey', status: 404 });
    // Below: an append that stays under it succeeds.
    await c.append('small', randomBytes(LIMIT - 1));
  });

  it('a declared Content-Length past the limit is refused before the body is sent', async () => {
    const path = `/${bucket}/declared?append&position=0`;
    const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(GiB), host: `127.0.0.1:${ossd.port}` };
    headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'POST', path, headers)}`;
    const head = [`POST ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    // Only the head is sent: the answer must come without the body.
    const answer = await rawSocket(ossd, head, 5000);
    assert.match(answer, /^HTTP\/1\.1 409 /, answer.slice(0, 300));
    assert.match(answer, /<Code>AppendSizeLimitExceeded<\/Code>/);
  });

  it('a chunked body (no Content-Length) that passes the limit is refused whole once it does', async () => {
    const first = randomBytes(900);
    assert.equal((await append(bucket, 'chunked', 0, first, true)).status, 200);
    const over = await append(bucket, 'chunked', 900, randomBytes(200), true);
    assert.equal(over.status, 409, over.text);
    assert.equal(codeOf(over), 'AppendSizeLimitExceeded');
    assert.ok(contentOf(await c.get('chunked')).equals(first));
    assert.equal((await append(bucket, 'chunked', 900, randomBytes(100), true)).status, 200);
  });

  it('PutObject is not limited (only appends are); removing the limit lets appends go on', async () => {
    const lb = 'limit-removed';
    const c2 = client(ossd, { mode: 'ip', bucket: lb });
    await c2.putBucket(lb);
    assert.equal((await setLimit(lb, limitBody(100))).status, 200);
    await c2.put('normal', randomBytes(500));
    await c2.append('app', randomBytes(100));
    await rejectsWith(c2.append('app', randomBytes(1), { position: 100 }), { code: 'AppendSizeLimitExceeded', status: 409 });
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${lb}/?x-ossd-append-limit` })).status, 204);
    await c2.append('app', randomBytes(1), { position: 100 });
  });

  it('racing writers stop exactly at the limit: every acknowledged append is in the object, nothing beyond', async () => {
    const key = 'race';
    const acked = new Map<number, Buffer>();
    const codes = new Set<string>();
    const writer = async (): Promise<void> => {
      let position = 0;
      for (;;) {
        const body = randomBytes(100);
        try {
          await c.append(key, body, { position });
          acked.set(position, body);
          position += 100;
        } catch (e) {
          const code = String((e as { code?: string }).code);
          codes.add(code);
          if (code === 'AppendSizeLimitExceeded') return;
          assert.equal(code, 'PositionNotEqualToLength', String(e));
          position = Number((await c.head(key)).res.headers['content-length']);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const got = contentOf(await c.get(key));
    assert.equal(got.length, LIMIT);
    assert.equal(acked.size, LIMIT / 100);
    for (const [position, body] of acked) assert.ok(got.subarray(position, position + 100).equals(body), `append at ${position}`);
    assert.ok(codes.has('AppendSizeLimitExceeded'));
  });
});

describe('append size limit: durable', { timeout: 60_000 }, () => {
  it('the limit survives a restart', async () => {
    const first = await startOssd();
    const dataDir = first.dataDir;
    try {
      assert.equal((await raw(first, { method: 'PUT', path: '/limit-restart/' })).status, 200);
      assert.equal((await setLimit('limit-restart', limitBody(10), first)).status, 200);
      await first.kill();
      const again = await startOssd({ dataDir });
      try {
        const got = await raw(again, { method: 'GET', path: '/limit-restart/?x-ossd-append-limit' });
        assert.equal(element(got, 'MaxSize'), '10');
        const over = await raw(again, { method: 'POST', path: '/limit-restart/k?append&position=0', body: randomBytes(11) });
        assert.equal(codeOf(over), 'AppendSizeLimitExceeded');
      } finally {
        await again.stop();
      }
    } finally {
      first.cleanup();
    }
  });
});
