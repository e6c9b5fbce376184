/**
 * Append ledgers for the fault tests: every AppendObject attempt is recorded with what
 * the client learnt about it (acknowledged, refused, or unknown because the server died
 * or the connection broke), and the bytes a server returns are then checked against the
 * ledger (append.md §1: an append is all-or-nothing, at exactly its position).
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import type { Ossd } from './ossd-process.js';
import { errorCode, raw } from './raw-http.js';

/**
 * acked: 200 received. refused: an error answer received (the bytes must not appear).
 * uncertain: sent, no answer (server killed): may or may not have committed.
 * unsent: the connection was refused, so the server never saw it.
 */
export type AttemptState = 'acked' | 'refused' | 'uncertain' | 'unsent';

export interface Attempt {
  key: string;
  position: number;
  body: Buffer;
  md5: 'none' | 'good' | 'bad';
  state: AttemptState;
  status?: number;
  code?: string;
  /** x-oss-next-append-position of the answer (200 and 409). */
  next?: number;
  /** x-oss-hash-crc64ecma of a 200 answer. */
  crc?: string;
  /** Set when the answer was not one the request allows. */
  unexpected?: string;
  sentAt: number;
  doneAt?: number;
}

/** A small seeded PRNG (mulberry32) so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-uniform size in [1, max]: mostly small bodies, some large. */
export function logUniformSize(rand: () => number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(Math.exp(rand() * Math.log(max + 1)))));
}

const NETWORK_DOWN = new Set(['ECONNREFUSED']);

/** One raw AppendObject; the attempt is pushed to the ledger before it is sent. */
export async function appendAttempt(
  ossd: Ossd,
  bucket: string,
  key: string,
  position: number,
  body: Buffer,
  ledger: Attempt[],
  md5: Attempt['md5'] = 'none',
): Promise<Attempt> {
  const a: Attempt = { key, position, body, md5, state: 'uncertain', sentAt: Date.now() };
  ledger.push(a);
  const headers: Record<string, string> = {};
  if (md5 !== 'none') {
    const digest = createHash('md5').update(body).digest();
    if (md5 === 'bad') digest[0] = digest[0]! ^ 0xff;
    headers['content-md5'] = digest.toString('base64');
  }
  try {
    const res = await raw(ossd, { method: 'POST', path: `/${bucket}/${encodeURIComponent(key)}?append&position=${position}`, headers, body });
    a.doneAt = Date.now();
    a.status = res.status;
    a.code = errorCode(res);
    const next = res.headers['x-oss-next-append-position'];
    if (typeof next === 'string') a.next = Number(next);
    if (res.status === 200) {
      a.state = 'acked';
      a.crc = res.headers['x-oss-hash-crc64ecma'] as string | undefined;
      if (md5 === 'bad') a.unexpected = 'a body with a wrong Content-MD5 was accepted';
      else if (a.next !== position + body.length) a.unexpected = `200 with next position ${String(a.next)}, expected ${position + body.length}`;
    } else {
      a.state = 'refused';
      const allowed =
        (res.status === 409 && a.code === 'PositionNotEqualToLength' && a.next !== undefined && a.next !== position) ||
        (res.status === 409 && a.code === 'ObjectNotAppendable') ||
        (res.status === 400 && a.code === 'InvalidDigest' && md5 === 'bad');
      if (!allowed) a.unexpected = `${res.status} ${String(a.code)} next=${String(a.next)}: ${res.text.slice(0, 300)}`;
    }
  } catch (e) {
    a.doneAt = Date.now();
    a.state = NETWORK_DOWN.has((e as NodeJS.ErrnoException).code ?? '') ? 'unsent' : 'uncertain';
  }
  return a;
}

export interface AppenderOptions {
  ossd: Ossd;
  bucket: string;
  key: string;
  /** Where this appender believes the object ends. */
  start: number;
  ledger: Attempt[];
  /** Stop after this many acknowledged appends. */
  rounds?: number;
  /** Stop as soon as this returns true (checked before each attempt). */
  stop?: () => boolean;
  nextBody: () => { body: Buffer; md5: Attempt['md5'] };
}

/**
 * Appends until `rounds` are acknowledged, `stop()` holds, the connection fails (server
 * gone) or the object stops being appendable. On PositionNotEqualToLength it retries at
 * the position the server reported, as a client resynchronising would (append.md §6).
 */
export async function appender(o: AppenderOptions): Promise<void> {
  let position = o.start;
  let acked = 0;
  while (!(o.stop?.() ?? false) && (o.rounds === undefined || acked < o.rounds)) {
    const { body, md5 } = o.nextBody();
    const a = await appendAttempt(o.ossd, o.bucket, o.key, position, body, o.ledger, md5);
    if (a.state === 'uncertain' || a.state === 'unsent' || a.unexpected !== undefined) return;
    if (a.state === 'acked') {
      acked++;
      position = a.next!;
    } else if (a.code === 'ObjectNotAppendable') {
      return;
    } else if (a.code === 'PositionNotEqualToLength') {
      position = a.next!;
    }
  }
}

