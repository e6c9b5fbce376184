/**
 * Exactly-once appends in the crash tests (test/faults/append-crash.test.ts, power-cut.test.ts;
 * docs/extensions.md "Exactly-once appends"). One writer per object appends with a fresh
 * Idempotency-Key each time until the server dies. After the restart it does what a client
 * that lost an answer does: it retries its lost append with the same key, position and
 * body, and retries its last acknowledged one too. Both must answer 200: the lost one
 * replayed exactly when it had been committed (the record is in the append's own
 * transaction), appended afresh when not; the acknowledged one replayed with its original
 * answer. The object must then hold every body exactly once, in order: no duplicate, no gap.
 */
import { crcOf, randomBody, type AttemptState } from './fault-appends.js';
import { getObject } from './fault-store.js';
import { keyedAppend } from './keyed-appends.js';
import type { Ossd } from './ossd-process.js';
import { raw } from './raw-http.js';

interface KeyedAttempt {
  token: string;
  position: number;
  body: Buffer;
  state: AttemptState;
  next?: number;
  crc?: string;
  etag?: string;
}

export interface KeyedCounts {
  acked: number;
  /** Appends whose answer the kill lost, retried after the restart. */
  lost: number;
  /** Of those, the ones the server had committed: answered from their record. */
  replayed: number;
}

export class KeyedWriter {
  /** What the object holds at the start of a cycle: every body acknowledged so far, once. */
  private base = Buffer.alloc(0);
  private attempts: KeyedAttempt[] = [];
  private serial = 0;
  private problems: string[] = [];
  readonly counts: KeyedCounts = { acked: 0, lost: 0, replayed: 0 };

  constructor(
    readonly bucket: string,
    readonly key: string,
    private readonly size: () => number,
  ) {}

  /** Appends, each with a new key, until `stop()` or an answer is lost (the server died). */
  async run(ossd: Ossd, stop: () => boolean): Promise<void> {
    let position = this.base.length;
    let bytes = this.base;
    while (!stop()) {
      const a: KeyedAttempt = { token: `${this.key}#${this.serial++}`, position, body: randomBody(this.size()), state: 'uncertain' };
      this.attempts.push(a);
      let r;
      try {
        r = await keyedAppend(ossd, this.bucket, this.key, position, a.body, a.token);
      } catch (e) {
        a.state = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'unsent' : 'uncertain';
        return;
      }
      bytes = Buffer.concat([bytes, a.body]);
      if (r.status !== 200 || r.replay || r.next !== bytes.length || r.crc !== crcOf(bytes)) {
        a.state = 'refused';
        this.problems.push(`${this.key}: append ${a.token} at ${position}: ${r.status} ${String(r.code)} replay=${r.replay} next=${String(r.next)}: ${r.text.slice(0, 200)}`);
        return;
      }
      Object.assign(a, { state: 'acked', next: r.next, crc: r.crc, etag: r.etag });
      position = r.next;
    }
  }

  /**
   * After the restart: checks the object against the acknowledged appends, retries the
   * lost one and the last acknowledged one, and checks the object again. Returns what it
   * holds now (the next cycle's base) and the problems found.
   */
  async retryAndCheck(ossd: Ossd): Promise<{ key: string; bytes: Buffer; problems: string[] }> {
    const problems = this.problems;
    const acked = this.attempts.filter((a) => a.state === 'acked');
    const lost = this.attempts.find((a) => a.state === 'uncertain' || a.state === 'unsent');
    const ackedBytes = Buffer.concat([this.base, ...acked.map((a) => a.body)]);
    const got = await getObject(ossd, this.bucket, this.key);
    const held = got.status === 200 ? got.body : Buffer.alloc(0);
    const withLost = lost ? Buffer.concat([ackedBytes, lost.body]) : ackedBytes;
    const committed = lost !== undefined && held.equals(withLost);
    if (!held.equals(ackedBytes) && !committed) {
      problems.push(`${this.key}: after the restart ${held.length} bytes, not the ${ackedBytes.length} acknowledged (plus ${lost?.body.length ?? 0} in flight)`);
    }
    if (lost) {
      this.counts.lost++;
      const r = await keyedAppend(ossd, this.bucket, this.key, lost.position, lost.body, lost.token);
      const want = { status: 200, replay: committed, next: withLost.length, crc: crcOf(withLost) };
      const seen = { status: r.status, replay: r.replay, next: r.next, crc: r.crc };
      if (JSON.stringify(seen) !== JSON.stringify(want)) {
        problems.push(`${this.key}: retry of the lost append ${lost.token} (${committed ? 'committed' : 'not committed'} before the kill): ${JSON.stringify(seen)}, expected ${JSON.stringify(want)} ${r.text.slice(0, 200)}`);
      }
      if (committed) this.counts.replayed++;
    }
    const last = acked.at(-1);
    if (last) {
      const r = await keyedAppend(ossd, this.bucket, this.key, last.position, last.body, last.token);
      const seen = [r.status, r.replay, r.next, r.crc, r.etag];
      const want = [200, true, last.next, last.crc, last.etag];
      if (JSON.stringify(seen) !== JSON.stringify(want)) problems.push(`${this.key}: retry of the acknowledged append ${last.token}: ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`);
    }
    const after = await getObject(ossd, this.bucket, this.key);
    const bytes = after.status === 200 ? after.body : Buffer.alloc(0);
    if (!bytes.equals(withLost)) problems.push(`${this.key}: after the retries ${bytes.length} bytes, expected every body once (${withLost.length} bytes)`);
    this.counts.acked += acked.length;
    this.problems = [];
    this.attempts = [];
    this.base = withLost;
    return { key: this.key, bytes, problems };
  }

  /** Deletes the object once it is past `max` bytes (long runs stay small); its keys go with it. */
  async reset(ossd: Ossd, max: number): Promise<void> {
    if (this.base.length <= max) return;
    const del = await raw(ossd, { method: 'DELETE', path: `/${this.bucket}/${encodeURIComponent(this.key)}` });
    if (del.status !== 204) throw new Error(`DELETE ${this.key}: ${del.status} ${del.text}`);
    this.base = Buffer.alloc(0);
  }

  /** What the object holds between cycles. */
  get bytes(): Buffer {
    return this.base;
  }
}
