// Small objects stored inline, seen from outside the real ossd process: a body of known
// length up to 64 KiB leaves no file under blobs/ and one row in meta.db's inline_blobs
// (docs/storage.md "Small objects are inline"); one byte more is a file. Overwrite,
// delete and copy keep exactly one stored blob per object, with no waiting: the row of a
// replaced object goes in the same commit. GET, Range GET and HEAD serve the bytes.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { blobFiles } from '../helpers/fault-store.js';
import { inlineBlobRows } from '../helpers/meta-db.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const B = 'raw-inline';
const KiB64 = 64 * 1024;
const ossd = useOssd();

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

async function put(key: string, body: Buffer): Promise<void> {
  const r = await raw(ossd, { method: 'PUT', path: `/${B}/${key}`, body });
  assert.equal(r.status, 200, r.text);
}

describe('small objects are stored inline (real ossd)', { timeout: 300_000 }, () => {
  before(async () => {
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
  });

  it('64 KiB goes into inline_blobs and no file; 64 KiB + 1 into a file', async () => {
    const small = pattern(KiB64, 1);
    await put('small', small);
    assert.deepEqual(blobFiles(ossd.dataDir), []);
    const rows = inlineBlobRows(ossd.dataDir);
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.data.equals(small));
    assert.match(rows[0]!.blob, /^inline-[0-9a-f]{32}$/);

    await put('big', pattern(KiB64 + 1, 2));
    assert.equal(blobFiles(ossd.dataDir).length, 1);
    assert.equal(inlineBlobRows(ossd.dataDir).length, 1);

    const got = await raw(ossd, { method: 'GET', path: `/${B}/small` });
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(small));
    const range = await raw(ossd, { method: 'GET', path: `/${B}/small`, headers: { range: 'bytes=1000-1999' } });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals(small.subarray(1000, 2000)));
    const head = await raw(ossd, { method: 'HEAD', path: `/${B}/small` });
    assert.equal(head.headers['content-length'], String(KiB64));
  });

  it('overwrite, copy and delete: one row per object, the replaced one gone at once', async () => {
    const one = pattern(3000, 3);
    const two = pattern(4000, 4);
    await put('k', one);
    const before = inlineBlobRows(ossd.dataDir).length;
    await put('k', two);
    const rows = inlineBlobRows(ossd.dataDir);
    assert.equal(rows.length, before, 'the overwritten bytes left with the overwrite');
    assert.ok(!rows.some((r) => r.data.equals(one)));

    const copy = await raw(ossd, { method: 'PUT', path: `/${B}/k-copy`, headers: { 'x-oss-copy-source': `/${B}/k` } });
    assert.equal(copy.status, 200, copy.text);
    assert.equal(inlineBlobRows(ossd.dataDir).filter((r) => r.data.equals(two)).length, 2, 'a copy has bytes of its own');

    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${B}/k` })).status, 204);
    assert.equal(inlineBlobRows(ossd.dataDir).filter((r) => r.data.equals(two)).length, 1);
    const left = await raw(ossd, { method: 'GET', path: `/${B}/k-copy` });
    assert.ok(left.body.equals(two));
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${B}/k-copy` })).status, 204);
    assert.equal(inlineBlobRows(ossd.dataDir).length, before - 1);
  });
});