export function randomBody(size: number): Buffer {
  return randomBytes(size);
}

/**
 * Checks that `bytes` are exactly `base` followed by appends of the ledger laid end to
 * end, each at its claimed position: every acknowledged append present, uncertain ones
 * allowed, nothing else (no refused or unsent body, no torn or foreign bytes). Returns
 * an explanation of the first mismatch, or undefined when the bytes are explained.
 */
export function explainBytes(bytes: Buffer, base: Buffer, attempts: Attempt[]): string | undefined {
  if (bytes.length < base.length || !bytes.subarray(0, base.length).equals(base)) {
    return `the ${base.length} bytes committed before this run are not a prefix of the ${bytes.length} bytes read`;
  }
  const acked = attempts.filter((a) => a.state === 'acked');
  for (const a of acked) {
    if (a.next !== a.position + a.body.length) return `acknowledged append at ${a.position} reported next ${String(a.next)}`;
  }
  const ackedEnd = acked.reduce((m, a) => Math.max(m, a.next!), base.length);
  if (bytes.length < ackedEnd) return `length ${bytes.length} is below the acknowledged length ${ackedEnd}`;
  const byPosition = new Map<number, Attempt[]>();
  for (const a of attempts) {
    if (a.state !== 'acked' && a.state !== 'uncertain') continue;
    if (a.body.length === 0) continue;
    const list = byPosition.get(a.position) ?? [];
    list.push(a);
    byPosition.set(a.position, list);
  }
  // Depth-first tiling from the end of the base: at each offset, an append claimed that
  // offset and its body is what is stored there. Bodies are random, so there is almost
  // never more than one candidate; the search still backtracks to be exact.
  const used = new Set<Attempt>();
  let deepest = base.length;
  const tile = (at: number): boolean => {
    deepest = Math.max(deepest, at);
    if (at === bytes.length) return acked.every((a) => a.body.length === 0 || used.has(a));
    for (const a of byPosition.get(at) ?? []) {
      const end = at + a.body.length;
      if (end > bytes.length || used.has(a) || !bytes.subarray(at, end).equals(a.body)) continue;
      used.add(a);
      if (tile(end)) return true;
      used.delete(a);
    }
    return false;
  };
  if (tile(base.length)) return undefined;
  const missing = acked.filter((a) => !bytes.subarray(a.position, a.position + a.body.length).equals(a.body));
  return (
    `bytes [${base.length}, ${bytes.length}) are not the acknowledged appends (${acked.length}, ending at ${ackedEnd}) ` +
    `plus in-flight ones laid end to end; no append explains offset ${deepest}` +
    (missing.length > 0 ? `; acknowledged appends not found at their position: ${missing.map((a) => a.position).join(', ')}` : '')
  );
}

/** The bytes the acknowledged appends describe, laid at their positions after `base`. */
export function ackedBytes(base: Buffer, attempts: Attempt[]): Buffer {
  const acked = attempts.filter((a) => a.state === 'acked').sort((x, y) => x.position - y.position);
  const end = acked.reduce((m, a) => Math.max(m, a.position + a.body.length), base.length);
  const out = Buffer.alloc(end);
  base.copy(out, 0);
  for (const a of acked) a.body.copy(out, a.position);
  return out;
}

export function crcOf(bytes: Buffer): string {
  return crc64ToDecimal(crc64(bytes));
}

export function unexpectedAnswers(attempts: Attempt[]): string[] {
  return attempts.filter((a) => a.unexpected !== undefined).map((a) => `${a.key}@${a.position}: ${a.unexpected!}`);
}

export interface ChurnOutcome {
  /** The last append acknowledged, if no DELETE was sent after it: it must still be there. */
  mustExist?: Attempt;
  /** A DELETE answered with something other than 204. */
  unexpected?: string;
}

/**
 * Creates and deletes one key over and over (append at 0, then DELETE), so that a kill
 * can land between a new blob's write and its commit, or between a delete's commit and
 * the removal of its blob: the cases that leave orphan blobs for recovery.
 */
export async function churner(ossd: Ossd, bucket: string, key: string, ledger: Attempt[], stop: () => boolean, size: () => number): Promise<ChurnOutcome> {
  const out: ChurnOutcome = {};
  while (!stop()) {
    const a = await appendAttempt(ossd, bucket, key, 0, randomBody(size()), ledger);
    if (a.state === 'acked') out.mustExist = a;
    else if (a.state !== 'refused' || a.code !== 'PositionNotEqualToLength') return out;
    try {
      const del = await raw(ossd, { method: 'DELETE', path: `/${bucket}/${encodeURIComponent(key)}` });
      out.mustExist = undefined;
      if (del.status !== 204) {
        out.unexpected = `DELETE ${key}: ${del.status} ${del.text.slice(0, 200)}`;
        return out;
      }
    } catch (e) {
      // Unsent: the object stays; sent: it may or may not be gone.
      if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') out.mustExist = undefined;
      return out;
    }
  }
  return out;
}
