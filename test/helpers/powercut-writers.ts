/**
 * A put-and-delete churner for the power-cut storm (test/faults/power-cut.test.ts), with
 * its ledger and the check after the restart. Bodies are small (kept inline in meta.db,
 * up to 64 KiB) or large (a blob file each), so an acknowledged PutObject depends on the
 * WAL's fsync, or on the blob's fdatasync and its directory's fsync; an acknowledged
 * DeleteObject must stay deleted (the append churner of fault-appends.ts cannot tell a
 * lost delete from a replayed append).
 */
import { type AttemptState, crcOf, randomBody } from './fault-appends.js';
import { getObject, headObject } from './fault-store.js';
import { md5Hex } from './multipart.js';
import type { Ossd } from './ossd-process.js';
import { raw, type RawRequest } from './raw-http.js';

export interface KeyOp {
  key: string;
  kind: 'put' | 'delete';
  /** The body of a put. */
  body?: Buffer;
  state: AttemptState;
}

export interface PutDeleteOptions {
  ossd: Ossd;
  bucket: string;
  key: string;
  ops: KeyOp[];
  /** Answers no request allows (a put answers 200, a delete 204). */
  unexpected: string[];
  stop: () => boolean;
  rand: () => number;
}

/** Up to 64 KiB (inline in meta.db) or 64 KiB to 1 MiB (a blob file), half and half. */
function bodySize(rand: () => number): number {
  const KiB = 1024;
  return rand() < 0.5 ? 1 + Math.floor(rand() * 64 * KiB) : 64 * KiB + 1 + Math.floor(rand() * 960 * KiB);
}

async function send(o: PutDeleteOptions, op: KeyOp, req: RawRequest, ok: number): Promise<boolean> {
  o.ops.push(op);
  try {
    const res = await raw(o.ossd, req);
    op.state = res.status === ok ? 'acked' : 'refused';
    if (res.status !== ok) o.unexpected.push(`${op.kind} ${op.key}: ${res.status} ${res.text.slice(0, 300)}`);
    else if (op.kind === 'put' && res.headers['x-oss-hash-crc64ecma'] !== crcOf(op.body!)) o.unexpected.push(`put ${op.key}: wrong CRC in the answer`);
  } catch (e) {
    op.state = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'unsent' : 'uncertain';
  }
  return op.state === 'acked';
}

/** PutObject, and after a third of them DeleteObject, until `stop()` or the server is gone. */
export async function putDeleteChurner(o: PutDeleteOptions): Promise<void> {
  const path = `/${o.bucket}/${encodeURIComponent(o.key)}`;
  while (!o.stop()) {
    const body = randomBody(bodySize(o.rand));
    if (!(await send(o, { key: o.key, kind: 'put', body, state: 'uncertain' }, { method: 'PUT', path, body }, 200))) return;
    if (o.rand() < 1 / 3 && !(await send(o, { key: o.key, kind: 'delete', state: 'uncertain' }, { method: 'DELETE', path }, 204))) return;
  }
}

/**
 * After the restart: `key` holds what its last acknowledged op left (`base` when none was
 * acknowledged this cycle) or what an op in flight at the cut left; GET and HEAD agree on
 * length, CRC-64 and ETag. Returns what it holds (undefined: absent) or the problem.
 */
export async function checkPutDelete(ossd: Ossd, bucket: string, key: string, base: Buffer | undefined, ops: KeyOp[]): Promise<{ held?: Buffer; problem?: string }> {
  const mine = ops.filter((op) => op.key === key);
  const lastAcked = mine.map((op) => op.state).lastIndexOf('acked');
  const result = (op: KeyOp): Buffer | undefined => (op.kind === 'put' ? op.body : undefined);
  const may = [lastAcked < 0 ? base : result(mine[lastAcked]!), ...mine.slice(lastAcked + 1).filter((op) => op.state === 'uncertain').map(result)];
  const got = await getObject(ossd, bucket, key);
  const describe = (b: Buffer | undefined): string => (b === undefined ? 'absent' : `${b.length} bytes`);
  const allowed = `allowed: ${may.map(describe).join(' or ')} (the last acknowledged first, then those in flight at the cut)`;
  if (got.status === 404 && got.code === 'NoSuchKey') return may.includes(undefined) ? {} : { problem: `${key}: absent; ${allowed}` };
  const held = got.status === 200 ? may.find((b) => b?.equals(got.body)) : undefined;
  if (held === undefined) return { problem: `${key}: read ${got.status} ${String(got.code)} of ${got.body.length} bytes; ${allowed}` };
  const head = await headObject(ossd, bucket, key);
  const seen = [got.crc, got.etag, head.status, head.contentLength, head.crc, head.etag];
  const want = [crcOf(held), `"${md5Hex(held)}"`, 200, held.length, crcOf(held), `"${md5Hex(held)}"`];
  if (JSON.stringify(seen) !== JSON.stringify(want)) return { held, problem: `${key}: GET/HEAD CRC, ETag, length ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}` };
  return { held };
}

export function opCounts(ops: KeyOp[]): { puts: number; deletes: number; inFlight: number } {
  return {
    puts: ops.filter((op) => op.kind === 'put' && op.state === 'acked').length,
    deletes: ops.filter((op) => op.kind === 'delete' && op.state === 'acked').length,
    inFlight: ops.filter((op) => op.state === 'uncertain').length,
  };
}
