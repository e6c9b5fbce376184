/**
 * Issue 15, hole 1: two servers on one data folder destroyed data (the second one's
 * recovery removed or trimmed the blobs the first was still writing: a 24 MiB upload
 * acknowledged and never read back, GET 500 for good, 12 MiB of zeros). Real processes:
 *
 * - While server A streams a large PUT and a large append, a second `ossd serve` on the
 *   same folder exits non-zero at once, saying the folder is in use (locked), naming the
 *   folder and A's PID; `ossd keys create|list` and `ossd sts issue` work meanwhile (they
 *   never run recovery: if they did, the in-flight uploads would lose their blobs), and
 *   the keys they make work on A. Every upload A acknowledged, the two that were in flight
 *   included, reads back byte-exact; after A is killed (SIGKILL) a new serve starts and
 *   reads them all back too.
 *   Fails when main.ts's lockDataDir call is removed: the second serve starts and runs
 *   until killed ("refused at once" fails); checked. Without that assertion the data part
 *   fails too: both in-flight uploads were answered 200, then GET answered 500 for both.
 * - `ossd keys` on a folder that does not exist fails and creates nothing (fails when
 *   keys.ts's existsSync check is removed: KeyStore creates the folder; checked).
 * - A SIGTERM to `npm start` stops the server (the start script execs it). With the former
 *   script (`node scripts/build-if-stale.mjs && node bin/ossd.cjs serve`) npm's shell dies and the server
 *   is orphaned, still holding the folder: this test fails; checked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { blobFiles, createBucket } from '../helpers/fault-store.js';
import { cli, createKey, issueSts, keyClient, stsCreds } from '../helpers/keys.js';
import { runOssd } from '../helpers/ossd-exit.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';
import { sleep } from '../helpers/rel-http.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const MiB = 1024 * 1024;
const B = 'locked';
const scratch = mkdtempSync(join(tmpdir(), 'ossd-lock-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A signed request whose body is sent in two halves: the second only when asked. */
function twoHalfUpload(ossd: Ossd, method: string, path: string, body: Buffer): { firstHalfSent: Promise<void>; finish: () => Promise<{ status: number; text: string }> } {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, path, headers)}`;
  const req = http.request({ host: '127.0.0.1', port: ossd.port, method, path, headers, agent: false });
  const answered = new Promise<{ status: number; text: string }>((done, fail) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', fail);
  });
  const half = Math.floor(body.length / 2);
  const firstHalfSent = new Promise<void>((done) => req.write(body.subarray(0, half), () => done()));
  return {
    firstHalfSent,
    finish: () => {
      req.end(body.subarray(half));
      return answered;
    },
  };
}

async function getBytes(ossd: Ossd, key: string): Promise<Buffer> {
  const r = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
  assert.equal(r.status, 200, `GET ${key}: ${r.text.slice(0, 300)}`);
  return r.body;
}

describe('one server per data folder', { timeout: 240_000 }, () => {
  it('a second serve is refused at once; keys and sts work; acknowledged and in-flight uploads read back byte-exact', async () => {
    const a = await startOssd({ dataDir: join(scratch, 'shared') });
    try {
      await createBucket(a, B);
      const before = randomBytes(12 * MiB);
      assert.equal((await raw(a, { method: 'PUT', path: `/${B}/before`, body: before })).status, 200);
      const blobsBefore = new Set(blobFiles(a.dataDir).map((f) => f.path));

      // In flight: a 24 MiB PUT and a 16 MiB append, each half sent and (at least partly) on disk.
      const putBody = randomBytes(24 * MiB);
      const appendBody = randomBytes(16 * MiB);
      const put = twoHalfUpload(a, 'PUT', `/${B}/in-flight-put`, putBody);
      const append = twoHalfUpload(a, 'POST', `/${B}/in-flight-append?append&position=0`, appendBody);
      await Promise.all([put.firstHalfSent, append.firstHalfSent]);
      for (const until = Date.now() + 30_000; ; ) {
        const growing = blobFiles(a.dataDir).filter((f) => !blobsBefore.has(f.path) && f.size >= 2 * MiB);
        if (growing.length >= 2) break;
        assert.ok(Date.now() < until, 'the two uploads reach the disk');
        await sleep(50);
      }

      const second = await runOssd(['serve'], { OSSD_DATA_DIR: a.dataDir, OSSD_ADDRESS: '127.0.0.1:0' }, 20_000);
      assert.equal(second.timedOut, false, `the second serve is refused at once, not served:\n${second.stdout}`);
      assert.notEqual(second.code, 0);
      assert.doesNotMatch(second.stdout, /ossd is ready/);
      const folder = resolve(a.dataDir);
      assert.ok(second.stderr.includes(`the data folder ${folder} is in use (locked by process ${a.proc.pid}`), second.stderr);
      assert.equal(readFileSync(join(a.dataDir, 'ossd.lock'), 'utf8'), `${a.proc.pid}\n`);

      // keys and sts while A serves (and streams): they work, and what they make works on A.
      const key = await createKey(a);
      const list = await cli(a, ['keys', 'list']);
      assert.equal(list.code, 0, list.stderr);
      assert.ok(list.stdout.includes(key.id));
      const sts = stsCreds(await issueSts(a, ['--duration', '900']));
      for (const c of [key, sts]) {
        const got = await keyClient(a, { mode: 'ip', v4: false }, c, B).head('before');
        assert.equal(got.status, 200);
      }

      const [putAnswer, appendAnswer] = await Promise.all([put.finish(), append.finish()]);
      assert.equal(putAnswer.status, 200, putAnswer.text);
      assert.equal(appendAnswer.status, 200, appendAnswer.text);
      const expected: Array<[string, Buffer]> = [['before', before], ['in-flight-put', putBody], ['in-flight-append', appendBody]];
      for (const [k, body] of expected) assert.equal(sha(await getBytes(a, k)), sha(body), `${k} reads back byte-exact on A`);

      // A dies without a word; its lock dies with it, and the next serve reads everything.
      await a.kill();
      const b = await startOssd({ dataDir: a.dataDir });
      try {
        for (const [k, body] of expected) assert.equal(sha(await getBytes(b, k)), sha(body), `${k} reads back byte-exact after kill -9`);
        assert.equal(readFileSync(join(b.dataDir, 'ossd.lock'), 'utf8'), `${b.proc.pid}\n`);
      } finally {
        await b.stop();
      }
    } finally {
      await a.kill();
      a.cleanup();
    }
  });

  it('ossd keys on a folder that does not exist fails and creates nothing', async () => {
    const missing = join(scratch, 'no-such-folder');
    for (const args of [['keys', 'create'], ['keys', 'list'], ['sts', 'issue']]) {
      const r = await runOssd([...args, '--data-dir', missing], {}, 20_000);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`there is no data folder ${missing}`));
      assert.equal(existsSync(missing), false, `${args.join(' ')} created the folder`);
    }
  });

  it('ossd keys in a folder that is not a data folder refuses, unless --init (issue 18)', async () => {
    // Fails when keys.ts checks only that the folder exists: keys create then writes a meta.db
    // into any folder, e.g. the one the command was run from (checked).
    const stranger = join(scratch, 'not-a-data-folder');
    mkdirSync(stranger);
    for (const args of [['keys', 'create'], ['keys', 'list'], ['sts', 'issue']]) {
      const r = await runOssd([...args, '--data-dir', stranger], {}, 20_000);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${stranger} is not an ossd data folder \\(it has no meta\\.db\\).*--init`));
      assert.equal(existsSync(join(stranger, 'meta.db')), false, `${args.join(' ')} made a data folder`);
    }
    const fresh = join(scratch, 'init-here');
    const made = await runOssd(['keys', 'create', '--init', '--json', '--data-dir', fresh], {}, 20_000);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /"AccessKeyId"/);
    const listed = await runOssd(['keys', 'list', '--data-dir', fresh], {}, 20_000);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp((JSON.parse(made.stdout) as { AccessKeyId: string }).AccessKeyId));
  });

  it('a SIGTERM to npm start stops the server it started', async () => {
    // The real start script, minus its build step (dist/ is built), run by the real npm.
    const script = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    assert.match(script, /^node scripts\/build-if-stale\.mjs && /);
    const pkg = join(scratch, 'npm-start');
    mkdirSync(pkg);
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'ossd-start-probe', private: true, scripts: { start: script.replace(/^node scripts\/build-if-stale\.mjs && /, '') } }));
    symlinkSync(join(REPO, 'bin'), join(pkg, 'bin'));
    const dataDir = join(scratch, 'npm-data');
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: pkg,
      env: { ...process.env, OSSD_DATA_DIR: dataDir, OSSD_ADDRESS: '127.0.0.1:0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const npmExited = new Promise<void>((done) => npm.once('exit', () => done()));
    let serverPid = 0;
    try {
      for (const until = Date.now() + 60_000; !/ossd is ready/.test(out); ) {
        assert.ok(Date.now() < until && npm.exitCode === null, `npm start serves:\n${out}`);
        await sleep(50);
      }
      serverPid = Number(readFileSync(join(dataDir, 'ossd.lock'), 'utf8'));
      assert.ok(serverPid > 0 && serverPid !== npm.pid);
      npm.kill('SIGTERM');
      await npmExited;
      for (const until = Date.now() + 20_000; alive(serverPid); ) {
        assert.ok(Date.now() < until, `the server (PID ${serverPid}) outlives npm start: orphaned`);
        await sleep(50);
      }
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      if (serverPid > 0 && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
