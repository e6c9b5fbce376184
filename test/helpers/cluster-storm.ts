/**
 * The crash storm of the trust issue (test/faults/append-crash.test.ts, power-cut.test.ts,
 * versioning-crash.test.ts, idempotent-append-crash.test.ts) run against the nodes of a
 * pg+s3 cluster (issue 19), for test/faults/cluster-crash-cycles.test.ts and
 * cluster-power-cut.test.ts. Through the real ali-oss client:
 *   - appends, two appenders per key, one on each node, both starting at the same position
 *     (so every cycle begins with appends racing at one position across the nodes; a 409
 *     loser asks HEAD for the next position, ali-oss does not expose the 409's header);
 *   - PutObject and DeleteObject in a versioned bucket, each request through the next node;
 *   - multipart uploads whose Initiate, parts and Complete go round the nodes.
 * Through the raw requester, with the ledgers of the single-node storm (fault-*.ts): copies,
 * append-then-delete churners (orphan segments), appends with an Idempotency-Key retried
 * after the restart, and seals. Those run on `victim` (the node killed in the SIGKILL
 * cycles), so their answers are the ones the kill loses.
 *
 * The check after a restart, through every node: each appendable holds its acknowledged
 * appends laid end to end plus perhaps in-flight ones (explainBytes), and the CRC-64 each
 * acknowledged append returned is the CRC-64 of the object's bytes up to its end (the CRC
 * chain); every acknowledged version and delete marker is listed and reads back byte-exact,
 * an unacknowledged one is a whole in-flight write, each key's latest is its last
 * acknowledged write or one in flight; copies, completes and uploads, keyed appends and
 * seals as their own checks say. All nodes must read the same bytes.
 */
import { createRequire } from 'node:module';
import { MIN_PART_SIZE } from '../../src/engine/multipart-model.js';
import { type Attempt, type AttemptState, type ChurnOutcome, churner, crcOf, explainBytes, logUniformSize, randomBody, unexpectedAnswers } from './fault-appends.js';
import { copyChurner, type Held, newStormLedger, type PartAttempt, type StormLedger, type WholeWrite, writeCounts } from './fault-churners.js';
import { KeyedWriter } from './fault-keyed-appends.js';
import { abortUploads, checkChurned, checkStorm } from './fault-ledger.js';
import { checkSeals, deleteSealed, newSealLedger, type SealLedger, sealChurner } from './fault-seals.js';
import { getObject, headObject } from './fault-store.js';
import type { Ossd } from './ossd-process.js';
import { raw } from './raw-http.js';
import { field, listedEntries, putVersioning } from './versioning.js';

const require = createRequire(import.meta.url);
// ali-oss ships no types; the storm uses it exactly as applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OssClient = any;
const OSS = require('ali-oss') as new (opts: Record<string, unknown>) => OssClient;

export const BUCKET = 'cluster-crash';
export const VERSIONED = 'cluster-versions';
const APPEND_KEYS = ['storm/append-0', 'storm/append-1', 'storm/append-2'];
const VERSION_KEYS = ['v/a', 'v/b'];
const UPLOADS = ['storm/mpu-0'];
const COPIES = [{ src: 'storm/copy-src-0', dst: 'storm/copy-dst-0' }];
const CHURNS = ['storm/churn-0'];
const KEYED = ['storm/keyed-0'];
const MAX_BODY = 128 * 1024;
const SEAL_MAX_BODY = 16 * 1024;
/** Appendables past this size are deleted between cycles. */
const RESET_SIZE = 2 * 1024 * 1024;

function client(node: Ossd, bucket: string): OssClient {
  return new OSS({ endpoint: node.endpoint, accessKeyId: node.accessKeyId, accessKeySecret: node.accessKeySecret, region: 'oss-cn-hangzhou', bucket, timeout: 60_000 });
}

