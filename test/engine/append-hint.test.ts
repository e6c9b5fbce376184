/**
 * An append under its key's lock starts from what the last append to the key committed,
 * instead of reading the row back (engine/append.ts lockedCurrent()). When another
 * operation changed the object since, every answer must still be the one the row gives:
 * these tests change the object between two appends in each way there is. Every driver
 * pair of OSSD_TEST_DRIVERS (on an immutable store the appends are segments).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import type { OssError } from '../../src/engine/errors.js';
import { body, DRIVER_PAIRS, makeEngine, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-append-hint-');
const attrs = emptyAttributes();

for (const pair of DRIVER_PAIRS) {
  describe(`appends after the object changed by other operations (${pair})`, { timeout: 120_000 }, () => {
    let engine: Engine;
    before(async () => {
      engine = await makeEngine(newDir(), pair);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
    });
    after(() => engine.close());

    it('replaced by a PutObject: an append at the old length is ObjectNotAppendable', async () => {
      await engine.objects.append('b', 'put', 0, body('12345'), attrs);
      await engine.objects.put('b', 'put', body('normal'), attrs, false);
      await assert.rejects(engine.objects.append('b', 'put', 5, body('x'), attrs), (e: OssError) => e.code === 'ObjectNotAppendable');
      assert.equal((await readObject(engine, 'put')).toString(), 'normal');
    });

    it('deleted: an append at the old length is told position 0, and one at 0 creates it again', async () => {
      await engine.objects.append('b', 'del', 0, body('12345'), attrs);
      await engine.objects.delete('b', 'del');
      await assert.rejects(
        engine.objects.append('b', 'del', 5, body('x'), attrs),
        (e: OssError) => e.code === 'PositionNotEqualToLength' && e.details.nextPosition === '0',
      );
      assert.equal((await engine.objects.append('b', 'del', 0, body('abc'), attrs)).size, 3);
      assert.equal((await readObject(engine, 'del')).toString(), 'abc');
    });

    it('deleted and created again by an append of another length: appends follow the new one', async () => {
      await engine.objects.append('b', 'again', 0, body('12345'), attrs);
      await engine.objects.delete('b', 'again');
      await engine.objects.append('b', 'again', 0, body('ab'), attrs);
      await assert.rejects(
        engine.objects.append('b', 'again', 5, body('x'), attrs),
        (e: OssError) => e.code === 'PositionNotEqualToLength' && e.details.nextPosition === '2',
      );
      assert.equal((await engine.objects.append('b', 'again', 2, body('cd'), attrs)).size, 4);
    });

    it('its ACL changed (a new revision, the same bytes): the next append commits on top and keeps the ACL', async () => {
      await engine.objects.append('b', 'acl', 0, body('12345'), attrs);
      await engine.objects.setAcl('b', 'acl', 'public-read');
      const rec = await engine.objects.append('b', 'acl', 5, body('678'), attrs);
      assert.equal(rec.size, 8);
      assert.equal(rec.acl, 'public-read');
      assert.equal((await readObject(engine, 'acl')).toString(), '12345678');
    });

    it('replaced in a versioned bucket: a large append at the old length leaves the noncurrent version as it was', async () => {
      await engine.buckets.setVersioning('b', 'Enabled');
      const first = await engine.objects.append('b', 'ver', 0, body('12345'), attrs);
      await engine.objects.put('b', 'ver', body('normal'), attrs, false);
      // Over the journal's 64 KiB: written into a blob file, the old version's had it been taken for current.
      await assert.rejects(engine.objects.append('b', 'ver', 5, body(randomBytes(100_000)), attrs), (e: OssError) => e.code === 'ObjectNotAppendable');
      assert.equal((await readObject(engine, 'ver', first.versionId)).toString(), '12345');
      assert.equal((await engine.objects.head('b', 'ver', first.versionId)).size, 5);
    });
  });
}
