// Small appends to an existing object are staged in memory and written into its file only
// by the journal flusher (docs/storage.md "Small appends are journaled"), seen from
// outside the real ossd process: with the flusher held back, the blob file keeps the
// creating append's bytes only, while GET, Range GET and HEAD serve every acknowledged
// byte. After kill -9 and a restart, recovery puts the journaled bytes into the file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crcOf } from '../helpers/fault-appends.js';
import { blobFiles, createBucket, getObject, headObject } from '../helpers/fault-store.js';
import { journalFlushed } from '../helpers/meta-db.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const B = 'raw-staged';

describe('small appends are staged, not written on the request path (real ossd)', { timeout: 300_000 }, () => {
  const opts = { env: { OSSD_JOURNAL_FLUSH_MS: '600000' } };
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd(opts);
  });
  after(async () => {
    await ossd.kill();
    ossd.cleanup();
  });

  async function append(position: number, body: string): Promise<void> {
    const r = await raw(ossd, { method: 'POST', path: `/${B}/k?append&position=${position}`, body: Buffer.from(body) });
    assert.equal(r.status, 200, r.text);
  }

  it('reads see staged bytes while the file holds only the first append; a restart after kill -9 writes them', async () => {
    await createBucket(ossd, B);
    await append(0, 'hello');
    await append(5, ' staged');
    await append(12, ' world');
    const all = Buffer.from('hello staged world');
    assert.deepEqual(blobFiles(ossd.dataDir).map((f) => f.size), [5], 'only the creating append reached the file');
    const got = await getObject(ossd, B, 'k');
    assert.equal(got.status, 200);
    assert.equal(got.body.toString(), all.toString());
    assert.equal(got.crc, crcOf(all));
    const head = await headObject(ossd, B, 'k');
    assert.equal(head.contentLength, all.length);
    const range = await raw(ossd, { method: 'GET', path: `/${B}/k`, headers: { range: 'bytes=3-8' } });
    assert.equal(range.status, 206);
    assert.equal(range.text, all.subarray(3, 9).toString());

    await ossd.kill();
    ossd = await startOssd({ ...opts, dataDir: ossd.dataDir });
    await journalFlushed(ossd.dataDir);
    assert.deepEqual(blobFiles(ossd.dataDir).map((f) => f.size), [all.length], 'recovery wrote the journaled bytes into the file');
    assert.equal((await getObject(ossd, B, 'k')).body.toString(), all.toString());
    await append(all.length, '!');
    assert.equal((await getObject(ossd, B, 'k')).body.toString(), `${all.toString()}!`);
  });
});
