/** Shared fixtures of the engine tests (test/engine/): real SQLite and file drivers in temporary folders. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { FsBlobStore } from '../../src/drivers/fs/blob-store.js';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import type { PgMetadataStore } from '../../src/drivers/postgres/metadata-store.js';
import { openPgMetadataStore } from '../../src/drivers/postgres/open.js';
import { SqliteMetadataStore } from '../../src/drivers/sqlite/metadata-store.js';
import type { BlobStore, MetadataStore } from '../../src/drivers/types.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { type Postgres, startPostgres } from './postgres.js';
import { s3BlobStoreFor } from './s3rver.js';

/** A maker of temporary folders, all removed after the test file. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/**
 * The driver pairs the conformance suites run for (OSSD_TEST_DRIVERS, comma-separated
 * `<metadata>+<blobs>`): sqlite+file (the embedded default), postgres+file, postgres+s3.
 */
export const DRIVER_PAIRS = (process.env.OSSD_TEST_DRIVERS ?? 'sqlite+file').split(',');

/**
 * Makers of each kind of store, by the name used in a pair. A maker gets the test's temp
 * folder and sets up (and registers the cleanup of, with `after`) whatever server its
 * store needs: one per test file, a fresh database or bucket per engine.
 */
const METADATA_MAKERS: Record<string, (dir: string) => Promise<MetadataStore>> = {
  sqlite: async (dir) => new SqliteMetadataStore(dir),
  postgres: async (dir) => openPgStore(await pgDatabaseOf(dir)),
};

/** The PostgreSQL server of this test file: started by the first store that needs it, stopped after the file. */
let pgServer: Promise<Postgres> | undefined;
/** The database of each temp folder: a new engine on a folder it had before reopens that store's data. */
const pgDatabases = new Map<string, Promise<string>>();

if (DRIVER_PAIRS.some((p) => p.startsWith('postgres+'))) after(async () => (await pgServer)?.stop());

/** The URL of `dir`'s database, created (CREATE DATABASE ossd_N) the first time. */
export function pgDatabaseOf(dir: string): Promise<string> {
  let url = pgDatabases.get(dir);
  if (!url) {
    const name = `ossd_${pgDatabases.size + 1}`;
    url = (async () => {
      pgServer ??= startPostgres();
      const pg = await pgServer;
      const admin = new PgDatabase(pg.url, 1);
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.close();
      }
      return pg.url.replace(/\/ossd$/, `/${name}`);
    })();
    pgDatabases.set(dir, url);
  }
  return url;
}

/** A PostgreSQL metadata store on `url` (migrated), as one node of a cluster would open it. */
export async function openPgStore(url: string, nodeId = 'node-test'): Promise<PgMetadataStore> {
  // A small pool: a test file opens many stores, some never closed (a simulated crash), on one server of 100 connections.
  const db = new PgDatabase(url, 4);
  return openPgMetadataStore(db, nodeId);
}
const BLOB_MAKERS: Record<string, (dir: string) => Promise<BlobStore>> = {
  file: async (dir) => {
    const blobs = new FsBlobStore(dir);
    await blobs.init();
    return blobs;
  },
  // A bucket of the test file's s3rver, one per folder (test/helpers/s3rver.ts).
  s3: async (dir) => s3BlobStoreFor(dir),
};

/** Whether a pair's blob store is immutable (S3): tests of local-file internals (trimmed tails, the journal, staged bytes) skip it. */
export function immutableBlobs(pair: string): boolean {
  return pair.endsWith('+s3');
}

/** SQL on the metadata database of an engine made by makeEngine(dir, pair) (`?` parameters), for tests that age or count rows. */
export interface MetadataSql {
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function metadataSql(dir: string, pair = 'sqlite+file'): Promise<MetadataSql> {
  if (pair.startsWith('postgres+')) {
    const db = new PgDatabase(await pgDatabaseOf(dir), 2);
    return {
      query: async (sql, params) => {
        let n = 0;
        return (await db.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
      },
      close: () => db.close(),
    };
  }
  const db = new Database(join(dir, 'meta.db'));
  return {
    query: async (sql, params = []) => {
      const st = db.prepare(sql);
      if (st.reader) return st.all(...params) as Array<Record<string, unknown>>;
      st.run(...params);
      return [];
    },
    close: async () => void db.close(),
  };
}

/** A driver pair's metadata and blob stores in `dir` (for tests that wrap one before making the engine). */
export async function makeStores(dir: string, pair = 'sqlite+file'): Promise<{ meta: MetadataStore; blobs: BlobStore }> {
  const [metaName = '', blobName = ''] = pair.replace(/\+fs$/, '+file').split('+');
  const makeMeta = METADATA_MAKERS[metaName];
  const makeBlobs = BLOB_MAKERS[blobName];
  if (!makeMeta || !makeBlobs) throw new Error(`unknown driver pair ${pair}`);
  const blobs = await makeBlobs(dir);
  return { meta: await makeMeta(dir), blobs };
}

/** An engine on a driver pair's stores in `dir`; a background error fails the test. */
export async function makeEngine(dir: string, pair = 'sqlite+file', options: EngineOptions = {}): Promise<Engine> {
  const { meta, blobs } = await makeStores(dir, pair);
  return new Engine(
    meta,
    blobs,
    (e) => {
      throw e;
    },
    undefined,
    // No grace period unless a test asks for one: removals are then checked as on files.
    { gcGraceMs: 0, ...options },
  );
}

/** Whether the blob is in the engine's blob store (a file, an S3 object). */
export async function blobExists(engine: Engine, blob: string): Promise<boolean> {
  return (await engine.blobs.size(blob)) !== undefined;
}

/** A request body of known length, as the protocol layer hands it to the engine. */
export function body(data: Buffer | string) {
  const buf = Buffer.from(data);
  return { body: (async function* () { yield buf; })(), contentLength: buf.length };
}

/** An engine (makeEngine) with the bucket `b` that readObject() reads from. */
export async function engineWithBucket(dir: string, pair = 'sqlite+file'): Promise<Engine> {
  const engine = await makeEngine(dir, pair);
  await engine.buckets.create('b', 'private', 'Standard', 'LRS');
  return engine;
}

/** Bytes [start, end) (default: all) of an object in bucket `b`, the current version or the named one, read through the engine. */
export async function readObject(engine: Engine, key: string, versionId?: string, start = 0, end?: number): Promise<Buffer> {
  const o = await engine.objects.open('b', key, versionId);
  try {
    const chunks: Buffer[] = [];
    for await (const c of o.stream(start, end ?? o.record.size)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await o.close();
  }
}

/**
 * A body in 65,000-byte chunks that each own their memory, as Node's HTTP parser hands a
 * request body over; each chunk is also pushed to `given`, to see afterwards which the
 * engine freed (free-now.ts: a freed chunk reads as empty).
 */
export function ownedChunks(data: Buffer, given: Buffer[], chunksOwned = true): { body: AsyncIterable<Buffer>; contentLength: number; chunksOwned: boolean } {
  return {
    body: (async function* () {
      for (let at = 0; at < data.length; at += 65_000) {
        const c = Buffer.from(data.subarray(at, at + 65_000));
        given.push(c);
        yield c;
      }
    })(),
    contentLength: data.length,
    chunksOwned,
  };
}
