/**
 * Builds a node's metadata side from its configuration (issue 19): the MetadataStore, the
 * access key store and the follow-read wake-ups (ObjectChanges), which must all live in
 * the same place: with `--metadata sqlite` (the default) the data folder's meta.db and
 * this process; with `--metadata postgres://…` one PostgreSQL database shared by every
 * node, migrated at start under the advisory lock (nodes may start together).
 *
 * The engine and the server never learn which one they got.
 */
import type { Config } from '../config.js';
import { masterKeyRefusal, redactUrl } from '../config-cluster.js';
import type { CompactionLeases } from '../engine/compaction.js';
import { LocalObjectChanges, type ObjectChanges } from '../engine/object-changes.js';
import { type KeyStore, SqliteKeyStore } from '../keys/key-store.js';
import { sharedMasterKey } from '../keys/master-key.js';
import { PgDatabase } from './postgres/db.js';
import { PgKeyStore } from './postgres/key-store.js';
import { PgForeignUnsettled } from './postgres/dead-nodes.js';
import { PgCompactionLeases, PgLeases } from './postgres/leases.js';
import { PgMetadataStore } from './postgres/metadata-store.js';
import { casInTransaction, LostSwap } from './postgres/object-cas.js';
import { type PgCas, PgMultipartStore } from './postgres/multipart-store.js';
import { PgNodeLiveness } from './postgres/node-liveness.js';
import { PgObjectChanges } from './postgres/object-changes.js';
import { PgRevisions } from './postgres/revisions.js';
import { PgUnsettledStore } from './postgres/unsettled-store.js';
import { SqliteMetadataStore } from './sqlite/metadata-store.js';
import type { MetadataQueryCounts, MetadataStore } from './types.js';

/** The metadata store named by the configuration cannot be opened (unreachable, refused, no key): one line, no password. */
export class MetadataUnavailable extends Error {}

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

type MetadataConfigOf = Pick<Config, 'metadata' | 'dataDir' | 'nodeId' | 'masterKey' | 'masterKeyFile'>;

export async function openMetadata(config: MetadataConfigOf, options: OpenMetadataOptions = {}): Promise<OpenedMetadata> {
  if (config.metadata.kind === 'sqlite') {
    return {
      meta: new SqliteMetadataStore(config.dataDir, { syncOnLoop: options.syncOnLoop }),
      keys: new SqliteKeyStore(config.dataDir),
      changes: new LocalObjectChanges(),
    };
  }
  // Checked before connecting: a node that made its own master key would seal secrets no other node can open.
  let master: Buffer | undefined;
  try {
    master = sharedMasterKey(config.masterKey, config.masterKeyFile);
  } catch (e) {
    throw new MetadataUnavailable(`master key: ${(e as Error).message}`);
  }
  if (!master) throw new MetadataUnavailable(masterKeyRefusal(config.metadata, undefined, undefined)!);
  const db = new PgDatabase(config.metadata.url);
  try {
    const meta = await openPgMetadataStore(db, config.nodeId);
    const leases = new PgLeases(db, config.nodeId);
    if (options.liveness && meta.unsettled instanceof PgUnsettledStore) {
      const live = await PgNodeLiveness.start(db, config.nodeId, { ttlMs: options.liveness.leaseMs, onLost: options.liveness.onLost, onError: options.onError });
      meta.unsettled.foreign = new PgForeignUnsettled(db, config.nodeId, leases, live.ttlMs);
    }
    const changes = await PgObjectChanges.open(db, { onError: options.onError });
    return { meta, keys: new PgKeyStore(db, master), changes, leases: new PgCompactionLeases(leases), postgresCounts: () => db.counts };
  } catch (e) {
    await db.close().catch(() => undefined);
    // pg's messages name the host and port, never the password.
    const code = (e as { code?: string }).code;
    if (code !== undefined && !(e instanceof MetadataUnavailable)) {
      throw new MetadataUnavailable(`metadata: PostgreSQL at ${redactUrl(config.metadata.url)}: ${(e as Error).message} (${code})`);
    }
    throw e;
  }
}

/**
 * The PostgreSQL metadata store with its parts, on a migrated schema: multipart uploads
 * (whose Complete runs the object compare-and-set on its own transaction), the unsettled
 * registry of this node, and revisions drawn in blocks (the first one before the store
 * serves anything).
 */
export async function openPgMetadataStore(db: PgDatabase, nodeId: string, options: { closeDatabase?: boolean } = {}): Promise<PgMetadataStore> {
  // Before the first revision block is drawn (the sequence is made by the migrations).
  await db.migrate();
  const completeCas: PgCas = async (c, bucket, key, expected, next, history) => {
    try {
      const done = await casInTransaction(c, nodeId, bucket, key, expected, next, history);
      return { ok: true, previous: done.previous, removed: done.removed };
    } catch (e) {
      if (e instanceof LostSwap) return { ok: false, current: undefined };
      throw e;
    }
  };
  const revisions = await PgRevisions.open(db);
  return PgMetadataStore.open(
    db,
    nodeId,
    {
      multipart: new PgMultipartStore(db, nodeId, completeCas),
      unsettled: new PgUnsettledStore(db, nodeId),
      revisions,
    },
    options,
  );
}
