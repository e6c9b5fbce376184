/**
 * `ossd append` as a real child process against a real ossd: stdin and files, batching,
 * answers lost after the append landed (exactly once), and kill -9 mid-stream then rerun
 * (byte-exact, no duplicates). Checked with ali-oss.
 *
 * These pass against an ossd with or without the Idempotency-Key extension: without it a
 * retry gets 409 PositionNotEqualToLength and the CLI decides by length + CRC-64; with it the
 * retry gets the original 200 (x-ossd-idempotent-replay).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { startLossyProxy } from '../helpers/lossy-proxy.js';
import { cliHome, collect, OSSD_BIN, runCli, runCliOk, spawnCli, cliEnv } from '../helpers/ossd-cli.js';
import { useOssd } from '../helpers/ossd-process.js';
import { execFile } from 'node:child_process';

const BUCKET = 'cli-append';
const ossd = useOssd({}, async (o) => {
  await client(o, { mode: 'ip' }).putBucket(BUCKET);
});
const home = cliHome();
const work = mkdtempSync(join(tmpdir(), 'ossd-cli-append-'));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic log lines: line i is the same in every run, so a rerun can resend them. */
function lines(from: number, to: number): Buffer {
  let s = '';
  for (let i = from; i < to; i++) s += `line ${String(i).padStart(6, '0')} ${'x'.repeat(i % 37)}\n`;
  return Buffer.from(s);
}

async function objectBytes(key: string): Promise<Buffer> {
  return (await client(ossd, { mode: 'ip', bucket: BUCKET }).get(key)).content as Buffer;
}

async function objectLength(key: string): Promise<number> {
  try {
    return Number((await client(ossd, { mode: 'ip', bucket: BUCKET }).head(key)).res.headers['content-length']);
  } catch {
    return 0;
  }
}

