/** Shared fixtures of the engine tests (test/engine/): real SQLite and file drivers in temporary folders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { FsBlobStore } from '../../src/drivers/fs/blob-store.js';
import { SqliteMetadataStore } from '../../src/drivers/sqlite/metadata-store.js';
import { Engine } from '../../src/engine/engine.js';

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

/** The driver pairs the conformance suites run for (OSSD_TEST_DRIVERS); today only the embedded default. */
export const DRIVER_PAIRS = (process.env.OSSD_TEST_DRIVERS ?? 'sqlite+fs').split(',');

/** An engine on a driver pair's stores in `dir`; a background error fails the test. */
export async function makeEngine(dir: string, pair = 'sqlite+fs'): Promise<Engine> {
  if (pair !== 'sqlite+fs') throw new Error(`unknown driver pair ${pair}`);
  const blobs = new FsBlobStore(dir);
  await blobs.init();
  return new Engine(new SqliteMetadataStore(dir), blobs, (e) => {
    throw e;
  });
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
