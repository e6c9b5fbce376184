/**
 * An empty appendable object that still has a blob file: the state recovery leaves when
 * an object's only append is rolled back (its bytes did not reach the disk) while its file
 * is there (empty, or holding what a power cut kept). An append at position 0 onto it
 * writes a blob of its own (src/engine/append.ts, appendHeld): it must not try to create
 * the object's existing file again, and, failing, must not remove it. Real SQLite and file
 * drivers; the file is emptied by hand, as a power cut leaves a name whose data was never
 * synced.
 *
 * Checked on the code before the fix (merge 11af0a5, the blob id of the empty object
 * reused for the append's new file): the successful appends failed with EEXIST (a 500 to
 * a client), small and large; the failed large append removed the object's own file, so
 * reading the empty object then failed with ENOENT.
 */
import assert from 'node:assert/strict';
import { existsSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import type { OssError } from '../../src/engine/errors.js';
import { body, DRIVER_PAIRS, makeEngine, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-append-empty-blob-');
const attrs = emptyAttributes();
/** Above the journaled size (64 KiB): such an append writes its file while the body arrives. */
const LARGE = 200 * 1024;

/** A body that ends `missing` bytes before its announced Content-Length (a client gone mid-upload). */
function shortBody(data: Buffer, missing: number) {
  return { body: (async function* () { yield data; })(), contentLength: data.length + missing };
}

// Blob files of the file store: the pairs that use it.
for (const pair of DRIVER_PAIRS.filter((p) => p.endsWith('+file'))) {
  describe(`append at 0 onto an empty appendable object that has a blob file (${pair})`, { timeout: 60_000 }, () => {
    let dir: string;
    let engine: Engine;
    before(async () => {
      dir = newDir();
      engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
    });
    after(() => engine.close());

    const blobFile = (blob: string): string => join(dir, 'blobs', blob.slice(0, 2), blob);

    /** `key` as recovery leaves it: size 0, its blob file present and empty. Returns the blob id. */
    async function emptiedWithFile(key: string): Promise<string> {
      await engine.objects.append('b', key, 0, body(''), attrs);
      const first = await engine.objects.append('b', key, 0, body('never synced'), attrs);
      await engine.flushJournal();
      const blob = first.blob!;
      truncateSync(blobFile(blob), 0);
      await engine.meta.unsettled.add(blob, 1); // the row the append's hold left at the cut
      await engine.recover();
      const rec = await engine.objects.head('b', key);
      assert.equal(rec.size, 0, 'recovery rolled the append back');
      assert.equal(rec.blob, blob, 'the object keeps its (empty) file');
      return blob;
    }

    for (const [kind, size] of [
      ['small (journaled)', 1000],
      ['large', LARGE],
    ] as const) {
      it(`a ${kind} append at 0 succeeds and reads back; the empty object's file is collected`, async () => {
        const key = `ok-${size}`;
        const old = await emptiedWithFile(key);
        const data = Buffer.alloc(size, 'a');
        const rec = await engine.objects.append('b', key, 0, body(data), attrs);
        assert.equal(rec.size, size);
        assert.notEqual(rec.blob, old);
        for (const until = Date.now() + 10_000; existsSync(blobFile(old)) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
        assert.equal(existsSync(blobFile(old)), false, 'no file left behind');
        await engine.flushJournal();
        assert.ok((await readObject(engine, key)).equals(data));
        assert.equal((await engine.objects.append('b', key, size, body('z'), attrs)).size, size + 1, 'the next append goes on');
      });

      it(`a failed ${kind} append at 0 (short body, then bad Content-MD5) leaves the empty object readable`, async () => {
        const key = `fail-${size}`;
        await emptiedWithFile(key);
        const data = Buffer.alloc(size, 'b');
        await assert.rejects(engine.objects.append('b', key, 0, shortBody(data, 10), attrs));
        assert.equal((await readObject(engine, key)).length, 0);
        const badMd5 = { ...body(data), contentMd5: Buffer.alloc(16) };
        await assert.rejects(engine.objects.append('b', key, 0, badMd5, attrs), (e: OssError) => e.code === 'InvalidDigest' || e.code === 'BadDigest');
        assert.equal((await engine.objects.head('b', key)).size, 0);
        assert.equal((await readObject(engine, key)).length, 0);
        const rec = await engine.objects.append('b', key, 0, body(data), attrs);
        assert.equal(rec.size, size);
        await engine.flushJournal();
        assert.ok((await readObject(engine, key)).equals(data));
      });
    }
  });
}
