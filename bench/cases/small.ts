/** 4 KiB appends, puts and gets: 1 and 64 clients, and 64 clients fighting over one object. */
import { randomBytes } from 'node:crypto';
import { closedLoop } from '../load.js';
import type { Target, TargetName } from '../targets/types.js';
import { type BenchCase, KiB, uid } from './types.js';

const body = { chunk: randomBytes(4 * KiB) };
const ALL: TargetName[] = ['ossd', 'minimal', 'minimal-group', 'azurite', 's3rver'];
const canAppend = (t: Target): boolean => t.append !== undefined;

function appendCase(id: string, title: string, clients: number): BenchCase {
  return {
    id,
    title,
    small: true,
    targets: ALL,
    supports: canAppend,
    async run(t, ctx) {
      const keys = Array.from({ length: clients }, (_, w) => `${id}/${ctx.run}-${uid()}-${w}`);
      for (const k of keys) await t.prepareAppend?.(k);
      const pos = keys.map(() => 0);
      ctx.start();
      return closedLoop({
        concurrency: clients,
        durationMs: ctx.p.smallMs,
        maxOps: ctx.p.smallMaxOps,
        op: async (w) => {
          const r = await t.append!(keys[w]!, pos[w]!, body);
          if (!r.ok) throw new Error(`${t.name} ${id}: unexpected position conflict`);
          pos[w] = r.next;
          return { bytes: body.chunk.length };
        },
      });
    },
  };
}

const contention: BenchCase = {
  id: 'append-4k-64c-1obj',
  title: '4 KiB appends, 64 clients on ONE object, retry at x-oss-next-append-position (ops = successful appends; Azurite reads the length with GetProperties)',
  small: true,
  targets: ALL,
  supports: canAppend,
  async run(t, ctx) {
    const key = `contend/${ctx.run}-${uid()}`;
    await t.prepareAppend?.(key);
    const pos = Array.from({ length: 64 }, () => 0);
    // Bounds each op's retry loop: an append still losing this long after the run ends gives up.
    const giveUpAt = Date.now() + ctx.p.smallMs + Math.min(1000, ctx.p.smallMs);
    ctx.start();
    return closedLoop({
      concurrency: 64,
      durationMs: ctx.p.smallMs,
      maxOps: ctx.p.smallMaxOps,
      op: async (w) => {
        let retries = 0;
        for (;;) {
          const r = await t.append!(key, pos[w]!, body);
          pos[w] = r.next;
          if (r.ok) return { bytes: body.chunk.length, retries };
          retries++;
          if (Date.now() > giveUpAt) return { bytes: 0, retries, ok: false };
        }
      },
    });
  },
};

function putCase(clients: number): BenchCase {
  const id = `put-4k-${clients}c`;
  return {
    id,
    title: `4 KiB PutObject, ${clients} client${clients > 1 ? 's' : ''}, new key each`,
    small: true,
    targets: ALL,
    async run(t, ctx) {
      const prefix = `${id}/${ctx.run}-${uid()}`;
      ctx.start();
      return closedLoop({
        concurrency: clients,
        durationMs: ctx.p.smallMs,
        maxOps: ctx.p.smallMaxOps,
        op: async (w, seq) => {
          await t.put(`${prefix}/${w}/${seq}`, body);
          return { bytes: body.chunk.length };
        },
      });
    },
  };
}

const GET_KEYS = 64;
function getCase(clients: number): BenchCase {
  return {
    id: `get-4k-${clients}c`,
    title: `4 KiB GetObject, ${clients} client${clients > 1 ? 's' : ''}`,
    small: true,
    targets: ALL,
    async setup(t) {
      for (let i = 0; i < GET_KEYS; i++) await t.put(`get4k/${i}`, body);
    },
    async run(t, ctx) {
      ctx.start();
      return closedLoop({
        concurrency: clients,
        durationMs: ctx.p.smallMs,
        maxOps: ctx.p.smallMaxOps,
        op: async (w, seq) => {
          const n = await t.get(`get4k/${(w + seq) % GET_KEYS}`);
          if (n !== body.chunk.length) throw new Error(`${t.name}: GET returned ${n} bytes`);
          return { bytes: n };
        },
      });
    },
  };
}

export const smallCases: BenchCase[] = [
  appendCase('append-4k-1c', 'durable 4 KiB appends, 1 client, one object, one after another', 1),
  appendCase('append-4k-64c-64obj', '4 KiB appends, 64 clients, 64 objects (one each)', 64),
  contention,
  putCase(1),
  putCase(64),
  getCase(1),
  getCase(64),
];
