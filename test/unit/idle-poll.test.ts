/**
 * IdlePoll (src/server/idle-poll.ts): after the server goes idle the event loop keeps
 * turning (setImmediate) for the budget, stops as soon as a request is in flight, and
 * does not start with a budget of 0. And its setting,
 * --idle-poll-us / OSSD_IDLE_POLL_US (src/config.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { IdlePoll } from '../../src/server/idle-poll.js';

describe('IdlePoll', { timeout: 30_000 }, () => {
  it('keeps the loop turning for its budget after going idle, then lets it sleep', async () => {
    const poll = new IdlePoll(30_000, () => false);
    poll.idle();
    assert.equal(poll.active, true);
    await sleep(10);
    assert.equal(poll.active, true, 'still within the 30 ms budget');
    await sleep(40);
    assert.equal(poll.active, false, 'budget spent');
  });

  it('stops as soon as a request is in flight', async () => {
    let busy = false;
    const poll = new IdlePoll(1_000_000, () => busy);
    poll.idle();
    await sleep(5);
    assert.equal(poll.active, true);
    busy = true;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(poll.active, false);
  });

  it('going idle again while polling extends the budget (one poller, not two)', async () => {
    const poll = new IdlePoll(30_000, () => false);
    poll.idle();
    await sleep(20);
    poll.idle();
    await sleep(20);
    assert.equal(poll.active, true, '40 ms after the first idle(), 20 ms after the second');
    await sleep(30);
    assert.equal(poll.active, false);
  });

  it('a budget of 0 never polls', async () => {
    const poll = new IdlePoll(0, () => false);
    poll.idle();
    assert.equal(poll.active, false);
  });
});

describe('--idle-poll-us', { timeout: 30_000 }, () => {
  it('defaults to 500 µs, takes 0 to turn it off, and refuses anything else but a whole number', () => {
    assert.equal(loadConfig([], {}).idlePollUs, 500);
    assert.equal(loadConfig(['--idle-poll-us', '0'], {}).idlePollUs, 0);
    assert.equal(loadConfig([], { OSSD_IDLE_POLL_US: '250' }).idlePollUs, 250);
    assert.equal(loadConfig(['--idle-poll-us', '100'], { OSSD_IDLE_POLL_US: '250' }).idlePollUs, 100, 'the flag wins');
    for (const bad of ['-1', 'fast', '1.5']) assert.throws(() => loadConfig([`--idle-poll-us=${bad}`], {}), ConfigError, bad);
  });
});
