/**
 * Multipart uploads across SIGKILL and under concurrent readers (multipart.md §4 "atomic";
 * docs/storage.md write order and recovery): acknowledged parts survive a kill -9 and the
 * upload completes after the restart; a part cut off by the kill leaves nothing; recovery's
 * orphan sweep keeps part and segment blobs and removes only what nothing references; a
 * Complete over an existing key is seen whole or not at all, also by a GET that was
 * already streaming the old multipart object.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sleep, startPartialUpload, waitFor } from '../helpers/fault-store.js';
import { blobCount, eventually, md5Hex, multipartEtagOf, pattern, RawMultipart, split, tag, tags, useRawMultipart } from '../helpers/multipart.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const B = 'mp-crash';
const KIB100 = 100 * 1024;
const MiB = 1024 * 1024;

async function restart(ossd: Ossd): Promise<Ossd> {
  await ossd.kill();
  return startOssd({ dataDir: ossd.dataDir });
}

describe('kill -9 during a multipart upload', { timeout: 600_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  it('keeps acknowledged parts, drops the part in flight, and completes after the restart', async () => {
    const parts = [pattern(KIB100, 1), pattern(KIB100, 2), pattern(3 * MiB, 3), pattern(777, 4)];
    let mp = new RawMultipart(ossd, B);
    const id = await mp.initiate('crash.bin', { 'x-oss-meta-kept': 'yes' });
    const etags = await mp.parts('crash.bin', id, parts.slice(0, 2));
    // Part 3 is half sent when the process dies.
    const partial = startPartialUpload(ossd, 'PUT', mp.path('crash.bin', `partNumber=3&uploadId=${id}`), parts[2]!.length, 2 * MiB);
    await waitFor('part 3 half sent', () => partial.sent() >= 2 * MiB);
    await sleep(100);
    ossd = await restart(ossd);
    assert.ok((await partial.done).error !== undefined || (await partial.done).status === undefined);
    mp = new RawMultipart(ossd, B);
    // Only the two acknowledged parts: the half-written part 3 was swept at start.
    assert.equal(blobCount(ossd.dataDir), 2);

    const listed = await mp.listParts('crash.bin', id);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(tags(listed.text, 'PartNumber'), ['1', '2']);
    assert.deepEqual(tags(listed.text, 'ETag'), etags.map((e) => e.replace(/"/g, '&quot;')));
    assert.deepEqual(tags((await mp.listUploads()).text, 'UploadId'), [id]);

    for (const [i, p] of parts.slice(2).entries()) etags.push((await mp.part('crash.bin', id, i + 3, p)).headers.etag!);
    const done = await mp.complete('crash.bin', id, etags.map((e, i) => [i + 1, e]));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.headers.etag, multipartEtagOf(parts));

    // Acknowledged: it survives the next kill, segments and all.
    ossd = await restart(ossd);
    mp = new RawMultipart(ossd, B);
    const g = await mp.get('crash.bin');
    assert.ok(g.body.equals(Buffer.concat(parts)));
    assert.equal(g.headers['x-oss-meta-kept'], 'yes');
    assert.equal(g.headers['x-oss-object-type'], 'Multipart');
    assert.equal(blobCount(ossd.dataDir), 4);
    assert.doesNotMatch(ossd.output(), /orphan/);
  });

  it('a kill right after Complete: unlisted parts and the replaced object are swept at start', async () => {
    let mp = new RawMultipart(ossd, B);
    const before = blobCount(ossd.dataDir);
    assert.equal((await raw(ossd, { method: 'PUT', path: mp.path('swept.bin'), body: 'old' })).status, 200);
    const id = await mp.initiate('swept.bin');
    const parts = [pattern(KIB100, 5), pattern(10, 6), pattern(20, 7)];
    const etags = await mp.parts('swept.bin', id, parts);
    const done = await mp.complete('swept.bin', id, [[1, etags[0]!], [3, etags[2]!]]);
    assert.equal(done.status, 200);
    ossd = await restart(ossd);
    mp = new RawMultipart(ossd, B);
    // Whether the background removal ran before the kill or the sweep did it after.
    assert.equal(blobCount(ossd.dataDir), before + 2);
    assert.ok((await mp.get('swept.bin')).body.equals(Buffer.concat([parts[0]!, parts[2]!])));
  });
});

/** Starts a GET and reads only its headers and first bytes until `resume()` is called. */
function slowGet(ossd: Ossd, path: string): { first: Promise<void>; resume: () => Promise<Buffer> } {
  const headers: Record<string, string> = { date: new Date().toUTCString() };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', path, headers)}`;
  const chunks: Buffer[] = [];
  let res: http.IncomingMessage | undefined;
  const first = new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: ossd.port, path, headers, agent: false }, (r) => {
      res = r;
      r.once('data', (c: Buffer) => {
        chunks.push(c);
        r.pause();
        resolve();
      });
    });
    req.on('error', reject);
  });
  const resume = (): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      res!.on('data', (c: Buffer) => chunks.push(c));
      res!.on('end', () => resolve(Buffer.concat(chunks)));
      res!.on('error', reject);
      res!.resume();
    });
  return { first, resume };
}

