/** Starting ossd: data folder, drivers, recovery, then the node:http listener. */
import { createServer, type IncomingMessage, type Server, type ServerOptions, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { promises as fsp } from 'node:fs';
import type { Config } from '../config.js';
import { openBlobs } from '../drivers/open-blobs.js';
import { openMetadata } from '../drivers/open-metadata.js';
import { applyFaults } from '../drivers/faults-config.js';
import { DEFAULT_BODY_BUDGET, setBodyBudget } from '../engine/body-budget.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { RecoveryReport } from '../engine/recovery.js';
import { Keyring } from '../keys/keyring.js';
import { OssError } from '../engine/errors.js';
import { renderError } from '../protocol/errors/render.js';
import { loadRootCredentials, type RootCredentials } from './credentials.js';
import { adminHandler } from './admin.js';
import { handleRequest, newRequestId, type PipelineDeps } from './pipeline.js';
import { IdlePoll } from './idle-poll.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { probeHandler, type ReadinessState } from './probes.js';
import { RequestObserver, type RequestFacts } from './request-observer.js';
import { CountedRequest, CountedResponse } from './counted-messages.js';
import { GracefulStop } from './graceful.js';
import { throttled } from './throttle.js';
import { isClosing } from './closing-sockets.js';

/** How long a stop waits for follow reads to send their end (a reader that does not read is cut). */
const FOLLOW_SHUTDOWN_WAIT_MS = 2000;

export interface RunningServer {
  server: Server;
  engine: Engine;
  credentials: RootCredentials;
  recovery: RecoveryReport;
  endpoint: string;
  /**
   * The graceful stop: no new connections, requests in flight get up to `deadlineMs`,
   * then the store is closed cleanly (nothing to recover at the next start). Logs each step.
   */
  shutdown(deadlineMs: number): Promise<void>;
  /** SIGHUP: the log level and the TLS certificate and key of `fresh` (re-read settings) apply, without dropping a connection. */
  reload(fresh: Config): Promise<void>;
}

/** The request line's status in metrics: the HTTP status, or `aborted` when the exchange was cut. */
function statusLabel(f: RequestFacts): string {
  return f.aborted ? 'aborted' : String(f.status ?? 0);
}

/** Reads the PEM certificate (chain) and key files of --tls-cert/--tls-key. */
async function readTls(c: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!c.tlsCert || !c.tlsKey) return undefined;
  return { cert: await fsp.readFile(c.tlsCert), key: await fsp.readFile(c.tlsKey) };
}

/**
 * Content-Length together with Transfer-Encoding: chunked is refused (400, connection closed)
 * although RFC 9112 §6.1 lets a server read such a request as chunked: Node's parser
 * accepts it only with insecureHTTPParser, which turns on every leniency of llhttp at once
 * (docs/errors.md says why ossd keeps the refusal). The message says what to change.
 */
function parseErrorMessage(err: NodeJS.ErrnoException): string {
  if (/Content-Length/i.test(err.message) && /Transfer-Encoding/i.test(err.message)) {
    return 'A request must not carry both Content-Length and Transfer-Encoding; send one of them.';
  }
  return 'The request could not be parsed as HTTP.';
}

/**
 * Tuning of an immutable blob store's background work, for tests (like OSSD_INLINE_MAX):
 * OSSD_GC_GRACE_MS (default 15 min) and OSSD_COMPACT_ABOVE (default 16 segments).
 */
