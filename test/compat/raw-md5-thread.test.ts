/**
 * Large PutObject bodies are MD5-hashed on a worker thread (src/engine/md5-offload.ts),
 * which names itself `ossd-md5` so that `top -H`, `ps -L` and bench/profile.ts can tell
 * its CPU from Node's other threads. Through the real ossd process, raw HTTP: the thread
 * appears with the first large body and the ETag it computed is the body's MD5.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createBucket } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const B = 'md5-thread';

/** The names of the ossd process's threads (Linux /proc). */
function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
}

describe('the MD5 worker thread', { timeout: 300_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd();
    await createBucket(ossd, B);
  });
  after(async () => {
    await ossd.kill();
    ossd.cleanup();
  });

  it('is named ossd-md5 once a large body was hashed on it, with the body MD5 as ETag', async () => {
    const pid = ossd.proc.pid!;
    const small = await raw(ossd, { method: 'PUT', path: `/${B}/small`, body: randomBytes(1024) });
    assert.equal(small.status, 200);
    assert.ok(!threadNames(pid).includes('ossd-md5'), 'a small body is hashed on the event loop: no worker yet');
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const put = await raw(ossd, { method: 'PUT', path: `/${B}/large`, body: data });
    assert.equal(put.status, 200);
    assert.equal(put.headers.etag, `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`);
    assert.ok(threadNames(pid).includes('ossd-md5'), `threads: ${threadNames(pid).join(', ')}`);
  });
});
