/**
 * One ossd node on the scale-out drivers (issue 19): PostgreSQL metadata and S3 blobs
 * (Ceph RGW when installed, else s3rver; OSSD_TEST_S3 forces one), for running the
 * adversarial batteries written against the embedded default (test/faults/*-cluster.test.ts):
 * the issue promises "the same API and guarantees". A 1-node cluster of
 * test/helpers/cluster.ts, listening on 127.0.0.1 like startOssd's nodes (the batteries
 * open raw sockets there). The returned Ossd's stop() stops PostgreSQL and the S3 store too.
 */
import { after, before } from 'node:test';
import { type Cluster, startCluster } from './cluster.js';
import type { Ossd, StartOptions } from './ossd-process.js';
import { postgresSkip } from './postgres.js';

/** Why a pg+s3 node cannot run here (no PostgreSQL outside CI), or false. */
export const pgS3Skip = postgresSkip;

export interface PgS3Node extends Ossd {
  cluster: Cluster;
}

/** `opts.env` is added to the node's environment (OSSD_DATA_DIR there names its data folder); `args` is not supported. */
export async function startPgS3Node(opts: Pick<StartOptions, 'env' | 'cwd'> = {}): Promise<PgS3Node> {
  const cluster = await startCluster({ nodes: 1, env: { OSSD_ADDRESS: '127.0.0.1:0', ...opts.env }, cwd: opts.cwd });
  const node = cluster.nodes[0]!;
  const env = cluster.envOf(0);
  return {
    ...node,
    cluster,
    // `ossd keys` / `ossd sts` (test/helpers/keys.ts) then write the cluster's key store.
    cliEnv: { OSSD_METADATA: env.OSSD_METADATA!, OSSD_MASTER_KEY: env.OSSD_MASTER_KEY! },
    // The node's own stop/kill, then the backends: a stopped node leaves nothing running.
    stop: () => cluster.stop(),
    kill: async () => {
      await node.kill();
      await cluster.stop();
    },
    cleanup: () => node.cleanup(),
  };
}

/**
 * One pg+s3 node shared by several batteries of one test file: each booting of PostgreSQL
 * and Ceph costs ~30 s on a loaded 2-core machine. `acquire()` starts it on first use
 * (`env` of that first call only); the node each caller gets stops it when the last one
 * has called stop(). The batteries name buckets of their own, so they do not meet.
 */
export class SharedPgS3Node {
  private node?: Promise<PgS3Node>;
  private users = 0;

  acquire = async (opts: Pick<StartOptions, 'env'> = {}): Promise<PgS3Node> => {
    this.users++;
    const node = await (this.node ??= startPgS3Node(opts));
    return {
      ...node,
      stop: async () => {
        if (--this.users === 0) await node.stop();
      },
      kill: () => Promise.reject(new Error('a shared node is not killed by one of its users')),
      cleanup: () => undefined,
    };
  };

  /** usePgS3Node on the shared node: acquired before the file's tests, released after them. */
  use(setup?: (node: PgS3Node) => Promise<void>): PgS3Node {
    return nodeForTests(() => this.acquire(), setup);
  }
}

/** useOssd's twin: one pg+s3 node for the whole test file (nothing when `pgS3Skip()`). */
export function usePgS3Node(opts: Pick<StartOptions, 'env'> = {}, setup?: (node: PgS3Node) => Promise<void>): PgS3Node {
  return nodeForTests(() => startPgS3Node(opts), setup);
}

/** A node started before the file's tests and stopped after them, as a stand-in usable once they run. */
function nodeForTests(start: () => Promise<PgS3Node>, setup?: (node: PgS3Node) => Promise<void>): PgS3Node {
  let current: PgS3Node | undefined;
  before(async () => {
    if (pgS3Skip()) return;
    current = await start();
    await setup?.(current);
  });
  after(async () => {
    await current?.stop();
  });
  return new Proxy({} as PgS3Node, {
    get(_, prop) {
      if (!current) throw new Error('the pg+s3 node is not started yet: use it inside tests or hooks');
      return current[prop as keyof PgS3Node];
    },
  });
}
