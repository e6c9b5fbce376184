/**
 * The PostgreSQL metadata store (src/drivers/postgres/metadata-store.ts) on its own, as
 * nodes of a cluster use it: two stores (two pools, like two nodes) racing compare-and-sets
 * on one database, bytewise listings in a database whose default collation is linguistic,
 * noncurrent versions with their segments, segment lists of appendable objects, and the
 * usage counters. The engine suites run the rest (OSSD_TEST_DRIVERS=postgres+file).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import type { PgMetadataStore } from '../../src/drivers/postgres/metadata-store.js';
import { KEEP_CURRENT, newInlineBlobId } from '../../src/drivers/types.js';
import { type ObjectRecord, type Segment } from '../../src/engine/model.js';
import { openPgStore } from '../helpers/engine-fixtures.js';
import { type Postgres, postgresSkip, startPostgres } from '../helpers/postgres.js';

let pg: Postgres | undefined;
let databases = 0;

/** A new database whose default collation is linguistic (ICU en-US: 'a' < 'B'): only COLLATE "C" keeps keys bytewise. */
async function newDatabase(): Promise<string> {
  pg ??= await startPostgres();
  const name = `meta_${++databases}`;
  const admin = new PgDatabase(pg.url, 1);
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`);
  } finally {
    await admin.close();
  }
  return pg.url.replace(/\/ossd$/, `/${name}`);
}

after(() => pg?.stop());

let revision = 1;

function rec(key: string, fields: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    bucket: 'b',
    key,
    type: 'Normal',
    size: 0,
    etag: 'E',
    crc: '0',
    blob: null,
    mtimeMs: 1,
    contentType: 'application/octet-stream',
    headers: {},
    meta: {},
    acl: 'default',
    tags: [],
    storageClass: 'Standard',
    revision: revision++,
    ...fields,
  };
}

async function withBucket(store: PgMetadataStore): Promise<void> {
  await store.insertBucket({ name: 'b', createdMs: 1, acl: 'private', storageClass: 'Standard', redundancy: 'LRS' });
}

describe('PostgreSQL metadata store', { timeout: 180_000, skip: postgresSkip() }, () => {
  let url: string;
  let nodeA: PgMetadataStore;
  let nodeB: PgMetadataStore;
  before(async () => {
    url = await newDatabase();
    [nodeA, nodeB] = await Promise.all([openPgStore(url, 'node-a'), openPgStore(url, 'node-b')]);
    await withBucket(nodeA);
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
  });

  // Fails when `AND revision = $3` is removed from UPDATE_OBJECT (object-rows.ts): both swaps of a round succeed. Checked.
  // Fails when INSERT_OBJECT loses ON CONFLICT DO NOTHING (the loser throws instead of losing). Checked.
  it('two nodes racing compare-and-sets on one key: exactly one wins each time, the other is told the winner', async () => {
    const creates = await Promise.all([nodeA, nodeB, nodeA, nodeB].map((s, i) => s.compareAndSwap('b', 'race', null, rec('race', { size: i }))));
    assert.equal(creates.filter((r) => r.ok).length, 1, 'one create wins');
    let current = (await nodeA.getObject('b', 'race'))!;
    for (let round = 0; round < 30; round++) {
      const attempts = [nodeA, nodeB, nodeA, nodeB].map((s, i) =>
        s.compareAndSwap('b', 'race', current.revision, { ...current, size: current.size + i + 1, revision: revision++ }),
      );
      const results = await Promise.all(attempts);
      const won = results.filter((r) => r.ok);
      assert.equal(won.length, 1, `round ${round}: exactly one swap wins`);
      const winner = (await nodeB.getObject('b', 'race'))!;
      assert.equal(won[0]!.ok && won[0]!.previous?.revision, current.revision, 'the winner replaced the row it expected');
      for (const r of results) if (!r.ok) assert.equal(r.current?.revision, winner.revision, 'a loser is told the winning row');
      current = winner;
    }
    // A delete racing an update: one of them.
    const [del, upd] = await Promise.all([
      nodeA.compareAndSwap('b', 'race', current.revision, null),
      nodeB.compareAndSwap('b', 'race', current.revision, { ...current, size: 1, revision: revision++ }),
    ]);
    assert.equal([del, upd].filter((r) => r.ok).length, 1);
  });

  // Fails when CLAIM_ABSENT is skipped for a swap that expects no row and writes none (the marker lands under a row created meanwhile). Checked.
  it('a swap that expects the key absent loses to a create that committed first', async () => {
    const marker = rec('absent', { versionId: 'm1', deleteMarker: true });
    const results = await Promise.all([
      nodeA.compareAndSwap('b', 'absent', null, rec('absent', { versionId: 'v1' })),
      nodeB.compareAndSwap('b', 'absent', null, null, undefined, { add: [marker] }),
    ]);
    const created = results[0]!.ok;
    const marked = results[1]!.ok;
    assert.ok(created, 'the create finds the key absent, before or after the marker');
    const history = await nodeA.history('b', 'absent');
    assert.equal(history.length, marked ? 1 : 0);
    // Now that a row exists, the same marker swap loses.
    const again = await nodeB.compareAndSwap('b', 'absent', null, null, undefined, { add: [{ ...marker, versionId: 'm2' }] });
    assert.equal(again.ok, false);
    assert.equal(again.ok === false && again.current?.versionId, 'v1');
  });

  // Fails when objectPage's ORDER BY uses the database collation (`key COLLATE "default"`): linguistic order. Checked.
  it('lists keys bytewise (UTF-8 byte order), page by page and under a non-ASCII prefix', async () => {
    const keys = ['a', 'B', 'ab', 'a-b', 'a/b', 'é', 'éa', 'éB', 'z', '~', 'Z', '日本', '日本/x', '\u{1F600}', 'A'];
    for (const k of keys) assert.ok((await nodeA.compareAndSwap('b', `l/${k}`, null, rec(`l/${k}`))).ok);
    const bytewise = keys.map((k) => `l/${k}`).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const all = await nodeA.listObjects('b', { prefix: 'l/', after: '', limit: 1000 });
    assert.deepEqual(all.map((r) => r.key), bytewise);
    const paged: string[] = [];
    let after = '';
    for (;;) {
      const page = await nodeB.listObjects('b', { prefix: 'l/', after, limit: 2 });
      if (page.length === 0) break;
      paged.push(...page.map((r) => r.key));
      after = page.at(-1)!.key;
    }
    assert.deepEqual(paged, bytewise);
    assert.deepEqual((await nodeA.listObjects('b', { prefix: 'l/é', after: '', limit: 10 })).map((r) => r.key), ['l/é', 'l/éB', 'l/éa']);
    assert.deepEqual((await nodeA.listObjects('b', { prefix: 'l/', after: 'l/Z', limit: 3 })).map((r) => r.key), bytewise.slice(bytewise.indexOf('l/Z') + 1, bytewise.indexOf('l/Z') + 4));
  });

  // Fails when the archived row's segments are not copied to version_segments (insertVersion): the old version reads no segments. Checked.
  it('versions: archive, list newest first, read by id, update in place, remove; segments kept with a noncurrent version', async () => {
    const segs: Segment[] = [
      { blob: 'seg-1', size: 3, crc: '11' },
      { blob: 'seg-2', size: 4, crc: '22' },
    ];
    const v1 = rec('v', { type: 'Multipart', size: 7, segments: segs, versionId: 'v1' });
    assert.ok((await nodeA.compareAndSwap('b', 'v', null, v1)).ok);
    const v2 = rec('v', { blob: 'file-2', size: 5, versionId: 'v2' });
    const swap = await nodeB.compareAndSwap('b', 'v', v1.revision, v2, undefined, { archive: true });
    assert.ok(swap.ok);
    assert.deepEqual(swap.ok && swap.previous?.segments, segs, 'the replaced row comes back with its segments');
    const marker = rec('v', { versionId: 'm', deleteMarker: true });
    assert.ok((await nodeA.compareAndSwap('b', 'v', v2.revision, null, undefined, { archive: true, add: [marker] })).ok);
    assert.equal(await nodeA.getObject('b', 'v'), undefined);
    const history = await nodeB.history('b', 'v');
    assert.deepEqual(history.map((h) => [h.versionId, h.deleteMarker ?? false]), [['m', true], ['v2', false], ['v1', false]]);
    assert.deepEqual(history[2]!.segments, segs);
    assert.deepEqual((await nodeA.getVersion('b', 'v', 'v1'))?.record.segments, segs);
    const listed = await nodeA.listVersions('b', { prefix: 'v', afterKey: '', limit: 10 });
    assert.deepEqual(listed.map((e) => [e.record.versionId, e.latest]), [['m', true], ['v2', false], ['v1', false]]);
    const paged = await nodeA.listVersions('b', { prefix: 'v', afterKey: '', after: { key: 'v', rank: listed[0]!.rank }, limit: 1 });
    assert.deepEqual(paged.map((e) => e.record.versionId), ['v2']);
    // ACL of a noncurrent version, in place (KEEP_CURRENT: the key has no current row, expected null).
    assert.ok((await nodeB.compareAndSwap('b', 'v', null, KEEP_CURRENT, undefined, { update: [{ ...history[1]!, acl: 'public-read' }] })).ok);
    assert.equal((await nodeA.getVersion('b', 'v', 'v2'))?.record.acl, 'public-read');
    // Removing a missing version fails the whole swap.
    assert.equal((await nodeA.compareAndSwap('b', 'v', null, KEEP_CURRENT, undefined, { remove: ['v1', 'nope'] })).ok, false);
    assert.equal((await nodeA.history('b', 'v')).length, 3, 'nothing removed');
    const removed = await nodeA.compareAndSwap('b', 'v', null, KEEP_CURRENT, undefined, { remove: ['v1'] });
    assert.ok(removed.ok);
    assert.deepEqual(removed.ok && removed.removed?.map((r) => r.segments), [segs]);
    const unsettled = await nodeA.db.query<{ blob: string }>("SELECT blob FROM unsettled_blobs WHERE blob LIKE 'seg-%' AND seq = 0 ORDER BY blob");
    assert.deepEqual(unsettled.rows.map((r) => r.blob), ['seg-1', 'seg-2'], 'the removed version\'s segments are recorded for collection');
  });

  // Fails when saveSegments skips rows for an appendable object (only Multipart kept): the object reads no segments. Checked.
  it('an appendable object made of segments: one row per append, compaction swaps the first ones, inline segments go with their last reference', async () => {
    let current = rec('seg', { type: 'Appendable', size: 0 });
    assert.ok((await nodeA.compareAndSwap('b', 'seg', null, current)).ok);
    const segments: Segment[] = [];
    for (let i = 0; i < 5; i++) {
      const seg = { blob: i === 4 ? newInlineBlobId() : `app-${i}`, size: i + 1, crc: String(i) };
      const next = { ...current, size: current.size + seg.size, segments: [...segments, seg], revision: revision++ };
      const bytes = i === 4 ? { kind: 'inline' as const, blob: seg.blob, data: Buffer.alloc(seg.size, 1) } : undefined;
      assert.ok((await (i % 2 ? nodeA : nodeB).compareAndSwap('b', 'seg', current.revision, next, bytes)).ok);
      segments.push(seg);
      current = next;
    }
    assert.deepEqual((await nodeB.getObject('b', 'seg'))?.segments, segments);
    const starts = await nodeA.db.query<{ start_offset: number }>("SELECT start_offset FROM object_segments WHERE bucket = 'b' AND key = 'seg' ORDER BY idx");
    assert.deepEqual(starts.rows.map((r) => r.start_offset), [0, 1, 3, 6, 10]);
    // Compaction: the first three become one.
    const merged = { blob: 'merged', size: 6, crc: 'm' };
    const compacted = { ...current, segments: [merged, ...segments.slice(3)], revision: revision++ };
    assert.ok((await nodeA.compareAndSwap('b', 'seg', current.revision, compacted)).ok);
    assert.deepEqual((await nodeB.getObject('b', 'seg'))?.segments, compacted.segments);
    const dereferenced = await nodeA.db.query<{ blob: string }>("SELECT blob FROM unsettled_blobs WHERE blob LIKE 'app-%' ORDER BY blob");
    assert.deepEqual(dereferenced.rows.map((r) => r.blob), ['app-0', 'app-1', 'app-2']);
    assert.ok(await nodeA.inline.read(segments[4]!.blob));
    assert.ok((await nodeB.compareAndSwap('b', 'seg', compacted.revision, null)).ok);
    assert.equal(await nodeA.inline.read(segments[4]!.blob), undefined, 'the inline segment went with the object');
    assert.equal(await nodeA.isBlobReferenced('merged'), false);
  });

  // Fails when the bucket_usage_objects trigger ignores UPDATE OF size (appends): bytes fall short. Checked.
  it('usage counters equal an aggregate over the rows, on every node after a refresh', async () => {
    const u = rec('usage', { type: 'Appendable', blob: 'usage-blob', size: 100 });
    assert.ok((await nodeA.compareAndSwap('b', 'usage', null, u)).ok);
    assert.ok((await nodeB.compareAndSwap('b', 'usage', u.revision, { ...u, size: 250, revision: revision++ })).ok);
    await nodeA.refreshUsage();
    await nodeB.refreshUsage();
    const aggregate = await nodeA.db.query<{ objects: number; bytes: number; versions: number; version_bytes: number }>(`
      SELECT (SELECT count(*) FROM objects WHERE bucket = 'b') AS objects, (SELECT coalesce(sum(size), 0)::bigint FROM objects WHERE bucket = 'b') AS bytes,
        (SELECT count(*) FROM object_versions WHERE bucket = 'b' AND NOT delete_marker) AS versions,
        (SELECT coalesce(sum(size), 0)::bigint FROM object_versions WHERE bucket = 'b' AND NOT delete_marker) AS version_bytes`);
    const a = aggregate.rows[0]!;
    const expected = [{ bucket: 'b', objects: a.objects, bytes: a.bytes, noncurrentVersions: a.versions, noncurrentBytes: a.version_bytes }];
    assert.ok(a.bytes >= 250 && a.versions > 0);
    assert.deepEqual(nodeA.bucketUsage(), expected);
    assert.deepEqual(nodeB.bucketUsage(), expected);
  });

  // Fails when compareAndSwap rethrows connection errors without withOutcome (outcome.ts): checked. Without db.ts
  // tx()'s error listener on the checked-out client, the cut connection is an uncaught exception: checked.
  it('a swap whose connection is lost reports an unknown outcome (its blobs must be kept); one the server refused does not', async () => {
    const k = rec('cut', { blob: 'cut-blob' });
    assert.ok((await nodeA.compareAndSwap('b', 'cut', null, k)).ok);
    const holder = await nodeB.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM objects WHERE bucket = 'b' AND key = 'cut' FOR UPDATE");
      const swapping = nodeA.compareAndSwap('b', 'cut', k.revision, { ...k, size: 9, revision: revision++ });
      const outcome = swapping.then(() => undefined, (e: unknown) => e as { outcomeUnknown?: boolean });
      // Its connection is cut while it waits for the row.
      for (let i = 0; ; i++) {
        // Not through `holder`: statistics views read inside a transaction keep their first snapshot.
        const r = await nodeB.db.query<{ n: number }>(
          "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH old AS%'",
        );
        if (r.rows[0]!.n > 0) break;
        assert.ok(i < 200, 'the swap waits for the row lock');
        await new Promise((done) => setTimeout(done, 10));
      }
      assert.equal((await outcome)?.outcomeUnknown, true);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // A statement the server refuses (here: a NUL in a text column) is known rolled back.
    const refused = await nodeA.compareAndSwap('b', 'nul\u0000key', null, rec('nul\u0000key')).then(
      () => undefined,
      (e: unknown) => e as { outcomeUnknown?: boolean },
    );
    assert.ok(refused, 'the server refused the row');
    assert.equal(refused.outcomeUnknown, undefined);
  });

  it('refuses a snapshot (ossd backup) with a pointer to pg_dump', async () => {
    await assert.rejects(nodeA.snapshotTo('/nonexistent'), /pg_dump/);
  });
});
