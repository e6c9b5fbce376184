/**
 * A linearizability checker (Wing & Gong's search with Lowe's memoisation, "WGL") and a
 * sequential model of one OSS key, for test/faults/linearizability.test.ts.
 *
 * A history is a set of completed operations, each with the time it was invoked and the
 * time its answer arrived (as the client saw them). It is linearizable when the
 * operations can be put in one order that respects real time (an operation that returned
 * before another was invoked comes first) and in which every result is what the
 * sequential model gives. Linearizability is local (Herlihy & Wing), so a history over
 * several keys is checked key by key.
 *
 * The search linearizes a pending call whenever the model accepts it, backtracks when it
 * reaches a return whose call could not be placed, and remembers every (set of placed
 * operations, model state) it has seen so no configuration is explored twice. That bounds
 * the work by 2^n × states; histories are kept small (a few dozen operations per key) and
 * a step limit makes the bound explicit.
 */
import { crcOf } from './fault-appends.js';

export interface Model<S, O> {
  init: S;
  /** The state after `op` if its recorded result is what the model gives in `state`; undefined otherwise. */
  step(state: S, op: O): S | undefined;
  /** A string that identifies the state (for memoisation). */
  key(state: S): string;
}

export interface Timed<O> {
  /** Any identifier, reported back in the order found. */
  id: number;
  client: number;
  /** Invocation and response times; ties count as overlapping. */
  call: number;
  ret: number;
  op: O;
}

export type Verdict =
  | { linearizable: true; order: number[]; steps: number }
  | { linearizable: false; steps: number; reason: string };

interface Entry<O> {
  kind: 'call' | 'return';
  time: number;
  index: number;
  op?: Timed<O>;
  match?: Entry<O>;
  prev?: Entry<O>;
  next?: Entry<O>;
}

export function checkLinearizable<S, O>(model: Model<S, O>, history: readonly Timed<O>[], maxSteps = 2_000_000): Verdict {
  for (const h of history) {
    if (!(h.ret >= h.call)) return { linearizable: false, steps: 0, reason: `operation ${h.id} returns before it is invoked` };
  }
  const entries: Entry<O>[] = [];
  history.forEach((op, index) => {
    const call: Entry<O> = { kind: 'call', time: op.call, index, op };
    const ret: Entry<O> = { kind: 'return', time: op.ret, index };
    call.match = ret;
    entries.push(call, ret);
  });
  // Calls before returns at equal times: such operations overlap (the permissive choice).
  entries.sort((a, b) => a.time - b.time || (a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1));
  const head: Entry<O> = { kind: 'call', time: -Infinity, index: -1 };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (e: Entry<O>): void => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry<O>): void => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  let state = model.init;
  let placed = 0n;
  const seen = new Set<string>();
  const stack: Array<{ entry: Entry<O>; state: S }> = [];
  let entry = head.next;
  let steps = 0;
  let deepest = 0;
  while (head.next !== undefined) {
    if (++steps > maxSteps) return { linearizable: false, steps, reason: `search bound of ${maxSteps} steps exceeded (history too large to decide)` };
    if (entry === undefined) return { linearizable: false, steps, reason: 'internal: ran off the end of the history' };
    if (entry.kind === 'call') {
      const next = model.step(state, entry.op!.op);
      if (next !== undefined) {
        const bits = placed | (1n << BigInt(entry.index));
        const memo = `${bits.toString(36)}|${model.key(next)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ entry, state });
          deepest = Math.max(deepest, stack.length);
          state = next;
          placed = bits;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return whose call has not been placed: no linearization from here.
      const top = stack.pop();
      if (!top) {
        return { linearizable: false, steps, reason: `no order explains the results (at most ${deepest} of ${history.length} operations could be placed)` };
      }
      state = top.state;
      placed &= ~(1n << BigInt(top.entry.index));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { linearizable: true, order: stack.map((s) => s.entry.op!.id), steps };
}

// ---- the sequential model of one OSS key ------------------------------------------------

export type KeyState = { kind: 'absent' } | { kind: 'Normal' | 'Appendable'; bytes: Buffer };

export type AppendResult = { status: 'ok'; next: number; crc: string } | { status: 'position'; next: number } | { status: 'not-appendable' };

export type KeyOp =
  | { type: 'append'; position: number; data: Buffer; result: AppendResult }
  | { type: 'put'; data: Buffer }
  | { type: 'delete' }
  | { type: 'get'; result: { status: 'absent' } | { status: 'ok'; objectType: string; bytes: Buffer } };

const ABSENT: KeyState = { kind: 'absent' };

/** append.md §1 and §6, objects.md (PutObject overwrites, DeleteObject removes, GET returns the bytes and type). */
export const ossKeyModel: Model<KeyState, KeyOp> = {
  init: ABSENT,
  key: (s) => (s.kind === 'absent' ? 'absent' : `${s.kind}:${s.bytes.toString('hex')}`),
  step(s, op) {
    switch (op.type) {
      case 'put':
        return { kind: 'Normal', bytes: op.data };
      case 'delete':
        return ABSENT;
      case 'get': {
        const r = op.result;
        if (s.kind === 'absent') return r.status === 'absent' ? s : undefined;
        return r.status === 'ok' && r.objectType === s.kind && r.bytes.equals(s.bytes) ? s : undefined;
      }
      case 'append': {
        const r = op.result;
        if (s.kind === 'Normal') return r.status === 'not-appendable' ? s : undefined;
        const length = s.kind === 'absent' ? 0 : s.bytes.length;
        if (op.position !== length) return r.status === 'position' && r.next === length ? s : undefined;
        const bytes = s.kind === 'absent' ? op.data : Buffer.concat([s.bytes, op.data]);
        return r.status === 'ok' && r.next === bytes.length && r.crc === crcOf(bytes) ? { kind: 'Appendable', bytes } : undefined;
      }
    }
  },
};

/** Splits a multi-key history into one history per key. */
export function byKey<O>(history: readonly (Timed<O> & { key: string })[]): Map<string, Timed<O>[]> {
  const out = new Map<string, Timed<O>[]>();
  for (const h of history) {
    const list = out.get(h.key) ?? [];
    list.push(h);
    out.set(h.key, list);
  }
  return out;
}

/** A short human description of an operation, for failure messages. */
export function describeOp(h: Timed<KeyOp>): string {
  const o = h.op;
  const hex = (b: Buffer): string => (b.length > 12 ? `${b.subarray(0, 12).toString('hex')}…(${b.length})` : b.toString('hex'));
  const what =
    o.type === 'append' ? `append(${o.position}, ${hex(o.data)}) → ${o.result.status}${'next' in o.result ? ` next=${o.result.next}` : ''}`
      : o.type === 'put' ? `put(${hex(o.data)})`
        : o.type === 'delete' ? 'delete()'
          : `get() → ${o.result.status === 'ok' ? `${o.result.objectType} ${hex(o.result.bytes)}` : 'absent'}`;
  return `#${h.id} client ${h.client} [${h.call.toFixed(3)}, ${h.ret.toFixed(3)}] ${what}`;
}
