/**
 * `ossd check` (fsck): reads every stored version of every object through the engine's
 * own read path and compares its bytes with what the metadata promises: the length, the
 * CRC-64, and the MD5 where the ETag is one (a single PutObject/PostObject/CopyObject of a
 * Normal object). A blob file that is gone or short, or a flipped byte, is damage.
 * Then every blob in the blob store that nothing references is an orphan (online, blobs
 * of work in flight are not). Driver-neutral: it sees only the engine and the store
 * interfaces.
 *
 * `repair` does only what is safe: orphans are removed, offline only (nothing references
 * them, so no object loses a byte; online a reader may still hold a blob a write has just
 * replaced), and a damaged version is quarantined: whatever bytes can still
 * be read are saved, with the version's metadata, under `quarantineDir`, and only then is
 * the version taken out of the namespace (delete by version id). Nothing is deleted
 * without a line in the report and a copy in quarantine.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Crc64, crc64ToDecimal } from './crc64.js';
import type { Engine } from './engine.js';
import { NULL_VERSION, type ObjectRecord } from './model.js';

export interface CheckOptions {
  /** Read at most this many bytes per second (online checks beside live traffic); unset: as fast as the disk goes. */
  bytesPerSecond?: number;
  repair?: boolean;
  /** Where repair puts damaged versions (required with repair). */
  quarantineDir?: string;
  /** Whether the server runs meanwhile: blobs of work in flight are then not orphans. */
  online?: boolean;
  onDamage?: (d: Damage) => void;
}

export interface Damage {
  bucket: string;
  key: string;
  versionId: string;
  problem: 'missing-blob' | 'truncated' | 'crc-mismatch' | 'md5-mismatch' | 'unreadable';
  detail: string;
  /** With repair: where the version's readable bytes and metadata were saved before it was removed. */
  quarantined?: string;
}

export interface CheckReport {
  buckets: number;
  versions: number;
  bytes: number;
  damaged: Damage[];
  orphans: string[];
  removedOrphans: number;
  ms: number;
}

/** A single-part MD5 ETag (32 hex digits): the ETag of PutObject, PostObject and CopyObject of a Normal object. */
function md5Etag(rec: ObjectRecord): string | undefined {
  return rec.type === 'Normal' && !rec.segments && /^[0-9A-F]{32}$/.test(rec.etag) ? rec.etag : undefined;
}

/** Online: how long an unreferenced blob must stay unreferenced to be reported as an orphan. */
const ORPHAN_GRACE_MS = 2000;

class Throttle {
  private readonly started = Date.now();
  private bytes = 0;
  constructor(private readonly perSecond: number | undefined) {}
  async take(n: number): Promise<void> {
    if (!this.perSecond) return;
    this.bytes += n;
    const due = (this.bytes / this.perSecond) * 1000 - (Date.now() - this.started);
    if (due > 5) await new Promise((r) => setTimeout(r, due));
  }
}

