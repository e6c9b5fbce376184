/**
 * Configuration: flags, with environment equivalents (flag wins), validated once and
 * frozen. Names scripts depend on: OSSD_ADDRESS, OSSD_DATA_DIR, OSSD_ROOT_ACCESS_KEY_ID,
 * OSSD_ROOT_ACCESS_KEY_SECRET, OSSD_REGION.
 */
import { parseArgs } from 'node:util';
import { type BlobsConfig, type MetadataConfig, parseBlobs, parseMetadata, parseNodeId } from './config-cluster.js';
import { ConfigFileError, readConfigFile, type FileSettings } from './config-file.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  rootAccessKeyId?: string;
  rootAccessKeySecret?: string;
  /** Where rootAccessKeySecret came from, for the banner (which shows the secret only when ossd generates it). */
  rootSecretFrom?: 'flag' | 'environment';
  /** Region id without the `oss-` prefix, e.g. `cn-hangzhou`. */
  region: string;
  /**
   * `host[:port]` responses name as this server's endpoint (ExtranetEndpoint, Location),
   * for a proxy or NAT in front; unset: the host each request came in by (protocol/endpoint.ts).
   */
  publicEndpoint?: string;
  /** Host names served path-style, whose sub-domains are virtual-hosted buckets. */
  domains: string[];
  /** One log line per request (level info). */
  logRequests: boolean;
  /** `json` (one pino JSON object a line) or `pretty` (pino-pretty, for a terminal). */
  logFormat: LogFormat;
  /** The least severe level logged (pino levels); SIGHUP re-reads it from OSSD_LOG_LEVEL or the flag. */
  logLevel: LogLevel;
  /** `/-/metrics` without authentication. */
  metricsAnonymous: boolean;
  /** A bearer token that may read `/-/metrics` (besides the root key's signature). */
  metricsToken?: string;
  /** Seconds a SIGTERM/SIGINT waits for requests in flight before cutting them. */
  shutdownTimeoutS: number;
  /** Whether anonymous users may list public-read buckets (auth.md §6.2, open question 5). */
  anonymousList: boolean;
  /** Time a client has to send the request head, in ms (slowloris protection). */
  headersTimeoutMs?: number;
  /** A connection with no traffic for this long (mid-body included) is cut, in ms. */
  idleTimeoutMs?: number;
  /** Cap on simultaneous connections; more are closed on accept. */
  maxConnections?: number;
  /** Cap on request-body bytes held in memory by all requests together; past it, bodies wait (backpressure). */
  maxBufferedBodyBytes?: number;
  /** Seconds a follow read lasts without a new byte when its request does not say (x-ossd-follow-idle-timeout; docs/extensions.md). */
  followIdleTimeoutS?: number;
  /** Seconds a follow read lasts in all when its request does not say (x-ossd-follow-max-duration). */
  followMaxDurationS?: number;
  /** How long the event loop keeps polling after the last request in flight is answered, in µs (server/idle-poll.ts); 0: off. */
  idlePollUs?: number;
  /** PEM certificate (chain) and private key files: serve HTTPS instead of HTTP. */
  tlsCert?: string;
  tlsKey?: string;
  /** Where metadata lives: the SQLite file in the data folder (default), or PostgreSQL (config-cluster.ts). */
  metadata: MetadataConfig;
  /** Where object bytes live: files in the data folder (default), or an S3 bucket. */
  blobs: BlobsConfig;
  /** This node's name in a cluster (default `<host name>:<port>`). */
  nodeId: string;
  /**
   * The master key sealing access key secrets, shared by every node of a cluster
   * (--metadata postgres; src/keys/master-key.ts sharedMasterKey): OSSD_MASTER_KEY's
   * value, else the file --master-key-file. The SQLite store keeps <data>/master.key.
   */
  masterKey?: string;
  masterKeyFile?: string;
  /** With --metadata postgres: the TTL of this node's liveness lease (drivers/postgres/node-liveness.ts). */
  nodeLeaseMs: number;
}

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A metrics token shorter than this is refused (it guards the metrics like a password). */
export const MIN_METRICS_TOKEN = 16;

