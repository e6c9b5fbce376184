/**
 * `ossd tail` as a real child process against a real ossd: -n/-c, and -f seeing lines
 * that another process (this test, through ali-oss) appends, within 1 s; -f exits on
 * delete (and on seal, once the server has SealAppendObject).
 *
 * Against an ossd without follow reads `tail -f` polls (HEAD + ranged GET every 500 ms);
 * with them it follows. The tests pass either way; the one that needs follow reads (lines
 * arrive within 1 s although polling is set to 10 s) skips itself on a server without them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { client } from '../helpers/clients.js';
import { cliHome, runCli, runCliOk, spawnCli } from '../helpers/ossd-cli.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const BUCKET = 'cli-tail';
const ossd = useOssd({}, async (o) => {
  await client(o, { mode: 'ip' }).putBucket(BUCKET);
});
const home = cliHome();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sdk = (): ReturnType<typeof client> => client(ossd, { mode: 'ip', bucket: BUCKET });

/** Appends `text` at the object's end (creating it), as another process would. */
async function appendLine(key: string, text: string): Promise<void> {
  let position = 0;
  try {
    position = Number((await sdk().head(key)).res.headers['content-length']);
  } catch {
    // absent: created at 0
  }
  await sdk().append(key, Buffer.from(text), { position: String(position) });
}

/** A running `ossd tail -f`, its stdout collected as it arrives. */
interface Follower {
  child: ChildProcess;
  text: () => string;
  stderr: () => string;
  /** Resolves when stdout contains `needle`; the time it took from `since`. */
  waitFor(needle: string, since: number, limitMs?: number): Promise<number>;
  exited: Promise<number | null>;
}

function follow(key: string, extra: string[] = []): Follower {
  const child = spawnCli(ossd, home, ['tail', '-f', ...extra, `oss://${BUCKET}/${key}`]);
  child.stdin!.end();
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    text: () => out,
    stderr: () => err,
    exited,
    async waitFor(needle, since, limitMs = 30_000) {
      while (!out.includes(needle)) {
        assert.ok(Date.now() - since < limitMs, `tail -f did not print ${JSON.stringify(needle)} within ${limitMs} ms; stdout ${JSON.stringify(out)}, stderr ${err}`);
        assert.equal(child.exitCode, null, `tail -f exited: ${err}`);
        await sleep(5);
      }
      return Date.now() - since;
    },
  };
}

/** True when the server answers a follow read (the x-ossd-follow response header). */
function serverFollows(key: string): Promise<boolean> {
  const path = `/${BUCKET}/${key}`;
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'x-ossd-follow': '1', range: 'bytes=0-' };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', path, headers)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ossd.port, path, headers, agent: false }, (res) => {
      resolve(res.headers['x-ossd-follow'] === '1');
      req.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

/** Appends five lines 300 ms apart, returning how long each took to reach tail's stdout. */
async function latencies(f: Follower, key: string): Promise<number[]> {
  const took: number[] = [];
  for (let i = 0; i < 5; i++) {
    const line = `event ${i} ${Date.now()}\n`;
    await appendLine(key, line);
    const acknowledged = Date.now();
    took.push(await f.waitFor(line, acknowledged));
    await sleep(300);
  }
  return took;
}

async function stop(f: Follower): Promise<void> {
  if (f.child.exitCode === null) f.child.kill('SIGTERM');
  await f.exited;
}

describe('ossd tail', { timeout: 300_000 }, () => {
  it('prints the last -n lines (10 by default) or -c bytes', async () => {
    let text = '';
    for (let i = 1; i <= 15; i++) text += `l${i}\n`;
    await sdk().append('static', Buffer.from(text));
    const tail = async (args: string[]): Promise<string> => (await runCliOk(ossd, home, ['tail', ...args, `oss://${BUCKET}/static`])).stdout.toString();
    assert.equal(await tail([]), text.split('\n').slice(5).join('\n'));
    assert.equal(await tail(['-n', '2']), 'l14\nl15\n');
    assert.equal(await tail(['-n', '0']), '');
    assert.equal(await tail(['-n', '100']), text);
    assert.equal(await tail(['-c', '4']), 'l15\n');
    const missing = await runCli(ossd, home, ['tail', `oss://${BUCKET}/nothing`]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^NoSuchKey: .+ \([0-9A-F]+\)$/m);
  });

  it('-f prints lines another process appends within 1 s of their append, and exits 0 when the object is deleted', async (t: TestContext) => {
    await appendLine('live', 'first\n');
    const f = follow('live', ['-n', '1']);
    try {
      await f.waitFor('first\n', Date.now());
      const took = await latencies(f, 'live');
      t.diagnostic(`append → stdout latencies: ${took.join(', ')} ms`);
      // Fails when new bytes are not picked up promptly (checked: with the default poll interval
      // at 5000 ms, on a server without follow reads, the latencies were 4.7–5.0 s).
      assert.ok(took.every((ms) => ms <= 1000), `append → stdout latencies ${took.join(', ')} ms (limit 1000)`);
      await sdk().delete('live');
      const deletedAt = Date.now();
      assert.equal(await f.exited, 0, f.stderr());
      assert.ok(Date.now() - deletedAt < 5000, 'tail -f exits soon after the delete');
      assert.match(f.stderr(), /oss:\/\/cli-tail\/live was deleted/);
      assert.equal(f.text().split('\n').filter((l) => l.startsWith('event')).length, 5, 'each line once');
    } finally {
      await stop(f);
    }
  });

  it('-f follows (no polling) when the server offers follow reads', async (t: TestContext) => {
    await appendLine('followed', 'start\n');
    if (!(await serverFollows('followed'))) {
      t.skip('this ossd has no follow reads (x-ossd-follow)');
      return;
    }
    // Polling every 10 s could not deliver within 1 s: only a follow read can.
    const f = follow('followed', ['--poll-ms', '10000']);
    try {
      await f.waitFor('start\n', Date.now());
      const took = await latencies(f, 'followed');
      t.diagnostic(`append → stdout latencies (follow reads): ${took.join(', ')} ms`);
      assert.ok(took.every((ms) => ms <= 1000), `append → stdout latencies ${took.join(', ')} ms (limit 1000)`);
    } finally {
      await stop(f);
    }
  });

  it('-f exits 0 with a message when the object is sealed', async (t: TestContext) => {
    await appendLine('sealed', 'before seal\n');
    const f = follow('sealed');
    try {
      await f.waitFor('before seal\n', Date.now());
      const sealed = await raw(ossd, { method: 'POST', path: `/${BUCKET}/sealed?seal&position=12` });
      if (sealed.status !== 200) {
        t.skip(`this ossd has no SealAppendObject (answered ${sealed.status})`);
        return;
      }
      assert.equal(await f.exited, 0, f.stderr());
      assert.match(f.stderr(), /oss:\/\/cli-tail\/sealed (was|is) sealed/);
    } finally {
      await stop(f);
    }
  });
});
