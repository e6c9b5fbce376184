/**
 * Shared fixtures for the ali-oss compatibility suite (test/compat/sdk-*.test.ts):
 * one ossd per test file, a bucket per addressing mode, digests computed independently
 * of the server, and assertions on the errors ali-oss raises.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import { client, MODES, type OssClient } from './clients.js';
import { after } from 'node:test';
import type { Ossd } from './ossd-process.js';

export type ModeSpec = (typeof MODES)[number];

/** Every addressing mode, both signature versions where the matrix has them. */
export const SDK_MODES: readonly ModeSpec[] = MODES;

/** Short, bucket-name-safe tag of a mode: `ip-v1`, `sld-v4`, `hostname-v4`. */
export function modeTag(m: ModeSpec): string {
  return `${m.mode}-${m.v4 ? 'v4' : 'v1'}`;
}

/** A distinct bucket name per test file and mode. */
export function bucketFor(prefix: string, m: ModeSpec): string {
  return `${prefix}-${modeTag(m)}`;
}

/** Creates `bucket` through the mode's own client and returns that client bound to it. */
export async function bucketClient(ossd: Ossd, m: ModeSpec, bucket: string, acl?: string): Promise<OssClient> {
  const c = client(ossd, { mode: m.mode, v4: m.v4, bucket });
  await c.putBucket(bucket, acl ? { acl } : undefined);
  return c;
}

/** x-oss-hash-crc64ecma of `buf`, computed by the project's CRC-64 (not by the server). */
export function crcOf(buf: Buffer): string {
  return crc64ToDecimal(crc64(buf));
}

/** The ETag OSS gives a Normal object: quoted upper-case hex MD5. */
export function md5Etag(buf: Buffer): string {
  return `"${createHash('md5').update(buf).digest('hex').toUpperCase()}"`;
}

export interface ExpectedError {
  code: string;
  status: number;
  name?: string;
  message?: string | RegExp;
}

/** Asserts that `p` rejects with the ali-oss error for an OSS error response. */
export async function rejectsWith(p: Promise<unknown>, want: ExpectedError): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { code?: string; status?: number; name?: string; message?: string };
    assert.equal(e.code, want.code, `code (message: ${e.message})`);
    assert.equal(e.status, want.status, 'status');
    if (want.name !== undefined) assert.equal(e.name, want.name, 'name');
    if (typeof want.message === 'string') assert.equal(e.message, want.message, 'message');
    else if (want.message) assert.match(e.message ?? '', want.message, 'message');
    return true;
  });
}

/** A scratch folder for local files (the append documentation sample uses a file path). */
export class ScratchDir {
  readonly path = mkdtempSync(join(tmpdir(), 'ossd-sdk-'));

  file(name: string, content: Buffer | string): string {
    const p = join(this.path, name);
    writeFileSync(p, content);
    return p;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A response header as a single string (ali-oss hands back Node's header object). */
export function hdr(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Bytes of a GET result's content (ali-oss returns a Buffer). */
export function contentOf(r: { content: unknown }): Buffer {
  assert.ok(Buffer.isBuffer(r.content), 'content is a Buffer');
  return r.content as Buffer;
}

/** An HTTP date `deltaS` seconds away from `httpDate` (for If-Modified-Since and friends). */
export function httpDateShift(httpDate: string, deltaS: number): string {
  return new Date(Date.parse(httpDate) + deltaS * 1000).toUTCString();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A scratch folder for the test file, removed after its last test. */
export function useScratchDir(): ScratchDir {
  const scratch = new ScratchDir();
  after(() => scratch.remove());
  return scratch;
}