/** How an ali-oss request that got no OSS answer ended: refused connection (unsent) or cut off (uncertain); undefined for an OSS error. */
function lost(e: unknown): 'uncertain' | 'unsent' | undefined {
  const err = e as { code?: string; status?: number; message?: string };
  const text = `${String(err.message)} ${String(err.code)}`;
  if (/ECONNREFUSED/.test(text)) return 'unsent';
  if (err.status === -1 || err.status === -2 || /ECONNRESET|socket hang up|EPIPE|ResponseTimeout/.test(text)) return 'uncertain';
  return undefined;
}

const describeErr = (e: unknown): string => `${String((e as { status?: number }).status)} ${String((e as { code?: string }).code)} ${String((e as Error).message).slice(0, 200)}`;

/** A versioned PutObject or DeleteObject; `versionId` is the version or delete marker it made (from its answer). */
interface VersionOp {
  key: string;
  op: 'put' | 'delete';
  body?: Buffer;
  state: AttemptState;
  versionId?: string;
}

/** One cycle's writers; `done` once every writer has returned. */
export interface RunningStorm {
  appends: Attempt[];
  versionOps: VersionOp[];
  whole: StormLedger;
  churn: Attempt[];
  churned: Promise<ChurnOutcome[]>;
  seals: SealLedger;
  unexpected: string[];
  done: Promise<unknown>;
}

export interface StormTotals {
  cycles: number;
  appends: number;
  appendsInFlight: number;
  versionsAcked: number;
  versionsInFlightApplied: number;
  completes: number;
  copies: number;
  wholeInFlightApplied: number;
  keyedLost: number;
  keyedReplayed: number;
  seals: number;
}

/** The ledgers that outlive a cycle: what every key held after the last check. */
export class ClusterStorm {
  private readonly base = new Map<string, Buffer>(APPEND_KEYS.map((k) => [k, Buffer.alloc(0)]));
  private readonly wholeBase = new Map<string, Held | undefined>();
  private readonly aborted = new Set<string>();
  /** versionId -> bytes of every version known to exist; markers known to exist. */
  private readonly versions = new Map<string, Buffer>();
  private readonly markers = new Set<string>();
  /** The latest entry of each versioned key after the last check (undefined: none). */
  private readonly latest = new Map<string, string | undefined>();
  /** `<endpoint> <versionId>` of versions read back byte-exact (a version's bytes never change). */
  private readonly verified = new Set<string>();
  private readonly keyed: KeyedWriter[];
  readonly totals: StormTotals = { cycles: 0, appends: 0, appendsInFlight: 0, versionsAcked: 0, versionsInFlightApplied: 0, completes: 0, copies: 0, wholeInFlightApplied: 0, keyedLost: 0, keyedReplayed: 0, seals: 0 };

  constructor(private readonly rand: () => number) {
    this.keyed = KEYED.map((key) => new KeyedWriter(BUCKET, key, () => logUniformSize(rand, MAX_BODY)));
  }

  static async createBuckets(node: Ossd): Promise<void> {
    for (const b of [BUCKET, VERSIONED]) {
      const r = await raw(node, { method: 'PUT', path: `/${b}/` });
      if (r.status !== 200) throw new Error(`PUT bucket ${b}: ${r.status} ${r.text}`);
    }
    const v = await putVersioning(node, VERSIONED, 'Enabled');
    if (v.status !== 200) throw new Error(`PutBucketVersioning: ${v.status} ${v.text}`);
  }

