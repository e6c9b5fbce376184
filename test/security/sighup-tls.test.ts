/**
 * SIGHUP (issue 18, src/cli/main.ts handleSignals, server.ts reload): ossd re-reads its
 * TLS certificate and key files and serves the new certificate to new connections, while
 * open keep-alive connections go on; a broken file is logged and the old certificate kept;
 * a SIGHUP never stops the server, over HTTP either. Certificates are made at test time
 * with openssl (as test/security/https.test.ts; node:crypto cannot make certificates).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot make a test certificate: openssl ${r.error ? `unavailable (${r.error.message})` : `failed: ${r.stderr}`}`);
  return { cert, key };
}

/** GET /-/health; the answer's status, the certificate's CN and the local port of the connection used. */
function health(port: number, agent: https.Agent | false): Promise<{ status: number; cn: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/-/health', agent, rejectUnauthorized: false }, (res) => {
      const socket = res.socket as TLSSocket;
      const cn = String(socket.getPeerCertificate().subject?.CN);
      const localPort = socket.localPort ?? 0;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cn, localPort }));
    });
    req.on('error', reject);
  });
}

async function logged(ossd: Ossd, msg: string, times = 1): Promise<void> {
  const count = (): number => ossd.output().split(`"msg":"${msg}`).length - 1;
  for (let i = 0; i < 200 && count() < times; i++) await sleep(25);
  assert.ok(count() >= times, `log line "${msg}" (${times}x) in:\n${ossd.output()}`);
}

describe('SIGHUP swaps the TLS certificate', { timeout: 300_000 }, () => {
  let dir: string;
  let ossd: Ossd;
  let first: { cert: string; key: string };
  let second: { cert: string; key: string };
  const live = { cert: '', key: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ossd-sighup-'));
    first = makeCert(dir, 'first');
    second = makeCert(dir, 'second');
    live.cert = join(dir, 'live.crt');
    live.key = join(dir, 'live.key');
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    ossd = await startOssd({ args: ['--tls-cert', live.cert, '--tls-key', live.key] });
  });
  after(async () => {
    await ossd.kill();
    ossd.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  // Fails when reload() in server.ts does not call setSecureContext (the new connection still sees "first"): checked.
  it('new connections get the new certificate; an open keep-alive connection goes on with the old one', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await health(ossd.port, agent);
    assert.deepEqual([before.status, before.cn], [200, 'first']);

    copyFileSync(second.cert, live.cert);
    copyFileSync(second.key, live.key);
    ossd.proc.kill('SIGHUP');
    await logged(ossd, 'reload: TLS certificate and key');

    const fresh = await health(ossd.port, false);
    assert.deepEqual([fresh.status, fresh.cn], [200, 'second']);
    const kept = await health(ossd.port, agent);
    assert.deepEqual([kept.status, kept.cn], [200, 'first']);
    assert.equal(kept.localPort, before.localPort, 'the same connection as before the SIGHUP');
    agent.destroy();
  });

  // Fails when a failed reload is not caught in main.ts (an unhandled rejection ends the process): checked.
  it('a broken certificate file is logged and the certificate in use kept; the server goes on', async () => {
    writeFileSync(live.cert, 'not a certificate\n');
    ossd.proc.kill('SIGHUP');
    await logged(ossd, 'reload failed: the certificate in use is kept');
    await sleep(200);
    assert.equal(ossd.proc.exitCode, null, 'still running');
    const r = await health(ossd.port, false);
    assert.deepEqual([r.status, r.cn], [200, 'second']);
  });
});

describe('SIGHUP over plain HTTP', { timeout: 300_000 }, () => {
  let ossd: Ossd;
  let dir: string;
  let configFile: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ossd-sighup-conf-'));
    configFile = join(dir, 'ossd.toml');
    writeFileSync(configFile, 'log-level = "info"\n');
    ossd = await startOssd({ args: ['--config', configFile] });
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  // Fails when reload() in server.ts does not set log.level: checked.
  it('re-reads the log level from the config file', async () => {
    writeFileSync(configFile, 'log-level = "warn"\n');
    ossd.proc.kill('SIGHUP');
    await logged(ossd, 'reload: log level');
    assert.match(ossd.output(), /"from":"info","to":"warn","msg":"reload: log level"/);
    const before = ossd.output().length;
    ossd.proc.kill('SIGHUP');
    await sleep(500);
    assert.ok(!ossd.output().slice(before).includes('"msg":"reloading"'), 'info lines are hidden now');
    writeFileSync(configFile, 'log-level = "info"\n');
    ossd.proc.kill('SIGHUP');
    await logged(ossd, 'reload: log level', 2);
  });

  // Fails when main.ts installs no SIGHUP handler (Node's default for SIGHUP ends the process): checked.
  it('never stops the server nor drops a keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ status: number; localPort: number }> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: ossd.port, path: '/-/health', agent }, (res) => {
          const localPort = res.socket.localPort ?? 0;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, localPort }));
        });
        req.on('error', reject);
      });
    const before = await get();
    for (let i = 1; i <= 3; i++) {
      ossd.proc.kill('SIGHUP');
      await logged(ossd, 'reloading', i);
    }
    await sleep(200);
    assert.equal(ossd.proc.exitCode, null, 'still running');
    const after = await get();
    assert.equal(after.status, 200);
    assert.equal(after.localPort, before.localPort, 'the same connection');
    agent.destroy();
  });
});
