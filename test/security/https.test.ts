/**
 * HTTPS: --tls-cert / --tls-key (OSSD_TLS_CERT / OSSD_TLS_KEY) make ossd serve the same
 * handlers over TLS. A self-signed certificate is made at test time with openssl
 * (node:crypto cannot make certificates: without openssl the test fails, saying so).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const OSS = require('ali-oss') as new (opts: Record<string, unknown>) => any;

let dir: string;
let ossd: Ossd | undefined;
let cert: Buffer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ossd-tls-'));
  const keyPath = join(dir, 'k.pem');
  const certPath = join(dir, 'c.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', keyPath, '-out', certPath],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    throw new Error(`cannot make a test certificate: openssl ${r.error ? `unavailable (${r.error.message})` : `failed: ${r.stderr}`}; node:crypto cannot create X.509 certificates`);
  }
  cert = readFileSync(certPath);
  ossd = await startOssd({ args: ['--tls-cert', certPath], env: { OSSD_TLS_KEY: keyPath } });
});

after(async () => {
  await ossd?.kill();
  ossd?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it('the banner shows an https:// endpoint', { timeout: 300_000 }, () => {
  assert.match(ossd!.output(), /endpoint:\s+https:\/\/127\.0\.0\.1:\d+/);
  assert.match(ossd!.output(), /endpoint: 'https:\/\/localhost:\d+'/);
});

it('ali-oss over HTTPS (certificate trusted via ca): put, append, get round trip', { timeout: 300_000 }, async () => {
  const client = new OSS({
    endpoint: `https://localhost:${ossd!.port}`,
    secure: true,
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    accessKeyId: ossd!.accessKeyId,
    accessKeySecret: ossd!.accessKeySecret,
    httpsAgent: new https.Agent({ ca: cert }),
    timeout: 30_000,
  });
  await client.putBucket('tls-bucket');
  client.useBucket('tls-bucket');
  await client.put('hello.txt', Buffer.from('hello over TLS'));
  assert.equal((await client.get('hello.txt')).content.toString(), 'hello over TLS');
  let r = await client.append('log.txt', Buffer.from('hello '));
  r = await client.append('log.txt', Buffer.from('world'), { position: r.nextAppendPosition });
  assert.equal(r.nextAppendPosition, '11');
  assert.equal((await client.get('log.txt')).content.toString(), 'hello world');
  const list = await client.list({});
  assert.deepEqual(list.objects.map((o: { name: string }) => o.name).sort(), ['hello.txt', 'log.txt']);
});

it('an untrusted client refuses the self-signed certificate; rejectUnauthorized: false accepts it', { timeout: 300_000 }, async () => {
  const get = (agent: https.Agent): Promise<number> =>
    new Promise((resolve, reject) => {
      https.get({ host: 'localhost', port: ossd!.port, path: '/-/health', agent }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
  await assert.rejects(get(new https.Agent()), /self[- ]signed/i);
  assert.equal(await get(new https.Agent({ rejectUnauthorized: false })), 200);
});

it('a plain-HTTP request to the TLS port fails', { timeout: 300_000 }, async () => {
  const outcome = await new Promise<string>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: ossd!.port, path: '/-/health', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
  assert.match(outcome, /^error /, `plain HTTP must not be served on the TLS port: ${outcome}`);
});

it('--tls-cert without --tls-key is refused at start', { timeout: 300_000 }, async () => {
  await assert.rejects(startOssd({ args: ['--tls-cert', join(dir, 'c.pem')] }), /tls-cert and tls-key: set both, or neither/);
});
