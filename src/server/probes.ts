/**
 * The endpoints of operators' tools, path style under bucket `-` (never a valid bucket
 * name, so they cannot clash with one), like `/-/admin/` (admin.ts):
 *
 * - `GET`/`HEAD /-/health`: liveness, 200 `ok` while the process serves. Anonymous.
 * - `GET`/`HEAD /-/ready`: readiness, 200 `ready` once recovery is done, while the data
 *   folder takes writes and the server is not shutting down; else 503 and the reason.
 *   Anonymous (load balancers probe it).
 * - `GET /-/metrics`: Prometheus text (metrics.ts). Anonymous only with
 *   `--metrics-anonymous`; else `Authorization: Bearer <--metrics-token>`, or the root
 *   key's signature (V1 or V4, header or presigned) over `GET /-/metrics` with bucket `-`,
 *   as `/-/admin/sts` is signed. Anything else: 403 AccessDenied.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { OssError } from '../engine/errors.js';
import type { AuthTarget } from '../protocol/auth/types.js';
import { verifyRequest } from '../protocol/auth/verify.js';
import { header, type RequestContext } from '../protocol/context.js';
import type { Keyring } from '../keys/keyring.js';
import type { Metrics } from './metrics.js';
import { send } from './respond.js';

/** Answers the request and resolves true if it is for one of these endpoints; else false. */
export type ProbeHandler = (ctx: RequestContext, rawPath: string, candidates: AuthTarget[]) => Promise<boolean>;

/** What readiness depends on, owned by the server (server.ts). */
export interface ReadinessState {
  recovered: boolean;
  shuttingDown: boolean;
  /** Set once the metadata store refuses writes until a restart. */
  writeFailure: () => Error | undefined;
}

/** How long a write probe of the data folder is trusted: probes come every few seconds, not per request. */
const WRITE_PROBE_TTL_MS = 1000;

/**
 * Whether a small file can be written, fsynced and removed in the data folder (a full
 * disk, a read-only remount, a lost mount all fail it). One probe at a time, cached a second.
 */
function writeProbe(dataDir: string): () => Promise<string | undefined> {
  let last: { at: number; result: Promise<string | undefined> } | undefined;
  const file = join(dataDir, 'ready-probe.tmp');
  const probe = async (): Promise<string | undefined> => {
    try {
      const h = await fsp.open(file, 'w', 0o600);
      try {
        await h.writeFile('ready\n');
        await h.sync();
      } finally {
        await h.close();
      }
      await fsp.unlink(file);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return `the data folder takes no writes (${code === 'ENOSPC' || code === 'EDQUOT' ? 'disk full' : code ?? String(e)})`;
    }
  };
  return () => {
    const now = Date.now();
    if (!last || now - last.at > WRITE_PROBE_TTL_MS) last = { at: now, result: probe() };
    return last.result;
  };
}

/** Compares in time independent of where they differ (hashes first: equal lengths). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

export function probeHandler(config: Config, keyring: Keyring, metrics: Metrics, readiness: ReadinessState): ProbeHandler {
  const writable = writeProbe(config.dataDir);

  /** Throws 403 AccessDenied unless the scrape may read the metrics. */
  const authorizeScrape = (ctx: RequestContext, candidates: AuthTarget[]): void => {
    if (config.metricsAnonymous) return;
    const denied = new OssError('AccessDenied', 'The metrics need the metrics token (Authorization: Bearer) or a request signed by the root access key.');
    const authorization = header(ctx, 'authorization') ?? '';
    const bearer = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (bearer) {
      if (config.metricsToken !== undefined && sameSecret(bearer[1]!, config.metricsToken)) return;
      throw denied;
    }
    let accessKeyId: string | undefined;
    try {
      accessKeyId = verifyRequest({ method: ctx.method, query: ctx.query, headers: ctx.req.headers, candidates }, keyring.rootLookup).accessKeyId;
    } catch {
      // A wrong signature says no more than a missing one: denied.
      throw denied;
    }
    if (!keyring.isRoot(accessKeyId)) throw denied;
    ctx.principal = { anonymous: false, accessKeyId: accessKeyId! };
  };

  const text = (ctx: RequestContext, status: number, body: string): void =>
    send(ctx, status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body);

  return async (ctx, rawPath, candidates) => {
    if (candidates[0]?.bucket !== '-') return false;
    const readOnly = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (rawPath === '/-/health' && readOnly) {
      ctx.operation = 'Health';
      text(ctx, 200, 'ok\n');
      return true;
    }
    if (rawPath === '/-/ready' && readOnly) {
      ctx.operation = 'Ready';
      const failure = readiness.writeFailure();
      const reason = !readiness.recovered
        ? 'recovery is not done'
        : readiness.shuttingDown
          ? 'shutting down'
          : failure
            ? `the metadata store takes no writes until a restart (${failure.message})`
            : await writable();
      text(ctx, reason === undefined ? 200 : 503, reason === undefined ? 'ready\n' : `not ready: ${reason}\n`);
      return true;
    }
    if (rawPath === '/-/metrics') {
      ctx.operation = 'Metrics';
      authorizeScrape(ctx, candidates);
      if (!readOnly) throw new OssError('MethodNotAllowed');
      send(ctx, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, await metrics.text());
      return true;
    }
    return false;
  };
}