export const OPTIONS = {
  config: { type: 'string', env: 'OSSD_CONFIG', help: 'settings file (.toml, .json, .yaml): keys are these flag names; flags and environment win over it' },
  address: { type: 'string', env: 'OSSD_ADDRESS', help: 'host:port to listen on (default 127.0.0.1:9000)' },
  'data-dir': { type: 'string', env: 'OSSD_DATA_DIR', help: 'data folder (default ./data)' },
  'root-access-key-id': { type: 'string', env: 'OSSD_ROOT_ACCESS_KEY_ID', help: 'root access key id (default: generated once, kept in the data folder)' },
  'root-access-key-secret': { type: 'string', env: 'OSSD_ROOT_ACCESS_KEY_SECRET', help: 'root access key secret' },
  region: { type: 'string', env: 'OSSD_REGION', help: 'region id, e.g. cn-hangzhou (default)' },
  'public-endpoint': { type: 'string', env: 'OSSD_PUBLIC_ENDPOINT', help: 'host[:port] named as the endpoint in responses (default: the host each request used)' },
  domain: { type: 'string', env: 'OSSD_DOMAINS', help: 'comma-separated extra host names for virtual-hosted buckets (localhost is always one)' },
  'log-requests': { type: 'boolean', env: 'OSSD_LOG_REQUESTS', help: 'log one line per request (level info)' },
  'log-format': { type: 'string', env: 'OSSD_LOG_FORMAT', help: 'json (default) or pretty (for a terminal)' },
  'log-level': { type: 'string', env: 'OSSD_LOG_LEVEL', help: 'trace, debug, info (default), warn, error, fatal or silent; SIGHUP re-reads OSSD_LOG_LEVEL' },
  'metrics-anonymous': { type: 'boolean', env: 'OSSD_METRICS_ANONYMOUS', help: 'serve /-/metrics without authentication' },
  'metrics-token': { type: 'string', env: 'OSSD_METRICS_TOKEN', help: `bearer token that may read /-/metrics (at least ${MIN_METRICS_TOKEN} characters)` },
  'shutdown-timeout': { type: 'string', env: 'OSSD_SHUTDOWN_TIMEOUT', help: 'seconds SIGTERM/SIGINT waits for requests in flight (default 30)' },
  'no-anonymous-list': { type: 'boolean', env: 'OSSD_NO_ANONYMOUS_LIST', help: 'refuse anonymous listing even on public-read buckets' },
  'headers-timeout-ms': { type: 'string', env: 'OSSD_HEADERS_TIMEOUT_MS', help: 'ms a client has to send the request headers (default 60000)' },
  'idle-timeout-ms': { type: 'string', env: 'OSSD_IDLE_TIMEOUT_MS', help: 'ms without traffic before a connection is cut, mid-body too (default 120000)' },
  'max-connections': { type: 'string', env: 'OSSD_MAX_CONNECTIONS', help: 'maximum simultaneous connections (default 10000)' },
  'max-buffered-body-bytes': { type: 'string', env: 'OSSD_MAX_BUFFERED_BODY_BYTES', help: 'request-body bytes held in memory by all requests together before reading pauses (default 67108864)' },
  'follow-idle-timeout': { type: 'string', env: 'OSSD_FOLLOW_IDLE_TIMEOUT', help: 'seconds a follow read lasts without a new byte unless it asks otherwise (default 60, at most 3600)' },
  'follow-max-duration': { type: 'string', env: 'OSSD_FOLLOW_MAX_DURATION', help: 'seconds a follow read lasts in all unless it asks otherwise (default 3600, at most 86400)' },
  'idle-poll-us': { type: 'string', env: 'OSSD_IDLE_POLL_US', help: 'µs the event loop keeps polling after answering the last request in flight, 0: off (default 500)' },
  'tls-cert': { type: 'string', env: 'OSSD_TLS_CERT', help: 'PEM certificate file: serve HTTPS (with --tls-key)' },
  'tls-key': { type: 'string', env: 'OSSD_TLS_KEY', help: 'PEM private key file of --tls-cert' },
  metadata: { type: 'string', env: 'OSSD_METADATA', help: 'sqlite (default, in the data folder) or postgres://user:pass@host:port/db (shared by the nodes of a cluster; docs/deploy.md)' },
  blobs: { type: 'string', env: 'OSSD_BLOBS', help: 'file (default, in the data folder) or s3://<bucket> with OSSD_S3_ENDPOINT, OSSD_S3_ACCESS_KEY_ID, OSSD_S3_SECRET_ACCESS_KEY, OSSD_S3_REGION, OSSD_S3_FORCE_PATH_STYLE' },
  'node-id': { type: 'string', env: 'OSSD_NODE_ID', help: 'this node\'s name, unique in the cluster (default <host name>:<port>)' },
  'node-lease-ms': { type: 'string', env: 'OSSD_NODE_LEASE_MS', help: 'with --metadata postgres: ms a node stays alive to the others without renewing its lease (renewed every third of it); after that the others collect its staged segments (default 30000)' },
  'master-key': { type: 'string', env: 'OSSD_MASTER_KEY', help: 'with --metadata postgres: the 32-byte key that seals access key secrets, the same on every node (64 hex digits or base64; make one with openssl rand -hex 32); better given in the environment than as a flag' },
  'master-key-file': { type: 'string', env: 'OSSD_MASTER_KEY_FILE', help: 'with --metadata postgres: a file holding that key (32 raw bytes, or hex or base64 text), when OSSD_MASTER_KEY is not set; one of the two is required there (with sqlite the data folder\'s master.key is used)' },
} as const;