  /**
   * Starts the writers on `nodes`; the raw-requester writers run on `nodes[victim]`.
   * `onAck(node)` is called the moment an ali-oss append or put through `nodes[node]` is
   * answered 200, so that a test can kill that node at the very instant after an
   * acknowledgement, when work a node wrongly leaves for after its answer is in progress.
   */
  start(nodes: Ossd[], victim: number, cycle: number, stop: () => boolean, onAck: (node: number) => void = () => undefined): RunningStorm {
    const rand = this.rand;
    const unexpected: string[] = [];
    const appends: Attempt[] = [];
    const appenders = APPEND_KEYS.flatMap((key) => nodes.map((node, i) => this.ossAppender(client(node, BUCKET), key, appends, unexpected, stop, () => onAck(i))));
    const versionOps: VersionOp[] = [];
    const versioned = VERSION_KEYS.map((key, i) => this.versionChurner(nodes.map((n) => client(n, VERSIONED)), i, key, versionOps, unexpected, stop, onAck));
    const whole = newStormLedger();
    const uploads = UPLOADS.map((key, i) => this.ossMultipart(nodes.map((n) => client(n, BUCKET)), i, key, whole, stop));
    const v = nodes[victim]!;
    const copies = COPIES.map((c) => copyChurner({ ossd: v, bucket: BUCKET, ledger: whole, stop, rand, maxBody: MAX_BODY, ...c }));
    const churn: Attempt[] = [];
    const churned = Promise.all(CHURNS.map((k) => churner(v, BUCKET, k, churn, stop, () => logUniformSize(rand, MAX_BODY))));
    const keyedRuns = this.keyed.map((w) => w.run(v, stop));
    const seals = newSealLedger();
    const sealing = sealChurner({ ossd: v, bucket: BUCKET, prefix: `storm/sealed-${String(cycle).padStart(3, '0')}`, ledger: seals, stop, rand, maxBody: SEAL_MAX_BODY });
    const done = Promise.all([...appenders, ...versioned, ...uploads, ...copies, churned, ...keyedRuns, sealing]);
    return { appends, versionOps, whole, churn, churned, seals, unexpected, done };
  }

  /** Whether every kind of writer has had an answer: the kill may come. */
  static underWay(s: RunningStorm): boolean {
    return (
      s.appends.some((a) => a.state === 'acked') &&
      s.versionOps.some((o) => o.state === 'acked') &&
      s.whole.writes.some((w) => w.op === 'copy' && w.state === 'acked') &&
      s.whole.parts.some((p) => p.state === 'acked') &&
      s.seals.generations.some((g) => g.seal?.state === 'acked')
    );
  }

  /** Appends through ali-oss until stopped or the node is gone. */
  private async ossAppender(oss: OssClient, key: string, ledger: Attempt[], unexpected: string[], stop: () => boolean, acked: () => void): Promise<void> {
    let position = this.base.get(key)!.length;
    while (!stop()) {
      const body = randomBody(logUniformSize(this.rand, MAX_BODY));
      const a: Attempt = { key, position, body, md5: 'none', state: 'uncertain', sentAt: Date.now() };
      ledger.push(a);
      try {
        const res = await oss.append(key, body, { position: String(position) });
        a.state = 'acked';
        acked();
        a.next = Number(res.nextAppendPosition);
        a.crc = res.res.headers['x-oss-hash-crc64ecma'] as string | undefined;
        if (a.next !== position + body.length || a.crc === undefined) unexpected.push(`${key}@${position}: 200 with next ${a.next}, CRC ${String(a.crc)}`);
        position = a.next;
      } catch (e) {
        const how = lost(e);
        if (how !== undefined) {
          a.state = how;
          return;
        }
        a.state = 'refused';
        const code = (e as { code?: string }).code;
        if (code !== 'PositionNotEqualToLength') unexpected.push(`append ${key}@${position}: ${describeErr(e)}`);
        try {
          const head = await oss.head(key);
          position = Number(head.res.headers['x-oss-next-append-position']);
        } catch (h) {
          if (lost(h) === undefined) unexpected.push(`HEAD ${key}: ${describeErr(h)}`);
          return;
        }
      }
    }
  }

