/**
 * A large store for the start-up benchmark, made without HTTP (a million PUTs would take
 * most of an hour): ossd creates the bucket and its schema and stops, then, with ossd
 * stopped, rows go straight into `<data>/meta.db` (src/drivers/sqlite/schema.ts) in one
 * transaction, and the blob files straight into `blobs/<2 hex>/<32 hex>`
 * (src/drivers/fs/blob-store.ts):
 *
 * - `appendables` Appendable objects, each with a 64-byte blob file whose last append
 *   was its second half (base_size 32), so a recovery that checks last appends reads them;
 * - `fileObjects` Normal objects of 1 KiB, each with a blob file;
 * - the rest Normal zero-length objects (no blob file, as an empty PUT makes them).
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendableEtag } from '../../src/engine/attributes.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';

export interface StoreShape {
  objects: number;
  appendables: number;
  fileObjects: number;
}

const EMPTY_MD5 = 'D41D8CD98F00B204E9800998ECF8427E';

/** Seeds `bucket` (which must exist) in the stopped store at `dataDir`; returns the appendable keys. */
export function seedStore(dataDir: string, bucket: string, shape: StoreShape): { appendableKeys: string[]; appendableSize: number } {
  const appendBytes = randomBytes(64);
  const crc = crc64(appendBytes);
  const baseCrc = crc64ToDecimal(crc64(appendBytes.subarray(0, 32)));
  const normalBytes = randomBytes(1024);
  const normalMd5 = 'C0FFEE' + randomBytes(13).toString('hex').toUpperCase(); // content is not checked at start
  const normalCrc = crc64ToDecimal(crc64(normalBytes));
  const made = new Set<string>();
  const writeBlob = (data: Buffer): string => {
    const id = randomBytes(16).toString('hex');
    const shard = join(dataDir, 'blobs', id.slice(0, 2));
    if (!made.has(shard)) {
      mkdirSync(shard, { recursive: true });
      made.add(shard);
    }
    writeFileSync(join(shard, id), data);
    return id;
  };
  const db = new Database(join(dataDir, 'meta.db'));
  const appendableKeys: string[] = [];
  try {
    db.pragma('journal_mode = WAL');
    const insert = db.prepare(
      `INSERT INTO objects (bucket, key, type, size, etag, crc, blob, mtime_ms, content_type, headers, meta, acl, tags, storage_class, revision, base_size, base_crc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'application/octet-stream', '{}', '{}', 'default', '[]', 'Standard', ?, ?, ?)`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < shape.objects; i++) {
        const key = `obj/${String(i).padStart(8, '0')}`;
        const revision = now * 1024 + i;
        if (i < shape.appendables) {
          appendableKeys.push(key);
          insert.run(bucket, key, 'Appendable', 64, appendableEtag(crc, 64), crc64ToDecimal(crc), writeBlob(appendBytes), now, revision, 32, baseCrc);
        } else if (i < shape.appendables + shape.fileObjects) {
          insert.run(bucket, key, 'Normal', 1024, normalMd5, normalCrc, writeBlob(normalBytes), now, revision, null, null);
        } else {
          insert.run(bucket, key, 'Normal', 0, EMPTY_MD5, '0', null, now, revision, null, null);
        }
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { appendableKeys, appendableSize: 64 };
}
