/**
 * Exactly-once appends in the engine on each driver pair of OSSD_TEST_DRIVERS
 * (src/engine/idempotency.ts, src/drivers/{sqlite,postgres}/append-key-store.ts): the
 * 24-hour window and how expired records leave the table, also while the appends lose
 * compare-and-sets to other writers (compaction on immutable stores, an ACL change) and
 * retry. The records are aged by rewriting their `created_ms` through a second
 * connection to the metadata database, as the clock would in a day.
 *
 * Mutations, each made, this file run, then restored (checked 2026-12-05):
 *   - the window not checked (idempotency.ts stillApplies, the createdMs test removed):
 *     "a key older than 24 hours" fails (replayed);
 *   - expired records never deleted (the expire statement of append-key-store.ts removed):
 *     "expired records leave the table" fails;
 *   - the expiry round decided per compare-and-set attempt instead of once per append
 *     (recordAppendKey as before this test raced the appends): "expired records leave the
 *     table" fails on every pair, 9 to 40 of the 40 expired records left (the racer below
 *     takes every round away); with the racer off, compaction alone made it fail on
 *     postgres+s3 in 1 run of 3 (8 left), as the fresh-clone CI once saw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import type { OssError } from '../../src/engine/errors.js';
import { body, DRIVER_PAIRS, makeEngine, type MetadataSql, metadataSql, readObject, tempDirs } from '../helpers/engine-fixtures.js';

const newDir = tempDirs('ossd-append-keys-');
const attrs = emptyAttributes();
const DAY = 24 * 60 * 60 * 1000;

/**
 * Another writer that changes an object (PutObjectACL, as another node could) just before
 * the commit of a keyed append that also deletes expired records, once per append: that
 * compare-and-set loses and the append retries onto the new row. Compaction's swaps do the
 * same on immutable stores, but when they land is up to timing; this makes the worst case
 * happen every time. (The creating append is not raced: there is no row to change yet.)
 */
function raceExpiryRounds(engine: Engine): void {
  const meta = engine.meta;
  const compareAndSwap = meta.compareAndSwap.bind(meta);
  const raced = new Set<string>();
  meta.compareAndSwap = async (bucket, key, expected, next, bytes, history, keys) => {
    if (keys?.expireBefore !== undefined && keys.record && expected !== null && !raced.has(keys.record.token)) {
      raced.add(keys.record.token);
      await engine.objects.setAcl(bucket, key, 'public-read');
    }
    return compareAndSwap(bucket, key, expected, next, bytes, history, keys);
  };
}

for (const pair of DRIVER_PAIRS) {
  describe(`Idempotency-Key records: window and expiry (${pair})`, { timeout: 120_000 }, () => {
    let engine: Engine;
    let db: MetadataSql;
    before(async () => {
      const dir = newDir();
      // Compaction as soon as an object has more than 2 segments (immutable stores): its
      // swaps of the segment list race the appends below, whose compare-and-set then loses
      // and is retried; the expiry round an append carries must survive that.
      engine = await makeEngine(dir, pair, { compactAbove: 2 });
      raceExpiryRounds(engine);
      await engine.buckets.create('b', 'private', 'Standard', 'LRS');
      db = await metadataSql(dir, pair);
    });
    after(async () => {
      await db.close();
      await engine.close();
    });

    const age = async (where: string, ms: number): Promise<void> => {
      await db.query(`UPDATE append_keys SET created_ms = created_ms - ? WHERE ${where}`, [ms]);
    };
    const count = async (where = '1 = 1'): Promise<number> => Number((await db.query(`SELECT count(*) AS n FROM append_keys WHERE ${where}`))[0]!.n);

    it('a key within 24 hours is replayed; older, it is forgotten', async () => {
      const first = await engine.objects.appendOnce('b', 'aged', 0, body('hello'), attrs, 'aged-1');
      assert.equal(first.replay, false);
      await age("token = 'aged-1'", DAY - 60_000);
      const within = await engine.objects.appendOnce('b', 'aged', 0, body('hello'), attrs, 'aged-1');
      assert.deepEqual([within.replay, within.record.size, within.record.crc], [true, 5, first.record.crc]);
      await age("token = 'aged-1'", 120_000);
      await assert.rejects(engine.objects.appendOnce('b', 'aged', 0, body('hello'), attrs, 'aged-1'), (e: OssError) => e.code === 'PositionNotEqualToLength');
      assert.equal((await readObject(engine, 'aged')).toString(), 'hello');
    });

    it('expired records leave the table as later keyed appends are stored, also those of deleted objects', async () => {
      let at = 0;
      for (let i = 0; i < 40; i++) {
        await engine.objects.appendOnce('b', 'gone', at, body('x'), attrs, `gone-${i}`);
        at++;
      }
      await engine.objects.delete('b', 'gone');
      await age("key = 'gone'", DAY + 1000);
      assert.equal(await count("key = 'gone'"), 40);
      // Each batch of 16 stored records deletes up to 32 expired ones.
      at = 0;
      for (let i = 0; i < 32; i++) {
        await engine.objects.appendOnce('b', 'live', at, body('y'), attrs, `live-${i}`);
        at++;
      }
      assert.equal(await count("key = 'gone'"), 0, 'the deleted object\'s expired records are gone');
      assert.equal(await count("key = 'live'"), 32, 'the fresh ones stay');
    });
  });
}
