/**
 * What the whole-object churners (fault-churners.ts) may have left after a kill and a
 * restart, checked against their ledger: each key holds exactly the bytes of its last
 * acknowledged write, or of a write that was in flight at the kill (never torn, never
 * anything else); an upload is listed until a Complete of it takes effect, with its
 * acknowledged parts and perhaps those in flight, and no upload comes back once aborted.
 * Also the append-then-delete churner's keys (fault-appends.ts churner).
 */
import assert from 'node:assert/strict';
import { type Attempt, type ChurnOutcome, crcOf } from './fault-appends.js';
import type { Held, StormLedger, WholeWrite } from './fault-churners.js';
import { getObject, headObject } from './fault-store.js';
import { md5Hex, multipartEtagOf, tag } from './multipart.js';
import type { Ossd } from './ossd-process.js';
import { raw } from './raw-http.js';

/** What a key may hold: what the last acknowledged write (or, without one, `base`) left, or what a later write in flight wrote. */
function allowed(base: Held | undefined, mine: WholeWrite[]): Array<Held | undefined> {
  let last = -1;
  mine.forEach((w, i) => {
    if (w.state === 'acked') last = i;
  });
  return [last < 0 ? base : mine[last], ...mine.slice(last + 1).filter((w) => w.state === 'uncertain')];
}

const describe = (h: Held | undefined): string => (h === undefined ? 'absent' : `${h.type} of ${h.body.length} bytes`);

/** GET then HEAD `key`: returns what it holds (one of `allowed`, the very object) or the problem. */
async function checkKey(ossd: Ossd, bucket: string, key: string, may: Array<Held | undefined>): Promise<{ held?: Held; problem?: string }> {
  const got = await getObject(ossd, bucket, key);
  const absent = got.status === 404 && got.code === 'NoSuchKey';
  const held = got.status === 200 ? may.find((h) => h?.body.equals(got.body)) : undefined;
  if (absent ? !may.includes(undefined) : held === undefined) {
    const seen = got.status === 200 ? `${String(got.type)} of ${got.body.length} bytes` : `${got.status} ${String(got.code)}`;
    return { problem: `${key}: read ${seen}; allowed: ${may.map(describe).join(' or ')} (the last acknowledged first, then those in flight at the kill)` };
  }
  if (held === undefined) return {};
  const etag = held.type === 'Multipart' ? multipartEtagOf(held.segments) : `"${md5Hex(held.body)}"`;
  const head = await headObject(ossd, bucket, key);
  const seen = [got.type, got.contentLength, got.crc, got.etag, head.status, head.type, head.contentLength, head.crc, head.etag];
  const want = [held.type, held.body.length, crcOf(held.body), etag, 200, held.type, held.body.length, crcOf(held.body), etag];
  const problem = JSON.stringify(seen) === JSON.stringify(want) ? undefined : `${key}: GET/HEAD type, length, CRC, ETag ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`;
  return { held, problem };
}

export interface StormCheck {
  /** What each key holds now (undefined: absent). */
  held: Map<string, Held | undefined>;
  /** Blob files the unfinished uploads own (their parts), for blobProblems. */
  partBlobs: Array<{ key: string; bytes: Buffer }>;
  /** Uploads still listed. */
  left: Array<{ key: string; uploadId: string }>;
  /** Writes in flight at the kill that took effect. */
  inFlightApplied: number;
  problems: string[];
}

/**
 * Checks `keys` (with `base`, what each held before this cycle) and the bucket's
 * multipart uploads against the ledger of the cycle. `aborted`: upload ids aborted in
 * earlier cycles.
 */
export async function checkStorm(ossd: Ossd, bucket: string, keys: string[], base: Map<string, Held | undefined>, ledger: StormLedger, aborted: Set<string>): Promise<StormCheck> {
  const out: StormCheck = { held: new Map(), partBlobs: [], left: [], inFlightApplied: 0, problems: [] };
  for (const key of keys) {
    const r = await checkKey(ossd, bucket, key, allowed(base.get(key), ledger.writes.filter((w) => w.key === key)));
    out.held.set(key, r.held);
    if (ledger.writes.some((w) => w === r.held && w.state === 'uncertain')) out.inFlightApplied++;
    if (r.problem !== undefined) out.problems.push(r.problem);
  }
  const res = await raw(ossd, { method: 'GET', path: `/${bucket}/?uploads` });
  if (res.status !== 200 || tag(res.text, 'IsTruncated') !== 'false') {
    out.problems.push(`ListMultipartUploads: ${res.status} ${res.text.slice(0, 300)}`);
    return out;
  }
  out.left = [...res.text.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].map((m) => ({ key: tag(m[1]!, 'Key')!, uploadId: tag(m[1]!, 'UploadId')! }));
  for (const u of out.left) out.problems.push(...(await checkListedUpload(ossd, bucket, u, ledger, out)));
  for (const u of ledger.uploads.filter((k) => !out.left.some((l) => l.uploadId === k.uploadId))) {
    const complete = ledger.writes.find((w) => w.uploadId === u.uploadId);
    if (complete === undefined || complete.state === 'refused' || complete.state === 'unsent') {
      out.problems.push(`upload ${u.uploadId} of ${u.key} is gone, yet no Complete of it can have taken effect`);
    } else if (complete.state === 'uncertain' && out.held.get(u.key) !== complete) {
      out.problems.push(`upload ${u.uploadId} of ${u.key} is gone (its Complete was in flight at the kill), yet ${u.key} does not hold its bytes`);
    }
  }
  for (const u of out.left) if (aborted.has(u.uploadId)) out.problems.push(`upload ${u.uploadId} of ${u.key}, aborted in an earlier cycle, is listed again`);
  return out;
}

