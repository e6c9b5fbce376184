/**
 * Builds a node's metadata side from its configuration (issue 19): the MetadataStore, the
 * access key store and the follow-read wake-ups (ObjectChanges), which must all live in
 * the same place: with `--metadata sqlite` (the default) the data folder's meta.db and
 * this process; with `--metadata postgres://…` one PostgreSQL database shared by every
 * node (postgres/open.ts).
 *
 * The engine and the server never learn which one they got. The PostgreSQL side is
 * imported only when configured: `pg` and the driver's modules would otherwise sit in
 * every embedded server's heap (with the S3 driver, 11 MB of the idle heap: BENCH.md, "The
 * embedded default before and after the scale-out work").
 */
import type { Config } from '../config.js';
import type { CompactionLeases } from '../engine/compaction.js';
import { LocalObjectChanges, type ObjectChanges } from '../engine/object-changes.js';
import { type KeyStore, SqliteKeyStore } from '../keys/key-store.js';
import { MetadataUnavailable } from './metadata-unavailable.js';
import { SqliteMetadataStore } from './sqlite/metadata-store.js';
import type { MetadataQueryCounts, MetadataStore } from './types.js';

export { MetadataUnavailable };

export interface OpenedMetadata {
  meta: MetadataStore;
  keys: KeyStore;
  changes: ObjectChanges;
  /** Leases shared by the nodes (compaction); undefined: this process's own. */
  leases?: CompactionLeases;
  /** PostgreSQL: the transactions and round trips this node asked for so far (db.ts), for the metrics. */
  postgresCounts?: () => MetadataQueryCounts;
}

export interface OpenMetadataOptions {
  /** SQLite: whether nothing else is going on, so a WAL fsync may run on the event loop (wal-sync.ts). */
  syncOnLoop?: () => boolean;
  /** Background failures that are retried (a lost LISTEN connection, a failed NOTIFY): logged. */
  onError?: (e: unknown) => void;
  /**
   * A server node of a cluster: keep the node's liveness lease (postgres/node-liveness.ts),
   * fence its commits with it, and offer the engine the rows of dead nodes to collect
   * (postgres/dead-nodes.ts). `onLost`: another process took the lease, this one must stop.
   */
  liveness?: { leaseMs: number; onLost: (holder: string | undefined) => void };
}

export type MetadataConfigOf = Pick<Config, 'metadata' | 'dataDir' | 'nodeId' | 'masterKey' | 'masterKeyFile'>;

export async function openMetadata(config: MetadataConfigOf, options: OpenMetadataOptions = {}): Promise<OpenedMetadata> {
  if (config.metadata.kind === 'sqlite') {
    return {
      meta: new SqliteMetadataStore(config.dataDir, { syncOnLoop: options.syncOnLoop }),
      keys: new SqliteKeyStore(config.dataDir),
      changes: new LocalObjectChanges(),
    };
  }
  const { openPgMetadata } = await import('./postgres/open.js');
  return openPgMetadata(config, options);
}