/** Reads one version whole; its damage, if any, with the bytes that could be read. */
async function verify(engine: Engine, rec: ObjectRecord, versionId: string, throttle: Throttle): Promise<{ damage?: Omit<Damage, 'bucket' | 'key' | 'versionId'>; data: Buffer[] }> {
  const data: Buffer[] = [];
  let opened;
  try {
    opened = await engine.objects.open(rec.bucket, rec.key, versionId);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { damage: { problem: code === 'ENOENT' ? 'missing-blob' : 'unreadable', detail: (e as Error).message }, data };
  }
  const crc = new Crc64();
  const md5 = createHash('md5');
  let read = 0;
  try {
    for await (const chunk of opened.stream(0, opened.record.size)) {
      const b = chunk as Buffer;
      crc.update(b);
      md5.update(b);
      data.push(b);
      read += b.length;
      await throttle.take(b.length);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'missing-blob' : (await shorterFile(engine, rec)) ? 'truncated' : 'unreadable';
    return { damage: { problem, detail: `${(e as Error).message} after ${read} of ${opened.record.size} bytes` }, data };
  } finally {
    await opened.close();
  }
  const r = opened.record;
  if (read !== r.size) return { damage: { problem: 'truncated', detail: `${read} of ${r.size} bytes readable` }, data };
  const got = crc64ToDecimal(crc.digest());
  if (got !== r.crc) return { damage: { problem: 'crc-mismatch', detail: `CRC-64 ${got}, metadata says ${r.crc}` }, data };
  const etag = md5Etag(r);
  const md5Hex = md5.digest('hex').toUpperCase();
  if (etag !== undefined && md5Hex !== etag) return { damage: { problem: 'md5-mismatch', detail: `MD5 ${md5Hex}, ETag ${etag}` }, data };
  return { data: [] };
}

/** Whether the object's blob file is shorter than the object (a file blob only). */
async function shorterFile(engine: Engine, rec: ObjectRecord): Promise<boolean> {
  if (rec.blob === null || rec.blob.startsWith('inline-')) return false;
  const size = await engine.blobs.size(rec.blob).catch(() => undefined);
  return size !== undefined && size < rec.size;
}

async function quarantine(dir: string, n: number, rec: ObjectRecord, data: Buffer[], damage: Damage): Promise<string> {
  const base = join(dir, String(n).padStart(6, '0'));
  await mkdir(dir, { recursive: true });
  await writeFile(`${base}.bin`, Buffer.concat(data));
  await writeFile(`${base}.json`, JSON.stringify({ damage, record: { ...rec, segments: undefined } }, null, 2) + '\n');
  return `${base}.bin`;
}

export async function checkStore(engine: Engine, opts: CheckOptions = {}): Promise<CheckReport> {
  const t0 = Date.now();
  const report: CheckReport = { buckets: 0, versions: 0, bytes: 0, damaged: [], orphans: [], removedOrphans: 0, ms: 0 };
  const throttle = new Throttle(opts.bytesPerSecond);
  if (opts.repair && !opts.quarantineDir) throw new Error('repair needs a quarantine folder');
  for (let after = ''; ; ) {
    const buckets = await engine.meta.listBuckets('', after, 100);
    if (buckets.length === 0) break;
    for (const b of buckets) {
      report.buckets++;
      for (let page: { key: string; rank: number } | undefined, first = true; first || page; first = false) {
        const entries = await engine.meta.listVersions(b.name, { prefix: '', afterKey: '', after: page, limit: 500 });
        page = entries.length === 500 ? { key: entries.at(-1)!.record.key, rank: entries.at(-1)!.rank } : undefined;
        for (const { record } of entries) {
          if (record.deleteMarker || record.type === 'Symlink') continue;
          report.versions++;
          report.bytes += record.size;
          const versionId = record.versionId ?? NULL_VERSION;
          const { damage, data } = await verify(engine, record, versionId, throttle);
          if (!damage) continue;
          const d: Damage = { bucket: b.name, key: record.key, versionId, ...damage };
          if (opts.repair) {
            d.quarantined = await quarantine(opts.quarantineDir!, report.damaged.length + 1, record, data, d);
            await engine.objects.delete(b.name, record.key, versionId);
          }
          report.damaged.push(d);
          opts.onDamage?.(d);
        }
      }
    }
    after = buckets.at(-1)!.name;
  }
  const candidates: string[] = [];
  for await (const blob of engine.blobs.list()) {
    // Online, a blob may be work in flight (a body being written, a replaced blob about to go).
    if (!(await engine.meta.isBlobReferenced(blob)) && !(opts.online && engine.unsettled.isHeld(blob))) candidates.push(blob);
  }
  // Online, a blob a commit just left unreferenced may still be held for a reader: look again after a while.
  if (opts.online && candidates.length > 0) await new Promise((r) => setTimeout(r, ORPHAN_GRACE_MS));
  for (const blob of candidates) {
    if (opts.online && ((await engine.meta.isBlobReferenced(blob)) || engine.unsettled.isHeld(blob))) continue;
    report.orphans.push(blob);
    // Removed offline only: online, a reader may still hold a blob a write just replaced (blob-leases.ts).
    if (opts.repair && !opts.online) {
      await engine.blobs.remove(blob);
      report.removedOrphans++;
    }
  }
  if (report.removedOrphans > 0) await engine.blobs.syncRemovals(report.orphans);
  report.ms = Date.now() - t0;
  return report;
}
