/**
 * Append records (Idempotency-Key) in PostgreSQL (mirrors sqlite/append-key-store.ts):
 * rows of append_keys are written and dropped only inside the compare-and-set that
 * commits their object's row (object-cas.ts holds that row's lock meanwhile, so the
 * key's ordinals cannot interleave), so an append and its record commit together or not
 * at all. Expiry costs no sweep: storing a record drops the key's records beyond the
 * newest `keep`, and up to 32 of the oldest records of any key past `expireBefore`.
 */
import { APPEND_KEY_SELECT, type AppendKeyRow, appendKeyFromRow, EXPIRE_BATCH } from '../append-key-rows.js';
import type { AppendKeyChange, AppendKeyRecord, AppendKeyStore } from '../types.js';
import type { Queryable } from './object-rows.js';

export class PgAppendKeys implements AppendKeyStore {
  constructor(private readonly db: Queryable) {}

  async find(bucket: string, key: string, token: string): Promise<AppendKeyRecord | undefined> {
    const { rows } = await this.db.query<AppendKeyRow>(`SELECT ${APPEND_KEY_SELECT} FROM append_keys WHERE bucket = $1 AND key = $2 AND token = $3`, [
      bucket,
      key,
      token,
    ]);
    return rows[0] ? appendKeyFromRow(rows[0]) : undefined;
  }
}

/** Inside the transaction of the compare-and-set of (bucket, key), once it succeeded. */
export async function applyAppendKeys(c: Queryable, bucket: string, key: string, change: AppendKeyChange): Promise<void> {
  if (change.dropBeyond !== undefined) {
    await c.query('DELETE FROM append_keys WHERE bucket = $1 AND key = $2 AND position + length > $3', [bucket, key, change.dropBeyond]);
  }
  const r = change.record;
  if (r) {
    const { rows } = await c.query<{ ordinal: number }>(
      `INSERT INTO append_keys (bucket, key, token, ordinal, position, length, crc_before, crc_after, blob, created_ms)
       VALUES ($1, $2, $3, (SELECT coalesce(max(ordinal), 0) + 1 FROM append_keys WHERE bucket = $1 AND key = $2), $4, $5, $6, $7, $8, $9)
       ON CONFLICT (bucket, key, token) DO UPDATE SET ordinal = excluded.ordinal, position = excluded.position, length = excluded.length,
         crc_before = excluded.crc_before, crc_after = excluded.crc_after, blob = excluded.blob, created_ms = excluded.created_ms
       RETURNING ordinal`,
      [bucket, key, r.token, r.position, r.length, r.crcBefore, r.crcAfter, r.blob, r.createdMs],
    );
    if (change.keep !== undefined) {
      await c.query('DELETE FROM append_keys WHERE bucket = $1 AND key = $2 AND ordinal <= $3', [bucket, key, rows[0]!.ordinal - change.keep]);
    }
  }
  if (change.expireBefore !== undefined) {
    // SKIP LOCKED: rows another node's commit is expiring right now are left to it.
    await c.query(
      `DELETE FROM append_keys WHERE ctid IN (SELECT ctid FROM append_keys WHERE created_ms < $1 ORDER BY created_ms LIMIT ${EXPIRE_BATCH} FOR UPDATE SKIP LOCKED)`,
      [change.expireBefore],
    );
  }
}
