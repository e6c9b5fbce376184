/**
 * Multipart uploads and the unsettled registry on PostgreSQL (src/drivers/postgres/
 * multipart-store.ts, unsettled-store.ts), against a throw-away server, with two stores
 * on two pools standing for two nodes.
 *
 * - Racing part replaces on two nodes: each replaced part is reported (and recorded as
 *   unsettled) exactly once. Fails without the upload lock before the upsert (the
 *   `FOR NO KEY UPDATE` select removed: two racers report the same previous part and one
 *   blob is never collected; checked).
 * - Complete rolls back when a part changed or the object compare-and-set lost: the upload,
 *   its parts and what the compare-and-set wrote stay as they were. Fails when the
 *   `conflict` return does not roll back (the Rollback throw replaced by a return: checked).
 * - Abort racing Complete: exactly one of them takes the upload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ObjectRecord } from '../../src/engine/model.js';
import type { PartRecord, UploadRecord } from '../../src/engine/multipart-model.js';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import { type PgCas, PgMultipartStore } from '../../src/drivers/postgres/multipart-store.js';
import { PgUnsettledStore } from '../../src/drivers/postgres/unsettled-store.js';
import { type Postgres, postgresSkip, startPostgres } from '../helpers/postgres.js';

let pg: Postgres | undefined;
let dbA: PgDatabase;
let dbB: PgDatabase;

before(async () => {
  if (postgresSkip()) return;
  pg = await startPostgres();
  dbA = new PgDatabase(pg.url);
  dbB = new PgDatabase(pg.url);
  await Promise.all([dbA.migrate(), dbB.migrate()]);
});

after(async () => {
  await dbA?.close();
  await dbB?.close();
  await pg?.stop();
});

function upload(key: string, uploadId: string, extra: Partial<UploadRecord> = {}): UploadRecord {
  return { bucket: 'b', key, uploadId, initiatedMs: 1000, attrs: { contentType: 'text/plain' } as UploadRecord['attrs'], forbidOverwrite: false, ...extra };
}

function part(partNumber: number, blob: string | null, size = 10): PartRecord {
  return { partNumber, size, etag: `E${partNumber}`, crc: '0', blob, mtimeMs: 2000 };
}

/** Unsettled rows of dereferenced blobs (seq 0), by blob. */
async function dereferencedRows(): Promise<string[]> {
  return (await dbA.query<{ blob: string }>('SELECT blob FROM unsettled_blobs WHERE seq = 0 ORDER BY blob')).rows.map((r) => r.blob);
}

/** A stand-in for the object store's compare-and-set: leaves a trace row on the caller's transaction, then answers `ok`. */
function fakeCas(ok: boolean): PgCas {
  return async (c, bucket, key) => {
    await c.query("INSERT INTO leases (name, holder, expires_ms) VALUES ($1, 'cas', 0)", [`cas:${bucket}/${key}`]);
    return ok ? { ok: true, previous: undefined } : { ok: false, current: undefined };
  };
}

async function traces(): Promise<string[]> {
  return (await dbA.query<{ name: string }>("SELECT name FROM leases WHERE holder = 'cas' ORDER BY name")).rows.map((r) => r.name);
}

const next = { bucket: 'b', key: 'k', revision: 7 } as unknown as ObjectRecord;