export class ConfigError extends Error {}

/** OSS access key secrets are 30 characters; shorter than this is refused as guessable. */
export const MIN_ROOT_SECRET_LENGTH = 16;

export function parseAddress(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v);
  if (!m) throw new ConfigError(`address must be host:port (e.g. 127.0.0.1:9000, 0.0.0.0:9000, [::1]:9000), got ${JSON.stringify(v)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`address: the port must be 0 to 65535, got ${JSON.stringify(v)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function normalizeRegion(v: string): string {
  const r = v.trim().toLowerCase().replace(/^oss-/, '');
  if (!/^[a-z0-9-]{2,40}$/.test(r)) throw new ConfigError(`region must be a region id such as cn-hangzhou (letters, digits, -), got ${JSON.stringify(v)}`);
  return r;
}

/** `host[:port]` (a name, an IPv4 address or a bracketed IPv6 one), lower-cased; no scheme, no path. */
export function parsePublicEndpoint(v: string): string {
  const e = v.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(\d{1,5}))?$/.exec(e);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new ConfigError(`public endpoint must be host[:port] without scheme or path, got ${JSON.stringify(v)}`);
  }
  return e;
}

/** The host name of a `host[:port]` endpoint, undefined for an IP address (IP hosts are always path style). */
function endpointDomain(endpoint: string): string | undefined {
  if (endpoint.startsWith('[')) return undefined;
  const name = endpoint.replace(/:\d+$/, '');
  return /^[\d.]+$/.test(name) ? undefined : name;
}

