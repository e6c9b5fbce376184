/**
 * The per-request pipeline, and its one try/catch: parse the request line, resolve the
 * bucket and key, verify the signature, validate names, route through the operation
 * table, authorize, run the handler. Any error becomes an OSS error response.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Engine } from '../engine/engine.js';
import { OssError } from '../engine/errors.js';
import { HANDLERS } from '../handlers/index.js';
import { resolveTargets } from '../protocol/addressing.js';
import type { AuthTarget, KeyResolver } from '../protocol/auth/types.js';
import { verifyRequest } from '../protocol/auth/verify.js';
import { addressedVersion, authorize } from '../protocol/authorize.js';
import type { Principal, RequestContext } from '../protocol/context.js';
import { renderError, toOssError } from '../protocol/errors/render.js';
import { validateBucketName, validateObjectKey } from '../protocol/names.js';
import { route, type Level } from '../protocol/operations.js';
import { parseTarget } from '../protocol/request-target.js';
import type { AdminHandler } from './admin.js';
import { bucketBeforeAuthentication } from './check-order.js';
import { closeAfterAnswer } from './closing-sockets.js';
import { addCorsHeaders } from './cors-hook.js';
import type { Logger } from './logger.js';
import type { ProbeHandler } from './probes.js';
import { isDiskFull } from '../engine/errors.js';

export interface PipelineDeps {
  config: Config;
  engine: Engine;
  /** Runs a signature check with the access keys it needs read first (src/keys/keyring.ts). */
  keys: KeyResolver;
  log: Logger;
  /** Sees every request from its start (request-observer.ts: log line and metrics). */
  observe?: (ctx: RequestContext) => void;
  /** A write refused for a full disk (the server logs it, throttled). */
  onDiskFull?: (ctx: RequestContext) => void;
  /** `/-/health`, `/-/ready`, `/-/metrics` (probes.ts). */
  probes?: ProbeHandler;
  /** The principal, with its limits, of a verified access key (src/keys/keyring.ts). */
  principalOf?: (accessKeyId: string) => Principal | Promise<Principal>;
  /** The `/-/admin/` endpoint (admin.ts): answers and returns true for its requests. */
  admin?: AdminHandler;
}

/** 24 upper-case hex digits, as OSS sends: a random process prefix and a counter (no entropy needed per request). */
const REQUEST_ID_PREFIX = randomBytes(6).toString('hex').toUpperCase();
let requestCounter = 0;

export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % 0x1000000000000;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(12, '0');
}

function levelOf(t: AuthTarget): Level {
  if (t.key !== undefined) return 'object';
  return t.bucket !== undefined ? 'bucket' : 'service';
}

export async function handleRequest(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  awaitingContinue: boolean,
): Promise<void> {
  const requestId = newRequestId();
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('server', 'AliyunOSS');
  const method = (req.method ?? 'GET').toUpperCase();
  const host = req.headers.host ?? '';
  const ctx: RequestContext = {
    req,
    res,
    requestId,
    method,
    target: {},
    query: [],
    principal: { anonymous: true },
    engine: deps.engine,
    config: deps.config,
    host,
    operation: 'Unknown',
    awaitingContinue,
  };
  deps.observe?.(ctx);
  // A GET or HEAD that declares a body is answered, then its connection closed instead of
  // reused: a body on a method without body semantics is where front ends and back ends
  // disagree on framing (request smuggling), so nothing more is read from that connection.
  if ((method === 'GET' || method === 'HEAD') && declaresBody(req)) {
    res.setHeader('connection', 'close');
    closeAfterAnswer(req.socket);
  }
  try {
    const target = parseTarget(req.url ?? '/');
    const candidates = resolveTargets(host, target.path, deps.config);
    ctx.query = target.query;
    // Only requests for bucket '-' (never a bucket name) pay for the await.
    if (candidates[0]?.bucket === '-' && deps.probes !== undefined && (await deps.probes(ctx, target.rawPath, candidates))) return;
    if (candidates[0]?.bucket === '-' && deps.admin !== undefined && (await deps.admin(ctx, target.rawPath, candidates))) return;
    // Bucket CORS rules: Access-Control-* headers on every answer to a request with Origin.
    await addCorsHeaders(deps.engine, req, res, method, candidates[0]?.bucket);
    const routeOf = (t: AuthTarget): string | undefined => {
      const r = route({
        method,
        level: levelOf(t),
        queryNames: new Set(target.query.map((q) => q.name)),
        queryValue: (n) => target.query.find((q) => q.name === n)?.value,
        hasHeader: (n) => req.headers[n] !== undefined,
      });
      return 'row' in r ? r.row.name : undefined;
    };
    let outcome;
    try {
      // No await unless a stored key had to be read (the root key's requests stay synchronous here).
      const verified = deps.keys((lookup) => verifyRequest({ method, query: target.query, headers: req.headers, candidates }, lookup));
      outcome = verified instanceof Promise ? await verified : verified;
    } catch (e) {
      // A missing bucket is reported before a failed authentication (check-order.ts).
      throw await bucketBeforeAuthentication(deps.engine, candidates, e, routeOf);
    }
    ctx.target = candidates[outcome.candidateIndex] ?? {};
    const principal = outcome.accessKeyId === undefined ? undefined : deps.principalOf?.(outcome.accessKeyId);
    ctx.principal = outcome.accessKeyId === undefined
      ? { anonymous: true }
      : (principal instanceof Promise ? await principal : principal) ?? { anonymous: false, accessKeyId: outcome.accessKeyId };
    if (ctx.target.bucket !== undefined) validateBucketName(ctx.target.bucket);
    if (ctx.target.key !== undefined) validateObjectKey(ctx.target.key);
    const names = new Set(target.query.map((q) => q.name));
    const routed = route({
      method,
      level: levelOf(ctx.target),
      queryNames: names,
      queryValue: (n) => target.query.find((q) => q.name === n)?.value,
      hasHeader: (n) => req.headers[n] !== undefined,
    });
    if ('notImplemented' in routed) throw new OssError('NotImplemented', `The "${routed.notImplemented}" operation is not implemented by ossd.`);
    if ('methodNotAllowed' in routed) throw new OssError('MethodNotAllowed');
    ctx.operation = routed.row.name;
    // A request that names a version is authorized with that version's ACL (authorize.ts).
    const versionId = addressedVersion(routed.row.name, target.query);
    await authorize(deps.engine, deps.config, ctx.principal, { ...ctx.target, versionId }, routed.row.access, routed.row);
    const handler = HANDLERS[routed.row.name];
    if (!handler) throw new OssError('NotImplemented');
    await handler(ctx, {
      authorizeRead: (bucket, key, versionId) => authorize(deps.engine, deps.config, ctx.principal, { bucket, key, versionId }, 'read'),
      keys: deps.keys,
      authorizeWrite: async (id, bucket, key) => {
        const principal: Principal = id === undefined ? { anonymous: true } : (await deps.principalOf?.(id)) ?? { anonymous: false, accessKeyId: id };
        return authorize(deps.engine, deps.config, principal, { bucket, key }, 'write', routed.row);
      },
    });
  } catch (e) {
    respondWithError(deps, ctx, e);
  } finally {
    if (!ctx.detached) ctx.handlerDone?.(ctx);
  }
}