  /** Put (70%) or delete in the versioned bucket, each request through the next node, until stopped or a node is gone. */
  private async versionChurner(clients: OssClient[], first: number, key: string, ops: VersionOp[], unexpected: string[], stop: () => boolean, onAck: (node: number) => void): Promise<void> {
    for (let turn = first; !stop(); turn++) {
      const node = turn % clients.length;
      const oss = clients[node];
      const op: VersionOp = this.rand() < 0.7 ? { key, op: 'put', body: randomBody(logUniformSize(this.rand, MAX_BODY)), state: 'uncertain' } : { key, op: 'delete', state: 'uncertain' };
      ops.push(op);
      try {
        const res = op.op === 'put' ? await oss.put(key, op.body) : await oss.delete(key);
        const h = res.res.headers as Record<string, string | undefined>;
        op.state = 'acked';
        onAck(node);
        op.versionId = h['x-oss-version-id'];
        if (op.versionId === undefined) unexpected.push(`${op.op} ${key}: 200 without x-oss-version-id`);
        if (op.op === 'put' && h['x-oss-hash-crc64ecma'] !== crcOf(op.body!)) unexpected.push(`put ${key}: CRC ${String(h['x-oss-hash-crc64ecma'])}, expected ${crcOf(op.body!)}`);
        if (op.op === 'delete' && h['x-oss-delete-marker'] !== 'true') unexpected.push(`delete ${key}: no x-oss-delete-marker: true`);
      } catch (e) {
        const how = lost(e);
        op.state = how ?? 'refused';
        if (how === undefined) unexpected.push(`${op.op} ${key}: ${describeErr(e)}`);
        return;
      }
    }
  }

  /** Multipart uploads through ali-oss, every request to the next node, in the ledger of fault-churners.ts. */
  private async ossMultipart(clients: OssClient[], first: number, key: string, ledger: StormLedger, stop: () => boolean): Promise<void> {
    let turn = first;
    const next = (): OssClient => clients[turn++ % clients.length];
    const call = async <T>(rec: { state: AttemptState }, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      rec.state = 'uncertain';
      try {
        const r = await fn();
        rec.state = 'acked';
        return r;
      } catch (e) {
        const how = lost(e);
        rec.state = how ?? 'refused';
        if (how === undefined) ledger.unexpected.push(`${what}: ${describeErr(e)}`);
        return undefined;
      }
    };
    while (!stop()) {
      const oss = next();
      const init = await call({ state: 'uncertain' }, `initiate ${key}`, () => oss.initMultipartUpload(key) as Promise<{ uploadId: string }>);
      if (init === undefined) return;
      const uploadId = init.uploadId;
      ledger.uploads.push({ key, uploadId });
      const n = 2 + Math.floor(this.rand() * 2);
      const bodies = Array.from({ length: n }, (_, i) => randomBody(i < n - 1 ? MIN_PART_SIZE + Math.floor(this.rand() * 16 * 1024) : logUniformSize(this.rand, MAX_BODY)));
      const done: Array<{ number: number; etag: string }> = [];
      for (const [i, body] of bodies.entries()) {
        const part: PartAttempt = { key, uploadId, partNumber: i + 1, body, state: 'uncertain' };
        ledger.parts.push(part);
        const c = next();
        const r = await call(part, `part ${i + 1} of ${key}`, () => c.uploadPart(key, uploadId, i + 1, body, 0, body.length) as Promise<{ etag: string }>);
        if (r === undefined) return;
        done.push({ number: i + 1, etag: r.etag });
      }
      const w: WholeWrite = { key, op: 'complete', body: Buffer.concat(bodies), type: 'Multipart', segments: bodies, uploadId, state: 'uncertain' };
      ledger.writes.push(w);
      const c = next();
      const r = await call(w, `complete ${key}`, () => c.completeMultipartUpload(key, uploadId, done) as Promise<{ res: { headers: Record<string, string> } }>);
      if (r === undefined) return;
      const crc = r.res.headers['x-oss-hash-crc64ecma'];
      if (crc !== crcOf(w.body)) ledger.unexpected.push(`complete ${key}: CRC ${String(crc)}, expected ${crcOf(w.body)}`);
    }
  }

