/**
 * Large GETs through the real ossd process, raw HTTP: bodies are read into 1 MiB buffers
 * that are reused across responses (src/server/pooled-send.ts). A buffer handed back too
 * early would put one response's bytes into another's: concurrent GETs of different
 * objects, a client that reads slowly, one that goes away mid-body and ranges across piece
 * boundaries must each get exactly their bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createBucket } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const B = 'large-get';
const MiB = 1024 * 1024;

/** A signed GET whose body the caller consumes as it likes. */
function openGet(ossd: Ossd, key: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  const path = `/${B}/${key}`;
  const h: Record<string, string> = { date: new Date().toUTCString(), ...headers };
  h.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', path, h)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ossd.port, method: 'GET', path, headers: h, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function bodyOf(res: http.IncomingMessage, pauseEveryMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) {
    chunks.push(c as Buffer);
    if (pauseEveryMs > 0) await new Promise((r) => setTimeout(r, pauseEveryMs));
  }
  return Buffer.concat(chunks);
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('large GETs from reused buffers', { timeout: 300_000 }, () => {
  let ossd: Ossd;
  const objects = new Map<string, Buffer>();
  before(async () => {
    ossd = await startOssd();
    await createBucket(ossd, B);
    // Sizes off the 1 MiB piece size, so the last piece of each is short.
    for (const [i, size] of [5 * MiB + 123, 3 * MiB + 1, 4 * MiB - 7, 2 * MiB + 999].entries()) {
      const data = randomBytes(size);
      const put = await raw(ossd, { method: 'PUT', path: `/${B}/obj${i}`, body: data });
      assert.equal(put.status, 200);
      objects.set(`obj${i}`, data);
    }
  });
  after(async () => {
    await ossd.kill();
    ossd.cleanup();
  });

  it('concurrent GETs of different objects, one of them read slowly and one abandoned, each get exactly their bytes', async () => {
    const abandoned = await openGet(ossd, 'obj0');
    await new Promise<void>((r) => abandoned.once('data', () => r()));
    abandoned.destroy(); // gone after its first piece: its buffers must not go to anyone else early
    const gets = [...objects.keys()].flatMap((key, i) => [
      openGet(ossd, key).then((res) => bodyOf(res, i === 1 ? 2 : 0)),
      openGet(ossd, key).then((res) => bodyOf(res)),
    ]);
    const bodies = await Promise.all(gets);
    for (const [j, body] of bodies.entries()) {
      const key = [...objects.keys()][Math.floor(j / 2)]!;
      assert.equal(body.length, objects.get(key)!.length, key);
      assert.equal(md5(body), md5(objects.get(key)!), `${key}: byte-exact`);
    }
  });

  it('ranges across piece boundaries', async () => {
    const data = objects.get('obj0')!;
    for (const [s, e] of [[MiB - 10, 3 * MiB + 5], [1, 2 * MiB], [4 * MiB, data.length - 1], [0, data.length - 1]] as const) {
      const res = await openGet(ossd, 'obj0', { range: `bytes=${s}-${e}` });
      assert.equal(res.statusCode, 206);
      const body = await bodyOf(res);
      assert.ok(body.equals(data.subarray(s, e + 1)), `range ${s}-${e}`);
    }
  });
});