describe('Complete over an existing key is atomic for readers', { timeout: 600_000 }, () => {
  const { ossd, mp } = useRawMultipart(B);

  async function upload(key: string, parts: Buffer[]): Promise<void> {
    const id = await mp.initiate(key);
    const etags = await mp.parts(key, id, parts);
    const r = await mp.complete(key, id, etags.map((e, i) => [i + 1, e]));
    assert.equal(r.status, 200, r.text);
  }

  it('a GET streaming the old multipart object finishes with its bytes after a replace and a delete', async () => {
    const old = split(pattern(12 * MiB, 1), 2 * MiB);
    await upload('big.bin', old);
    const start = blobCount(ossd.dataDir);
    const get = slowGet(ossd, mp.path('big.bin'));
    await get.first;
    await upload('big.bin', split(pattern(3 * KIB100, 2), KIB100));
    assert.equal((await raw(ossd, { method: 'DELETE', path: mp.path('big.bin') })).status, 204);
    // The old segments are kept for the reader (the new object's are gone)...
    await eventually('the deleted new object is collected', () => blobCount(ossd.dataDir) === start);
    await sleep(100);
    assert.equal(blobCount(ossd.dataDir), start);
    const body = await get.resume();
    assert.equal(md5Hex(body), md5Hex(Buffer.concat(old)));
    // ...and removed once it is done.
    await eventually('old segments removed after the read', () => blobCount(ossd.dataDir) === 0);
  });

  it('concurrent GETs see one whole version or another while Completes replace the key', async () => {
    const versions = [0, 1, 2, 3, 4].map((v) => split(pattern(2 * KIB100 + 10 * v, v), KIB100));
    const known = new Map(versions.map((parts, v) => [md5Hex(Buffer.concat(parts)), v]));
    await upload('hot.bin', versions[0]!);
    let writing = true;
    const readers = Array.from({ length: 4 }, async () => {
      let reads = 0;
      while (writing || reads === 0) {
        const g = await mp.get('hot.bin');
        assert.equal(g.status, 200, g.text);
        const v = known.get(md5Hex(g.body));
        assert.ok(v !== undefined, `a GET returned ${g.body.length} bytes that are no version`);
        assert.equal(g.headers.etag, multipartEtagOf(versions[v]!));
        reads++;
      }
      return reads;
    });
    for (let round = 0; round < 3; round++) {
      for (const parts of versions.slice(1)) await upload('hot.bin', parts);
    }
    writing = false;
    const counts = await Promise.all(readers);
    assert.ok(counts.every((n) => n > 0));
    const final = await mp.get('hot.bin');
    assert.equal(tag(final.text, 'Code'), undefined);
    assert.equal(known.get(md5Hex(final.body)), 4);
  });
});
