/**
 * What ossd prints on start: endpoint, root key, and an ali-oss snippet that works as is.
 * The root secret is printed only when ossd has just generated it (the one chance to see
 * it); otherwise the banner says where it is kept, since output ends up in logs and on
 * screens that the secret should not.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { RootCredentials } from '../server/credentials.js';
import type { RunningServer } from '../server/server.js';

/** The secret's line in the banner and its expression (plus any import it needs) in the ali-oss snippet. */
function secretShown(c: RootCredentials, config: Config): { line: string; code: string; imports: string[] } {
  const file = join(resolve(config.dataDir), 'root-credentials.json');
  if (c.generated) {
    return { line: `${c.accessKeySecret}   (generated now and shown only this once; kept in ${file})`, code: `'${c.accessKeySecret}'`, imports: [] };
  }
  if (config.rootSecretFrom === 'environment') {
    return { line: 'from the environment (OSSD_ROOT_ACCESS_KEY_SECRET)', code: 'process.env.OSSD_ROOT_ACCESS_KEY_SECRET', imports: [] };
  }
  if (config.rootSecretFrom === 'flag') {
    return { line: 'from the command line (--root-access-key-secret)', code: `'<the --root-access-key-secret value>'`, imports: [] };
  }
  return {
    line: `kept in ${file} (shown only when it was generated)`,
    code: `JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8')).accessKeySecret`,
    imports: [`import { readFileSync } from 'node:fs';`],
  };
}

/** The address the server listens on, as the user should read it. */
function listening(s: RunningServer, config: Config): string {
  const addr = s.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const all = config.host === '0.0.0.0' || config.host === '::' ? ' (all interfaces)' : '';
  return `${host}:${port}${all}`;
}

export function banner(s: RunningServer, config: Config): string {
  const { region, dataDir } = config;
  const { accessKeyId } = s.credentials;
  const secret = secretShown(s.credentials, config);
  const r = s.recovery;
  return [
    `ossd is ready`,
    `  listening on:      ${listening(s, config)}`,
    `  endpoint:          ${s.endpoint}`,
    `  data folder:       ${dataDir}`,
    `  region:            ${region}`,
    `  access key id:     ${accessKeyId}`,
    `  access key secret: ${secret.line}`,
    `  health:            ${s.endpoint}/-/health`,
    r.trimmedAppendables + r.removedOrphans + r.rolledBackAppends + r.replayedAppends > 0
      ? `  recovery:          replayed ${r.replayedAppends} journaled appends, rolled back ${r.rolledBackAppends} unacknowledged appends, trimmed ${r.trimmedBytes} uncommitted bytes of ${r.trimmedAppendables} appendable objects, removed ${r.removedOrphans} orphan blobs (${r.visitedBlobs} blobs ${r.fullSweep ? 'in a full sweep of the store' : 'with work in flight'} looked at)`
      : undefined,
    r.unwritten?.size
      ? `  full disk:         the journaled appends of ${r.unwritten.size} objects do not fit back into their files yet; kept journaled, written once space is freed`
      : undefined,
    ``,
    // An ES module (top-level await needs one), and safe to run again: an existing bucket
    // is fine and the log starts afresh (issue 18; test/security/banner-snippet.test.ts runs it twice).
    `ali-oss: save as snippet.mjs, then: npm i ali-oss && node snippet.mjs`,
    ``,
    `  import OSS from 'ali-oss';`,
    ...secret.imports.map((l) => `  ${l}`),
    `  const client = new OSS({`,
    `    endpoint: '${s.endpoint.replace('127.0.0.1', 'localhost')}',`,
    `    sldEnable: true,           // path-style: /<bucket>/<key>`,
    `    region: 'oss-${region}',`,
    `    accessKeyId: '${accessKeyId}',`,
    `    accessKeySecret: ${secret.code},`,
    `    bucket: 'my-bucket',`,
    `  });`,
    `  await client.putBucket('my-bucket').catch((e) => { if (e.code !== 'BucketAlreadyExists') throw e; });`,
    `  await client.delete('log.txt');   // start the log afresh on every run`,
    `  let r = await client.append('log.txt', Buffer.from('hello '));`,
    `  r = await client.append('log.txt', Buffer.from('world'), { position: r.nextAppendPosition });`,
    `  console.log((await client.get('log.txt')).content.toString());`,
    ``,
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}
