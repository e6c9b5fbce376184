/**
 * The load balancers of docs/deploy.md (deploy/nginx-ossd.conf, deploy/haproxy.cfg) started
 * from Debian's binaries in front of one ossd, for test/compat/load-balancer*.test.ts. The
 * documented file is used as it is, with only its listen/bind address and its upstream
 * servers replaced (an `edit` can change more, to show a test fails with a wrong config).
 * Each proxy runs in the foreground as a child of the test process (its process group), with
 * its files in a temp folder that stop() removes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const NGINX_CONF = join(ROOT, 'deploy/nginx-ossd.conf');
export const HAPROXY_CFG = join(ROOT, 'deploy/haproxy.cfg');

/** Whether .ci/run installs nginx and HAProxy (then a CI machine without them fails the tests). */
export const PROXIES_IN_CI = true;

export type ProxyKind = 'nginx' | 'haproxy';

export interface Proxy {
  kind: ProxyKind;
  port: number;
  /** The config it runs (after the replacements). */
  config: string;
  output(): string;
  stop(): Promise<void>;
}

const BINARIES: Record<ProxyKind, string> = { nginx: '/usr/sbin/nginx', haproxy: '/usr/sbin/haproxy' };

/** Why this proxy's tests cannot run here, or false (skipped outside CI; failing in CI). */
export function proxySkip(kind: ProxyKind): string | false {
  try {
    accessSync(BINARIES[kind], constants.X_OK);
    return false;
  } catch {
    if (process.env.CI === 'true' && PROXIES_IN_CI) return false;
    return `${kind} not installed (${BINARIES[kind]} missing: apt-get install ${kind === 'nginx' ? 'nginx-light' : 'haproxy'})`;
  }
}


/** The documented config with its own address set to 127.0.0.1:`port` and one upstream: ossd on `ossdPort`. */
export function renderConfig(kind: ProxyKind, port: number, ossdPort: number): string {
  let text = readFileSync(kind === 'nginx' ? NGINX_CONF : HAPROXY_CFG, 'utf8');
  const replace = (re: RegExp, by: string): void => {
    if (!re.test(text)) throw new Error(`${kind} config: ${re} not found (the test replaces it)`);
    text = text.replace(re, by);
  };
  if (kind === 'nginx') {
    replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${port};`);
    replace(/^\s*server 10\.0\.0\.11:9000;\n(\s*server 10\.0\.0\.\d+:9000;\n)*/m, `    server 127.0.0.1:${ossdPort};\n`);
  } else {
    replace(/^(\s*)bind :80$/m, `$1bind 127.0.0.1:${port}`);
    replace(/^\s*server node1 10\.0\.0\.11:9000 check\n(\s*server node\d 10\.0\.0\.\d+:9000 check\n?)*/m, `    server node1 127.0.0.1:${ossdPort} check inter 1s\n`);
  }
  return text;
}

/** nginx.conf around the documented snippet (it belongs in the http context): files in `dir`. */
function nginxMain(dir: string): string {
  // master_process off: one process, so SIGKILL leaves no orphaned worker holding our pipes.
  return `daemon off;
master_process off;
${process.getuid?.() === 0 ? 'user root root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/ossd.conf;
}
`;
}

/** Resolves once the proxy accepts connections on `port`. */
async function waitListening(port: number, proc: ChildProcess, out: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`proxy exited (${proc.exitCode ?? proc.signalCode}):\n${out()}`);
    const ok = await new Promise<boolean>((done) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        done(true);
      });
      s.on('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`proxy not listening on ${port} after 20 s:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `kind` with the documented config in front of ossd on `ossdPort`; `edit` may change the config first. */
export async function startProxy(kind: ProxyKind, ossdPort: number, edit: (config: string) => string = (c) => c): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), `ossd-${kind}-`));
  const port = await freePort();
  const config = edit(renderConfig(kind, port, ossdPort));
  let args: string[];
  if (kind === 'nginx') {
    writeFileSync(join(dir, 'ossd.conf'), config);
    writeFileSync(join(dir, 'nginx.conf'), nginxMain(dir));
    // -e: the error log before the config is read (else /var/log/nginx/error.log).
    args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  } else {
    writeFileSync(join(dir, 'haproxy.cfg'), config);
    args = ['-f', join(dir, 'haproxy.cfg'), '-db']; // -db: foreground, no daemon
  }
  const proc = spawn(BINARIES[kind], args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const output = (): string => {
    let log = '';
    try {
      log = kind === 'nginx' ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-20_000) : '';
    } catch {
      // none yet
    }
    return out + log;
  };
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const killNow = (): void => void proc.kill('SIGKILL');
  process.once('exit', killNow);
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killNow);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(port, proc, output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { kind, port, config, output, stop };
}
