/**
 * Where the client connects and with which credentials: flags, then the environment
 * (the variable names Alibaba's SDKs read), then a profile of the credentials file.
 * Precedence: flag > environment > profile (docs/cli.md "Configuration").
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from './exit-codes.js';

/** Connection flags every client command accepts (commander's camelCase names). */
export interface ConnectionFlags {
  endpoint?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  sessionToken?: string;
  region?: string;
  profile?: string;
  credentialsFile?: string;
  pathStyle?: boolean;
  timeout?: string;
}

export interface Connection {
  endpoint: URL;
  accessKeyId: string;
  accessKeySecret: string;
  sessionToken?: string;
  /** ali-oss form, `oss-cn-hangzhou`. */
  region: string;
  /** Path-style addressing (`/bucket/key`) instead of `bucket.host`. */
  pathStyle: boolean;
  /** Per-request timeout, milliseconds. */
  timeoutMs: number;
}

/** One profile of the credentials file (TOML: `[default]`, `[name]` tables). */
interface Profile {
  endpoint?: string;
  access_key_id?: string;
  access_key_secret?: string;
  session_token?: string;
  region?: string;
  path_style?: boolean;
}

export function defaultCredentialsFile(env: NodeJS.ProcessEnv): string {
  return env.OSSD_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), '.ossd', 'credentials');
}

function readProfile(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Profile {
  const file = flags.credentialsFile ?? defaultCredentialsFile(env);
  const name = flags.profile ?? env.OSSD_PROFILE ?? 'default';
  const explicit = flags.profile !== undefined || env.OSSD_PROFILE !== undefined || flags.credentialsFile !== undefined;
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`credentials file ${file} does not exist`);
    return {};
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`credentials file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const profile = doc[name];
  if (profile === undefined) {
    if (explicit) throw new UsageError(`no profile [${name}] in ${file}`);
    return {};
  }
  if (typeof profile !== 'object' || profile === null) throw new UsageError(`[${name}] in ${file} is not a table`);
  return profile as Profile;
}

/** `oss-cn-hangzhou`: from an explicit region (with or without `oss-`), else from an OSS host name. */
function regionFor(explicit: string | undefined, endpoint: URL): string {
  if (explicit) return explicit.startsWith('oss-') ? explicit : `oss-${explicit}`;
  const m = /^(oss-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/.exec(endpoint.hostname);
  return m ? m[1]! : 'oss-cn-hangzhou';
}

/** A bare host (`oss-cn-hangzhou.aliyuncs.com`) means https. */
function parseEndpoint(value: string): URL {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid endpoint '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`endpoint must be http or https: '${value}'`);
  return url;
}

function isIpHost(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[');
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const profile = readProfile(flags, env);
  const pick = (flag: string | undefined, envName: string, fromProfile: string | undefined): string | undefined =>
    flag ?? (env[envName] !== undefined && env[envName] !== '' ? env[envName] : undefined) ?? fromProfile;
  const endpointText = pick(flags.endpoint, 'OSS_ENDPOINT', profile.endpoint);
  const accessKeyId = pick(flags.accessKeyId, 'OSS_ACCESS_KEY_ID', profile.access_key_id);
  const accessKeySecret = pick(flags.accessKeySecret, 'OSS_ACCESS_KEY_SECRET', profile.access_key_secret);
  const sessionToken = pick(flags.sessionToken, 'OSS_SESSION_TOKEN', profile.session_token);
  if (!endpointText) throw new UsageError('no endpoint: use --endpoint, OSS_ENDPOINT or a profile (docs/cli.md)');
  if (!accessKeyId || !accessKeySecret) {
    throw new UsageError('no credentials: use --access-key-id/--access-key-secret, OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET or a profile');
  }
  const endpoint = parseEndpoint(endpointText);
  const pathStyleEnv = env.OSSD_PATH_STYLE === '1' || env.OSSD_PATH_STYLE === 'true';
  const timeoutSeconds = Number(flags.timeout ?? env.OSSD_CLIENT_TIMEOUT ?? 60);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`invalid --timeout '${flags.timeout}'`);
  return {
    endpoint,
    accessKeyId,
    accessKeySecret,
    sessionToken,
    region: regionFor(pick(flags.region, 'OSS_REGION', profile.region), endpoint),
    // localhost has no wildcard DNS for bucket.localhost, and an IP cannot carry a bucket: both path style.
    pathStyle: flags.pathStyle === true || pathStyleEnv || profile.path_style === true || endpoint.hostname === 'localhost' || isIpHost(endpoint.hostname),
    timeoutMs: Math.round(timeoutSeconds * 1000),
  };
}