  /** Answers no request of the storm allows, once every writer has returned. */
  static unexpected(s: RunningStorm): string[] {
    return [...s.unexpected, ...unexpectedAnswers(s.appends), ...unexpectedAnswers(s.churn), ...s.whole.unexpected, ...s.seals.unexpected];
  }

  /**
   * After the restart: checks the ledgers of the cycle through every node (the first one
   * also retries the keyed appends), then prepares the next cycle (resets, aborts). Returns
   * the problems found and a line for the test's diagnostics.
   */
  async checkAndReset(nodes: Ossd[], s: RunningStorm): Promise<{ problems: string[]; summary: string }> {
    const problems: string[] = [];
    const [first] = nodes;
    // Appendables, through every node: the same bytes, explained by the ledger, the CRC chain intact.
    const held = new Map<string, Buffer>();
    for (const key of APPEND_KEYS) {
      const attempts = s.appends.filter((a) => a.key === key);
      for (const [i, node] of nodes.entries()) {
        const where = `node ${i + 1}, ${key}`;
        const got = await getObject(node, BUCKET, key);
        let bytes: Buffer = Buffer.alloc(0);
        if (got.status === 200) {
          bytes = got.body;
          const head = await headObject(node, BUCKET, key);
          const seen = [got.type, got.crc, head.contentLength, head.nextPosition, head.crc];
          const want = ['Appendable', crcOf(bytes), bytes.length, bytes.length, crcOf(bytes)];
          if (JSON.stringify(seen) !== JSON.stringify(want)) problems.push(`${where}: GET/HEAD ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`);
        } else if (got.status !== 404 || got.code !== 'NoSuchKey') {
          problems.push(`${where}: GET ${got.status} ${String(got.code)}`);
        }
        const why = explainBytes(bytes, this.base.get(key)!, attempts);
        if (why !== undefined) problems.push(`${where}: ${why}`);
        for (const a of attempts) {
          if (a.state === 'acked' && a.next! <= bytes.length && crcOf(bytes.subarray(0, a.next)) !== a.crc) {
            problems.push(`${where}: the append acknowledged at ${a.position} returned CRC-64 ${String(a.crc)}, the object's first ${a.next} bytes have ${crcOf(bytes.subarray(0, a.next))}`);
          }
        }
        const seen = held.get(key);
        if (seen !== undefined && !seen.equals(bytes)) problems.push(`${where}: ${bytes.length} bytes, node 1 read ${seen.length}`);
        held.set(key, bytes);
      }
    }
    let versionsApplied = 0;
    for (const [i, node] of nodes.entries()) {
      const r = await this.checkVersions(node, s.versionOps, i === nodes.length - 1);
      problems.push(...r.problems.map((p) => `node ${i + 1}: ${p}`));
      versionsApplied = r.applied;
    }
    let check: Awaited<ReturnType<typeof checkStorm>> | undefined;
    for (const [i, node] of nodes.entries()) {
      const c = await checkStorm(node, BUCKET, [...COPIES.flatMap((x) => [x.src, x.dst]), ...UPLOADS], this.wholeBase, s.whole, this.aborted);
      problems.push(...c.problems.map((p) => `node ${i + 1}: ${p}`));
      check ??= c;
    }
    const churned = await s.churned;
    for (const [i, key] of CHURNS.entries()) {
      for (const node of nodes) {
        try {
          await checkChurned(node, BUCKET, key, s.churn, churned[i]!);
        } catch (e) {
          problems.push(String(e));
        }
      }
    }
    const keyed = [];
    for (const w of this.keyed) keyed.push(await w.retryAndCheck(first!));
    for (const k of keyed) problems.push(...k.problems);
    const sealCheck = await checkSeals(first!, BUCKET, s.seals);
    problems.push(...sealCheck.problems);
    if (problems.length > 0) return { problems, summary: '' };

    // Next cycle: large appendables start over; leftover uploads aborted; sealed and churned keys deleted.
    for (const key of APPEND_KEYS) {
      let bytes: Buffer = held.get(key)!;
      if (bytes.length > RESET_SIZE) {
        const del = await raw(first!, { method: 'DELETE', path: `/${BUCKET}/${encodeURIComponent(key)}` });
        if (del.status !== 204) problems.push(`DELETE ${key}: ${del.status}`);
        bytes = Buffer.alloc(0);
      }
      this.base.set(key, bytes);
    }
    for (const w of this.keyed) await w.reset(first!, RESET_SIZE);
    problems.push(...(await abortUploads(first!, BUCKET, check!.left, this.aborted)));
    for (const key of [...COPIES.flatMap((x) => [x.src, x.dst]), ...UPLOADS]) this.wholeBase.set(key, check!.held.get(key));
    problems.push(...(await deleteSealed(first!, BUCKET, s.seals)));
    for (const key of CHURNS) {
      const del = await raw(first!, { method: 'DELETE', path: `/${BUCKET}/${encodeURIComponent(key)}` });
      if (del.status !== 204) problems.push(`DELETE ${key}: ${del.status}`);
    }

    const acked = s.appends.filter((a) => a.state === 'acked').length;
    const inFlight = s.appends.filter((a) => a.state === 'uncertain').length;
    const w = writeCounts(s.whole);
    const t = this.totals;
    t.cycles++;
    t.appends += acked;
    t.appendsInFlight += inFlight;
    t.versionsAcked += s.versionOps.filter((o) => o.state === 'acked').length;
    t.versionsInFlightApplied += versionsApplied;
    t.completes += w.complete.acked;
    t.copies += w.copy.acked;
    t.wholeInFlightApplied += check!.inFlightApplied;
    t.seals += sealCheck.ackedSeals;
    t.keyedLost = this.keyed.reduce((n, k) => n + k.counts.lost, 0);
    t.keyedReplayed = this.keyed.reduce((n, k) => n + k.counts.replayed, 0);
    const summary =
      `appends ${acked} acknowledged (${s.appends.filter((a) => a.state === 'refused').length} lost a race), ${inFlight} in flight; ` +
      `versioned puts/deletes ${s.versionOps.filter((o) => o.state === 'acked').length} acknowledged, ${s.versionOps.filter((o) => o.state === 'uncertain').length} in flight (${versionsApplied} took effect); ` +
      `completes ${w.complete.acked}, copies ${w.copy.acked} acknowledged, ${check!.inFlightApplied} in-flight whole writes took effect, ${check!.left.length} uploads left; ` +
      `seals ${sealCheck.ackedSeals} acknowledged`;
    return { problems, summary };
  }

