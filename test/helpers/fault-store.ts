/**
 * Looking at a real ossd from outside for the fault tests: its data folder (layout of
 * src/drivers/fs/blob-store.ts: blobs/<2 hex>/<32 hex id>, staging/; small objects'
 * inline blobs in meta.db's inline_blobs table) and its objects over raw HTTP. Blobs are
 * matched to objects by size and CRC-64 of their content, never through the metadata.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { crcOf } from './fault-appends.js';
import { inlineBlobRows, type JournalRow, journalRows } from './meta-db.js';
import type { Ossd } from './ossd-process.js';
import { errorCode, raw, signV1 } from './raw-http.js';

export interface BlobFile {
  name: string;
  path: string;
  size: number;
}

/** Every file under <data>/blobs (whatever its name), sorted by path. */
export function blobFiles(dataDir: string): BlobFile[] {
  const root = join(dataDir, 'blobs');
  const out: BlobFile[] = [];
  for (const shard of readdirSync(root).sort()) {
    const dir = join(root, shard);
    if (!statSync(dir).isDirectory()) {
      out.push({ name: shard, path: dir, size: statSync(dir).size });
      continue;
    }
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      out.push({ name, path, size: statSync(path).size });
    }
  }
  return out;
}

export function stagingEntries(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'staging'));
}

export async function createBucket(ossd: Ossd, bucket: string): Promise<void> {
  const res = await raw(ossd, { method: 'PUT', path: `/${bucket}/` });
  if (res.status !== 200) throw new Error(`PutBucket ${bucket}: ${res.status} ${res.text}`);
}

export interface ListedObject {
  key: string;
  size: number;
  type: string;
}

/** ListObjects (path style) of a whole bucket, following markers. */
export async function listAll(ossd: Ossd, bucket: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let marker = '';
  for (;;) {
    const res = await raw(ossd, { method: 'GET', path: `/${bucket}/?max-keys=1000&marker=${encodeURIComponent(marker)}` });
    if (res.status !== 200) throw new Error(`ListObjects ${bucket}: ${res.status} ${res.text}`);
    for (const m of res.text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      const c = m[1]!;
      const field = (n: string): string => new RegExp(`<${n}>([^<]*)</${n}>`).exec(c)?.[1] ?? '';
      out.push({ key: field('Key'), size: Number(field('Size')), type: field('Type') });
    }
    if (!/<IsTruncated>true<\/IsTruncated>/.test(res.text)) return out;
    marker = out[out.length - 1]!.key;
  }
}

export interface FetchedObject {
  status: number;
  code?: string;
  body: Buffer;
  contentLength: number;
  crc?: string;
  type?: string;
  etag?: string;
  nextPosition?: number;
}

function fetched(res: Awaited<ReturnType<typeof raw>>): FetchedObject {
  const h = res.headers;
  const next = h['x-oss-next-append-position'];
  return {
    status: res.status,
    code: errorCode(res),
    body: res.body,
    contentLength: Number(h['content-length']),
    crc: h['x-oss-hash-crc64ecma'] as string | undefined,
    type: h['x-oss-object-type'] as string | undefined,
    etag: h.etag,
    nextPosition: typeof next === 'string' ? Number(next) : undefined,
  };
}

export async function getObject(ossd: Ossd, bucket: string, key: string): Promise<FetchedObject> {
  return fetched(await raw(ossd, { method: 'GET', path: `/${bucket}/${encodeURIComponent(key)}` }));
}

export async function headObject(ossd: Ossd, bucket: string, key: string): Promise<FetchedObject> {
  return fetched(await raw(ossd, { method: 'HEAD', path: `/${bucket}/${encodeURIComponent(key)}` }));
}

/** What blobProblems expects on disk: an object's committed bytes, kept in one blob file or in several (`segments`, the non-empty parts of a multipart object, in order). */
export interface StoredBytes {
  key: string;
  bytes: Buffer;
  segments?: Buffer[];
}

/** A blob file's bytes with its journal rows written over them, as recovery would write them back. */
function withJournal(file: Buffer, rows: JournalRow[]): Buffer {
  if (rows.length === 0) return file;
  const out = Buffer.alloc(Math.max(file.length, ...rows.map((r) => r.offset + r.data.length)));
  file.copy(out);
  for (const r of rows) r.data.copy(out, r.offset);
  return out;
}

/**
 * Checks the stored blobs (files and inline rows) against the objects: exactly one blob
 * per non-empty object or segment, each holding exactly those committed bytes (same
 * size, same CRC-64), so no uncommitted tail and no orphan. Returns the problems found.
 * A file counts with its append-journal rows: small appends reach the file only with the
 * journal flusher, which on a full disk cannot write them yet (the journal keeps them).
 */
