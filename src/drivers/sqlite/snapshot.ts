/**
 * The SQLite side of `ossd backup` (src/engine/backup.ts): a consistent copy of meta.db
 * and of the append log its journal rows point into, and `ossd du`'s aggregate.
 *
 * Consistency comes from doing the whole copy in one synchronous stretch of the event
 * loop: better-sqlite3 is synchronous and all of ossd's commits run on this thread, so
 * nothing commits, and no append-log segment is reused, between `VACUUM INTO` (one read
 * transaction: everything committed so far) and the copy of append-log/. Journal rows in
 * the copy therefore find their bytes, and the restored store replays them at its first
 * start like after a crash. The stretch lasts as long as copying the metadata takes
 * (about 1 s per 100 MB of meta.db), during which the server answers nothing.
 */
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { join } from 'node:path';
import type { BucketUsage } from '../types.js';

export function snapshotSync(db: Database.Database, dataDir: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const target = join(dir, 'meta.db');
  if (fs.existsSync(target)) throw Object.assign(new Error(`${target} exists: a backup goes into a new or empty folder`), { code: 'EEXIST' });
  db.prepare('VACUUM INTO ?').run(target);
  const logDir = join(dataDir, 'append-log');
  const logCopy = join(dir, 'append-log');
  fs.mkdirSync(logCopy, { recursive: true });
  if (fs.existsSync(logDir)) for (const name of fs.readdirSync(logDir)) fs.copyFileSync(join(logDir, name), join(logCopy, name));
}

/** fsyncs what snapshotSync wrote (after the synchronous stretch: the copy is already consistent). */
export async function syncSnapshot(dir: string): Promise<void> {
  const files = [join(dir, 'meta.db'), ...fs.readdirSync(join(dir, 'append-log')).map((n) => join(dir, 'append-log', n))];
  for (const f of files) {
    const fh = await fs.promises.open(f, 'r+');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  for (const d of [join(dir, 'append-log'), dir]) {
    const fh = await fs.promises.open(d, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

export function usageSync(db: Database.Database): BucketUsage[] {
  const current = db.prepare('SELECT bucket, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM objects GROUP BY bucket').all() as Array<{ bucket: string; n: number; bytes: number }>;
  const old = db.prepare('SELECT bucket, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM object_versions GROUP BY bucket').all() as Array<{ bucket: string; n: number; bytes: number }>;
  const buckets = db.prepare('SELECT name FROM buckets ORDER BY name').all() as Array<{ name: string }>;
  return buckets.map(({ name }) => {
    const c = current.find((r) => r.bucket === name);
    const o = old.find((r) => r.bucket === name);
    return { bucket: name, objects: c?.n ?? 0, bytes: c?.bytes ?? 0, noncurrentVersions: o?.n ?? 0, noncurrentBytes: o?.bytes ?? 0 };
  });
}