  /**
   * The versioned bucket through `node`: every acknowledged version listed and byte-exact,
   * every acknowledged marker listed, an unknown entry is a write in flight (whole), each
   * key's latest is its last acknowledged write or the in-flight one after it. `last`: the
   * last node checked, which records the cycle's outcome for the next.
   */
  private async checkVersions(node: Ossd, ops: VersionOp[], last: boolean): Promise<{ problems: string[]; applied: number }> {
    const problems: string[] = [];
    const entries: ReturnType<typeof listedEntries> = [];
    for (let marker = ''; ; ) {
      const r = await raw(node, { method: 'GET', path: `/${VERSIONED}/?versions&max-keys=1000${marker}` });
      if (r.status !== 200) return { problems: [`ListObjectVersions: ${r.status} ${r.text.slice(0, 300)}`], applied: 0 };
      entries.push(...listedEntries(r.text));
      if (!r.text.includes('<IsTruncated>true')) break;
      marker = `&key-marker=${encodeURIComponent(field(r.text, 'NextKeyMarker')!)}&version-id-marker=${encodeURIComponent(field(r.text, 'NextVersionIdMarker')!)}`;
    }
    const listed = new Map(entries.map((e) => [e.versionId, e]));
    if (listed.size !== entries.length) problems.push('a version is listed twice');
    const versions = new Map(this.versions);
    const markers = new Set(this.markers);
    for (const op of ops) {
      if (op.state !== 'acked') continue;
      if (op.op === 'put') versions.set(op.versionId!, op.body!);
      else markers.add(op.versionId!);
    }
    for (const id of markers) if (listed.get(id)?.kind !== 'DeleteMarker') problems.push(`acknowledged delete marker ${id} is not listed`);
    for (const [id, bytes] of versions) if (listed.get(id)?.kind !== 'Version') problems.push(`acknowledged version ${id} (${bytes.length} bytes) is not listed`);
    let applied = 0;
    /** Entries no answer told of (writes in flight that took effect): versionId -> key. */
    const fresh = new Map<string, string>();
    for (const e of entries) {
      const known = e.kind === 'Version' ? versions.get(e.versionId) : markers.has(e.versionId) ? Buffer.alloc(0) : undefined;
      if (e.kind === 'Version') {
        if (known !== undefined && this.verified.has(`${node.endpoint} ${e.versionId}`)) continue;
        const r = await raw(node, { method: 'GET', path: `/${VERSIONED}/${e.key}?versionId=${encodeURIComponent(e.versionId)}` });
        const inFlight = ops.find((o) => o.key === e.key && o.op === 'put' && o.state === 'uncertain' && o.body!.equals(r.body));
        if (r.status !== 200 || (known !== undefined ? !known.equals(r.body) : inFlight === undefined)) {
          problems.push(`version ${e.versionId} of ${e.key}: ${r.status}, ${r.body.length} bytes: ${known ? 'not the acknowledged bytes' : 'no acknowledged or in-flight put'}`);
        } else if (r.headers['x-oss-hash-crc64ecma'] !== crcOf(r.body)) {
          problems.push(`version ${e.versionId} of ${e.key}: CRC-64 header ${String(r.headers['x-oss-hash-crc64ecma'])} is not the bytes'`);
        } else {
          this.verified.add(`${node.endpoint} ${e.versionId}`);
        }
        if (known === undefined && inFlight !== undefined) {
          applied++;
          fresh.set(e.versionId, e.key);
          versions.set(e.versionId, r.body);
          if (last) this.versions.set(e.versionId, r.body);
        }
      } else if (known === undefined) {
        if (!ops.some((o) => o.key === e.key && o.op === 'delete' && o.state === 'uncertain')) problems.push(`delete marker ${e.versionId} of ${e.key}: no delete was acknowledged or in flight`);
        applied++;
        fresh.set(e.versionId, e.key);
        if (last) this.markers.add(e.versionId);
      }
    }
    for (const key of VERSION_KEYS) {
      const mine = ops.filter((o) => o.key === key);
      const lastAcked = mine.filter((o) => o.state === 'acked').at(-1);
      const may = new Set([lastAcked ? lastAcked.versionId : this.latest.get(key), ...[...fresh].filter(([, k]) => k === key).map(([id]) => id)]);
      const latest = entries.filter((e) => e.key === key && e.isLatest === 'true');
      const id = latest[0]?.versionId;
      if (latest.length > 1 || !may.has(id)) problems.push(`${key}: latest ${String(id)} (${latest.length} listed as latest); allowed: ${[...may].map(String).join(' or ')}`);
      const got = await getObject(node, VERSIONED, key);
      const want = id === undefined || latest[0]!.kind === 'DeleteMarker' ? undefined : versions.get(id);
      if (want === undefined ? got.status !== 404 : got.status !== 200 || !got.body.equals(want)) problems.push(`${key}: GET ${got.status}, ${got.body.length} bytes, the latest is ${String(id)}`);
      if (last) this.latest.set(key, id);
    }
    if (last) {
      for (const [id, bytes] of versions) this.versions.set(id, bytes);
      for (const id of markers) this.markers.add(id);
    }
    return { problems, applied };
  }
}
