/**
 * Where metadata and object bytes live (issue 19, docs/storage.md "Scale-out design"):
 * `--metadata` (sqlite | postgres://…), `--blobs` (file | s3://<bucket>, with the
 * OSSD_S3_* settings) and `--node-id`. Parsed and checked here; the PostgreSQL driver
 * does not exist yet, so a server asked for it refuses to start (`backendRefusal`)
 * instead of silently using the local store. S3 blobs with SQLite metadata are a valid
 * single-node setup (drivers/open-blobs.ts).
 */
import { hostname } from 'node:os';

/** Thrown for a malformed setting (config.ts's ConfigError; given here to avoid an import cycle). */
type Fail = (message: string) => never;

export type MetadataConfig = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

export interface S3Config {
  kind: 's3';
  bucket: string;
  /** OSSD_S3_ENDPOINT: `http(s)://host[:port]`; unset: AWS's endpoint for the region. */
  endpoint?: string;
  /** OSSD_S3_ACCESS_KEY_ID and OSSD_S3_SECRET_ACCESS_KEY, both or neither (neither: the SDK's default credential chain). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** OSSD_S3_REGION (default us-east-1, which Ceph RGW and MinIO accept). */
  region: string;
  /** OSSD_S3_FORCE_PATH_STYLE (default true: Ceph RGW and MinIO are usually addressed by path). */
  forcePathStyle: boolean;
}

export type BlobsConfig = { kind: 'file' } | S3Config;

/** A URL for messages: the password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** `sqlite` (default), or `postgres://user:pass@host:port/db` (`postgresql://` too). */
export function parseMetadata(value: string | undefined, fail: Fail): MetadataConfig {
  const v = value?.trim();
  if (v === undefined || v === '' || v === 'sqlite') return { kind: 'sqlite' };
  if (!/^postgres(ql)?:\/\//i.test(v)) {
    fail(`--metadata must be sqlite or postgres://user:pass@host:port/db, got ${JSON.stringify(redactUrl(v))}`);
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return fail(`--metadata is not a valid URL: ${JSON.stringify(redactUrl(v))}`);
  }
  if (url.hostname === '') fail(`--metadata names no host: ${JSON.stringify(redactUrl(v))}`);
  if (url.port !== '' && Number(url.port) === 0) fail(`--metadata has port 0: ${JSON.stringify(redactUrl(v))}`);
  return { kind: 'postgres', url: v };
}

/** S3 bucket names (AWS's rules, which Ceph RGW and MinIO follow): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function booleanSetting(name: string, v: string | undefined, dflt: boolean, fail: Fail): boolean {
  if (v === undefined || v.trim() === '') return dflt;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(s)) return true;
  if (['0', 'false', 'no'].includes(s)) return false;
  return fail(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

/** `file` (default), or `s3://<bucket>` with the OSSD_S3_* settings from `env`. */
export function parseBlobs(value: string | undefined, env: NodeJS.ProcessEnv, fail: Fail): BlobsConfig {
  const v = value?.trim();
  if (v === undefined || v === '' || v === 'file') return { kind: 'file' };
  const m = /^s3:\/\/([^/]*)\/?$/i.exec(v);
  if (!m) fail(`--blobs must be file or s3://<bucket>, got ${JSON.stringify(v)}`);
  const bucket = m![1]!;
  if (!S3_BUCKET.test(bucket) || bucket.includes('..')) fail(`--blobs names an invalid S3 bucket ${JSON.stringify(bucket)}`);
  const endpoint = env.OSSD_S3_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(endpoint);
    } catch {
      u = undefined;
    }
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.hostname === '') {
      fail(`OSSD_S3_ENDPOINT must be http(s)://host[:port], got ${JSON.stringify(endpoint)}`);
    }
  }
  const accessKeyId = env.OSSD_S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.OSSD_S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    fail('set both OSSD_S3_ACCESS_KEY_ID and OSSD_S3_SECRET_ACCESS_KEY, or neither');
  }
  const region = env.OSSD_S3_REGION?.trim() || 'us-east-1';
  if (!/^[a-z0-9-]{1,40}$/i.test(region)) fail(`invalid OSSD_S3_REGION ${JSON.stringify(region)}`);
  return {
    kind: 's3',
    bucket,
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    forcePathStyle: booleanSetting('OSSD_S3_FORCE_PATH_STYLE', env.OSSD_S3_FORCE_PATH_STYLE, true, fail),
  };
}

/** A node's name in the cluster: given, or `<host name>:<port>`; 1-128 of letters, digits and `. _ : -`. */
export function parseNodeId(value: string | undefined, port: number, fail: Fail): string {
  const id = value?.trim() || `${hostname()}:${port}`;
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) {
    fail(`--node-id must be 1-128 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(id)}`);
  }
  return id;
}

/**
 * With PostgreSQL metadata every node must seal access key secrets with the same master key
 * (src/keys/master-key.ts sharedMasterKey): the one-line reason to refuse a start that gives
 * none, or undefined.
 */
export function masterKeyRefusal(metadata: MetadataConfig, masterKey: string | undefined, masterKeyFile: string | undefined): string | undefined {
  if (metadata.kind !== 'postgres' || (masterKey ?? '').trim() !== '' || masterKeyFile !== undefined) return undefined;
  return '--metadata postgres needs the master key every node shares: set OSSD_MASTER_KEY (make one with: openssl rand -hex 32) or --master-key-file';
}
