/**
 * PLACEHOLDERS until the pgcluster branch merges its PgMultipartStore and PgUnsettledStore
 * (src/drivers/postgres/multipart-store.ts, unsettled-store.ts, each `new PgX(db, nodeId)`):
 * just enough for the engine conformance suites to run on the PostgreSQL metadata store.
 * The lead replaces their use in engine-fixtures.ts with the real stores and deletes this file.
 */
import type { PgDatabase } from '../../src/drivers/postgres/db.js';
import type { MultipartMetadata } from '../../src/drivers/multipart-types.js';
import type { UnsettledStore } from '../../src/drivers/types.js';

/** PLACEHOLDER: the unsettled registry on unsettled_blobs (001), as sqlite/unsettled-store.ts. */
export class PlaceholderPgUnsettled implements UnsettledStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly nodeId: string,
  ) {}

  async add(blob: string, seq: number): Promise<void> {
    await this.db.query(
      `INSERT INTO unsettled_blobs (blob, seq, node_id, recorded_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (blob) DO UPDATE SET seq = excluded.seq, node_id = excluded.node_id, recorded_ms = excluded.recorded_ms WHERE unsettled_blobs.seq <> 0`,
      [blob, seq, this.nodeId, Date.now()],
    );
  }

  async clear(entries: ReadonlyArray<{ blob: string; seq: number }>): Promise<void> {
    for (const e of entries) {
      if (e.seq === 0) await this.db.query('DELETE FROM unsettled_blobs WHERE blob = $1', [e.blob]);
      else await this.db.query('DELETE FROM unsettled_blobs WHERE blob = $1 AND seq = $2', [e.blob, e.seq]);
    }
  }

  async list(): Promise<string[]> {
    return (await this.db.query<{ blob: string }>('SELECT blob FROM unsettled_blobs ORDER BY blob')).rows.map((r) => r.blob);
  }
}

/** PLACEHOLDER: multipart on PostgreSQL is pgcluster's; every call fails clearly until it merges. */
export function placeholderPgMultipart(): MultipartMetadata {
  const missing = (): never => {
    throw new Error('multipart on PostgreSQL: PgMultipartStore (pgcluster) is not merged yet');
  };
  return {
    insertUpload: missing,
    getUpload: missing,
    putPart: missing,
    listParts: missing,
    deleteUpload: missing,
    listUploads: missing,
    completeUpload: missing,
  };
}