describe('ossd append', { timeout: 600_000 }, () => {
  it("`printf 'a\\nb\\n' | ossd append - oss://b/k` works as written, and appends again when run again", async () => {
    const run = (): Promise<{ code: number | null; stderr: string }> => new Promise((done) => {
      // Through a shell, exactly as a user types it.
      execFile('sh', ['-c', `printf 'a\\nb\\n' | "${process.execPath}" "${OSSD_BIN}" append - oss://${BUCKET}/printf`], { env: cliEnv(ossd, home) }, (err, _out, stderr) =>
        done({ code: err === null ? 0 : (err.code as number), stderr }));
    });
    assert.deepEqual(await run(), { code: 0, stderr: '' });
    assert.equal((await objectBytes('printf')).toString(), 'a\nb\n');
    const head = await client(ossd, { mode: 'ip', bucket: BUCKET }).head('printf');
    assert.equal(head.res.headers['x-oss-object-type'], 'Appendable');
    assert.deepEqual(await run(), { code: 0, stderr: '' });
    assert.equal((await objectBytes('printf')).toString(), 'a\nb\na\nb\n');
  });

  it('appends a file in batches of --batch-bytes, continuing an existing object at its length', async () => {
    const data = lines(0, 5000);
    const file = join(work, 'file.log');
    writeFileSync(file, data);
    await client(ossd, { mode: 'ip', bucket: BUCKET }).append('file', Buffer.from('prefix\n'));
    const r = await runCliOk(ossd, home, ['append', file, `oss://${BUCKET}/file`, '--batch-bytes', '65536']);
    assert.equal(r.stderr, '', 'no progress output when stderr is not a terminal');
    assert.ok(Buffer.compare(await objectBytes('file'), Buffer.concat([Buffer.from('prefix\n'), data])) === 0);
  });

  it('a lost answer after the append landed is retried without duplicating bytes (exactly once)', async () => {
    const proxy = await startLossyProxy(ossd.port, 3);
    try {
      const data = lines(0, 3000);
      const r = await runCli(ossd, home, ['append', '-', `oss://${BUCKET}/lossy`, '--batch-bytes', '16384'], { input: data, endpoint: proxy.endpoint });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(proxy.dropped, 3, 'the proxy lost three answers');
      assert.match(r.stderr, /retrying at position \d+/);
      // Fails when the CLI does not decide a 409 by length + CRC-64 (checked: with that decision
      // in appender.ts replaced by a throw, the CLI exits 1 after the first lost answer).
      assert.ok(Buffer.compare(await objectBytes('lossy'), data) === 0, 'object differs from the input (duplicated or lost bytes)');
    } finally {
      await proxy.close();
    }
  });

  it('killed with SIGKILL mid-stream while a slow producer pipes into it, then rerun: byte-exact, no duplicates', async () => {
    const key = 'killed';
    const total = 4000;
    const all = lines(0, total);
    for (let round = 0; round < 3; round++) {
      const child = spawnCli(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`, '--batch-ms', '50']);
      const exited = collect(child);
      child.stdin!.on('error', () => undefined);
      // A slow producer: 20 lines every 10 ms, from the start of the data (the rerun resends it all).
      const before = await objectLength(key);
      let sent = 0;
      let line = 0;
      while (child.exitCode === null && line < total) {
        const chunk = lines(line, Math.min(line + 20, total));
        child.stdin!.write(chunk);
        sent += chunk.length;
        line += 20;
        await sleep(10);
        // Kill once this run has appended something of its own, mid-stream.
        if (sent > 20_000 && (await objectLength(key)) > before) break;
      }
      child.kill('SIGKILL');
      const killed = await exited;
      assert.equal(killed.signal, 'SIGKILL', `round ${round}: the CLI ended before the kill: ${killed.stderr}`);
      const length = await objectLength(key);
      assert.ok(length > before && length < all.length, `round ${round}: killed mid-stream (${length} of ${all.length} bytes)`);
      // What is there is exactly a prefix of the data.
      assert.ok(Buffer.compare(await objectBytes(key), all.subarray(0, length)) === 0, `round ${round}: object is not a prefix of the data`);
    }
    // The rerun gets the whole data again on stdin, as fast as it can read it.
    const rerun = await runCli(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`], { input: all });
    assert.equal(rerun.code, 0, rerun.stderr);
    // Fails without the start record (checked: with resume.ts ignoring it, the rerun appends the data again).
    assert.ok(Buffer.compare(await objectBytes(key), all) === 0, 'object differs from the data after the rerun');
    // Finished: the record is gone, so another run appends the input anew.
    await runCliOk(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`], { input: 'more\n' });
    assert.equal((await objectBytes(key)).toString(), all.toString() + 'more\n');
  });

  it('`ossd append FILE` killed with SIGKILL mid-file and rerun: the object holds FILE exactly once', async () => {
    const key = 'killed-file';
    const data = lines(0, 120_000); // ~5.8 MB: hundreds of 16 KiB appends, so the kill lands mid-file
    const file = join(work, 'killed.log');
    writeFileSync(file, data);
    const child = spawnCli(ossd, home, ['append', file, `oss://${BUCKET}/${key}`, '--batch-bytes', '16384']);
    const exited = collect(child);
    child.stdin!.end();
    while ((await objectLength(key)) < data.length / 8) {
      assert.equal(child.exitCode, null, 'the CLI ended before the kill');
      await sleep(5);
    }
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL', 'the CLI ended before the kill');
    const length = await objectLength(key);
    assert.ok(length < data.length, `killed mid-file (${length} of ${data.length} bytes)`);
    const rerun = await runCli(ossd, home, ['append', file, `oss://${BUCKET}/${key}`, '--batch-bytes', '16384']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.ok(Buffer.compare(await objectBytes(key), data) === 0, 'object differs from FILE after the rerun');
  });

  it('a rerun with other input than the interrupted run appends nothing and exits 1', async () => {
    const key = 'mismatch';
    const child = spawnCli(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`, '--batch-ms', '20']);
    const exited = collect(child);
    child.stdin!.write(lines(0, 50));
    while ((await objectLength(key)) === 0) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    const length = await objectLength(key);
    const other = await runCli(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`], { input: lines(1000, 1100) });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /does not continue with this input/);
    assert.equal(await objectLength(key), length, 'nothing was appended');
    // --fresh appends the whole input after what is there.
    await runCliOk(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`, '--fresh'], { input: 'fresh\n' });
    assert.equal((await objectBytes(key)).subarray(length).toString(), 'fresh\n');
  });

  // Fails when the appender no longer sends the header (the object gets ali-oss's guess for
  // .bin, application/octet-stream): checked.
  it('--content-type sets the Content-Type of the object it creates; an existing object keeps its own', async () => {
    const key = 'typed.bin';
    const data = lines(0, 2000);
    await runCliOk(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`, '--content-type', 'text/plain; charset=utf-8', '--batch-bytes', '4096'], { input: data });
    const oss = client(ossd, { mode: 'ip', bucket: BUCKET });
    assert.equal((await oss.head(key)).res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.ok(Buffer.compare(await objectBytes(key), data) === 0);
    // Run again with another type: the bytes go on, the type stays, and a note says why.
    const again = await runCliOk(ossd, home, ['append', '-', `oss://${BUCKET}/${key}`, '--content-type', 'application/json'], { input: 'more\n' });
    assert.match(again.stderr, /--content-type applies only to the append that creates the object/);
    assert.equal((await oss.head(key)).res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal((await objectBytes(key)).subarray(data.length).toString(), 'more\n');
    const bad = await runCli(ossd, home, ['append', '-', `oss://${BUCKET}/badtype`, '--content-type', 'not a type'], { input: 'x' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--content-type must be a media type/);
    assert.equal(await objectLength('badtype'), 0, 'nothing was appended');
  });

  it('refuses a Normal object with exit 1, and a missing bucket with exit 3', async () => {
    await client(ossd, { mode: 'ip', bucket: BUCKET }).put('normal', Buffer.from('x'));
    const normal = await runCli(ossd, home, ['append', '-', `oss://${BUCKET}/normal`], { input: 'y' });
    assert.equal(normal.code, 1);
    assert.match(normal.stderr, /Normal object, which cannot be appended to/);
    const noBucket = await runCli(ossd, home, ['append', '-', 'oss://no-such-bucket-cli/k'], { input: 'y' });
    assert.equal(noBucket.code, 3);
    assert.match(noBucket.stderr, /^NoSuchBucket: .+ \([0-9A-F]+\)$/m);
  });
});