export function blobProblems(dataDir: string, objects: StoredBytes[]): string[] {
  const problems: string[] = [];
  const wanted = objects
    .flatMap((o) => (o.segments ?? [o.bytes]).map((b, i) => ({ key: o.segments ? `${o.key} segment ${i}` : o.key, bytes: b })))
    .filter((o) => o.bytes.length > 0)
    .map((o) => ({ key: o.key, size: o.bytes.length, crc: crcOf(o.bytes) }));
  const stored: Array<{ name: string; content: () => Buffer }> = [];
  const journal = journalRows(dataDir);
  for (const f of blobFiles(dataDir)) {
    if (!/^[0-9a-f]{32}$/.test(f.name) || f.path !== join(dataDir, 'blobs', f.name.slice(0, 2), f.name)) problems.push(`unexpected file in blobs/: ${f.path}`);
    else stored.push({ name: f.name, content: () => withJournal(readFileSync(f.path), journal.filter((r) => r.blob === f.name)) });
  }
  for (const row of inlineBlobRows(dataDir)) stored.push({ name: `${row.blob} (inline)`, content: () => row.data });
  if (stored.length !== wanted.length) problems.push(`${stored.length} blobs for ${wanted.length} non-empty objects and segments`);
  for (const b of stored) {
    const content = b.content();
    const crc = crcOf(content);
    const i = wanted.findIndex((w) => w.size === content.length && w.crc === crc);
    if (i < 0) {
      const owner = objects.find((o) => o.bytes.length > 0 && o.bytes.length <= content.length && content.subarray(0, o.bytes.length).equals(o.bytes));
      const why = owner ? ` (it holds ${owner.key} plus ${content.length - owner.bytes.length} uncommitted bytes)` : '';
      problems.push(`blob ${b.name} (${content.length} bytes) matches no object${why}`);
      continue;
    }
    wanted.splice(i, 1);
  }
  for (const w of wanted) problems.push(`object ${w.key} (${w.size} bytes) has no blob holding its bytes`);
  return problems;
}

export interface UploadOutcome {
  status?: number;
  code?: string;
  headers?: http.IncomingHttpHeaders;
  /** The network error, when no complete answer arrived. */
  error?: string;
}

export interface StreamingUpload {
  /** Bytes handed to the socket so far. */
  sent(): number;
  /** Sends the rest of the body and ends the request. */
  finish(): void;
  /** Settles with the answer, or the network error, once the request ends. */
  done: Promise<UploadOutcome>;
}

/**
 * Starts a signed upload of `total` pseudo-random bytes and keeps sending 1 MiB chunks
 * (honouring back-pressure) until `pauseAt` bytes are out, then stops sending without
 * ending the request: the server is left waiting in the middle of the body until
 * `finish()` (or forever).
 */
export function startPartialUpload(ossd: Ossd, method: string, path: string, total: number, pauseAt: number): StreamingUpload {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(total) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, path, headers)}`;
  const req = http.request({ host: ossd.host, port: ossd.port, method, path, headers, agent: false });
  let sent = 0;
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
  const done = new Promise<UploadOutcome>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], headers: res.headers });
      });
      res.on('error', (e) => resolve({ status: res.statusCode, error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
  });
  let limit = pauseAt;
  let waiting = false;
  const pump = (): void => {
    waiting = false;
    while (sent < limit) {
      const n = Math.min(chunk.length, limit - sent);
      sent += n;
      if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        waiting = true;
        req.once('drain', pump);
        return;
      }
    }
    if (sent === total && !req.writableEnded) req.end();
  };
  pump();
  const finish = (): void => {
    limit = total;
    if (!waiting) pump();
  };
  return { sent: () => sent, finish, done };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** blobProblems, retried for a while: replaced, deleted and aborted blobs are removed in the background. */
export async function settledBlobProblems(dataDir: string, objects: StoredBytes[], timeoutMs = 10_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let problems: string[];
    try {
      problems = blobProblems(dataDir, objects);
    } catch (e) {
      // A blob removed between listing the folder and reading it: removals are still running.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      problems = [`a blob vanished while being read: ${(e as Error).message}`];
    }
    if (problems.length === 0 || Date.now() > until) return problems;
    await sleep(100);
  }
}

/** Total bytes of the files under `dir`, and of those under `dir`/blobs. */
export function folderBytes(dir: string): { total: number; blobs: number } {
  // A file removed between the listing and the stat (a background removal) counts 0.
  const size = (f: string): number => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  const sum = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? sum(join(d, e.name)) : size(join(d, e.name))), 0);
  const blobs = sum(join(dir, 'blobs'));
  return { total: sum(dir), blobs };
}

/**
 * Everything wrong with the data folder right now: blob files that are not exactly the
 * bytes of one listed non-empty object, and staging leftovers. Reads every object.
 */
export async function storeProblems(ossd: Ossd, buckets: string[]): Promise<string[]> {
  const problems: string[] = [];
  const objects: Array<{ key: string; bytes: Buffer }> = [];
  for (const bucket of buckets) {
    for (const o of await listAll(ossd, bucket)) {
      const got = await getObject(ossd, bucket, o.key);
      if (got.status !== 200) problems.push(`listed ${bucket}/${o.key} but GET answered ${got.status}`);
      else if (got.body.length !== o.size) problems.push(`listed ${bucket}/${o.key} with size ${o.size}, GET returned ${got.body.length} bytes`);
      objects.push({ key: `${bucket}/${o.key}`, bytes: got.body });
    }
  }
  problems.push(...blobProblems(ossd.dataDir, objects));
  problems.push(...stagingEntries(ossd.dataDir).map((n) => `staging/ not empty: ${n}`));
  return problems;
}

/** storeProblems, retried for a while: replaced blobs are removed in the background. */
export async function settledStoreProblems(ossd: Ossd, buckets: string[], timeoutMs = 3000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const problems = await storeProblems(ossd, buckets);
    if (problems.length === 0 || Date.now() > until) return problems;
    await sleep(100);
  }
}
