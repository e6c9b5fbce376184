/**
 * The append journal in PostgreSQL (mirrors sqlite/journal-store.ts, without its append
 * log): a small append's bytes are committed with its row in append_journal(blob,
 * byte_offset, data), so the append is acknowledged once PostgreSQL committed; the
 * background flush writes them into the (mutable) blob file, syncs it and deletes the rows
 * (engine/journal-flusher.ts); recovery replays whatever rows remain. On an immutable blob
 * store the engine journals nothing.
 */
import type { JournalEntry, JournalStore } from '../types.js';
import type { PgDatabase } from './db.js';
import type { Queryable } from './object-rows.js';

export class PgJournal implements JournalStore {
  constructor(private readonly db: PgDatabase) {}

  async blobs(): Promise<string[]> {
    const { rows } = await this.db.query<{ blob: string }>('SELECT DISTINCT blob FROM append_journal');
    return rows.map((r) => r.blob);
  }

  async entries(blob: string): Promise<Array<{ offset: number; data: Buffer }>> {
    const { rows } = await this.db.query<{ offset: number; data: Buffer }>(
      'SELECT byte_offset AS offset, data FROM append_journal WHERE blob = $1 ORDER BY byte_offset',
      [blob],
    );
    return rows;
  }

  async clear(done: Array<{ blob: string; end: number }>): Promise<void> {
    if (done.length === 0) return;
    await this.db.query(
      'DELETE FROM append_journal j USING unnest($1::text[], $2::bigint[]) AS d(blob, e) WHERE j.blob = d.blob AND j.byte_offset < d.e',
      [done.map((d) => d.blob), done.map((d) => d.end)],
    );
  }
}

/** Inside the transaction of the append's compare-and-set. */
export async function insertJournal(c: Queryable, entry: JournalEntry): Promise<void> {
  await c.query(
    'INSERT INTO append_journal (blob, byte_offset, data) VALUES ($1, $2, $3) ON CONFLICT (blob, byte_offset) DO UPDATE SET data = excluded.data',
    [entry.blob, entry.offset, entry.data],
  );
}
