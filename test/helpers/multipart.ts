/**
 * Multipart test helpers: deterministic content, the expected ETag and CRC computed
 * independently of the server (multipart.md §8, §9 by their definitions, not by calling
 * the engine's rules), and raw-HTTP multipart requests.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import assert from 'node:assert/strict';
import { type Ossd, useOssd } from './ossd-process.js';
import { raw, type RawResponse } from './raw-http.js';
import { inlineBlobRows } from './meta-db.js';

/** n bytes where byte i = (i + seed) mod 251 (the crc64.md §5 multipart vector for seed 0). */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

export function md5Hex(b: Buffer): string {
  return createHash('md5').update(b).digest('hex').toUpperCase();
}

/** §8: "<MD5 of the concatenated upper-case hex part MD5s>-<N>", quoted. */
export function multipartEtagOf(parts: Buffer[]): string {
  return `"${md5Hex(Buffer.from(parts.map(md5Hex).join(''), 'latin1'))}-${parts.length}"`;
}

/** The whole object's CRC, computed over the bytes (the server combines the part CRCs). */
export function crcOfParts(parts: Buffer[]): string {
  return crc64ToDecimal(crc64(Buffer.concat(parts)));
}

/** Splits `buf` into parts of `size` bytes (the last may be shorter). */
export function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, Math.min(buf.length, i + size)));
  return out;
}

/** Number of blob files under <data>/blobs (layout: src/drivers/fs/blob-store.ts). */
/** Blobs stored in the data folder: files, and small objects' inline blobs. */
export function blobCount(dataDir: string): number {
  const root = join(dataDir, 'blobs');
  let n = inlineBlobRows(dataDir).length;
  for (const shard of readdirSync(root)) {
    const dir = join(root, shard);
    if (statSync(dir).isDirectory()) n += readdirSync(dir).length;
  }
  return n;
}

/** Waits until `cond` holds (blobs are removed in the background after a commit). */
export async function eventually(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export function tags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);
}

/** Raw-HTTP multipart calls against one bucket (path style, V1). */
export class RawMultipart {
  constructor(
    private readonly ossd: Ossd,
    readonly bucket: string,
  ) {}

  path(key: string, query = ''): string {
    return `/${this.bucket}/${encodeURIComponent(key)}${query ? `?${query}` : ''}`;
  }

  async initiate(key: string, headers: Record<string, string> = {}): Promise<string> {
    const r = await raw(this.ossd, { method: 'POST', path: this.path(key, 'uploads'), headers });
    if (r.status !== 200) throw new Error(`Initiate ${key}: ${r.status} ${r.text}`);
    return tag(r.text, 'UploadId')!;
  }

  part(key: string, uploadId: string, n: number | string, body: Buffer, headers: Record<string, string> = {}, chunked = false): Promise<RawResponse> {
    return raw(this.ossd, { method: 'PUT', path: this.path(key, `partNumber=${n}&uploadId=${uploadId}`), body, headers, chunked });
  }

  /** Uploads `parts` as part numbers 1..N and returns their ETag headers. */
  async parts(key: string, uploadId: string, parts: Buffer[]): Promise<string[]> {
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      const r = await this.part(key, uploadId, i + 1, p);
      if (r.status !== 200) throw new Error(`UploadPart ${i + 1}: ${r.status} ${r.text}`);
      etags.push(r.headers.etag!);
    }
    return etags;
  }

  complete(key: string, uploadId: string, list: Array<[number, string]>, headers: Record<string, string> = {}): Promise<RawResponse> {
    return this.completeBody(key, uploadId, completeXml(list), headers);
  }

  completeBody(key: string, uploadId: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    return raw(this.ossd, { method: 'POST', path: this.path(key, `uploadId=${uploadId}`), body, headers });
  }

  abort(key: string, uploadId: string): Promise<RawResponse> {
    return raw(this.ossd, { method: 'DELETE', path: this.path(key, `uploadId=${uploadId}`) });
  }

  listParts(key: string, uploadId: string, query = ''): Promise<RawResponse> {
    return raw(this.ossd, { method: 'GET', path: this.path(key, `uploadId=${uploadId}${query ? `&${query}` : ''}`) });
  }

  listUploads(query = ''): Promise<RawResponse> {
    return raw(this.ossd, { method: 'GET', path: `/${this.bucket}/?uploads${query ? `&${query}` : ''}` });
  }

  get(key: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    return raw(this.ossd, { method: 'GET', path: this.path(key), headers });
  }
}

/** The CompleteMultipartUpload body exactly as ali-oss writes it (multipart.md §4). */
export function completeXml(list: Array<[number, string]>): string {
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n';
  for (const [n, etag] of list) xml += `<Part>\n<PartNumber>${n}</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n`;
  return `${xml}</CompleteMultipartUpload>`;
}

/** One ossd for the test file (or describe block) with `bucket` created, and a multipart client on it. */
export function useRawMultipart(bucket: string): { ossd: Ossd; mp: RawMultipart } {
  const ossd = useOssd({}, async (o) => {
    assert.equal((await raw(o, { method: 'PUT', path: `/${bucket}/` })).status, 200);
  });
  return { ossd, mp: new RawMultipart(ossd, bucket) };
}
