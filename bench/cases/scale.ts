/**
 * ListObjectsV2 first-page latency, 1,000-object bucket vs 1,000,000 (quick: 100,000).
 * The objects are made through the metadata store, not over HTTP: ossd creates the
 * buckets, stops, the bench bulk-inserts zero-length rows (blob NULL) into `objects` of
 * meta.db in one transaction, and ossd restarts on that folder. See bench/README.md.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expectStatus } from '../http-client.js';
import type { Params } from '../params.js';
import { cpuMs, removeTempDir, tempDir } from '../proc.js';
import type { Row } from '../report.js';
import { type Sample, summarize } from '../stats.js';
import { startOssd } from '../targets/raw.js';

const EMPTY_MD5 = 'D41D8CD98F00B204E9800998ECF8427E';

/** Inserts `count` zero-length Normal objects `obj/00000000`… into `bucket`; returns seconds taken. */
export function seedObjects(dataDir: string, bucket: string, count: number): number {
  const t0 = Date.now();
  const db = new Database(join(dataDir, 'meta.db'));
  try {
    db.pragma('journal_mode = WAL');
    const insert = db.prepare(
      `INSERT INTO objects (bucket, key, type, size, etag, crc, blob, mtime_ms, content_type, headers, meta, acl, tags, storage_class, revision)
       VALUES (?, ?, 'Normal', 0, '${EMPTY_MD5}', '0', NULL, ?, 'application/octet-stream', '{}', '{}', 'default', '[]', 'Standard', ?)`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(bucket, `obj/${String(i).padStart(8, '0')}`, now, now * 1024 + i);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return (Date.now() - t0) / 1000;
}

export async function listRows(p: Params, log: (s: string) => void): Promise<Row[]> {
  const dir = tempDir('ossd-scale');
  try {
    const buckets: Array<[string, number, string]> = [
      ['list-1k', 1000, 'ossd 1k objects'],
      ['list-big', p.listObjects, `ossd ${p.listObjects >= 1e6 ? `${p.listObjects / 1e6}M` : `${p.listObjects / 1e3}k`} objects`],
    ];
    const first = await startOssd(dir);
    for (const [b] of buckets) await first.createBucket(b);
    await first.stop(); // ossd must be stopped while the bench writes meta.db
    const seedSeconds = buckets.map(([b, n]) => seedObjects(dir, b, n));
    log(`  seeded ${buckets.map(([b, n], i) => `${b}=${n} in ${seedSeconds[i]!.toFixed(1)} s`).join(', ')}`);
    const t0 = Date.now();
    const ossd = await startOssd(dir);
    const startMs = Date.now() - t0;
    const samples = buckets.map((): Sample[] => []);
    try {
      for (let run = 0; run < p.runs; run++) {
        for (const [i, [b, n]] of buckets.entries()) {
          const path = `/${b}/?list-type=2&max-keys=100`;
          for (let w = 0; w < 5; w++) await ossd.client.request('GET', path); // warm-up
          const lat: number[] = [];
          const c0 = cpuMs(ossd.server.pid);
          const s0 = process.hrtime.bigint();
          let bytes = 0;
          for (let k = 0; k < p.listReps; k++) {
            const s = process.hrtime.bigint();
            const r = expectStatus(await ossd.client.request('GET', path, { wantText: k === 0 }), `list ${b}`, 200);
            lat.push(Number(process.hrtime.bigint() - s) / 1e6);
            bytes += r.bytes;
            if (k === 0 && (r.text?.match(/<Key>/g)?.length ?? 0) !== Math.min(100, n)) throw new Error(`list ${b}: wrong page:\n${r.text?.slice(0, 300)}`);
          }
          const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
          samples[i]!.push({ ops: lat.length, bytes, seconds, lat, cpuMs: cpuMs(ossd.server.pid) - c0, extra: { objects: n } });
        }
      }
    } finally {
      await ossd.stop();
    }
    const title = `ListObjectsV2 first page (max-keys=100), ${p.listReps} sequential requests per run; ossd restart on the seeded folder took ${startMs} ms`;
    return buckets.map(([, , label], i) => ({ caseId: 'list-first-page', title, target: label, s: summarize(samples[i]!) }));
  } finally {
    removeTempDir(dir);
  }
}
