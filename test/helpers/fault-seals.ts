/**
 * Seals in the fault storms (issue 17, "Crash checks": SealAppendObject in the SIGKILL
 * cycles of test/faults/append-crash.test.ts and the power cuts of power-cut.test.ts).
 *
 * A seal churner makes objects one after another (one key each, a "generation"): a few
 * appends at the known length, then a seal at that length, then the next key. Its ledger
 * records what the client learnt: the acknowledged appends' bytes, an append or a seal
 * sent without an answer (in flight at the kill), the acknowledged seal's time. After the
 * restart checkSeals() reads every generation back: its bytes are its acknowledged
 * appends (plus, possibly, the one in flight); an acknowledged seal is still there with
 * the same `x-oss-sealed-time`, at the acknowledged length, and the object still refuses
 * appends (409 ObjectNotAppendable); a seal in flight took effect whole or not at all; an
 * object never sealed is not sealed. Error codes are literals from the OSS reference.
 */
import { appendAttempt, logUniformSize, randomBody } from './fault-appends.js';
import type { Ossd } from './ossd-process.js';
import { errorCode, raw } from './raw-http.js';

export interface SealGeneration {
  key: string;
  /** The acknowledged appends, in order. */
  acked: Buffer;
  /** An append sent without an answer (it may or may not have committed). */
  inFlight?: Buffer;
  /** The seal, once sent: acknowledged (with its time) or without an answer. */
  seal?: { position: number; state: 'acked' | 'uncertain'; time?: string };
}

export interface SealLedger {
  generations: SealGeneration[];
  /** Answers no request of the churner allows (each a failure of the test). */
  unexpected: string[];
}

export function newSealLedger(): SealLedger {
  return { generations: [], unexpected: [] };
}

export interface SealChurnerOptions {
  ossd: Ossd;
  bucket: string;
  /** Keys are `<prefix>-<n>`: pass a prefix unique to the cycle (and not a prefix of another churner's). */
  prefix: string;
  ledger: SealLedger;
  stop: () => boolean;
  rand: () => number;
  maxBody: number;
}

/** Appends 1–4 times to a new key, seals it, and starts over, until stopped or the server is gone. */
export async function sealChurner(o: SealChurnerOptions): Promise<void> {
  for (let n = 0; !o.stop(); n++) {
    // Zero-padded: no key is a prefix of another (the storms compare the listing with `key:size` strings sorted).
    const gen: SealGeneration = { key: `${o.prefix}-${String(n).padStart(5, '0')}`, acked: Buffer.alloc(0) };
    o.ledger.generations.push(gen);
    const appends = 1 + Math.floor(o.rand() * 4);
    for (let i = 0; i < appends; i++) {
      if (o.stop()) return;
      const body = randomBody(logUniformSize(o.rand, o.maxBody));
      const a = await appendAttempt(o.ossd, o.bucket, gen.key, gen.acked.length, body, []);
      if (a.state === 'acked') {
        gen.acked = Buffer.concat([gen.acked, body]);
        continue;
      }
      if (a.state === 'uncertain') gen.inFlight = body;
      else if (a.state === 'refused') o.ledger.unexpected.push(`${gen.key}: append at ${a.position} answered ${String(a.status)} ${String(a.code)}`);
      return;
    }
    if (o.stop()) return;
    const position = gen.acked.length;
    gen.seal = { position, state: 'uncertain' };
    try {
      const res = await raw(o.ossd, { method: 'POST', path: `/${o.bucket}/${encodeURIComponent(gen.key)}?seal&position=${position}` });
      if (res.status !== 200) {
        o.ledger.unexpected.push(`${gen.key}: seal at ${position} answered ${res.status} ${String(errorCode(res))}`);
        return;
      }
      gen.seal = { position, state: 'acked', time: String(res.headers['x-oss-sealed-time']) };
    } catch (e) {
      // Refused connection: the server never saw the seal.
      if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') gen.seal = undefined;
      return;
    }
  }
}

export interface SealCheck {
  problems: string[];
  /** The objects the generations left (for the listing and blob-folder checks). */
  objects: Array<{ key: string; bytes: Buffer }>;
  /** How many acknowledged seals were found intact, and in-flight seals that took effect. */
  ackedSeals: number;
  inFlightSealed: number;
}

/** Reads every generation back after a restart (see the file comment). */
export async function checkSeals(ossd: Ossd, bucket: string, ledger: SealLedger): Promise<SealCheck> {
  const out: SealCheck = { problems: [], objects: [], ackedSeals: 0, inFlightSealed: 0 };
  for (const gen of ledger.generations) {
    const path = `/${bucket}/${encodeURIComponent(gen.key)}`;
    const got = await raw(ossd, { method: 'GET', path });
    const problem = (why: string): void => void out.problems.push(`${gen.key}: ${why}`);
    if (got.status === 404) {
      if (gen.acked.length > 0 || gen.seal?.state === 'acked') problem('404 after acknowledged writes');
      continue;
    }
    if (got.status !== 200) {
      problem(`GET answered ${got.status} ${String(errorCode(got))}`);
      continue;
    }
    const bytes = got.body;
    out.objects.push({ key: gen.key, bytes });
    const whole = gen.inFlight ? Buffer.concat([gen.acked, gen.inFlight]) : undefined;
    if (!bytes.equals(gen.acked) && !(whole && bytes.equals(whole))) {
      problem(`${bytes.length} bytes, not the ${gen.acked.length} acknowledged${gen.inFlight ? ` (+${gen.inFlight.length} in flight)` : ''}`);
    }
    const sealedTime = got.headers['x-oss-sealed-time'];
    const head = await raw(ossd, { method: 'HEAD', path });
    if (head.headers['x-oss-sealed-time'] !== sealedTime) problem(`HEAD says sealed at ${String(head.headers['x-oss-sealed-time'])}, GET ${String(sealedTime)}`);
    if (gen.seal?.state === 'acked') {
      if (sealedTime !== gen.seal.time) problem(`acknowledged seal (${String(gen.seal.time)}) reads back as ${String(sealedTime)}`);
      else out.ackedSeals++;
    } else if (gen.seal?.state === 'uncertain') {
      if (sealedTime !== undefined) out.inFlightSealed++;
    } else if (sealedTime !== undefined) {
      problem(`sealed (${String(sealedTime)}) but never asked to be`);
    }
    if (sealedTime !== undefined) {
      if (bytes.length !== gen.seal?.position) problem(`sealed at length ${bytes.length}, the seal named ${String(gen.seal?.position)}`);
      // Still not appendable after the restart, and nothing appended.
      const a = await appendAttempt(ossd, bucket, gen.key, bytes.length, Buffer.from('after the seal'), []);
      if (a.status !== 409 || a.code !== 'ObjectNotAppendable') problem(`append to the sealed object answered ${String(a.status)} ${String(a.code)}`);
    }
  }
  return out;
}

/** Deletes every generation's object (clean-up between cycles); the problems found. */
export async function deleteSealed(ossd: Ossd, bucket: string, ledger: SealLedger): Promise<string[]> {
  const problems: string[] = [];
  for (const gen of ledger.generations) {
    const res = await raw(ossd, { method: 'DELETE', path: `/${bucket}/${encodeURIComponent(gen.key)}` });
    if (res.status !== 204) problems.push(`${gen.key}: DELETE answered ${res.status}`);
  }
  return problems;
}
