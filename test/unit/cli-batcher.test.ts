/**
 * The batching of `ossd append` (src/client/append/batcher.ts): a size bound, a time
 * bound, merging of batches that queued behind a slow append, and backpressure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from '../../src/client/append/batcher.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ossd append batching', { timeout: 30_000 }, () => {
  it('sends a batch when it reaches maxBytes, without waiting for the time bound', async () => {
    const b = new Batcher(10, 60_000);
    b.push(Buffer.from('0123456789abc'));
    const started = Date.now();
    assert.equal((await b.next())?.toString(), '0123456789');
    assert.ok(Date.now() - started < 1000);
    b.end();
    assert.equal((await b.next())?.toString(), 'abc');
    assert.equal(await b.next(), null);
  });

  it('sends a small batch once its first byte has waited maxDelayMs', async () => {
    const b = new Batcher(1 << 20, 100);
    const started = Date.now();
    b.push(Buffer.from('a\n'));
    setTimeout(() => b.push(Buffer.from('b\n')), 20);
    const batch = await b.next();
    const waited = Date.now() - started;
    // Fails without the timer (checked: next() then waits for end()).
    assert.equal(batch?.toString(), 'a\nb\n');
    assert.ok(waited >= 90 && waited < 2000, `waited ${waited} ms`);
  });

  it('merges batches that queued while the consumer was busy, up to maxBytes', async () => {
    const b = new Batcher(8, 10);
    for (const s of ['aa', 'bb', 'cc', 'dd', 'ee']) {
      b.push(Buffer.from(s));
      await sleep(25); // each becomes its own batch
    }
    b.end();
    assert.equal((await b.next())?.toString(), 'aabbccdd');
    assert.equal((await b.next())?.toString(), 'ee');
    assert.equal(await b.next(), null);
  });

  it('holds the producer back while maxQueued bytes wait, and passes input failures on', async () => {
    const b = new Batcher(4, 10, 8);
    b.push(Buffer.from('12345678'));
    let released = false;
    const room = b.waitForRoom().then(() => (released = true));
    await sleep(20);
    assert.equal(released, false);
    await b.next();
    await room;
    assert.equal(released, true);
    b.fail(new Error('stdin broke'));
    await assert.rejects(b.next(), /stdin broke/);
  });
});
