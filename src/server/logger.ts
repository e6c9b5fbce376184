/**
 * The server's log: pino, one JSON object a line on stderr (`--log-format json`), or
 * pino-pretty's coloured lines for a terminal (`--log-format pretty`). Every line has
 * `level` (a label: info, warn…), `time` (ISO 8601), `pid`, `hostname` and `msg`.
 *
 * Writes are synchronous, like process.stderr's to a pipe or a file: a line is out before
 * the process can exit or crash, and a shutdown loses none.
 *
 * Nothing secret is ever passed to it: request lines name the access key id only, never
 * an Authorization header, a signature, a security token or a query string (presigned URLs
 * carry their signature there); test/security/observability-logs.test.ts checks it.
 */
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Config, LogFormat, LogLevel } from '../config.js';

export type { Logger };

/**
 * pino-pretty is loaded only for `--log-format pretty`: loaded at every start, its modules
 * stayed in every server's heap (0.6 MB of the idle heap; BENCH.md, "The embedded default
 * before and after the scale-out work").
 */
const load = createRequire(import.meta.url);

export function createLogger(format: LogFormat, level: LogLevel): Logger {
  const options = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level as a word ("warn"), not pino's number (40): readable by people and by greps.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'pretty') {
    const pretty = load('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, translateTime: 'SYS:standard' }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** The settings worth a line at start, by name: never the root secret, never the metrics token (only whether one is set). */
export function configSummary(c: Config): Record<string, unknown> {
  return {
    address: `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`,
    dataDir: resolve(c.dataDir),
    region: c.region,
    publicEndpoint: c.publicEndpoint,
    domains: c.domains,
    tls: c.tlsCert !== undefined,
    tlsCert: c.tlsCert,
    rootKeyFrom: c.rootSecretFrom ?? 'data folder',
    logFormat: c.logFormat,
    logLevel: c.logLevel,
    logRequests: c.logRequests,
    anonymousList: c.anonymousList,
    metricsAnonymous: c.metricsAnonymous,
    metricsToken: c.metricsToken !== undefined ? 'set' : 'unset',
    maxConnections: c.maxConnections,
    headersTimeoutMs: c.headersTimeoutMs,
    idleTimeoutMs: c.idleTimeoutMs,
    maxBufferedBodyBytes: c.maxBufferedBodyBytes,
    idlePollUs: c.idlePollUs,
    shutdownTimeoutS: c.shutdownTimeoutS,
  };
}