const DRAIN_LIMIT = 8 * 1024 * 1024;

/** Transfer-Encoding, or a Content-Length other than 0 (RFC 9112 §6.3). */
function declaresBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && !/^0+$/.test(cl));
}

/** Bytes the client said it would send: 0 without a body, unbounded when chunked. */
function declaredLength(ctx: RequestContext): number {
  const cl = ctx.req.headers['content-length'];
  if (ctx.req.headers['transfer-encoding'] !== undefined) return Infinity;
  if (cl === undefined) return 0;
  return /^\d+$/.test(cl) ? Number(cl) : Infinity;
}

/** The client went away (mid-body or mid-answer): nothing to answer, nothing to log as a fault. */
function clientGone(ctx: RequestContext, e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  // req.socket is null once Node has let go of a destroyed request.
  return !ctx.req.socket || ctx.req.socket.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error | undefined)?.message === 'aborted';
}

/**
 * A chunked body has no declared length: drain it like a small one (closing at once would
 * make the kernel reset the connection and lose the answer, and the C++ SDK always sends
 * PutObject chunked), but cut the connection once more than DRAIN_LIMIT has come.
 */
function drainChunked(ctx: RequestContext): void {
  let drained = 0;
  ctx.req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT) ctx.req.socket?.destroy();
  });
}

/** Clients read at most 16 KiB of response head (Node's default); x-oss-err stays well within. */
const MAX_ERR_HEADER = 8 * 1024;

/**
 * x-oss-err for a HEAD answer. Details can echo the request (a StringToSign holds every
 * x-oss-* header): when too long for a header they are left out, and then the HostId.
 */
function errHeader(err: OssError, ctx: RequestContext, body: string): string {
  const full = Buffer.from(body).toString('base64');
  if (full.length <= MAX_ERR_HEADER) return full;
  const bare = new OssError(err.code, err.message);
  const short = Buffer.from(renderError(bare, ctx.requestId, ctx.host).body).toString('base64');
  return short.length <= MAX_ERR_HEADER ? short : Buffer.from(renderError(bare, ctx.requestId, '').body).toString('base64');
}

function respondWithError(deps: PipelineDeps, ctx: RequestContext, e: unknown): void {
  if (clientGone(ctx, e)) {
    ctx.res.destroy();
    return;
  }
  const err = toOssError(e);
  ctx.errorCode = err.code;
  if (err.code === 'InternalError') {
    deps.log.error({ requestId: ctx.requestId, operation: ctx.operation, error: e instanceof Error ? e.stack ?? e.message : String(e) }, 'internal error');
  }
  if (isDiskFull(e)) deps.onDiskFull?.(ctx);
  const res = ctx.res;
  if (res.headersSent) {
    // Too late for an error response: the status is gone; cut the connection so the
    // client sees a failure rather than a short body.
    res.destroy();
    return;
  }
  const rendered = renderError(err, ctx.requestId, ctx.host);
  for (const [k, v] of Object.entries(rendered.headers)) res.setHeader(k, v);
  // Node drains an unread request body after the answer so the connection can be reused;
  // a large one is not worth reading: close instead. (Closing while a small body is still
  // unread would make the kernel reset the connection and lose our answer.)
  if (!ctx.req.complete) {
    if (ctx.req.headers['transfer-encoding'] !== undefined) drainChunked(ctx);
    else if (!(declaredLength(ctx) <= DRAIN_LIMIT)) res.setHeader('connection', 'close');
  }
  if (ctx.method === 'HEAD') {
    // HEAD answers carry no body; SDKs decode the error from x-oss-err (README §4.2).
    res.setHeader('x-oss-err', errHeader(err, ctx, rendered.body));
    res.setHeader('content-length', '0');
    res.writeHead(rendered.status);
    res.end();
    return;
  }
  res.setHeader('content-length', String(Buffer.byteLength(rendered.body)));
  res.writeHead(rendered.status);
  res.end(rendered.body);
}