/** A whole-number setting of at least `min` (1 unless said); `dflt` when unset. */
function intSetting(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,10}$/.test(v.trim()) || Number(v) < min) {
    throw new ConfigError(`${name} must be ${min === 0 ? 'a whole number (0 or more)' : 'a positive integer'}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** `n`, refused above `max`. */
function capped(name: string, n: number, max: number): number {
  if (n > max) throw new ConfigError(`${name} must be at most ${max}, got ${n}`);
  return n;
}

/** One of `allowed` (case-insensitive), else a ConfigError naming the setting and the values it takes. */
function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const lower = v.trim().toLowerCase();
  const found = allowed.find((a) => a === lower);
  if (found === undefined) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return found;
}

/** The log level of the flag or environment (also re-read on SIGHUP, server/reload.ts). */
export function logLevelSetting(v: string | undefined): LogLevel {
  return oneOf('log-level', v, LOG_LEVELS, 'info');
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const options = Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type }]));
  const { values } = parseArgs({ args: argv, options: options as never, strict: true, allowPositionals: false });
  const v = values as Record<string, string | boolean | undefined>;
  const configFile = typeof v.config === 'string' ? v.config : env.OSSD_CONFIG || undefined;
  let file: FileSettings = {};
  if (configFile !== undefined) {
    try {
      file = readConfigFile(configFile, new Set(Object.keys(OPTIONS)));
    } catch (e) {
      throw e instanceof ConfigFileError ? new ConfigError(e.message) : e;
    }
  }
  // Flag, then environment, then the config file.
  const pick = (name: keyof typeof OPTIONS): string | undefined => {
    const flag = v[name];
    if (typeof flag === 'string') return flag;
    const fromFile = file[name];
    return env[OPTIONS[name].env] || (typeof fromFile === 'string' ? fromFile : undefined);
  };
  const flagOrEnv = (name: keyof typeof OPTIONS): boolean => {
    if (v[name] === true) return true;
    const fromEnv = env[OPTIONS[name].env];
    const text = fromEnv !== undefined && fromEnv !== '' ? fromEnv : file[name];
    if (text === undefined || typeof text === 'boolean') return text === true;
    if (['1', 'true', 'yes'].includes(text.toLowerCase())) return true;
    if (['0', 'false', 'no', ''].includes(text.toLowerCase())) return false;
    throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(text)}`);
  };
  const { host, port } = parseAddress(pick('address') ?? '127.0.0.1:9000');
  const id = pick('root-access-key-id');
  const secret = pick('root-access-key-secret');
  if ((id === undefined) !== (secret === undefined)) {
    throw new ConfigError('set both the root access key id and secret, or neither');
  }
  if (secret !== undefined && secret.length < MIN_ROOT_SECRET_LENGTH) {
    throw new ConfigError(`root-access-key-secret must be at least ${MIN_ROOT_SECRET_LENGTH} characters (OSS secrets have 30), got ${secret.length}`);
  }
  const tlsCert = pick('tls-cert');
  const tlsKey = pick('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError('tls-cert and tls-key: set both, or neither');
  const extra = (pick('domain') ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  const fail = (message: string): never => {
    throw new ConfigError(message);
  };
  const publicEndpointValue = pick('public-endpoint');
  const publicEndpoint = publicEndpointValue === undefined ? undefined : parsePublicEndpoint(publicEndpointValue);
  // The public host serves virtual-hosted buckets too: an SDK that follows the advertised
  // endpoint addresses `<bucket>.<public host>`.
  const publicDomain = publicEndpoint === undefined ? undefined : endpointDomain(publicEndpoint);
  if (publicDomain !== undefined) extra.push(publicDomain);
  const metricsToken = pick('metrics-token');
  if (metricsToken !== undefined && metricsToken.length < MIN_METRICS_TOKEN) {
    throw new ConfigError(`metrics-token must be at least ${MIN_METRICS_TOKEN} characters, got ${metricsToken.length}`);
  }
  return Object.freeze({
    host,
    port,
    dataDir: pick('data-dir') ?? './data',
    rootAccessKeyId: id,
    rootAccessKeySecret: secret,
    rootSecretFrom: secret === undefined ? undefined : typeof v['root-access-key-secret'] === 'string' ? 'flag' : 'environment',
    region: normalizeRegion(pick('region') ?? 'cn-hangzhou'),
    publicEndpoint,
    domains: Object.freeze([...new Set(['localhost', ...extra])]) as string[],
    logRequests: flagOrEnv('log-requests'),
    logFormat: oneOf('log-format', pick('log-format'), LOG_FORMATS, 'json'),
    logLevel: logLevelSetting(pick('log-level')),
    metricsAnonymous: flagOrEnv('metrics-anonymous'),
    metricsToken,
    shutdownTimeoutS: intSetting('shutdown-timeout', pick('shutdown-timeout'), 30, 0),
    anonymousList: !flagOrEnv('no-anonymous-list'),
    headersTimeoutMs: intSetting('headers-timeout-ms', pick('headers-timeout-ms'), 60_000),
    idleTimeoutMs: intSetting('idle-timeout-ms', pick('idle-timeout-ms'), 120_000),
    maxConnections: intSetting('max-connections', pick('max-connections'), 10_000),
    maxBufferedBodyBytes: intSetting('max-buffered-body-bytes', pick('max-buffered-body-bytes'), 64 * 1024 * 1024),
    followIdleTimeoutS: capped('follow-idle-timeout', intSetting('follow-idle-timeout', pick('follow-idle-timeout'), 60), 3600),
    followMaxDurationS: capped('follow-max-duration', intSetting('follow-max-duration', pick('follow-max-duration'), 3600), 86_400),
    idlePollUs: intSetting('idle-poll-us', pick('idle-poll-us'), 500, 0),
    tlsCert,
    tlsKey,
    metadata: Object.freeze(parseMetadata(pick('metadata'), fail)),
    blobs: Object.freeze(parseBlobs(pick('blobs'), env, fail)),
    nodeId: parseNodeId(pick('node-id'), port, fail),
    masterKey: pick('master-key'),
    masterKeyFile: pick('master-key-file'),
    nodeLeaseMs: intSetting('node-lease-ms', pick('node-lease-ms'), 30_000, 100),
  });
}
