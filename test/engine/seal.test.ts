/**
 * SealAppendObject and the append size limit in the engine, on each driver pair
 * (OSSD_TEST_DRIVERS): what a metadata driver must keep for them (the record fields
 * `sealedMs` and `appendSizeLimit`, through compareAndSwap, getObject, objectState, the
 * version history and a reopen), and the rules that use them. The HTTP answers are tested
 * through the real process in test/compat/seal.test.ts and append-limit.test.ts.
 *
 * Fails when the driver drops sealed_ms from objectState (metadata-store.ts; the cheap
 * check an append makes while another holds the key's lock would miss the seal): checked,
 * "a seal is kept through a reopen" fails (the queued appends are still refused then, by
 * the full read under the lock).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { OssError } from '../../src/engine/errors.js';
import { body, DRIVER_PAIRS, makeEngine, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-seal-');
const attrs = emptyAttributes();
const code = (want: string) => (e: OssError) => e.code === want;

for (const pair of DRIVER_PAIRS) {
  describe(`seal and append size limit (${pair})`, { timeout: 60_000 }, () => {
    it('a seal is kept through a reopen, with its first time; appends are refused', async () => {
      const dir = newDir();
      let engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      await engine.objects.append('b', 'k', 0, body('abc'), attrs);
      const sealed = await engine.objects.seal('b', 'k', 3);
      assert.ok(sealed.sealedMs !== undefined && Math.abs(sealed.sealedMs - Date.now()) < 5000);
      assert.equal((await engine.objects.seal('b', 'k', 3)).sealedMs, sealed.sealedMs);
      await engine.close();
      engine = await makeEngine(dir, pair);
      try {
        await engine.recover();
        assert.equal((await engine.objects.head('b', 'k')).sealedMs, sealed.sealedMs);
        assert.equal((await engine.meta.objectState('b', 'k'))?.sealedMs, sealed.sealedMs);
        await assert.rejects(engine.objects.append('b', 'k', 3, body('d'), attrs), code('ObjectNotAppendable'));
        assert.equal((await readObject(engine, 'k')).toString(), 'abc');
      } finally {
        await engine.close();
      }
    });

    it('the cheap state read sees the seal: appends queued behind another are refused too', async () => {
      const engine = await makeEngine(newDir(), pair);
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await engine.objects.append('b', 'q', 0, body('12345'), attrs);
        await engine.objects.seal('b', 'q', 5);
        // Several at once: all but the first check objectState() while the lock is busy.
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => engine.objects.append('b', 'q', 5, body('x'), attrs)));
        for (const r of results) assert.ok(r.status === 'rejected' && (r.reason as OssError).code === 'ObjectNotAppendable', JSON.stringify(r));
        assert.equal((await engine.meta.objectState('b', 'missing')), undefined);
        assert.equal((await engine.meta.objectState('b', 'q'))?.size, 5);
      } finally {
        await engine.close();
      }
    });

    it('refusals: missing key NoSuchKey, Normal object ObjectNotAppendable, wrong position PositionNotEqualToLength', async () => {
      const engine = await makeEngine(newDir(), pair);
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await assert.rejects(engine.objects.seal('b', 'none', 0), code('NoSuchKey'));
        await engine.objects.put('b', 'n', body('normal'), attrs, false);
        await assert.rejects(engine.objects.seal('b', 'n', 6), code('ObjectNotAppendable'));
        await engine.objects.append('b', 'a', 0, body('xy'), attrs);
        await assert.rejects(engine.objects.seal('b', 'a', 1), (e: OssError) => e.code === 'PositionNotEqualToLength' && e.details.nextPosition === '2');
        assert.equal((await engine.objects.head('b', 'a')).sealedMs, undefined);
      } finally {
        await engine.close();
      }
    });

    it('a sealed version archived by an overwrite keeps its seal; the listener hears each first seal once', async () => {
      const engine = await makeEngine(newDir(), pair);
      try {
        await engine.buckets.create('b', 'private', 'Standard', 'LRS');
        await engine.buckets.setVersioning('b', 'Enabled');
        const heard: string[] = [];
        engine.objects.onSealed((rec) => heard.push(`${rec.key}@${rec.size}`));
        const first = await engine.objects.append('b', 'v', 0, body('one'), attrs);
        const sealed = await engine.objects.seal('b', 'v', 3);
        await engine.objects.seal('b', 'v', 3);
        assert.deepEqual(heard, ['v@3']);
        await engine.objects.put('b', 'v', body('two'), attrs, false);
        assert.equal((await engine.objects.head('b', 'v', first.versionId)).sealedMs, sealed.sealedMs);
        assert.equal((await engine.objects.head('b', 'v')).sealedMs, undefined);
      } finally {
        await engine.close();
      }
    });

    it('the bucket limit is kept through a reopen and refuses appends past it', async () => {
      const dir = newDir();
      let engine = await makeEngine(dir, pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      await engine.buckets.setAppendSizeLimit('b', 4);
      await engine.close();
      engine = await makeEngine(dir, pair);
      try {
        assert.equal((await engine.buckets.require('b')).appendSizeLimit, 4);
        await engine.objects.append('b', 'k', 0, body('1234'), attrs);
        await assert.rejects(
          engine.objects.append('b', 'k', 4, body('5'), attrs),
          (e: OssError) => e.code === 'AppendSizeLimitExceeded' && e.details.AppendSizeLimit === '4' && e.details.CurrentLength === '4',
        );
        await engine.buckets.setAppendSizeLimit('b', undefined);
        assert.equal((await engine.buckets.require('b')).appendSizeLimit, undefined);
        await engine.objects.append('b', 'k', 4, body('5'), attrs);
      } finally {
        await engine.close();
      }
    });
  });
}
