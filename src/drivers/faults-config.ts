/**
 * TEST HOOK, never set in production: OSSD_FAULTS makes ossd wrap its drivers in the
 * fault injectors of faulty.ts, so tests can make the Nth call of a method fail with EIO
 * or ENOSPC in the real server process. Syntax: comma-separated `method:N:CODE`, N the
 * 1-based call that fails, `N+` for that call and every later one:
 *
 *   OSSD_FAULTS='blob.write:3:ENOSPC,meta.cas:5:EIO,wal.sync:4:EIO'
 *
 * `wal.sync` is the metadata WAL's fdatasync; `log.sync` the append log's (small
 * appends' bytes, sqlite/append-log.ts); `fs.fdatasync` every fdatasync a blob writer
 * makes, the background ones of early writeback included (fs/blob-store.ts).
 *
 * OSSD_FAULTS is honoured only when OSSD_TEST_FAULTS=1 is set too: a stray OSSD_FAULTS in
 * a production environment would make the server fail writes on purpose, so without the
 * switch `ossd serve` refuses to start (faultsRefusal). Test helpers set both.
 *
 * startServer logs a warning line naming the rules when they are active.
 */
import type { BlobStore, MetadataStore } from './types.js';
import { type FaultCode, FaultPlan, type FaultRule, faultyBlobStore, faultyMetadataStore } from './faulty.js';
import { blobSyncHooks } from './fs/blob-store.js';
import { appendLogHooks } from './sqlite/append-log.js';
import { walSyncHooks } from './sqlite/wal-sync.js';

const RULE = /^(meta|blob|wal|log|fs)\.([A-Za-z]+):(\d{1,9})(\+?):(EIO|ENOSPC)$/;

export function parseFaults(spec: string): FaultRule[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = RULE.exec(s);
      if (!m || Number(m[3]) < 1) throw new Error(`OSSD_FAULTS: ${JSON.stringify(s)} is not method:N[+]:EIO|ENOSPC (e.g. blob.write:3:ENOSPC)`);
      return { method: `${m[1]}.${m[2]}`, nth: Number(m[3]), sticky: m[4] === '+', code: m[5] as FaultCode };
    });
}

interface SyncHooks {
  fdatasync: (fd: number) => Promise<void>;
  /** The same on the event loop, where a driver has it (wal-sync.ts). */
  fdatasyncSync?: (fd: number) => void;
}

/** Routes the fdatasyncs behind `hooks` through the plan's rule for `method`, if it has one. */
function failSyncs(plan: FaultPlan, method: string, hooks: SyncHooks): void {
  if (!plan.has(method)) return;
  const real = hooks.fdatasync;
  hooks.fdatasync = (fd) => {
    const e = plan.check(method);
    return e ? Promise.reject(e) : real(fd);
  };
  const realSync = hooks.fdatasyncSync;
  if (realSync) {
    hooks.fdatasyncSync = (fd) => {
      const e = plan.check(method);
      if (e) throw e;
      realSync(fd);
    };
  }
}

/** The test-only switch that must accompany OSSD_FAULTS. */
export const FAULTS_SWITCH = 'OSSD_TEST_FAULTS';

/** Why the server must not start with this environment's fault settings, or undefined when it may. */
export function faultsRefusal(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.OSSD_FAULTS || env[FAULTS_SWITCH] === '1') return undefined;
  return `OSSD_FAULTS is set, but fault injection is a test hook that makes the server fail on purpose: ` +
    `it is honoured only with ${FAULTS_SWITCH}=1 as well. Refusing to start; unset OSSD_FAULTS.`;
}

/** The drivers as given, or wrapped when OSSD_FAULTS (and its switch) is set: tests only. */
export function applyFaults(
  meta: MetadataStore,
  blobs: BlobStore,
  env: NodeJS.ProcessEnv,
): { meta: MetadataStore; blobs: BlobStore; plan?: FaultPlan } {
  const spec = env.OSSD_FAULTS;
  if (!spec) return { meta, blobs };
  const refusal = faultsRefusal(env);
  if (refusal) throw new Error(refusal);
  const plan = new FaultPlan(parseFaults(spec));
  failSyncs(plan, 'wal.sync', walSyncHooks);
  failSyncs(plan, 'log.sync', appendLogHooks);
  failSyncs(plan, 'fs.fdatasync', blobSyncHooks);
  return { meta: faultyMetadataStore(meta, plan), blobs: faultyBlobStore(blobs, plan), plan };
}
