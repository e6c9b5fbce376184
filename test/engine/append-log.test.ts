/**
 * The append log (src/drivers/sqlite/append-log.ts): small appends committed together
 * keep their bytes in log segments, not in their journal rows. Recovery replays them
 * from there, rolls back an append whose log bytes a crash kept from the disk, and
 * segments are reused only once no row needs them. Real SQLite and file drivers; a
 * "crash" is a second engine opened on the folder of one never closed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyAttributes } from '../../src/engine/attributes.js';
import type { Engine } from '../../src/engine/engine.js';
import { body, makeEngine, readObject, tempDirs } from '../helpers/engine-fixtures.js';
import { journalRows } from '../helpers/meta-db.js';

const newDir = tempDirs('ossd-append-log-');
const attrs = emptyAttributes();

/** The log's segment files and their sizes. */
function segments(dir: string): Map<string, number> {
  const logDir = join(dir, 'append-log');
  return new Map(readdirSync(logDir).map((f) => [f, statSync(join(logDir, f)).size]));
}

/** Appends `parts` to `key` one after another; its whole content. */
async function appendAll(engine: Engine, key: string, parts: Buffer[]): Promise<Buffer> {
  let whole = Buffer.alloc(0);
  for (const p of parts) {
    await engine.objects.append('b', key, whole.length, body(p), attrs);
    whole = Buffer.concat([whole, p]);
  }
  return whole;
}

