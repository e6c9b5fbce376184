/**
 * Whole-object writers for the crash storm (test/faults/append-crash.test.ts): a copy
 * churner (PutObject of a fresh source, then CopyObject of it) and a multipart churner
 * (Initiate, 2–4 UploadParts, Complete), each one key at a time, with a ledger of what
 * the client learnt about every request: acknowledged, refused, or unknown because the
 * server was killed (the states of fault-appends.ts).
 */
import { MIN_PART_SIZE } from '../../src/engine/multipart-model.js';
import { type AttemptState, crcOf, logUniformSize, randomBody } from './fault-appends.js';
import { completeXml, tag } from './multipart.js';
import type { Ossd } from './ossd-process.js';
import { raw, type RawRequest, type RawResponse } from './raw-http.js';

/** What a key holds: its bytes, type, and the blob files they are kept in (the parts of a multipart object). */
export interface Held {
  body: Buffer;
  type: 'Normal' | 'Multipart';
  segments: Buffer[];
}

/** A request that replaces a whole object: PutObject, CopyObject or CompleteMultipartUpload. */
export interface WholeWrite extends Held {
  key: string;
  op: 'put' | 'copy' | 'complete';
  state: AttemptState;
  /** The upload a Complete completes. */
  uploadId?: string;
}

export interface PartAttempt {
  key: string;
  uploadId: string;
  partNumber: number;
  body: Buffer;
  state: AttemptState;
}

export interface StormLedger {
  writes: WholeWrite[];
  /** Uploads whose Initiate was answered (an Initiate in flight may leave one we never learn of). */
  uploads: Array<{ key: string; uploadId: string }>;
  parts: PartAttempt[];
  /** Answers no request of the storm allows (every one should be a 200). */
  unexpected: string[];
}

export function newStormLedger(): StormLedger {
  return { writes: [], uploads: [], parts: [], unexpected: [] };
}

const path = (bucket: string, key: string, query = ''): string => `/${bucket}/${encodeURIComponent(key)}${query ? `?${query}` : ''}`;

/**
 * Sends `req` with `rec` already in the ledger as in flight, then records the outcome.
 * Returns the answer, or undefined when none came (server killed: unsent or uncertain).
 */
async function attempt(ossd: Ossd, rec: { state: AttemptState }, req: RawRequest, ledger: StormLedger, what: string): Promise<RawResponse | undefined> {
  rec.state = 'uncertain';
  try {
    const res = await raw(ossd, req);
    rec.state = res.status === 200 ? 'acked' : 'refused';
    if (res.status !== 200) ledger.unexpected.push(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  } catch (e) {
    rec.state = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'unsent' : 'uncertain';
    return undefined;
  }
}

/** A whole-object write through `attempt`; a 200 must carry the CRC-64 of the bytes written. */
async function write(ossd: Ossd, ledger: StormLedger, w: Omit<WholeWrite, 'state'>, req: RawRequest): Promise<WholeWrite> {
  const rec: WholeWrite = { ...w, state: 'uncertain' };
  ledger.writes.push(rec);
  const res = await attempt(ossd, rec, req, ledger, `${w.op} ${w.key}`);
  const crc = res?.headers['x-oss-hash-crc64ecma'];
  if (res?.status === 200 && crc !== crcOf(w.body)) ledger.unexpected.push(`${w.op} ${w.key}: 200 with CRC ${String(crc)}, expected ${crcOf(w.body)}`);
  return rec;
}

export interface ChurnerOptions {
  ossd: Ossd;
  bucket: string;
  ledger: StormLedger;
  stop: () => boolean;
  /** The seeded PRNG of the run (fault-appends.ts prng). */
  rand: () => number;
  /** Bodies are log-uniform in [1, maxBody] bytes. */
  maxBody: number;
}

/** PUT a fresh `src`, then copy it to `dst`, until `stop()` or the server is gone. */
export async function copyChurner(o: ChurnerOptions & { src: string; dst: string }): Promise<void> {
  while (!o.stop()) {
    const body = randomBody(logUniformSize(o.rand, o.maxBody));
    const held: Held = { body, type: 'Normal', segments: [body] };
    const put = await write(o.ossd, o.ledger, { ...held, key: o.src, op: 'put' }, { method: 'PUT', path: path(o.bucket, o.src), body });
    if (put.state !== 'acked') return;
    const copySource = `/${o.bucket}/${encodeURIComponent(o.src)}`;
    const copy = await write(o.ossd, o.ledger, { ...held, key: o.dst, op: 'copy' }, { method: 'PUT', path: path(o.bucket, o.dst), headers: { 'x-oss-copy-source': copySource } });
    if (copy.state !== 'acked') return;
  }
}

/**
 * Multipart uploads of 2–4 parts to `key`, one after the other, until `stop()` or the
 * server is gone. Every part but the last is 100 KiB plus up to 16 KiB (a Complete refuses
 * smaller ones with EntityTooSmall, multipart-rules.ts), the last one any size.
 */
export async function multipartChurner(o: ChurnerOptions & { key: string }): Promise<void> {
  while (!o.stop()) {
    const init = { state: 'uncertain' as AttemptState };
    const started = await attempt(o.ossd, init, { method: 'POST', path: path(o.bucket, o.key, 'uploads') }, o.ledger, `initiate ${o.key}`);
    const uploadId = started?.status === 200 ? tag(started.text, 'UploadId') : undefined;
    if (uploadId === undefined) return;
    o.ledger.uploads.push({ key: o.key, uploadId });
    const n = 2 + Math.floor(o.rand() * 3);
    const size = (i: number): number => (i < n - 1 ? MIN_PART_SIZE + Math.floor(o.rand() * 16 * 1024) : logUniformSize(o.rand, o.maxBody));
    const bodies = Array.from({ length: n }, (_, i) => randomBody(size(i)));
    const list: Array<[number, string]> = [];
    for (const [i, body] of bodies.entries()) {
      const part: PartAttempt = { key: o.key, uploadId, partNumber: i + 1, body, state: 'uncertain' };
      o.ledger.parts.push(part);
      const req = { method: 'PUT', path: path(o.bucket, o.key, `partNumber=${i + 1}&uploadId=${uploadId}`), body };
      const res = await attempt(o.ossd, part, req, o.ledger, `part ${i + 1} of ${o.key}`);
      if (part.state !== 'acked') return;
      list.push([i + 1, res!.headers.etag!]);
    }
    const whole = { body: Buffer.concat(bodies), type: 'Multipart' as const, segments: bodies, key: o.key, op: 'complete' as const, uploadId };
    const done = await write(o.ossd, o.ledger, whole, { method: 'POST', path: path(o.bucket, o.key, `uploadId=${uploadId}`), body: completeXml(list) });
    if (done.state !== 'acked') return;
  }
}

export type WriteCounts = Record<WholeWrite['op'], { acked: number; inFlight: number }>;

/** Per kind of write: how many were acknowledged, and how many were in flight at the kill. */
export function writeCounts(ledger: StormLedger, into?: WriteCounts): WriteCounts {
  const out: WriteCounts = into ?? { put: { acked: 0, inFlight: 0 }, copy: { acked: 0, inFlight: 0 }, complete: { acked: 0, inFlight: 0 } };
  for (const w of ledger.writes) {
    if (w.state === 'acked') out[w.op].acked++;
    if (w.state === 'uncertain') out[w.op].inFlight++;
  }
  return out;
}
