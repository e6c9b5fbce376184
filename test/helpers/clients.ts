/** ali-oss clients in each addressing mode and signature version (sdk-usage.md §2). */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Ossd } from './ossd-process.js';

const require = createRequire(import.meta.url);
// ali-oss ships no types; tests use it exactly as applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OssClient = any;
 
const OSS = require('ali-oss') as new (opts: Record<string, unknown>) => OssClient;

export type Mode = 'ip' | 'sld' | 'ip-sld' | 'hostname';

export interface ClientOptions {
  mode: Mode;
  v4?: boolean;
  bucket?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
}

export function client(ossd: Ossd, o: ClientOptions): OssClient {
  const base: Record<string, unknown> = {
    accessKeyId: o.accessKeyId ?? ossd.accessKeyId,
    accessKeySecret: o.accessKeySecret ?? ossd.accessKeySecret,
    region: 'oss-cn-hangzhou',
    bucket: o.bucket,
    authorizationV4: o.v4 === true,
    timeout: 30_000,
  };
  switch (o.mode) {
    case 'ip':
      return new OSS({ ...base, endpoint: `http://127.0.0.1:${ossd.port}` });
    case 'ip-sld':
      return new OSS({ ...base, endpoint: `http://127.0.0.1:${ossd.port}`, sldEnable: true });
    case 'sld':
      return new OSS({ ...base, endpoint: `http://localhost:${ossd.port}`, sldEnable: true });
    case 'hostname':
      // Virtual-hosted on localhost: Node cannot resolve <bucket>.localhost, so route
      // every lookup to loopback, as a hosts-file entry would (README §1.1).
      return new OSS({ ...base, endpoint: `http://localhost:${ossd.port}`, agent: loopbackAgent() });
  }
}

/** The matrix integration tests iterate over: every addressing mode, both signatures. */
export const MODES: Array<{ mode: Mode; v4: boolean; label: string }> = [
  { mode: 'ip', v4: false, label: 'IP endpoint, V1' },
  { mode: 'ip', v4: true, label: 'IP endpoint, V4' },
  { mode: 'sld', v4: false, label: 'localhost sldEnable, V1' },
  { mode: 'sld', v4: true, label: 'localhost sldEnable, V4' },
  { mode: 'ip-sld', v4: false, label: 'IP endpoint + sldEnable, V1' },
  { mode: 'hostname', v4: true, label: 'virtual-hosted hostname, V4' },
];

function loopbackAgent(): unknown {
  return new http.Agent({
    keepAlive: true,
    lookup: ((_host: string, opts: unknown, cb: (...a: unknown[]) => void) => {
      if ((opts as { all?: boolean }).all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    }) as never,
  });
}
