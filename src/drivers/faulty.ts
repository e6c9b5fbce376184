/**
 * Fault-injecting wrappers around a MetadataStore and a BlobStore, for tests only
 * (test/faults/fault-drivers.test.ts, test/faults/full-disk.test.ts). A rule makes the
 * Nth call of one method fail with an errno-shaped error, as Node's fs would raise it:
 * `{ code: 'EIO', errno: -5 }` or `{ code: 'ENOSPC', errno: -28 }`. Production never
 * builds these: startServer wraps the drivers only when OSSD_FAULTS is set
 * (faults-config.ts).
 *
 * Method names: `meta.<MetadataStore method>` (`meta.cas` = compareAndSwap);
 * `blob.<BlobStore method>` (openWriter, writeAt, syncBlob, remove, truncate, ...), and
 * for the writers openWriter returns: `blob.write`, `blob.sync`, `blob.writerTruncate`;
 * `wal.sync` is the metadata WAL fdatasync (drivers/sqlite/wal-sync.ts).
 */
import type { BlobStore, BlobWriter, MetadataStore } from './types.js';

export type FaultCode = 'EIO' | 'ENOSPC';

export interface FaultRule {
  /** e.g. `blob.write`, `meta.cas`, `wal.sync`. */
  method: string;
  /** 1-based call number that fails. */
  nth: number;
  /** Every call from the nth on fails, not only the nth (`blob.write:3+:ENOSPC`). */
  sticky: boolean;
  code: FaultCode;
}

const ERRNO: Record<FaultCode, { errno: number; text: string }> = {
  EIO: { errno: -5, text: 'i/o error' },
  ENOSPC: { errno: -28, text: 'no space left on device' },
};

export function faultError(code: FaultCode, syscall: string): NodeJS.ErrnoException {
  const { errno, text } = ERRNO[code];
  return Object.assign(new Error(`${code}: ${text}, ${syscall} (injected fault)`), { code, errno, syscall, injected: true });
}

/** Counts calls per method and says which ones fail. */
export class FaultPlan {
  private readonly calls = new Map<string, number>();
  /** Faults thrown so far, per method. */
  readonly injected = new Map<string, number>();

  constructor(readonly rules: readonly FaultRule[]) {}

  has(method: string): boolean {
    return this.rules.some((r) => r.method === method);
  }

  /** Counts one call of `method`; returns the error it must fail with, if any. */
  check(method: string): NodeJS.ErrnoException | undefined {
    if (!this.has(method)) return undefined;
    const n = (this.calls.get(method) ?? 0) + 1;
    this.calls.set(method, n);
    const rule = this.rules.find((r) => r.method === method && (r.sticky ? n >= r.nth : n === r.nth));
    if (!rule) return undefined;
    this.injected.set(method, (this.injected.get(method) ?? 0) + 1);
    return faultError(rule.code, method);
  }
}

const META_ALIASES: Record<string, string> = { compareAndSwap: 'cas' };
/** Methods returning an async iterable instead of a promise. */
const ITERATORS = new Set(['appendableObjects', 'list']);

function failing(e: Error): AsyncIterable<never> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(e) }) };
}

function wrap<T extends object>(target: T, prefix: string, plan: FaultPlan, aliases: Record<string, string>, after?: (name: string, result: unknown) => unknown): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      const name = `${prefix}.${aliases[prop] ?? prop}`;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        const e = plan.check(name);
        if (e) return ITERATORS.has(prop) ? failing(e) : Promise.reject(e);
        const result = fn.apply(obj, args);
        return after ? after(prop, result) : result;
      };
    },
  });
}

export function faultyMetadataStore(meta: MetadataStore, plan: FaultPlan): MetadataStore {
  return wrap(meta, 'meta', plan, META_ALIASES);
}

export function faultyBlobStore(blobs: BlobStore, plan: FaultPlan): BlobStore {
  const wrapWriter = (w: BlobWriter): BlobWriter => wrap(w, 'blob', plan, { truncate: 'writerTruncate', close: 'writerClose' });
  return wrap(blobs, 'blob', plan, {}, (name, result) =>
    name === 'openWriter' ? (result as Promise<BlobWriter>).then(wrapWriter) : result,
  );
}
