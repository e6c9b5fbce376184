/**
 * The peers: Azurite (append blobs, on-disk persistence) through @azure/storage-blob, and
 * s3rver (no append) through @aws-sdk/client-s3 with forcePathStyle. Each runs as its own
 * child process on a temp folder deleted at stop. SDK retries are off so errors show.
 */
import { AppendBlobClient, BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Body } from '../http-client.js';
import { type ServerProc, freePort, removeTempDir, spawnServer, tempDir } from '../proc.js';
import { type AppendOutcome, BUCKET, type Target } from './types.js';

const require = createRequire(import.meta.url);
const pkgDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

// Azurite's well-known development account (public, documented by Microsoft).
const AZ_ACCOUNT = 'devstoreaccount1';
const AZ_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function flat(body: Body): Buffer {
  const n = body.repeat ?? 1;
  return n === 1 ? body.chunk : Buffer.concat(Array.from({ length: n }, () => body.chunk));
}

async function drain(stream: Readable | NodeJS.ReadableStream | undefined): Promise<number> {
  let n = 0;
  if (stream) for await (const c of stream as AsyncIterable<Buffer>) n += c.length;
  return n;
}

/**
 * Azurite closes keep-alive sockets after 5 s idle (its --blobKeepAliveTimeout flag is not
 * read, in 3.35) and the Azure SDK keeps its own agent's sockets longer: the first request
 * of a case, after the other targets' runs, could go out on a socket Azurite was closing
 * ("socket hang up", which failed a whole case in a full run). Such a request never
 * reached Azurite, so it is sent once more.
 */
async function againIfHungUp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (!/socket hang up/i.test(String((e as Error).message)) && (e as { code?: string }).code !== 'ECONNRESET') throw e;
    return op();
  }
}

export class AzuriteTarget implements Target {
  readonly name = 'azurite' as const;
  private readonly container: ContainerClient;

  private constructor(
    readonly server: ServerProc,
    private readonly dir: string,
  ) {
    const cred = new StorageSharedKeyCredential(AZ_ACCOUNT, AZ_KEY);
    const service = new BlobServiceClient(`http://127.0.0.1:${server.port}/${AZ_ACCOUNT}`, cred, {
      retryOptions: { maxTries: 1 },
      keepAliveOptions: { enable: true },
    });
    this.container = service.getContainerClient(BUCKET);
  }

  static async start(): Promise<AzuriteTarget> {
    const dir = tempDir('azurite');
    const port = await freePort();
    const main = join(pkgDir('azurite'), 'dist/src/blob/main.js');
    const args = [main, '--location', dir, '--skipApiVersionCheck', '--loose', '--silent', '--disableTelemetry', '--blobHost', '127.0.0.1', '--blobPort', String(port)];
    const server = await spawnServer({ name: 'azurite', args, port, ready: /successfully listens|listening/i });
    const t = new AzuriteTarget(server, dir);
    await t.container.createIfNotExists();
    return t;
  }

  private appendClient(key: string): AppendBlobClient {
    return this.container.getAppendBlobClient(key);
  }

  async prepareAppend(key: string): Promise<void> {
    await this.appendClient(key).create();
  }

  async append(key: string, position: number, body: Body): Promise<AppendOutcome> {
    const c = this.appendClient(key);
    const data = flat(body);
    try {
      await againIfHungUp(() => c.appendBlock(data, data.length, { conditions: { appendPosition: position } }));
      return { ok: true, next: position + data.length };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 412) throw err;
      const props = await c.getProperties(); // Azure does not say the length in the error
      return { ok: false, next: props.contentLength ?? 0 };
    }
  }

  async put(key: string, body: Body): Promise<void> {
    const data = flat(body);
    await againIfHungUp(() => this.container.getBlockBlobClient(key).upload(data, data.length));
  }

  async get(key: string, range?: [number, number]): Promise<number> {
    const r = await againIfHungUp(() => this.container.getBlobClient(key).download(range?.[0] ?? 0, range ? range[1] - range[0] + 1 : undefined));
    return drain(r.readableStreamBody);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    removeTempDir(this.dir);
  }
}

export class S3rverTarget implements Target {
  readonly name = 's3rver' as const;
  private readonly s3: S3Client;
  /**
   * s3rver (Koa on node:http) closes keep-alive connections idle for 5 s. Runs of the
   * other targets in between leave this pool idle longer, and reusing a socket just as
   * s3rver closes it failed whole cases with "socket hang up" (the SDK names it
   * TimeoutError). `timeout`: the agent drops its free sockets after 2 s idle instead.
   */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128, timeout: 2000 });

  private constructor(
    readonly server: ServerProc,
    private readonly dir: string,
  ) {
    this.s3 = new S3Client({
      endpoint: `http://127.0.0.1:${server.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { httpAgent: this.agent },
    });
  }

  static async start(): Promise<S3rverTarget> {
    const dir = tempDir('s3rver');
    const port = await freePort();
    const main = join(pkgDir('s3rver'), 'bin/s3rver.js');
    const server = await spawnServer({ name: 's3rver', args: [main, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'], port });
    const t = new S3rverTarget(server, dir);
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    return t;
  }

  async put(key: string, body: Body): Promise<void> {
    const data = flat(body);
    await this.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, ContentLength: data.length }));
  }

  async get(key: string, range?: [number, number]): Promise<number> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range ? `bytes=${range[0]}-${range[1]}` : undefined }));
    return drain(r.Body as Readable | undefined);
  }

  async stop(): Promise<void> {
    this.s3.destroy();
    this.agent.destroy();
    await this.server.stop();
    removeTempDir(this.dir);
  }
}