/** One listed upload: not completed, and its parts are parts that were sent to it. */
async function checkListedUpload(ossd: Ossd, bucket: string, u: { key: string; uploadId: string }, ledger: StormLedger, out: StormCheck): Promise<string[]> {
  const problems: string[] = [];
  const name = `upload ${u.uploadId} of ${u.key}`;
  const complete = ledger.writes.find((w) => w.uploadId === u.uploadId);
  if (complete?.state === 'acked') problems.push(`${name}: its Complete was acknowledged, yet it is still listed`);
  if (complete !== undefined && out.held.get(u.key) === complete) problems.push(`${name}: ${u.key} holds the bytes of its Complete, yet it is still listed`);
  const res = await raw(ossd, { method: 'GET', path: `/${bucket}/${encodeURIComponent(u.key)}?uploadId=${u.uploadId}` });
  if (res.status !== 200 || tag(res.text, 'IsTruncated') !== 'false') return [...problems, `${name}: ListParts ${res.status} ${res.text.slice(0, 300)}`];
  const listed = [...res.text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    n: Number(tag(m[1]!, 'PartNumber')),
    etag: tag(m[1]!, 'ETag')!.replace(/&quot;|"/g, ''),
    size: Number(tag(m[1]!, 'Size')),
  }));
  if (!ledger.uploads.some((k) => k.uploadId === u.uploadId) && listed.length > 0) {
    problems.push(`${name}: its Initiate was never answered, yet it has ${listed.length} parts`);
  }
  const sent = ledger.parts.filter((p) => p.uploadId === u.uploadId);
  for (const p of listed) {
    const part = sent.find((a) => a.partNumber === p.n && (a.state === 'acked' || a.state === 'uncertain'));
    if (part === undefined || part.body.length !== p.size || md5Hex(part.body) !== p.etag) {
      problems.push(`${name}: part ${p.n} (${p.size} bytes, ETag ${p.etag}) is no part acknowledged or in flight`);
    } else {
      out.partBlobs.push({ key: `${u.key} upload ${u.uploadId} part ${p.n}`, bytes: part.body });
    }
  }
  for (const a of sent) if (a.state === 'acked' && !listed.some((p) => p.n === a.partNumber)) problems.push(`${name}: acknowledged part ${a.partNumber} is missing`);
  return problems;
}

/** Aborts every upload in `left` (so disk use stays bounded across cycles); returns unexpected answers. */
export async function abortUploads(ossd: Ossd, bucket: string, left: Array<{ key: string; uploadId: string }>, aborted: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  for (const u of left) {
    const res = await raw(ossd, { method: 'DELETE', path: `/${bucket}/${encodeURIComponent(u.key)}?uploadId=${u.uploadId}` });
    if (res.status !== 204) problems.push(`abort ${u.uploadId} of ${u.key}: ${res.status} ${res.text.slice(0, 300)}`);
    aborted.add(u.uploadId);
  }
  return problems;
}

/**
 * After a restart, a key of fault-appends.ts churner holds one whole body that was
 * acknowledged or in flight, or nothing; and its last acknowledged append, if no DELETE
 * followed, is there. Returns the bytes it holds.
 */
export async function checkChurned(ossd: Ossd, bucket: string, key: string, ledger: Attempt[], outcome: ChurnOutcome): Promise<Buffer> {
  assert.equal(outcome.unexpected, undefined);
  const got = await getObject(ossd, bucket, key);
  const bytes = got.status === 200 ? got.body : Buffer.alloc(0);
  if (got.status === 200) {
    assert.ok(
      ledger.some((a) => a.key === key && (a.state === 'acked' || a.state === 'uncertain') && a.body.equals(bytes)),
      `${key}: ${bytes.length} recovered bytes are no body that was acknowledged or in flight`,
    );
    assert.equal(got.crc, crcOf(bytes));
  } else {
    assert.equal(got.code, 'NoSuchKey');
  }
  if (outcome.mustExist) assert.ok(bytes.equals(outcome.mustExist.body), `${key}: its last acknowledged append survives`);
  return bytes;
}
