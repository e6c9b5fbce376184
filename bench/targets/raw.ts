/** ossd and the minimal servers, both driven by the raw keep-alive client (ossd with V1 signing). */
import { fileURLToPath } from 'node:url';
import { type Credentials, RawClient, expectStatus, type Body } from '../http-client.js';
import { type ServerProc, freePort, removeTempDir, spawnServer, tempDir } from '../proc.js';
import { type AppendOutcome, BUCKET, type Target, type TargetName } from './types.js';

const OSSD_MAIN = fileURLToPath(new URL('../../../bin/ossd.cjs', import.meta.url));
const MINIMAL_MAIN = fileURLToPath(new URL('../minimal-server.js', import.meta.url));

export const BENCH_CREDS: Credentials = { id: 'LTAIbenchAccessKeyId01', secret: 'benchAccessKeySecretForOssd0001' };

export class RawTarget implements Target {
  readonly client: RawClient;

  constructor(
    readonly name: TargetName,
    readonly server: ServerProc,
    private readonly dataDir: string,
    creds?: Credentials,
    private readonly keepData = false,
  ) {
    this.client = new RawClient(server.port, creds, 128);
  }

  async createBucket(bucket = BUCKET): Promise<void> {
    expectStatus(await this.client.request('PUT', `/${bucket}/`), `create bucket ${bucket}`, 200);
  }

  async append(key: string, position: number, body: Body): Promise<AppendOutcome> {
    const r = await this.client.request('POST', `/${BUCKET}/${key}?append&position=${position}`, { body });
    expectStatus(r, `append ${key}@${position}`, 200, 409);
    const next = Number(r.headers['x-oss-next-append-position']);
    if (!Number.isFinite(next)) throw new Error(`append ${key}: no x-oss-next-append-position (HTTP ${r.status})`);
    return { ok: r.status === 200, next };
  }

  async put(key: string, body: Body): Promise<void> {
    expectStatus(await this.client.request('PUT', `/${BUCKET}/${key}`, { body }), `put ${key}`, 200);
  }

  async get(key: string, range?: [number, number]): Promise<number> {
    const headers: Record<string, string> = range ? { range: `bytes=${range[0]}-${range[1]}` } : {};
    return expectStatus(await this.client.request('GET', `/${BUCKET}/${key}`, { headers }), `get ${key}`, 200, 206).bytes;
  }

  wrkGet(key: string): { url: string; headers: Record<string, string> } {
    const path = `/${BUCKET}/${key}`;
    return { url: `http://127.0.0.1:${this.server.port}${path}`, headers: this.client.signedHeaders('GET', path) };
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.server.stop();
    if (!this.keepData) removeTempDir(this.dataDir);
  }
}

/** Extra environment (OSSD_* settings) and open-file limit of an ossd started by startOssd. */
export interface OssdLaunch {
  env?: Record<string, string>;
  openFiles?: number;
}

/** Starts ossd on `dataDir` (default: a fresh temp folder, deleted at stop). */
export async function startOssd(dataDir?: string, extraArgs: string[] = [], launch: OssdLaunch = {}): Promise<RawTarget> {
  const dir = dataDir ?? tempDir('ossd');
  const port = await freePort();
  const server = await spawnServer({
    name: 'ossd',
    args: [...extraArgs, OSSD_MAIN, 'serve'],
    env: {
      OSSD_ADDRESS: `127.0.0.1:${port}`,
      OSSD_DATA_DIR: dir,
      OSSD_ROOT_ACCESS_KEY_ID: BENCH_CREDS.id,
      OSSD_ROOT_ACCESS_KEY_SECRET: BENCH_CREDS.secret,
      ...launch.env,
    },
    port,
    ready: /endpoint:\s+http/,
    openFiles: launch.openFiles,
  });
  const t = new RawTarget('ossd', server, dir, BENCH_CREDS, dataDir !== undefined);
  if (dataDir === undefined) await t.createBucket();
  return t;
}

export async function startMinimal(group: boolean): Promise<RawTarget> {
  const dir = tempDir(group ? 'minimal-group' : 'minimal');
  const port = await freePort();
  const args = [MINIMAL_MAIN, '--port', String(port), '--dir', dir, ...(group ? ['--group'] : [])];
  const server = await spawnServer({ name: group ? 'minimal-group' : 'minimal', args, port, ready: /listening/ });
  const t = new RawTarget(group ? 'minimal-group' : 'minimal', server, dir);
  await t.createBucket();
  return t;
}
