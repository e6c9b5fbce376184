/**
 * Opens the PostgreSQL metadata side of a node (`--metadata postgres://…`, issue 19): one
 * database shared by every node, migrated at start under the advisory lock (nodes may
 * start together). Imported by open-metadata.ts only when configured.
 */
import { masterKeyRefusal, redactUrl } from '../../config-cluster.js';
import { sharedMasterKey } from '../../keys/master-key.js';
import { MetadataUnavailable } from '../metadata-unavailable.js';
import type { MetadataConfigOf, OpenedMetadata, OpenMetadataOptions } from '../open-metadata.js';
import { PgDatabase } from './db.js';
import { PgKeyStore } from './key-store.js';
import { PgForeignUnsettled } from './dead-nodes.js';
import { PgCompactionLeases, PgLeases } from './leases.js';
import { PgMetadataStore } from './metadata-store.js';
import { casInTransaction, LostSwap } from './object-cas.js';
import { type PgCas, PgMultipartStore } from './multipart-store.js';
import { PgNodeLiveness } from './node-liveness.js';
import { PgObjectChanges } from './object-changes.js';
import { PgRevisions } from './revisions.js';
import { PgUnsettledStore } from './unsettled-store.js';

export async function openPgMetadata(config: MetadataConfigOf, options: OpenMetadataOptions): Promise<OpenedMetadata> {
  if (config.metadata.kind !== 'postgres') throw new Error(`openPgMetadata: metadata is ${config.metadata.kind}`);
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
