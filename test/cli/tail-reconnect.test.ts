/**
 * `ossd tail -f` reconnecting when the server ends a follow read with `idle-timeout` or
 * `max-duration` (docs/cli.md "ossd tail"): a real ossd started with short limits
 * (--follow-idle-timeout, --follow-max-duration: 1 s), a real `ossd tail -f` child process,
 * and lines appended (through ali-oss) only after the server's log shows that a follow read
 * of the key ended for that reason. Each line must still appear, exactly once: the CLI
 * reconnected, from the offset it had reached.
 *
 * Fails when the CLI ends on idle-timeout/max-duration instead of reconnecting (tail.ts
 * returning 'done' for them: tail exited, the lines never came), and when it reconnects
 * from offset 0 instead of the offset reached ("one" printed again): both checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { client } from '../helpers/clients.js';
import { cliHome, spawnCli } from '../helpers/ossd-cli.js';
import { type Ossd, useOssd } from '../helpers/ossd-process.js';

const BUCKET = 'cli-tail-reconnect';
const setup = async (o: Ossd): Promise<void> => {
  await client(o, { mode: 'ip' }).putBucket(BUCKET);
};
// One server per reason: a follow read that sends nothing ends after 1 s of idleness on the
// first, after 1 s in all on the second (its idle limit is an hour).
const idleServer = useOssd({ args: ['--log-requests', '--follow-idle-timeout', '1'] }, setup);
const maxServer = useOssd({ args: ['--log-requests', '--follow-idle-timeout', '3600', '--follow-max-duration', '1'] }, setup);
const home = cliHome();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The follow reads of `key` that ended, as the server's request log lines say, oldest first. */
function followEnds(ossd: Ossd, key: string): string[] {
  return ossd
    .output()
    .split('\n')
    .filter((l) => l.includes('"follow"'))
    .map((l) => JSON.parse(l) as { key?: string; follow: string })
    .filter((l) => l.key === key)
    .map((l) => l.follow);
}

/** Waits until the server has ended `count` follow reads of `key` with `reason` (and no other way). */
async function endedFollows(ossd: Ossd, key: string, reason: string, count: number): Promise<void> {
  const from = Date.now();
  for (;;) {
    const ends = followEnds(ossd, key);
    assert.deepEqual(ends.filter((e) => e !== reason), [], `follow reads of ${key} ended otherwise: ${ends.join(', ')}`);
    if (ends.length >= count) return;
    assert.ok(Date.now() - from < 15_000, `the server ended ${ends.length} follow reads of ${key} with ${reason} in 15 s, expected ${count}`);
    await sleep(50);
  }
}

interface Tail {
  child: ChildProcess;
  out: () => string;
  err: () => string;
}

function tailFollow(ossd: Ossd, key: string): Tail {
  // --poll-ms 60000: were the CLI to fall back to polling, the lines would come far too late.
  const child = spawnCli(ossd, home, ['tail', '-f', '--poll-ms', '60000', `oss://${BUCKET}/${key}`]);
  child.stdin!.end();
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, out: () => out, err: () => err };
}

async function waitForOutput(t: Tail, expected: string): Promise<void> {
  const from = Date.now();
  while (t.out() !== expected) {
    assert.ok(expected.startsWith(t.out()), `tail printed ${JSON.stringify(t.out())}, expected ${JSON.stringify(expected)} (stderr: ${t.err()})`);
    assert.equal(t.child.exitCode, null, `tail -f exited (${t.child.exitCode}): ${t.err()}`);
    assert.ok(Date.now() - from < 5000, `tail printed ${JSON.stringify(t.out())} after 5 s, expected ${JSON.stringify(expected)} (stderr: ${t.err()})`);
    await sleep(20);
  }
}

async function reconnects(ossd: Ossd, key: string, reason: 'idle-timeout' | 'max-duration'): Promise<void> {
  const oss = client(ossd, { mode: 'ip', bucket: BUCKET });
  let position = 0;
  const append = async (text: string): Promise<void> => {
    const r = await oss.append(key, Buffer.from(text), { position: String(position) });
    position = Number(r.nextAppendPosition);
  };
  await append('one\n');
  const t = tailFollow(ossd, key);
  try {
    await waitForOutput(t, 'one\n');
    // The read that printed "one" ended; the line comes after it, so only a new read can carry it.
    await endedFollows(ossd, key, reason, 1);
    await append('two\n');
    await waitForOutput(t, 'one\ntwo\n');
    // Again, after two more ends (one of them at least a read that started after "two").
    const ended = followEnds(ossd, key).length;
    await endedFollows(ossd, key, reason, ended + 2);
    await append('three\n');
    await waitForOutput(t, 'one\ntwo\nthree\n');
    // Nothing more arrives late (a duplicate from a reconnection at a wrong offset).
    await endedFollows(ossd, key, reason, followEnds(ossd, key).length + 1);
    assert.equal(t.out(), 'one\ntwo\nthree\n');
    assert.equal(t.err(), '', 'nothing to say on a reconnection');
  } finally {
    t.child.kill('SIGTERM');
  }
}

describe('ossd tail -f reconnects when the server ends a follow read', { timeout: 120_000 }, () => {
  it('after idle-timeout: lines appended later still appear, once each', async () => {
    await reconnects(idleServer, 'idle.log', 'idle-timeout');
  });

  it('after max-duration: lines appended later still appear, once each', async () => {
    await reconnects(maxServer, 'max.log', 'max-duration');
  });
});
