/**
 * Inline blobs in PostgreSQL (mirrors sqlite/inline-store.ts): the whole content of small
 * objects, in inline_blobs(blob, data bytea). Rows are written by the compare-and-set that
 * commits their object and dropped by the one that removes their last reference
 * (object-cas.ts), so nothing collects them afterwards.
 */
import type { InlineBlobs } from '../types.js';
import type { Queryable } from './object-rows.js';

export class PgInlineBlobs implements InlineBlobs {
  constructor(private readonly db: Queryable) {}

  async read(blob: string): Promise<Buffer | undefined> {
    const { rows } = await this.db.query<{ data: Buffer }>('SELECT data FROM inline_blobs WHERE blob = $1', [blob]);
    return rows[0]?.data;
  }

  async *list(): AsyncIterable<string> {
    const { rows } = await this.db.query<{ blob: string }>('SELECT blob FROM inline_blobs ORDER BY blob');
    for (const r of rows) yield r.blob;
  }
}

/** Inside the transaction that commits the object. */
export async function insertInline(c: Queryable, blob: string, data: Buffer): Promise<void> {
  await c.query('INSERT INTO inline_blobs (blob, data) VALUES ($1, $2)', [blob, data]);
}
