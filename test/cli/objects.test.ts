/**
 * The object commands of the `ossd` client (ls, mb, rb, cp, cat, rm, stat, presign) as real
 * child processes against a real ossd, checked with ali-oss and plain HTTP; configuration
 * precedence; exit codes and the `Code: message (RequestId)` error line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { execFile } from 'node:child_process';
import { cliEnv, cliHome, OSSD_BIN, runCli, runCliOk } from '../helpers/ossd-cli.js';
import { useOssd } from '../helpers/ossd-process.js';

const ossd = useOssd();
const home = cliHome();
const work = mkdtempSync(join(tmpdir(), 'ossd-cli-files-'));
const BUCKET = 'cli-objects';

function httpGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
    }).on('error', reject);
  });
}

describe('ossd client: object commands', { timeout: 300_000 }, () => {
  it('mb makes a bucket that ls lists; cp, ls, cat, stat, presign, rm, rb work end to end', async () => {
    await runCliOk(ossd, home, ['mb', `oss://${BUCKET}`]);
    const buckets = await runCliOk(ossd, home, ['ls']);
    assert.match(buckets.stdout.toString(), new RegExp(`oss://${BUCKET}/$`, 'm'));

    const file = join(work, 'hello.txt');
    writeFileSync(file, 'hello, ossd\n');
    await runCliOk(ossd, home, ['cp', file, `oss://${BUCKET}/docs/`]);
    await runCliOk(ossd, home, ['cp', file, `oss://${BUCKET}/top.txt`]);
    const sdk = client(ossd, { mode: 'ip', bucket: BUCKET });
    assert.equal((await sdk.get('docs/hello.txt')).content.toString(), 'hello, ossd\n');

    const oneLevel = (await runCliOk(ossd, home, ['ls', `oss://${BUCKET}`])).stdout.toString();
    assert.match(oneLevel, /DIR {2}oss:\/\/cli-objects\/docs\/$/m);
    assert.match(oneLevel, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +12 {2}oss:\/\/cli-objects\/top\.txt$/m);
    assert.doesNotMatch(oneLevel, /docs\/hello\.txt/);
    const recursive = (await runCliOk(ossd, home, ['ls', '-r', `oss://${BUCKET}`])).stdout.toString();
    assert.match(recursive, /oss:\/\/cli-objects\/docs\/hello\.txt$/m);

    assert.equal((await runCliOk(ossd, home, ['cat', `oss://${BUCKET}/docs/hello.txt`])).stdout.toString(), 'hello, ossd\n');
    const stat = (await runCliOk(ossd, home, ['stat', `oss://${BUCKET}/top.txt`])).stdout.toString();
    assert.match(stat, /^Size: 12$/m);
    assert.match(stat, /^Object-Type: Normal$/m);
    assert.match(stat, /^CRC64: \d+$/m);

    const url = (await runCliOk(ossd, home, ['presign', `oss://${BUCKET}/top.txt`, '--expires', '600'])).stdout.toString().trim();
    assert.match(url, /Expires=\d+/);
    const fetched = await httpGet(url);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.toString(), 'hello, ossd\n');

    const back = join(work, 'back.txt');
    await runCliOk(ossd, home, ['cp', `oss://${BUCKET}/top.txt`, back]);
    assert.equal(readFileSync(back, 'utf8'), 'hello, ossd\n');
    await runCliOk(ossd, home, ['cp', `oss://${BUCKET}/top.txt`, `oss://${BUCKET}/copies/`]);
    assert.equal((await sdk.get('copies/top.txt')).content.toString(), 'hello, ossd\n');

    await runCliOk(ossd, home, ['rm', `oss://${BUCKET}/top.txt`]);
    await assert.rejects(sdk.head('top.txt'), (e: { status?: number }) => e.status === 404);
    const removed = await runCliOk(ossd, home, ['rm', '-r', `oss://${BUCKET}`]);
    assert.match(removed.stdout.toString(), /deleted oss:\/\/cli-objects\/docs\/hello\.txt/);
    assert.equal(((await sdk.list({ 'max-keys': 10 })).objects ?? []).length, 0);
    await runCliOk(ossd, home, ['rb', `oss://${BUCKET}`]);
    assert.doesNotMatch((await runCliOk(ossd, home, ['ls'])).stdout.toString(), /cli-objects/);
  });

  it('OSS errors print as "Code: message (RequestId)" with exit 3 for not found, 1 otherwise; usage errors exit 2', async () => {
    const missing = await runCli(ossd, home, ['cat', 'oss://no-such-bucket-here/k']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^NoSuchBucket: .+ \([0-9A-F]+\)$/m);
    await runCliOk(ossd, home, ['mb', 'oss://cli-errors']);
    const noKey = await runCli(ossd, home, ['stat', 'oss://cli-errors/nothing']);
    assert.equal(noKey.code, 3);
    assert.match(noKey.stderr, /^NoSuchKey: .+ \([0-9A-F]+\)$/m);
    const exists = await runCli(ossd, home, ['mb', 'oss://cli-errors']);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /^BucketAlreadyExists: .+ \([0-9A-F]+\)$/m);
    const badKey = await runCli(ossd, home, ['ls'], { env: { OSS_ACCESS_KEY_SECRET: 'wrong-secret' } });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^SignatureDoesNotMatch: .+ \([0-9A-F]+\)$/m);
    const usage = await runCli(ossd, home, ['cat', 'not-a-url']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected oss:\/\/bucket/);
    const unknownFlag = await runCli(ossd, home, ['ls', '--no-such-flag']);
    assert.equal(unknownFlag.code, 2);
    const noEndpoint = await runCli(ossd, home, ['ls'], { env: { OSS_ENDPOINT: undefined } });
    assert.equal(noEndpoint.code, 2);
    assert.match(noEndpoint.stderr, /no endpoint/);
    const noFile = await runCli(ossd, home, ['cp', join(work, 'absent'), 'oss://cli-errors/x']);
    assert.equal(noFile.code, 3);
  });

  it('configuration: flag > environment > profile of ~/.ossd/credentials (TOML)', async () => {
    await runCliOk(ossd, home, ['mb', 'oss://cli-config']);
    const profileHome = cliHome();
    const credentials = join(profileHome, 'credentials.toml');
    writeFileSync(credentials, [
      '[default]', `endpoint = "${ossd.endpoint}"`, `access_key_id = "${ossd.accessKeyId}"`, 'access_key_secret = "wrong-in-default"', '',
      '[work]', `endpoint = "${ossd.endpoint}"`, `access_key_id = "${ossd.accessKeyId}"`, `access_key_secret = "${ossd.accessKeySecret}"`, '',
    ].join('\n'));
    const noEnv = { OSS_ENDPOINT: undefined, OSS_ACCESS_KEY_ID: undefined, OSS_ACCESS_KEY_SECRET: undefined, OSSD_CREDENTIALS_FILE: credentials };
    // The profile alone.
    assert.match((await runCliOk(ossd, home, ['ls', '--profile', 'work'], { env: noEnv })).stdout.toString(), /oss:\/\/cli-config\//);
    assert.equal((await runCli(ossd, home, ['ls'], { env: noEnv })).code, 1, 'the default profile has a wrong secret');
    // The environment beats the profile, the flag beats the environment.
    assert.equal((await runCli(ossd, home, ['ls'], { env: { ...noEnv, OSS_ACCESS_KEY_SECRET: ossd.accessKeySecret } })).code, 0);
    assert.equal((await runCli(ossd, home, ['ls', '--profile', 'work'], { env: { ...noEnv, OSS_ACCESS_KEY_SECRET: 'wrong-env' } })).code, 1);
    assert.equal((await runCli(ossd, home, ['ls', '--access-key-secret', ossd.accessKeySecret], { env: { ...noEnv, OSS_ACCESS_KEY_SECRET: 'wrong-env' } })).code, 0);
    const noProfile = await runCli(ossd, home, ['ls', '--profile', 'nope'], { env: noEnv });
    assert.equal(noProfile.code, 2);
    assert.match(noProfile.stderr, /no profile \[nope\]/);
  });

  it('cp of a large file is multipart, silent on a pipe, and a rerun after a kill resumes the upload', async () => {
    await runCliOk(ossd, home, ['mb', 'oss://cli-multipart']);
    const file = join(work, 'big.bin');
    const data = randomBytes(4 * 1024 * 1024 + 12345);
    writeFileSync(file, data);
    const flags = ['--multipart-threshold', String(1024 * 1024), '--part-size', String(256 * 1024), '--parallel', '2'];
    const sdk = client(ossd, { mode: 'ip', bucket: 'cli-multipart' });

    const whole = await runCliOk(ossd, home, ['cp', file, 'oss://cli-multipart/whole.bin', ...flags]);
    assert.equal(whole.stderr, '', 'no progress output when stderr is not a terminal');
    const got = await sdk.get('whole.bin');
    assert.ok(Buffer.compare(got.content as Buffer, data) === 0, 'uploaded bytes differ');
    assert.match(String(got.res.headers.etag), /-17"$/, 'a multipart ETag: 17 parts');
    const stateDir = join(home, '.ossd', 'state');
    assert.deepEqual(readdirSync(stateDir).filter((n) => n.startsWith('cp-')), [], 'the checkpoint is removed after success');

    // Kill an upload once its checkpoint names some parts, then rerun it.
    const { spawnCli } = await import('../helpers/ossd-cli.js');
    const child = spawnCli(ossd, home, ['cp', file, 'oss://cli-multipart/resumed.bin', ...flags, '--parallel', '1']);
    child.stdin!.end();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const cps = existsSync(stateDir) ? readdirSync(stateDir).filter((n) => n.startsWith('cp-') && n.endsWith('.json')) : [];
      const parts = cps.length === 1 ? (JSON.parse(readFileSync(join(stateDir, cps[0]!), 'utf8')) as { doneParts: unknown[] }).doneParts.length : 0;
      if (parts >= 2) break;
      assert.ok(Date.now() < deadline && child.exitCode === null, 'the upload neither checkpointed two parts nor kept running');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const rerun = await runCliOk(ossd, home, ['cp', file, 'oss://cli-multipart/resumed.bin', ...flags]);
    // Fails when cp ignores its saved checkpoint (checked: with cp.ts not reading it, no resume).
    assert.match(rerun.stderr, /resuming upload \S+: \d+ parts already uploaded/);
    const resumed = await sdk.get('resumed.bin');
    assert.ok(Buffer.compare(resumed.content as Buffer, data) === 0, 'resumed upload differs');
  });

  it('on a terminal, a long transfer draws a progress bar (bytes, rate, ETA) on stderr', async (t) => {
    if (!existsSync('/usr/bin/script')) {
      t.skip('no script(1) to give the CLI a terminal');
      return;
    }
    await runCliOk(ossd, home, ['mb', 'oss://cli-progress']);
    const file = join(work, 'progress.bin');
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
    const command = `"${process.execPath}" "${OSSD_BIN}" cp "${file}" oss://cli-progress/p.bin --multipart-threshold 1048576 --part-size 262144`;
    // script(1) runs the command on a pseudo-terminal and copies what it writes there to its stdout.
    const screen = await new Promise<string>((resolve, reject) => {
      execFile('script', ['-qec', command, '/dev/null'], { env: cliEnv(ossd, home) }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    // Fails when the bar is drawn on no terminal at all (checked: with progress.ts always silent).
    assert.match(screen, /upload progress\.bin \[.*\] \d+% \| [\d.]+ \w?i?B\/3\.0 MiB \| [\d.]+ \w?i?B\/s \| ETA /);
  });
});
