/**
 * Recovery finds every leftover of a crash through the unsettled registry alone
 * (src/engine/unsettled.ts, src/drivers/sqlite/unsettled-store.ts), never by scanning:
 * a crash is simulated by an engine whose blob removals never happen (the process died
 * after the commit, before the unlink) or whose write never reaches its commit, then a
 * second engine on the same folder recovers.
 *
 * Fails when the commits no longer record the blobs they dereference
 * (metadata-store.ts recordDereferenced: the replaced, deleted and aborted files stay):
 * checked. Fails when writeNewBlob no longer holds its blob (the uncommitted file stays):
 * checked.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BlobStore } from '../../src/drivers/types.js';
import { emptyAttributes } from '../../src/engine/attributes.js';
import { Engine } from '../../src/engine/engine.js';
import { body, DRIVER_PAIRS, makeStores, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-unsettled-');
const big = (c: string): string => c.repeat(100_000); // over the inline limit: a blob file

/** An engine whose blob removals never happen, as when the process dies right after a commit. */
async function crashingEngine(dir: string, pair: string): Promise<Engine> {
  const { meta, blobs } = await makeStores(dir, pair);
  const lost: BlobStore = new Proxy(blobs, {
    get: (target, prop, receiver) => (prop === 'remove' ? () => new Promise<void>(() => undefined) : Reflect.get(target, prop, receiver)),
  });
  const engine = new Engine(meta, lost, (e) => {
    throw e;
  });
  await engine.buckets.create('b', 'private', 'Standard', 'LRS');
  return engine;
}

async function recovered(dir: string, pair: string): Promise<{ engine: Engine; report: Awaited<ReturnType<Engine['recover']>> }> {
  const { meta, blobs } = await makeStores(dir, pair);
  const engine = new Engine(meta, blobs, (e) => {
    throw e;
  });
  return { engine, report: await engine.recover() };
}

const fileOf = (dir: string, blob: string): string => join(dir, 'blobs', blob.slice(0, 2), blob);

// Files of the file blob store: the pairs that use it.
for (const pair of DRIVER_PAIRS.filter((p) => p.endsWith('+file'))) {
  describe(`recovery through the unsettled registry (${pair})`, { timeout: 60_000 }, () => {
    it('removes the files that commits dereferenced when the crash came before their removal', async () => {
      const dir = newDir();
      const crashed = await crashingEngine(dir, pair);
      const attrs = emptyAttributes();
      const first = await crashed.objects.put('b', 'over', body(big('a')), attrs, false);
      await crashed.objects.put('b', 'over', body(big('b')), attrs, false);
      const deleted = await crashed.objects.put('b', 'gone', body(big('c')), attrs, false);
      await crashed.objects.delete('b', 'gone');
      const upload = await crashed.multipart.initiate('b', 'mpu', attrs, false);
      const part = await crashed.multipart.uploadPart('b', 'mpu', upload.uploadId, 1, body(big('d')));
      await crashed.multipart.abort('b', 'mpu', upload.uploadId);
      const stale = [first.blob!, deleted.blob!, part.blob!];
      assert.ok(stale.every((b) => existsSync(fileOf(dir, b))), 'the crash left the three files');
      // The writes' own rows are deleted (as a second later): only the commits' rows are left.
      await new Promise((r) => setImmediate(r));
      await crashed.unsettled.flush();

      const { engine, report } = await recovered(dir, pair);
      assert.equal(report.fullSweep, false);
      assert.equal(report.removedOrphans, 3);
      assert.ok(stale.every((b) => !existsSync(fileOf(dir, b))), 'recovery removed them');
      assert.equal((await engine.objects.head('b', 'over')).size, 100_000);
      await engine.close();
    });

    it('removes a new blob file whose write never reached its commit', async () => {
      const dir = newDir();
      const crashed = await crashingEngine(dir, pair);
      const blob = crashed.blobs.newBlobId();
      await crashed.objects.writeNewBlob(blob, body(big('e')), 1 << 30, () => new Error('too large') as never);
      assert.ok(existsSync(fileOf(dir, blob)));
      const { engine, report } = await recovered(dir, pair);
      assert.equal(report.removedOrphans, 1);
      assert.equal(report.visitedBlobs, 1);
      assert.ok(!existsSync(fileOf(dir, blob)));
      await engine.close();
    });
  });
}