describe('the append log', { timeout: 120_000 }, () => {
  const engines: Engine[] = [];
  before(() => {
    process.env.OSSD_JOURNAL_FLUSH_MS = '600000'; // no background flush: rows stay until the test flushes
    process.env.OSSD_JOURNAL_IN_ROWS_MAX = '0'; // every journaled append's bytes go to the log
  });
  after(async () => {
    delete process.env.OSSD_JOURNAL_FLUSH_MS;
    delete process.env.OSSD_JOURNAL_IN_ROWS_MAX;
    for (const e of engines) await e.close();
  });
  const engineOn = async (dir: string): Promise<Engine> => {
    const e = await makeEngine(dir);
    engines.push(e);
    return e;
  };

  it('holds the bytes of appends committed together; after a crash recovery writes them into their blobs', async () => {
    const dir = newDir();
    const crashed = await engineOn(dir);
    await crashed.buckets.create('b', 'private', 'Standard', 'LRS');
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const parts = keys.map(() => Array.from({ length: 5 }, () => randomBytes(3000)));
    // Concurrent appends to 8 keys: their commits share group commits.
    const wholes = await Promise.all(keys.map((k, i) => appendAll(crashed, k, parts[i]!)));
    const logged = [...segments(dir).values()].reduce((a, b) => a + b, 0);
    // The creating appends write their files; the 4 after each are only in the log and in memory.
    assert.ok(logged >= 8 * 4 * 3000, `log holds ${logged} bytes`);
    const rows = journalRows(dir);
    assert.equal(rows.length, 8 * 5);
    for (const [i, k] of keys.entries()) {
      const rec = await crashed.meta.getObject('b', k);
      const ofKey = rows.filter((r) => r.blob === rec!.blob);
      assert.ok(Buffer.concat(ofKey.map((r) => r.data)).equals(wholes[i]!), `${k}: the rows point at its bytes`);
    }

    const engine = await engineOn(dir);
    const report = await engine.recover();
    assert.equal(report.rolledBackAppends, 0);
    assert.equal(report.replayedAppends, 8 * 5);
    for (const [i, k] of keys.entries()) {
      const rec = await engine.meta.getObject('b', k);
      assert.ok(readFileSync(join(dir, 'blobs', rec!.blob!.slice(0, 2), rec!.blob!)).equals(wholes[i]!), `${k}: in its file`);
      assert.ok((await readObject(engine, k)).equals(wholes[i]!));
    }
    assert.deepEqual(journalRows(dir), []);
  });

  it('an append whose log bytes never reached the disk is rolled back; the appends before it stay', async () => {
    const dir = newDir();
    const crashed = await engineOn(dir);
    await crashed.buckets.create('b', 'private', 'Standard', 'LRS');
    const parts = [randomBytes(2000), randomBytes(2000), randomBytes(2000)];
    await appendAll(crashed, 'k', parts);
    const other = await appendAll(crashed, 'other', [randomBytes(100), randomBytes(100)]);
    // The crash came after the WAL fsync of the last append to 'k', before the log's: its bytes are not there.
    const logDir = join(dir, 'append-log');
    let found = 0;
    for (const f of readdirSync(logDir)) {
      const seg = readFileSync(join(logDir, f));
      const at = seg.indexOf(parts[2]!);
      if (at < 0) continue;
      seg.fill(0, at, at + parts[2]!.length);
      writeFileSync(join(logDir, f), seg);
      found++;
    }
    assert.equal(found, 1, 'the last append is in the log');

    const engine = await engineOn(dir);
    const report = await engine.recover();
    assert.equal(report.rolledBackAppends, 1);
    const rec = await engine.meta.getObject('b', 'k');
    assert.equal(rec?.size, 4000);
    assert.ok((await readObject(engine, 'k')).equals(Buffer.concat(parts.slice(0, 2))));
    assert.equal((await engine.objects.append('b', 'k', 4000, body(parts[2]!), attrs)).size, 6000, 'appending again at the length works');
    assert.ok((await readObject(engine, 'other')).equals(other));
  });

  // Which segments get reused depends on how fast the flusher clears rows here; the next
  // test checks reuse itself, with the flushes made by hand.
  it('while the flusher keeps clearing rows, segments turn over and every append reads back whole, also after a crash', async () => {
    const dir = newDir();
    const crashed = await engineOn(dir);
    await crashed.buckets.create('b', 'private', 'Standard', 'LRS');
    const keys = Array.from({ length: 8 }, (_, i) => `turn${i}`);
    const chunks = (n: number): Buffer[] => Array.from({ length: n }, () => randomBytes(64 * 1024));
    process.env.OSSD_JOURNAL_FLUSH_MS = '5';
    let wholes: Buffer[];
    try {
      // 8 × 40 × 64 KiB = 20 MiB: five segments' worth, written while rows come and go.
      wholes = await Promise.all(keys.map((k) => appendAll(crashed, k, chunks(40))));
    } finally {
      process.env.OSSD_JOURNAL_FLUSH_MS = '600000';
    }
    await crashed.flushJournal(); // every row cleared for good, and no more background flushes from this engine
    // More appends whose rows stay: 8.5 MiB, past at least two segment ends wherever the
    // first phase stopped, so a segment is chosen while rows of this phase point into
    // others. The crash leaves them all to recovery.
    for (const [i, k] of keys.entries()) {
      const more = chunks(17);
      for (const c of more) {
        await crashed.objects.append('b', k, wholes[i]!.length, body(c), attrs);
        wholes[i] = Buffer.concat([wholes[i]!, c]);
      }
    }
    assert.equal(journalRows(dir).length, 8 * 17);

    const engine = await engineOn(dir);
    const report = await engine.recover();
    assert.equal(report.rolledBackAppends, 0);
    assert.equal(report.replayedAppends, 8 * 17);
    for (const [i, k] of keys.entries()) assert.ok((await readObject(engine, k)).equals(wholes[i]!), `${k} after recovery`);
  });

  it('fills segments one after another and reuses one only once no row points into it', async () => {
    const dir = newDir();
    const engine = await engineOn(dir);
    await engine.buckets.create('b', 'private', 'Standard', 'LRS');
    const chunk = (): Buffer => randomBytes(64 * 1024);
    // 96 × 64 KiB = 6 MiB while the rows stay: past the first 4 MiB segment into a second.
    const first = await appendAll(engine, 'k', Array.from({ length: 96 }, chunk));
    assert.deepEqual([...segments(dir).keys()].sort(), ['0.log', '1.log']);
    await engine.flushJournal(); // rows gone: both segments free again
    const second = await appendAll(engine, 'k2', Array.from({ length: 96 }, chunk));
    assert.deepEqual([...segments(dir).keys()].sort(), ['0.log', '1.log'], 'no third segment: a free one was reused');

    // Recovery reads the reused segment's new records, not the old ones.
    const recovered = await engineOn(dir);
    assert.equal((await recovered.recover()).rolledBackAppends, 0);
    assert.ok((await readObject(recovered, 'k')).equals(first));
    assert.ok((await readObject(recovered, 'k2')).equals(second));
  });
});
