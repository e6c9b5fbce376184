/** Starting ossd: data folder, drivers, recovery, then the node:http listener. */
import { createServer, type Server } from 'node:http';
import { promises as fsp } from 'node:fs';
import type { Config } from '../config.js';
import { FsBlobStore } from '../drivers/fs/blob-store.js';
import { SqliteMetadataStore } from '../drivers/sqlite/metadata-store.js';
import { Engine } from '../engine/engine.js';
import type { RecoveryReport } from '../engine/recovery.js';
import type { KeyLookup } from '../protocol/auth/types.js';
import { OssError } from '../engine/errors.js';
import { renderError } from '../protocol/errors/render.js';
import { loadRootCredentials, type RootCredentials } from './credentials.js';
import { handleRequest, newRequestId, type PipelineDeps } from './pipeline.js';

export interface RunningServer {
  server: Server;
  engine: Engine;
  credentials: RootCredentials;
  recovery: RecoveryReport;
  endpoint: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: (line: Record<string, unknown>) => void): Promise<RunningServer> {
  await fsp.mkdir(config.dataDir, { recursive: true });
  const credentials = await loadRootCredentials(config);
  const effective: Config = Object.freeze({ ...config, rootAccessKeyId: credentials.accessKeyId, rootAccessKeySecret: credentials.accessKeySecret });
  const blobs = new FsBlobStore(config.dataDir);
  await blobs.init();
  const meta = new SqliteMetadataStore(config.dataDir);
  const engine = new Engine(meta, blobs, (e) => log({ level: 'warn', background: String(e) }));
  const recovery = await engine.recover();

  const keys: KeyLookup = (id) => (id === credentials.accessKeyId ? { secret: credentials.accessKeySecret } : undefined);
  const deps: PipelineDeps = { config: effective, engine, keys, log };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 });
  // Whole-request timeout off: large uploads may take long. Idle sockets are cut instead.
  server.setTimeout(120_000);
  server.on('request', (req, res) => void handleRequest(deps, req, res, false));
  // Expect: 100-continue is answered only when the handler starts reading the body,
  // i.e. after authentication and all header checks passed.
  server.on('checkContinue', (req, res) => void handleRequest(deps, req, res, true));
  server.on('clientError', (_err, socket) => {
    // README §3: x-oss-request-id on every response, even to requests Node could not parse.
    if (!socket.writable) return socket.destroy();
    const id = newRequestId();
    const body = renderError(new OssError('InvalidRequest', 'The request could not be parsed as HTTP.'), id, '').body;
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nx-oss-request-id: ${id}\r\ncontent-type: application/xml\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const endpoint = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  return {
    server,
    engine,
    credentials,
    recovery,
    endpoint,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await engine.close();
    },
  };
}
