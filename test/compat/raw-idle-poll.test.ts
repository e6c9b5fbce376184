/**
 * Idle polling through the real ossd process (src/server/idle-poll.ts, --idle-poll-us):
 * after answering its last request the server keeps its event loop turning for the
 * budget, which shows as CPU time of the process; then it sleeps and costs nothing; with
 * 0 it never polls; a value that is not a whole number stops the server at start-up.
 * CPU time is the process's utime + stime from /proc (Linux; 10 ms ticks), so the
 * budget here is long (1 s) and the bounds are wide.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU the server spends during `ms`, starting right after one answered request. */
async function cpuAfterRequest(ossd: Ossd, ms: number, waitFirst = 0): Promise<number> {
  assert.equal((await raw(ossd, { method: 'GET', path: '/' })).status, 200);
  if (waitFirst > 0) await sleep(waitFirst);
  const before = cpuMs(ossd.proc.pid!);
  await sleep(ms);
  return cpuMs(ossd.proc.pid!) - before;
}

async function withOssd(env: Record<string, string>, body: (ossd: Ossd) => Promise<void>): Promise<void> {
  const ossd = await startOssd({ env });
  try {
    await sleep(300); // start-up work (recovery, the first checkpoint) is over
    await body(ossd);
  } finally {
    await ossd.stop();
    ossd.cleanup();
  }
}

describe('idle polling (--idle-poll-us)', { timeout: 300_000 }, () => {
  it('keeps the loop busy for the budget after a request, then the idle server costs nothing', async () => {
    await withOssd({ OSSD_IDLE_POLL_US: '1000000' }, async (ossd) => {
      const polling = await cpuAfterRequest(ossd, 500);
      assert.ok(polling >= 150, `polling for 500 ms of a 1 s budget used only ${polling} ms of CPU`);
      const after = await cpuAfterRequest(ossd, 500, 1200);
      assert.ok(after <= 60, `an idle server past its budget used ${after} ms of CPU in 500 ms`);
    });
  });

  it('0 turns it off: right after a request the server sleeps', async () => {
    await withOssd({ OSSD_IDLE_POLL_US: '0' }, async (ossd) => {
      const idle = await cpuAfterRequest(ossd, 500);
      assert.ok(idle <= 60, `with polling off the server used ${idle} ms of CPU in 500 ms after a request`);
    });
  });

  it('a value that is not a whole number stops the server at start-up, naming the setting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ossd-idle-poll-'));
    try {
      await assert.rejects(startOssd({ dataDir, env: { OSSD_IDLE_POLL_US: '-5' } }), /idle-poll-us must be a whole number/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