describe('PostgreSQL multipart and unsettled stores', { timeout: 120_000, skip: postgresSkip() }, () => {
  test('uploads round-trip, list in bytewise (key, upload id) order, and page by marker', async () => {
    const a = new PgMultipartStore(dbA, 'node-a');
    const keys = ['p/b', 'p/B', 'p/é', 'p/\u{1F600}', 'q/x', 'p/a'];
    for (const [i, k] of keys.entries()) await a.insertUpload(upload(k, `U${i}`, i === 0 ? { sequential: true, forbidOverwrite: true } : {}));
    await a.insertUpload(upload('p/a', 'U9'));
    const got = await a.getUpload('b', 'p/b', 'U0');
    assert.deepEqual(got, upload('p/b', 'U0', { sequential: true, forbidOverwrite: true }));
    assert.equal(await a.getUpload('b', 'p/b', 'U1'), undefined);
    const all = await a.listUploads('b', { prefix: 'p/', afterKey: '', limit: 100 });
    assert.deepEqual(all.map((u) => `${u.key} ${u.uploadId}`), ['p/B U1', 'p/a U5', 'p/a U9', 'p/b U0', 'p/é U2', 'p/\u{1F600} U3']);
    const afterId = await a.listUploads('b', { prefix: 'p/', afterKey: 'p/a', afterUploadId: 'U5', limit: 2 });
    assert.deepEqual(afterId.map((u) => u.uploadId), ['U9', 'U0']);
    const afterKey = await a.listUploads('b', { prefix: 'p/', afterKey: 'p/a', limit: 100 });
    assert.deepEqual(afterKey.map((u) => u.uploadId), ['U0', 'U2', 'U3']);
    const from = await a.listUploads('b', { prefix: 'p/', afterKey: '', fromKey: 'p/b', limit: 100 });
    assert.deepEqual(from.map((u) => u.uploadId), ['U0', 'U2', 'U3']);
    assert.equal(await a.anyUpload('b'), true);
    assert.equal(await a.anyUpload('other'), false);
    for (const u of [...all, upload('q/x', 'U4')]) assert.deepEqual(await a.deleteUpload('b', u.key, u.uploadId), []);
    assert.equal(await a.anyUpload('b'), false);
  });

  test('parts: only while the upload exists; a replace reports and records the part it replaced', async () => {
    const a = new PgMultipartStore(dbA, 'node-a');
    assert.deepEqual(await a.putPart('b', 'k', 'NOPE', part(1, 'blob-x')), { ok: false });
    await a.insertUpload(upload('k', 'P1'));
    assert.deepEqual(await a.putPart('b', 'k', 'P1', part(1, 'blob-1')), { ok: true, previous: undefined });
    assert.deepEqual(await a.putPart('b', 'k', 'P1', part(2, null, 0)), { ok: true, previous: undefined });
    for (let n = 3; n <= 7; n++) await a.putPart('b', 'k', 'P1', part(n, `blob-${n}`));
    const r = await a.putPart('b', 'k', 'P1', part(1, 'blob-1b', 20));
    assert.deepEqual(r, { ok: true, previous: part(1, 'blob-1') });
    assert.deepEqual(await dereferencedRows(), ['blob-1']);
    assert.deepEqual((await a.listParts('P1', 0, 3)).map((p) => p.partNumber), [1, 2, 3]);
    assert.deepEqual((await a.listParts('P1', 3, 100)).map((p) => p.partNumber), [4, 5, 6, 7]);
    assert.deepEqual((await a.listParts('P1', 0, 1))[0], part(1, 'blob-1b', 20));
    const parts = await a.deleteUpload('b', 'k', 'P1');
    assert.deepEqual(parts?.map((p) => p.blob), ['blob-1b', null, 'blob-3', 'blob-4', 'blob-5', 'blob-6', 'blob-7']);
    assert.deepEqual(await a.deleteUpload('b', 'k', 'P1'), undefined, 'a second abort finds nothing');
    assert.deepEqual(await a.listParts('P1', 0, 100), []);
    assert.deepEqual(await dereferencedRows(), ['blob-1', 'blob-1b', 'blob-3', 'blob-4', 'blob-5', 'blob-6', 'blob-7']);
    await dbA.query('DELETE FROM unsettled_blobs');
  });

  test('racing replaces of one part on two nodes: each replaced part is reported once', async () => {
    const a = new PgMultipartStore(dbA, 'node-a');
    const b = new PgMultipartStore(dbB, 'node-b');
    await a.insertUpload(upload('race', 'R1'));
    await a.putPart('b', 'race', 'R1', part(1, 'first'));
    const blobs = Array.from({ length: 24 }, (_, i) => `racer-${String(i).padStart(2, '0')}`);
    const results = await Promise.all(blobs.map((blob, i) => (i % 2 ? a : b).putPart('b', 'race', 'R1', part(1, blob))));
    const reported = results.map((r) => (r.ok ? r.previous?.blob : 'refused'));
    const final = (await a.listParts('R1', 0, 1))[0]!.blob!;
    // Every blob but the last one standing was replaced exactly once.
    assert.deepEqual([...reported, final].sort(), ['first', ...blobs].sort());
    assert.deepEqual(await dereferencedRows(), ['first', ...blobs].filter((x) => x !== final).sort());
    await a.deleteUpload('b', 'race', 'R1');
    await dbA.query('DELETE FROM unsettled_blobs');
  });

  test('complete: no upload, changed parts and a lost compare-and-set change nothing; success takes the upload', async () => {
    const used = [{ partNumber: 1, blob: 'c-1' }, { partNumber: 2, blob: 'c-2' }];
    const ok = new PgMultipartStore(dbA, 'node-a', fakeCas(true));
    const lost = new PgMultipartStore(dbB, 'node-b', fakeCas(false));
    assert.deepEqual(await ok.completeUpload('b', 'k', 'NONE', used, null, next), { status: 'no-upload' });
    await ok.insertUpload(upload('k', 'C1'));
    for (const [n, blob] of [[1, 'c-1'], [2, 'c-2'], [3, 'c-3']] as const) await ok.putPart('b', 'k', 'C1', part(n, blob));
    const changed = [{ partNumber: 1, blob: 'c-1' }, { partNumber: 2, blob: 'other' }];
    assert.deepEqual(await ok.completeUpload('b', 'k', 'C1', changed, null, next), { status: 'parts-changed' });
    assert.deepEqual(await lost.completeUpload('b', 'k', 'C1', used, null, next), { status: 'conflict' });
    // Both rolled back: the upload, its parts and the compare-and-set's own writes.
    assert.ok(await ok.getUpload('b', 'k', 'C1'));
    assert.equal((await ok.listParts('C1', 0, 10)).length, 3);
    assert.deepEqual(await traces(), []);
    assert.deepEqual(await dereferencedRows(), []);
    const done = await ok.completeUpload('b', 'k', 'C1', used, null, next);
    assert.equal(done.status, 'ok');
    assert.deepEqual(done.status === 'ok' && done.discarded.map((p) => p.blob), ['c-3']);
    assert.equal(await ok.getUpload('b', 'k', 'C1'), undefined);
    assert.deepEqual(await ok.listParts('C1', 0, 10), []);
    assert.deepEqual(await traces(), ['cas:b/k']);
    assert.deepEqual(await dereferencedRows(), ['c-3'], 'only the part left out is unsettled');
    assert.deepEqual(await ok.completeUpload('b', 'k', 'C1', used, null, next), { status: 'no-upload' });
    await dbA.query("DELETE FROM leases; DELETE FROM unsettled_blobs");
  });

  test('abort racing complete on another node: exactly one takes the upload', async () => {
    for (let round = 0; round < 10; round++) {
      const a = new PgMultipartStore(dbA, 'node-a', fakeCas(true));
      const b = new PgMultipartStore(dbB, 'node-b', fakeCas(true));
      const id = `AC${round}`;
      await a.insertUpload(upload(`ac${round}`, id));
      await a.putPart('b', `ac${round}`, id, part(1, `ac-${round}`));
      const [completed, aborted] = await Promise.all([
        a.completeUpload('b', `ac${round}`, id, [{ partNumber: 1, blob: `ac-${round}` }], null, next),
        b.deleteUpload('b', `ac${round}`, id),
      ]);
      assert.equal((completed.status === 'ok' ? 1 : 0) + (aborted !== undefined ? 1 : 0), 1, `round ${round}: ${completed.status} / ${String(aborted?.length)}`);
    }
    await dbA.query('DELETE FROM leases; DELETE FROM unsettled_blobs');
  });

  test('unsettled: holds per node, seq 0 sticks, list() is this node\'s, rows name their node', async () => {
    const a = new PgUnsettledStore(dbA, 'node-a');
    const b = new PgUnsettledStore(dbB, 'node-b');
    await a.add('u-1', 5);
    await a.add('u-2', 6);
    await b.add('u-3', 1);
    assert.deepEqual(await a.list(), ['u-1', 'u-2']);
    assert.deepEqual(await b.list(), ['u-3']);
    // Another node's clear of the same seq leaves this node's hold.
    await b.clear([{ blob: 'u-1', seq: 5 }]);
    assert.deepEqual(await a.list(), ['u-1', 'u-2']);
    // A newer hold replaces the seq: the older hold's clear leaves it.
    await a.add('u-1', 9);
    await a.clear([{ blob: 'u-1', seq: 5 }]);
    assert.deepEqual(await a.list(), ['u-1', 'u-2']);
    await a.clear([{ blob: 'u-1', seq: 9 }]);
    assert.deepEqual(await a.list(), ['u-2']);
    // A dereferenced blob (seq 0) keeps seq 0 under a later hold, until cleared by blob.
    await dbA.tx((c) => a.dereferenced(c, ['u-2']));
    await a.add('u-2', 11);
    await a.clear([{ blob: 'u-2', seq: 11 }]);
    assert.deepEqual(await a.list(), ['u-2']);
    // Each row names the node that recorded it (the dead-node collector finds rows by node).
    const rows = async (): Promise<string[][]> =>
      (await dbA.query<{ blob: string; seq: number; node_id: string }>('SELECT blob, seq, node_id FROM unsettled_blobs ORDER BY blob')).rows.map((r) => [r.blob, String(r.seq), r.node_id]);
    assert.deepEqual(await rows(), [['u-2', '0', 'node-a'], ['u-3', '1', 'node-b']]);
    await a.clear([{ blob: 'u-2', seq: 0 }, { blob: 'u-3', seq: 0 }]);
    assert.deepEqual(await rows(), []);
  });
});
