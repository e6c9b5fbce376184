/**
 * The row codec of append records (Idempotency-Key, engine/idempotency.ts), shared by the
 * SQLite and PostgreSQL stores (their `append_keys` tables have the same columns:
 * sqlite/append-key-store.ts, postgres/append-key-store.ts).
 */
import type { AppendKeyRecord } from './types.js';

/**
 * Records past their window dropped per change that asks (AppendKeyChange.expireBefore):
 * more than the records stored in between, so the table shrinks while traffic goes on.
 */
export const EXPIRE_BATCH = 32;

export interface AppendKeyRow {
  token: string;
  position: number;
  length: number;
  crc_before: string;
  crc_after: string;
  blob: string | null;
  created_ms: number;
}

/** The columns of an AppendKeyRow, for a SELECT. */
export const APPEND_KEY_SELECT = 'token, position, length, crc_before, crc_after, blob, created_ms';

export function appendKeyFromRow(row: AppendKeyRow): AppendKeyRecord {
  return {
    token: row.token,
    position: row.position,
    length: row.length,
    crcBefore: row.crc_before,
    crcAfter: row.crc_after,
    blob: row.blob,
    createdMs: row.created_ms,
  };
}
