/**
 * Append records: appends made with an Idempotency-Key (engine/idempotency.ts). Rows of
 * table `append_keys` (schema.ts) are written and dropped only inside the compare-and-swap
 * that commits (or rolls back) their object's row (metadata-store.ts), so a crash at any
 * instant leaves an append and its record both on disk or both gone. No OSS rule here:
 * which records count, and for how long, is the engine's.
 *
 * Expiry costs no sweep: storing a record drops the key's records beyond the newest
 * `keep` (by `ordinal`, one index range), and up to 32 of the oldest records of any key past
 * `expireBefore` (the `created_ms` index), so the table stays bounded while keyed appends
 * go on, also for objects deleted since.
 */
import type Database from 'better-sqlite3';
import { APPEND_KEY_SELECT, type AppendKeyRow, appendKeyFromRow, EXPIRE_BATCH } from '../append-key-rows.js';
import type { AppendKeyChange, AppendKeyRecord, AppendKeyStore } from '../types.js';

export class SqliteAppendKeys implements AppendKeyStore {
  private readonly stmt;

  /** @param barrier resolves once writes to the object row `bucket\0key` are durable (wal-sync.ts) */
  constructor(
    db: Database.Database,
    private readonly barrier: (bucket: string, key: string) => Promise<void>,
  ) {
    this.stmt = {
      find: db.prepare(`SELECT ${APPEND_KEY_SELECT} FROM append_keys WHERE bucket = ? AND key = ? AND token = ?`),
      lastOrdinal: db.prepare('SELECT max(ordinal) FROM append_keys WHERE bucket = ? AND key = ?').pluck(),
      upsert: db.prepare(
        'INSERT OR REPLACE INTO append_keys (bucket, key, token, ordinal, position, length, crc_before, crc_after, blob, created_ms) ' +
          'VALUES (@bucket, @key, @token, @ordinal, @position, @length, @crc_before, @crc_after, @blob, @created_ms)',
      ),
      dropOlder: db.prepare('DELETE FROM append_keys WHERE bucket = ? AND key = ? AND ordinal <= ?'),
      dropBeyond: db.prepare('DELETE FROM append_keys WHERE bucket = ? AND key = ? AND position + length > ?'),
      expire: db.prepare(`DELETE FROM append_keys WHERE rowid IN (SELECT rowid FROM append_keys WHERE created_ms < ? ORDER BY created_ms LIMIT ${EXPIRE_BATCH})`),
    };
  }

  async find(bucket: string, key: string, token: string): Promise<AppendKeyRecord | undefined> {
    await this.barrier(bucket, key);
    const row = this.stmt.find.get(bucket, key, token) as AppendKeyRow | undefined;
    return row ? appendKeyFromRow(row) : undefined;
  }

  /** Inside the write transaction of the compare-and-swap of (bucket, key), once it succeeded. */
  applySync(bucket: string, key: string, change: AppendKeyChange): void {
    if (change.dropBeyond !== undefined) this.stmt.dropBeyond.run(bucket, key, change.dropBeyond);
    const r = change.record;
    if (r) {
      const ordinal = ((this.stmt.lastOrdinal.get(bucket, key) as number | null) ?? 0) + 1;
      this.stmt.upsert.run({
        bucket,
        key,
        token: r.token,
        ordinal,
        position: r.position,
        length: r.length,
        crc_before: r.crcBefore,
        crc_after: r.crcAfter,
        blob: r.blob,
        created_ms: r.createdMs,
      });
      if (change.keep !== undefined) this.stmt.dropOlder.run(bucket, key, ordinal - change.keep);
    }
    if (change.expireBefore !== undefined) this.stmt.expire.run(change.expireBefore);
  }
}
