/**
 * The S3 blob driver alone (src/drivers/s3/blob-store.ts) against s3rver: a blob appears
 * only once sync() completed it, whole; a writer closed before sync() leaves nothing;
 * ranges (the first byte too: s3rver answers `bytes=0-0` with the whole object), sizes,
 * listing and removal; what an immutable store refuses. The engine's use of it is in
 * test/engine (OSSD_TEST_DRIVERS=sqlite+s3) and test/compat/s3-blobs.test.ts.
 *
 * Checked to fail: with the range clamp removed (S3BlobReader.get passing the body as it
 * comes), "ranges" reads 10 bytes for [0, 1); with close() ending the body instead of
 * destroying it and aborting the upload, the abandoned blob of 9 MiB is found in the bucket;
 * with remove() sending its DeleteObject unbounded, 200 removals at once put 50 in flight
 * (all the client's sockets), where the bound is 4.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { S3BlobStore } from '../../src/drivers/s3/blob-store.js';
import { s3BlobStoreFor } from '../helpers/s3rver.js';

async function listed(store: S3BlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.list()) out.push(b);
  return out.sort();
}

async function streamed(store: S3BlobStore, blob: string, start: number, end: number): Promise<Buffer> {
  const r = await store.openReader(blob);
  const chunks: Buffer[] = [];
  for await (const c of r.stream(start, end)) chunks.push(c as Buffer);
  await r.close();
  return Buffer.concat(chunks);
}

describe('S3 blob store on s3rver', { timeout: 120_000 }, () => {
  it('is immutable: blobs appear whole at sync(); ranges, sizes, listing and removal', async () => {
    const store = await s3BlobStoreFor('unit-1');
    assert.equal(store.mutable, false);
    const blob = store.newBlobId();
    const w = await store.openWriter(blob, true);
    await w.write([Buffer.from('01234'), Buffer.from('56789')], 0);
    await assert.rejects(w.write([Buffer.from('x')], 3), /in order/);
    assert.equal(await store.size(blob), undefined, 'nothing visible before sync()');
    await w.sync();
    await w.close();
    assert.equal(await store.size(blob), 10);
    assert.deepEqual(await listed(store), [blob]);
    for (const [s, e] of [[0, 1], [0, 10], [3, 4], [9, 10], [2, 8], [5, 5]] as const) {
      assert.equal((await streamed(store, blob, s, e)).toString(), '0123456789'.slice(s, e), `stream ${s}-${e}`);
      const r = await store.openReader(blob);
      assert.equal((await r.read(s, e)).toString(), '0123456789'.slice(s, e), `read ${s}-${e}`);
    }
    await assert.rejects(store.openWriter(blob, false), /immutable/);
    await assert.rejects(store.truncate(), /immutable/);
    await assert.rejects(store.writeAt(), /immutable/);
    await store.remove(blob);
    assert.equal(await store.size(blob), undefined);
    await assert.rejects(streamed(store, blob, 0, 1), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    await store.remove(blob); // removing a missing blob is fine
  });

  it('a large blob streams as a multipart upload; a writer closed before sync() leaves nothing', async () => {
    const store = await s3BlobStoreFor('unit-2');
    const data = randomBytes(9 * 1024 * 1024 + 5);
    const blob = store.newBlobId();
    const w = await store.openWriter(blob, true);
    for (let o = 0; o < data.length; o += 1 << 20) await w.write([data.subarray(o, o + (1 << 20))], o);
    await w.sync();
    await w.close();
    assert.ok((await streamed(store, blob, 0, data.length)).equals(data));
    assert.ok((await streamed(store, blob, 8 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 3)).equals(data.subarray(8 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 3)));

    const abandoned = store.newBlobId();
    const a = await store.openWriter(abandoned, true);
    await a.write([data], 0);
    await a.close();
    assert.equal(await store.size(abandoned), undefined);
    assert.deepEqual(await listed(store), [blob]);
  });

  it('refuses a bucket that does not exist at start, in one line', async () => {
    const store = await s3BlobStoreFor('unit-3');
    const { S3BlobStore } = await import('../../src/drivers/s3/blob-store.js');
    const missing = new S3BlobStore(store.client, 'no-such-bucket-here');
    await assert.rejects(missing.init(), /blobs: cannot use S3 bucket "no-such-bucket-here": it does not exist/);
  });

  it('a burst of removals holds at most 4 DeleteObjects in flight, and every blob goes', async () => {
    // A compaction's dereferenced segments come due together after the grace period; they
    // must not take every socket of the client from the appends (blob-store.ts).
    const store = await s3BlobStoreFor('unit-4');
    const blobs: string[] = [];
    for (let i = 0; i < 200; i++) {
      const blob = store.newBlobId();
      const w = await store.openWriter(blob, true);
      await w.write([Buffer.from(`segment ${i}`)], 0);
      await w.sync();
      await w.close();
      blobs.push(blob);
    }
    let inFlight = 0;
    let most = 0;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'DeleteObjectCommand') return next(args);
        most = Math.max(most, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'finalizeRequest', name: 'countDeletes' },
    );
    await Promise.all(blobs.map((b) => store.remove(b)));
    store.client.middlewareStack.remove('countDeletes');
    assert.ok(most >= 2 && most <= 4, `DeleteObjects in flight at most: ${most}`);
    assert.deepEqual(await listed(store), []);
  });
});
