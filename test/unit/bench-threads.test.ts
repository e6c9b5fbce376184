/**
 * CPU by thread for bench/profile.ts: the MD5 worker names itself (md5-thread.ts) so that
 * its CPU can be told from Node's other threads, all called "node".
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { cpuByThread, type ThreadCpu, threadCpuMs } from '../../bench/proc.js';
import { OffloadedMd5 } from '../../src/engine/md5-offload.js';

describe('CPU by thread', { timeout: 30_000 }, () => {
  it('splits per-op CPU into the event loop, named threads and the unnamed rest', () => {
    const before: ThreadCpu = new Map([
      [100, { name: 'node', ms: 50 }],
      [101, { name: 'node', ms: 10 }],
      [102, { name: 'ossd-md5', ms: 0 }],
    ]);
    const after: ThreadCpu = new Map([
      [100, { name: 'node', ms: 250 }],
      [101, { name: 'node', ms: 30 }],
      [102, { name: 'ossd-md5', ms: 400 }],
      [103, { name: 'node', ms: 20 }], // started in between: counts from zero
    ]);
    assert.deepEqual(cpuByThread(before, after, 100, 4), [
      ['ossd-md5', 100],
      ['event loop', 50],
      ['other threads (libuv pool, V8)', 10],
    ]);
  });

  it('finds the MD5 worker by its name once it has hashed a batch (Linux /proc)', async () => {
    const data = Buffer.allocUnsafeSlow(1024).fill(7);
    const expected = createHash('md5').update(data).digest('hex');
    const md5 = new OffloadedMd5();
    await md5.update(data);
    assert.equal((await md5.digest()).toString('hex'), expected);
    const names = [...threadCpuMs(process.pid).values()].map((t) => t.name);
    assert.ok(names.includes('ossd-md5'), `threads: ${names.join(', ')}`);
  });
});
