/**
 * A cluster for tests (issue 19): N ossd nodes on 127.0.0.2, .3, … sharing one PostgreSQL
 * (test/helpers/postgres.ts) and one S3 store: Ceph RGW when it is installed
 * (test/helpers/ceph.ts), else s3rver (test/helpers/s3rver.ts), an S3 server from npm.
 * Each node is the real ossd process, started with the configuration names the issue
 * fixes: --metadata / OSSD_METADATA, --blobs / OSSD_BLOBS, OSSD_S3_*, OSSD_NODE_ID.
 */
import { randomBytes } from 'node:crypto';
import { type Ossd, startOssd } from './ossd-process.js';
import { type Postgres, startPostgres } from './postgres.js';
import { type S3Backend, startS3Backend } from './s3-backend.js';

export interface Cluster {
  pg: Postgres;
  s3: S3Backend;
  nodes: Ossd[];
  /** The environment of node `i` (0-based): what a restart of it needs. */
  envOf(i: number): Record<string, string>;
  /** Starts node `i` again (after a kill), on the same address. */
  restart(i: number): Promise<Ossd>;
  stop(): Promise<void>;
}

/** Shared by every node: secrets sealed by one node are opened by the others. */
const MASTER_KEY = randomBytes(32).toString('base64');

export interface ClusterOptions {
  nodes: number;
  /** Extra environment for every node (e.g. a short GC grace). */
  env?: Record<string, string>;
  /** Starts the PostgreSQL (default startPostgres; the power-cut test puts one on powercut_fs). */
  postgres?: () => Promise<Postgres>;
  /** Working folder of every node (default: the test's). */
  cwd?: string;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const pg = await (o.postgres ?? startPostgres)();
  let s3: S3Backend | undefined;
  const nodes: Ossd[] = [];
  try {
    s3 = await startS3Backend();
    const backend = s3;
    const ports: number[] = [];
    const envOf = (i: number): Record<string, string> => ({
      OSSD_ADDRESS: `127.0.0.${i + 2}:${ports[i] ?? 0}`,
      OSSD_METADATA: pg.url,
      OSSD_BLOBS: `s3://${backend.bucket}`,
      OSSD_S3_ENDPOINT: backend.endpoint,
      OSSD_S3_ACCESS_KEY_ID: backend.accessKeyId,
      OSSD_S3_SECRET_ACCESS_KEY: backend.secretAccessKey,
      OSSD_S3_REGION: backend.region,
      OSSD_S3_FORCE_PATH_STYLE: 'true',
      OSSD_NODE_ID: `node-${i + 1}`,
      OSSD_MASTER_KEY: MASTER_KEY,
      ...o.env,
    });
    // Started together: the migrations' advisory lock lets one node apply them while the others wait.
    const started = await Promise.all(Array.from({ length: o.nodes }, (_, i) => startOssd({ env: envOf(i), cwd: o.cwd })));
    for (const n of started) {
      nodes.push(n);
      ports.push(n.port);
    }
    return {
      pg,
      s3: backend,
      nodes,
      envOf,
      restart: async (i) => (nodes[i] = await startOssd({ env: envOf(i), dataDir: nodes[i]!.dataDir, cwd: o.cwd })),
      stop: async () => {
        for (const n of nodes) {
          await n.stop().catch(() => undefined);
          n.cleanup();
        }
        await backend.stop();
        await pg.stop();
      },
    };
  } catch (e) {
    for (const n of nodes) await n.kill().catch(() => undefined);
    await s3?.stop();
    await pg.stop();
    throw e;
  }
}