function engineTuning(env: NodeJS.ProcessEnv): EngineOptions {
  const int = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  return { gcGraceMs: int(env.OSSD_GC_GRACE_MS), compactAbove: int(env.OSSD_COMPACT_ABOVE) };
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  await fsp.mkdir(config.dataDir, { recursive: true });
  // Request-body bytes held in memory, all requests together (body-budget.ts).
  setBodyBudget(config.maxBufferedBodyBytes ?? DEFAULT_BODY_BUDGET);
  const credentials = await loadRootCredentials(config);
  const effective: Config = Object.freeze({ ...config, rootAccessKeyId: credentials.accessKeyId, rootAccessKeySecret: credentials.accessKeySecret });
  const blobs = await openBlobs(config.blobs, config.dataDir);
  // Requests in flight: with none but the one committing, a WAL fsync may run on the event loop (wal-sync.ts).
  let inFlight = 0;
  // Metadata, access keys and follow-read wake-ups: the data folder's, or the cluster's PostgreSQL (open-metadata.ts).
  const opened = await openMetadata(config, {
    syncOnLoop: () => inFlight <= 1,
    onError: (e) => log.warn({ error: String(e) }, 'metadata: background connection failed (retried)'),
    liveness: {
      leaseMs: config.nodeLeaseMs,
      // Declared dead by the cluster (stalled past its lease): the others are collecting
      // its work in flight and its commits are refused (node-liveness.ts). Crash-only: a
      // restart takes a fresh lease and nothing of the old process's work.
      onLost: (holder) => {
        log.fatal({ nodeId: config.nodeId, holder }, 'node lease lost: another node declared this one dead; exiting so that it starts afresh');
        process.exit(1);
      },
    },
  });
  const meta = opened.meta;
  // OSSD_FAULTS: a test hook injecting EIO/ENOSPC into the drivers (faults-config.ts); unset in production.
  const drivers = applyFaults(meta, blobs, process.env);
  if (drivers.plan) log.warn({ faults: process.env.OSSD_FAULTS }, 'fault injection (test hook) is active');
  const engine = new Engine(drivers.meta, drivers.blobs, (e) => log.warn({ error: String(e) }, 'background work failed'), opened.changes, { ...engineTuning(process.env), leases: opened.leases });
  const recoveryStarted = performance.now();
  const recovery = await engine.recover();
  // What start-up had to look at: 0 blobs after a clean stop, the work in flight after a crash (recovery.ts).
  const { unwritten, ...recovered } = recovery;
  log.info({ recovery: { ...recovered, fullDiskObjects: unwritten?.size ?? 0 }, durationMs: Math.round(performance.now() - recoveryStarted) }, 'recovery done');
  if (unwritten?.size) log.warn({ objects: unwritten.size }, 'disk full: journaled appends kept in the journal until space is freed');
  const readiness: ReadinessState = { recovered: true, shuttingDown: false, writeFailure: () => engine.writeFailure() };

  // Root first, then the keys of `ossd keys` and temporary credentials, read from the key
  // store on every request so that changes made meanwhile (CLI, another node) apply at once.
  const keyring = new Keyring(credentials, opened.keys);
  const metrics = new Metrics({ dataDir: config.dataDir, inFlight: () => inFlight, bucketUsage: () => engine.bucketUsage(), postgres: opened.postgresCounts });
  const diskFullWarning = throttled(10_000, (refused: number, ctx: { operation: string; bucket?: string }) =>
    log.warn({ refusedSinceLastLine: refused, operation: ctx.operation, bucket: ctx.bucket, dataDir: config.dataDir }, 'disk full: writes refused with 507 InsufficientStorage until space is freed'));
  const reportRequest = (facts: RequestFacts): void => {
    metrics.record({ operation: facts.operation, status: statusLabel(facts), errorCode: facts.errorCode, durationS: facts.durationMs / 1000, bytesIn: facts.bytesIn, bytesOut: facts.bytesOut });
    if (config.logRequests) log.info(facts, 'request');
  };
  const observer = new RequestObserver(reportRequest);
  const deps: PipelineDeps = {
    config: effective, engine, keys: keyring.verify, log,
    principalOf: (id) => keyring.principal(id), admin: adminHandler(keyring, { engine, dataDir: config.dataDir }),
    probes: probeHandler(config, keyring, metrics, readiness),
    onDiskFull: (ctx) => diskFullWarning({ operation: ctx.operation, bucket: ctx.target.bucket }),
    observe: (ctx) => observer.start(ctx),
  };
  const headersTimeout = config.headersTimeoutMs ?? 60_000;
  // --tls-cert/--tls-key: the same server over TLS (node:https), same handlers.
  const tls = await readTls(config);
  const listen = (o: ServerOptions): Server => (tls ? (createHttpsServer({ ...o, ...tls }) as unknown as Server) : createServer(o));
  const server = listen({
    // Requests and responses that count their body bytes and carry the observer's state (counted-messages.ts).
    IncomingMessage: CountedRequest,
    ServerResponse: CountedResponse as unknown as typeof ServerResponse,
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    headersTimeout,
    // Node enforces headersTimeout only when it sweeps connections: sweep often enough
    // that a slow sender of headers (slowloris) is cut soon after the limit.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    // Node would answer a Host-less HTTP/1.1 request itself (a bare 400 without
    // x-oss-request-id); without Host the request is simply path style (addressing.ts).
    requireHostHeader: false,
  });
  // Whole-request timeout off: large uploads may take long. Idle sockets are cut instead.
  server.setTimeout(config.idleTimeoutMs ?? 120_000);
  server.maxConnections = config.maxConnections ?? 10_000;
  const idlePoll = new IdlePoll(config.idlePollUs ?? 0, () => inFlight > 0);
  const graceful = new GracefulStop(server);
  // One 'close' listener for every response, not a closure per request, and on() rather than
  // once() ('close' comes once): a follow read's response lives for hours, 10,000 of them
  // (BENCH.md "Follow reads").
  const requestClosed = function (this: CountedResponse): void {
    graceful.closed(this);
    observer.closed(this);
    if (--inFlight === 0) idlePoll.idle();
  };
  const serve = (req: IncomingMessage, response: ServerResponse, awaitingContinue: boolean): void => {
    // Always one: the server is made with these classes (listen() above).
    const res = response as CountedResponse;
    // Pipelined behind a request after which the connection closes (closing-sockets.ts):
    // not run, not answered (Node never sends it, nor emits its 'close': it is not counted).
    if (isClosing(req.socket)) {
      req.resume();
      return;
    }
    graceful.track(req, res);
    inFlight++;
    res.on('close', requestClosed);
    void handleRequest(deps, req, res, awaitingContinue);
  };
  server.on('request', (req, res) => serve(req, res, false));
  // Expect: 100-continue is answered only when the handler starts reading the body,
  // i.e. after authentication and all header checks passed.
  server.on('checkContinue', (req, res) => serve(req, res, true));
  // Any other Expect value: Node would answer a bare 417 (no x-oss-request-id); the
  // expectation is ignored instead and the request handled like any other.
  server.on('checkExpectation', (req, res) => serve(req, res, /\b100-continue\b/i.test(String(req.headers.expect))));
  // Connections past --max-connections: Node closes them on accept and says so here.
  const refusedWarning = throttled(10_000, (refused: number, remoteAddress?: string) =>
    log.warn({ refusedSinceLastLine: refused, maxConnections: server.maxConnections, clientAddress: remoteAddress }, 'connection refused: max-connections reached'));
  server.on('drop', (data?: { remoteAddress?: string }) => refusedWarning(data?.remoteAddress));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // README §3: x-oss-request-id on every response, even to requests Node could not parse.
    if (!socket.writable) return socket.destroy();
    const id = newRequestId();
    // A head over Node's 16 KiB limit: 431 RequestHeaderTooLarge; anything else unparsable: 400.
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const error = tooLarge ? new OssError('RequestHeaderTooLarge') : new OssError('InvalidRequest', parseErrorMessage(err));
    const body = renderError(error, id, '').body;
    // An answer to HEAD carries no body: the error goes into x-oss-err (README §4.2).
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    const framing = head
      ? `x-oss-err: ${Buffer.from(body).toString('base64')}\r\ncontent-length: 0\r\n\r\n`
      : `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nx-oss-request-id: ${id}\r\ncontent-type: application/xml\r\nconnection: close\r\n${framing}`,
    );
    // No request object exists: its line and metrics are made here, under operation 'Unparsable'.
    const status = tooLarge ? 431 : 400;
    metrics.record({ operation: 'Unparsable', status: String(status), errorCode: error.code, durationS: 0, bytesIn: 0, bytesOut: head ? 0 : Buffer.byteLength(body) });
    if (config.logRequests) {
      log.info({ requestId: id, operation: 'Unparsable', status, aborted: false, errorCode: error.code, clientAddress: (socket as import('node:net').Socket).remoteAddress, parseError: err.code }, 'request');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const endpoint = `${tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  log.info({ endpoint, address: config.host, port, tls: tls !== undefined }, 'ready');
  return {
    server,
    engine,
    credentials,
    recovery,
    endpoint,
    shutdown: async (deadlineMs) => {
      readiness.shuttingDown = true;
      log.info({ requestsInFlight: graceful.requestsInFlight, deadlineS: deadlineMs / 1000 }, 'stopping: no new connections, waiting for the requests in flight');
      const stopped = graceful.stop(deadlineMs);
      // Follow reads end with reason `shutdown` (their trailers go out) instead of holding the stop to its deadline.
      await engine.changes.shutdown(Math.min(FOLLOW_SHUTDOWN_WAIT_MS, deadlineMs));
      const { outcome, cut } = await stopped;
      if (outcome === 'deadline') log.warn({ cut, deadlineS: deadlineMs / 1000 }, 'stopping: deadline reached, requests still in flight were cut');
      else log.info('stopping: every request in flight was answered');
      await engine.close();
      await keyring.store.close();
      log.info('stopping: store closed cleanly');
    },
    reload: async (fresh) => {
      if (fresh.logLevel !== log.level) {
        // Said at whichever of the two levels shows more, so the line is seen both ways.
        const change = { from: log.level, to: fresh.logLevel };
        const moreVerbose = (log.levels.values[fresh.logLevel] ?? Infinity) < log.levelVal;
        if (moreVerbose) log.level = fresh.logLevel;
        log.info(change, 'reload: log level');
        log.level = fresh.logLevel;
      }
      if (!tls) return;
      // New connections get the new certificate; open ones keep theirs (TLS has no swap mid-connection).
      const next = await readTls(fresh);
      if (!next) throw new Error('TLS was configured at start: --tls-cert and --tls-key stay required');
      (server as unknown as import('node:tls').Server).setSecureContext(next);
      log.info({ tlsCert: fresh.tlsCert }, 'reload: TLS certificate and key');
    },
  };
}
