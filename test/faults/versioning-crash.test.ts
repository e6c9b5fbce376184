/**
 * SIGKILL during puts, appends and deletes in a versioned bucket, then restart on the same
 * data folder. After every restart: every acknowledged version is listed and reads back
 * byte-exact by its id (CRC-64 checked), every acknowledged delete marker is listed, each
 * key has exactly one latest entry, and a version nobody was told about is one of the
 * writes in flight at the kill, whole. Versions move between `objects` and
 * `object_versions` inside the commit's transaction (src/engine/versioning.ts), so a
 * crash can never show a version twice, lose one, or tear one.
 *
 * OSSD_LONG_TESTS=1 runs 20 cycles instead of 3.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { crcOf, prng, randomBody } from '../helpers/fault-appends.js';
import { createBucket, sleep, waitFor } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';
import { field, listedEntries, putVersioning, vidOf } from '../helpers/versioning.js';

const LONG = process.env.OSSD_LONG_TESTS === '1';
const CYCLES = LONG ? 20 : 3;
const BUCKET = 'fault-versions';
const KEYS = ['v/a', 'v/b', 'v/c'];
const WRITERS_PER_KEY = 2;

/** What a client was told, and what was in flight when the server died. */
class Ledger {
  /** versionId → bytes of every acknowledged put and appendable version (appends update it). */
  readonly versions = new Map<string, Buffer>();
  readonly markers = new Set<string>();
  /** Bodies of writes without an answer at the kill: a version holding one of these may exist. */
  readonly inFlight: Buffer[] = [];
  /** Versions already read back byte-exact (bytes never change: later cycles check presence). */
  readonly verified = new Set<string>();
  acked = 0;
}

async function writer(ossd: Ossd, key: string, ledger: Ledger, rand: () => number, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const roll = rand();
    const body = randomBody(1 + Math.floor(rand() * 64 * 1024));
    try {
      if (roll < 0.2) {
        const r = await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` });
        assert.equal(r.status, 204, r.text);
        ledger.markers.add(vidOf(r)!);
      } else if (roll < 0.35) {
        // A fresh appendable version exists only after a marker (or nothing): 409 otherwise.
        const r = await raw(ossd, { method: 'POST', path: `/${BUCKET}/${key}?append&position=0`, body });
        if (r.status === 409) continue;
        assert.equal(r.status, 200, r.text);
        ledger.versions.set(vidOf(r)!, body);
      } else {
        ledger.inFlight.push(body);
        const r = await raw(ossd, { method: 'PUT', path: `/${BUCKET}/${key}`, body });
        assert.equal(r.status, 200, r.text);
        ledger.inFlight.splice(ledger.inFlight.indexOf(body), 1);
        ledger.versions.set(vidOf(r)!, body);
      }
      ledger.acked++;
    } catch (e) {
      if (stop()) {
        // The server was killed under this request: its outcome is unknown.
        ledger.inFlight.push(body);
        return;
      }
      throw e;
    }
  }
}

async function listVersions(ossd: Ossd): Promise<ReturnType<typeof listedEntries>> {
  const all: ReturnType<typeof listedEntries> = [];
  let marker = '';
  for (;;) {
    const r = await raw(ossd, { method: 'GET', path: `/${BUCKET}/?versions&max-keys=1000${marker}` });
    assert.equal(r.status, 200, r.text);
    all.push(...listedEntries(r.text));
    if (!r.text.includes('<IsTruncated>true')) return all;
    const key = encodeURIComponent(field(r.text, 'NextKeyMarker')!);
    marker = `&key-marker=${key}&version-id-marker=${encodeURIComponent(field(r.text, 'NextVersionIdMarker')!)}`;
  }
}

async function check(ossd: Ossd, ledger: Ledger, rereadAll: boolean): Promise<number> {
  const entries = await listVersions(ossd);
  const listed = new Map(entries.map((e) => [e.versionId, e]));
  assert.equal(listed.size, entries.length, 'no version listed twice');
  for (const id of ledger.markers) assert.equal(listed.get(id)?.kind, 'DeleteMarker', `acknowledged delete marker ${id} is listed`);
  for (const [id, bytes] of ledger.versions) {
    assert.equal(listed.get(id)?.kind, 'Version', `acknowledged version ${id} is listed`);
    if (ledger.verified.has(id) && !rereadAll) continue;
    const key = listed.get(id)!.key;
    const r = await raw(ossd, { method: 'GET', path: `/${BUCKET}/${key}?versionId=${id}` });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.equals(bytes), `version ${id} of ${key} reads back byte-exact`);
    assert.equal(r.headers['x-oss-hash-crc64ecma'], crcOf(bytes));
    ledger.verified.add(id);
  }
  let unacknowledged = 0;
  for (const e of entries) {
    if (e.kind !== 'Version' || ledger.versions.has(e.versionId)) continue;
    const r = await raw(ossd, { method: 'GET', path: `/${BUCKET}/${e.key}?versionId=${e.versionId}` });
    assert.ok(ledger.inFlight.some((b) => b.equals(r.body)), `unacknowledged version ${e.versionId} of ${e.key} is a whole in-flight write`);
    ledger.versions.set(e.versionId, r.body);
    ledger.verified.add(e.versionId);
    unacknowledged++;
  }
  for (const key of KEYS) {
    const latest = entries.filter((e) => e.key === key && e.isLatest === 'true');
    if (entries.some((e) => e.key === key)) assert.equal(latest.length, 1, `${key} has one latest version`);
  }
  // Markers nobody was told about count as made (a DELETE in flight at the kill).
  for (const e of entries) if (e.kind === 'DeleteMarker') ledger.markers.add(e.versionId);
  ledger.inFlight.length = 0;
  return unacknowledged;
}

it(`versioned bucket under SIGKILL, ${CYCLES} cycles: every acknowledged version and marker survives, whole`, { timeout: LONG ? 10_800_000 : 600_000 }, async (t) => {
  const seed = Number(process.env.OSSD_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (OSSD_FAULT_SEED=${seed} replays the sizes and the kill instants)`);
  const rand = prng(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'ossd-vcrash-'));
  const ledger = new Ledger();
  let unacknowledged = 0;
  try {
    let ossd = await startOssd({ dataDir });
    await createBucket(ossd, BUCKET);
    assert.equal((await putVersioning(ossd, BUCKET, 'Enabled')).status, 200);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let stopped = false;
      const writers = KEYS.flatMap((key) => Array.from({ length: WRITERS_PER_KEY }, () => writer(ossd, key, ledger, rand, () => stopped)));
      // The kill comes once this cycle's writers have answers (a fixed time could pass
      // before any on a loaded machine), at a random instant after.
      const ackedBefore = ledger.acked;
      await waitFor(`cycle ${cycle}: a write acknowledged (60 s)`, () => ledger.acked > ackedBefore, 60_000);
      await sleep(Math.floor(rand() * 600));
      stopped = true;
      await ossd.kill();
      await Promise.all(writers);
      ossd = await startOssd({ dataDir });
      unacknowledged += await check(ossd, ledger, cycle === CYCLES - 1);
    }
    await ossd.stop();
    t.diagnostic(
      `${CYCLES} kill cycles: ${ledger.acked} writes acknowledged (${ledger.versions.size} versions, ${ledger.markers.size} delete markers in the end), 0 lost; ${unacknowledged} in-flight writes took effect, each whole`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
