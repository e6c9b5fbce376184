/** Shared fixtures of the engine tests (test/engine/): real SQLite and file drivers in temporary folders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { FsBlobStore } from '../../src/drivers/fs/blob-store.js';
import { SqliteMetadataStore } from '../../src/drivers/sqlite/metadata-store.js';
import type { BlobStore, MetadataStore } from '../../src/drivers/types.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
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
};
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

/** An engine on a driver pair's stores in `dir`; a background error fails the test. */
export async function makeEngine(dir: string, pair = 'sqlite+file', options: EngineOptions = {}): Promise<Engine> {
  const [metaName = '', blobName = ''] = pair.replace(/\+fs$/, '+file').split('+');
  const makeMeta = METADATA_MAKERS[metaName];
  const makeBlobs = BLOB_MAKERS[blobName];
  if (!makeMeta || !makeBlobs) throw new Error(`unknown driver pair ${pair}`);
  const blobs = await makeBlobs(dir);
  return new Engine(
    await makeMeta(dir),
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
