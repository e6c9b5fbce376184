/**
 * Request-body chunks freed at once once written (src/engine/free-now.ts, ingest.ts).
 *
 * Why it matters: left to V8's collector, 64 MiB of chunks per PutObject made V8 run a
 * full mark-compact every ~20 MiB (BENCH.md). Freeing them must never touch bytes that
 * something else still reads: views of larger buffers, bodies kept in memory (inline
 * objects, journaled appends), or a stored object's bytes being copied (no chunksOwned).
 * Each engine case checks the stored bytes as well as which chunks were freed.
 * Checked to fail: with freeNow() a no-op, the "freed" assertions fail; with the
 * keepsChunks check removed from ingest.ts, the inline and journaled cases fail.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { freeNow } from '../../src/engine/free-now.js';
import { bodyIterator } from '../../src/protocol/body-iterator.js';
import { engineWithBucket, ownedChunks, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const tempDir = tempDirs('ossd-free-');
const MiB = 1024 * 1024;

const bucketEngine = (): Promise<Engine> => engineWithBucket(tempDir());

const freed = (given: Buffer[]) => given.filter((c) => c.byteLength === 0).length;
const etagOf = (b: Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();

describe('freeing request-body chunks once written', { timeout: 120_000 }, () => {
  it('freeNow frees chunks that are the whole of their memory, and nothing else', () => {
    const whole = Buffer.from(randomBytes(70_000));
    const big = Buffer.from(randomBytes(100_000));
    const view = big.subarray(10, 50_000);
    const pooled = Buffer.from('a small pooled buffer');
    const viewCopy = Buffer.from(view);
    freeNow([whole, view, pooled, whole]); // the same buffer twice: freed once, no error
    assert.equal(whole.byteLength, 0, 'freed');
    assert.ok(view.equals(viewCopy), 'a view of a larger buffer is left alone');
    assert.equal(big.byteLength, 100_000);
    assert.equal(pooled.toString(), 'a small pooled buffer');
    freeNow([]);
  });

  it("Node's HTTP parser hands a request body over in chunks that own their memory (what makes freeing them worth it)", async () => {
    const server = createServer(async (req, res) => {
      const it = bodyIterator(req);
      let chunks = 0;
      let owning = 0;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        chunks++;
        if (r.value.byteOffset === 0 && r.value.byteLength === r.value.buffer.byteLength) owning++;
      }
      res.end(JSON.stringify({ chunks, owning }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/' }, (res) => {
          let s = '';
          res.on('data', (d: Buffer) => (s += d.toString()));
          res.on('end', () => resolve(s));
        });
        req.on('error', reject);
        for (let i = 0; i < 64; i++) req.write(randomBytes(64 * 1024));
        req.end();
      });
      const { chunks, owning } = JSON.parse(answer) as { chunks: number; owning: number };
      assert.ok(chunks > 1, `${chunks} chunks`);
      assert.ok(owning >= chunks * 0.9, `${owning} of ${chunks} chunks own their memory`);
    } finally {
      server.close();
    }
  });

  it('a 6 MiB put (MD5 on the worker) and a 2 MiB put: bytes and ETag intact, every chunk freed', async () => {
    const engine = await bucketEngine();
    for (const size of [6 * MiB + 5, 2 * MiB + 7]) {
      const data = randomBytes(size);
      const given: Buffer[] = [];
      const rec = await engine.objects.put('b', `k${size}`, ownedChunks(data, given), emptyAttributes(), false);
      assert.equal(rec.etag, etagOf(data));
      assert.ok((await readObject(engine, `k${size}`)).equals(data), `${size}: bytes`);
      assert.equal(freed(given), given.length, `${size}: all ${given.length} chunks freed`);
    }
    await engine.close();
  });

  it('appends: a 2 MiB append frees its chunks; a journaled one (kept in memory until committed) does not', async () => {
    const engine = await bucketEngine();
    const first = randomBytes(2 * MiB + 1);
    const given: Buffer[] = [];
    const r1 = await engine.objects.append('b', 'log', 0, ownedChunks(first, given), emptyAttributes());
    assert.equal(freed(given), given.length, 'large append: freed');
    // 64 KiB: the largest journaled append, and as large as a batch that is freed.
    const small = randomBytes(64 * 1024);
    const kept: Buffer[] = [];
    await engine.objects.append('b', 'log', r1.size, ownedChunks(small, kept), emptyAttributes());
    assert.equal(freed(kept), 0, 'journaled append: its chunks are kept');
    assert.ok((await readObject(engine, 'log')).equals(Buffer.concat([first, small])));
    await engine.close();
  });

  it('a 64 KiB put stored inline (kept in memory until committed): its chunks are kept', async () => {
    const engine = await bucketEngine();
    const data = randomBytes(64 * 1024);
    const kept: Buffer[] = [];
    const rec = await engine.objects.put('b', 'small', ownedChunks(data, kept), emptyAttributes(), false);
    assert.equal(freed(kept), 0);
    assert.equal(rec.etag, etagOf(data));
    assert.ok((await readObject(engine, 'small')).equals(data));
    await engine.close();
  });

  it('without chunksOwned (a copy of stored bytes, say), nothing given is freed', async () => {
    const engine = await bucketEngine();
    const data = randomBytes(6 * MiB);
    const given: Buffer[] = [];
    await engine.objects.put('b', 'kept', ownedChunks(data, given, false), emptyAttributes(), false);
    assert.equal(freed(given), 0);
    assert.ok(Buffer.concat(given).equals(data), 'the chunks still hold their bytes');
    assert.ok((await readObject(engine, 'kept')).equals(data));
    await engine.close();
  });
});
