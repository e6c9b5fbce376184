/**
 * Multipart upload through the real ali-oss client (multipart.md §10, sdk-usage.md §1):
 * multipartUpload with progress and parallel parts, checkpoint resume after cancel(),
 * multipartUploadCopy, CopyObject of a multipart object, and ranged GETs across part
 * boundaries — in the path-style and IP addressing modes, with V1 and V4 signatures.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type OssClient } from '../helpers/clients.js';
import { crcOfParts, multipartEtagOf, pattern, split } from '../helpers/multipart.js';
import { useOssd } from '../helpers/ossd-process.js';
import { bucketClient, bucketFor, contentOf, crcOf, hdr, md5Etag, SDK_MODES, sleep, useScratchDir } from '../helpers/sdk-fixtures.js';

const KIB100 = 100 * 1024;
const MODES = SDK_MODES.filter((m) => m.mode === 'sld' || m.mode === 'ip');

const ossd = useOssd();
const scratch = useScratchDir();

/** Checks a GET of `name` against `parts` (content, type, CRC, ETag per §8). */
async function assertMultipart(c: OssClient, name: string, parts: Buffer[]): Promise<void> {
  const got = await c.get(name);
  assert.deepEqual(contentOf(got), Buffer.concat(parts));
  assert.equal(hdr(got.res, 'x-oss-object-type'), 'Multipart');
  assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOfParts(parts));
  assert.equal(hdr(got.res, 'etag'), multipartEtagOf(parts));
}

for (const m of MODES) {
  describe(`multipart: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    const bucket = bucketFor('mp', m);
    before(async () => {
      c = await bucketClient(ossd, m, bucket);
    });

    it('multipartUpload of a file: progress, parallel parts, metadata, ETag, CRC', async () => {
      const data = pattern(7 * KIB100 + 1234, 3);
      const file = scratch.file(`up-${m.mode}-${m.v4}.bin`, data);
      const seen: number[] = [];
      const r = await c.multipartUpload('dir/up.bin', file, {
        partSize: KIB100,
        parallel: 4,
        meta: { origin: 'sdk' },
        mime: 'application/x-ossd-test',
        progress: async (p: number) => void seen.push(p),
      });
      assert.equal(r.res.status, 200);
      const parts = split(data, KIB100);
      assert.equal(r.etag, multipartEtagOf(parts));
      assert.equal(hdr(r.res, 'x-oss-hash-crc64ecma'), crcOf(data));
      assert.equal(seen[0], 0);
      assert.equal(seen[seen.length - 1], 1);
      assert.equal(seen.length, parts.length + 2);
      await assertMultipart(c, 'dir/up.bin', parts);
      const head = await c.head('dir/up.bin');
      assert.equal(head.meta.origin, 'sdk');
      assert.equal(hdr(head.res, 'content-type'), 'application/x-ossd-test');
      assert.equal(hdr(head.res, 'content-length'), String(data.length));
    });

    it('ranged GETs across part boundaries', async () => {
      const data = pattern(7 * KIB100 + 1234, 3);
      for (const [first, last] of [[KIB100 - 5, KIB100 + 4], [KIB100, 3 * KIB100 - 1], [1, 7 * KIB100 + 1233], [7 * KIB100, 7 * KIB100 + 1233]]) {
        const g = await c.get('dir/up.bin', { headers: { Range: `bytes=${first}-${last}` } });
        assert.equal(g.res.status, 206);
        assert.deepEqual(contentOf(g), data.subarray(first!, last! + 1));
        assert.equal(hdr(g.res, 'x-oss-hash-crc64ecma'), crcOf(data));
      }
    });

    it('resumes from the checkpoint after cancel() interrupted parallel parts', async () => {
      const data = pattern(12 * KIB100 + 77, 5);
      const file = scratch.file(`resume-${m.mode}-${m.v4}.bin`, data);
      let checkpoint: { uploadId: string; doneParts: unknown[] } | undefined;
      let cancelled: unknown;
      let cancelCalled = false;
      await c
        .multipartUpload('resume.bin', file, {
          partSize: KIB100,
          parallel: 3,
          progress: async (_p: number, cp: typeof checkpoint) => {
            checkpoint = cp;
            // Once only: a part still in flight may finish (and report) after a resume began.
            if (cp && cp.doneParts.length >= 4 && !cancelCalled) {
              cancelCalled = true;
              c.cancel();
            }
          },
        })
        .catch((e: unknown) => (cancelled = e));
      assert.equal((cancelled as { name?: string }).name, 'cancel');
      assert.ok(checkpoint && checkpoint.doneParts.length >= 4 && checkpoint.doneParts.length < 13);
      await sleep(300); // let the parts cancel() cut off settle, as a later resume would
      // The interrupted parts left nothing; the finished ones are listed.
      const listed = await c.listParts('resume.bin', checkpoint.uploadId, { 'max-parts': 1000 });
      const numbers = [listed.parts].flat().map((p: { PartNumber: string }) => Number(p.PartNumber));
      assert.ok(numbers.length >= checkpoint.doneParts.length);
      await assert.rejects(c.head('resume.bin'), { status: 404 });

      const r = await c.multipartUpload('resume.bin', file, { checkpoint, partSize: KIB100, parallel: 3 });
      assert.equal(r.res.status, 200);
      await assertMultipart(c, 'resume.bin', split(data, KIB100));
    });

    it('Complete over an existing key replaces it', async () => {
      await c.put('replace.bin', Buffer.from('the old object'));
      const data = pattern(2 * KIB100 + 1, 8);
      await c.multipartUpload('replace.bin', data, { partSize: KIB100 });
      await assertMultipart(c, 'replace.bin', split(data, KIB100));
    });

    it('multipartUploadCopy from a multipart and a normal source', async () => {
      const r = await c.multipartUploadCopy('copy.bin', { sourceKey: 'dir/up.bin', sourceBucketName: bucket }, { partSize: 2 * KIB100, parallel: 2 });
      assert.equal(r.res.status, 200);
      const data = pattern(7 * KIB100 + 1234, 3);
      await assertMultipart(c, 'copy.bin', split(data, 2 * KIB100));
      const normal = pattern(3 * KIB100, 11);
      await c.put('normal.bin', normal);
      await c.multipartUploadCopy('copy2.bin', { sourceKey: 'normal.bin', sourceBucketName: bucket, startOffset: 1000 }, { partSize: KIB100 });
      await assertMultipart(c, 'copy2.bin', split(normal.subarray(1000), KIB100));
    });

    it('uploadPartCopy with ranges, then completeMultipartUpload', async () => {
      const src = pattern(3 * KIB100, 11);
      const init = await c.initMultipartUpload('pc.bin');
      const source = { sourceKey: 'normal.bin', sourceBucketName: bucket };
      const p1 = await c.uploadPartCopy('pc.bin', init.uploadId, 1, `${KIB100}-${3 * KIB100 - 1}`, source);
      const p2 = await c.uploadPartCopy('pc.bin', init.uploadId, 2, '0-9', source);
      assert.equal(p1.etag, md5Etag(src.subarray(KIB100)));
      const done = await c.completeMultipartUpload('pc.bin', init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
      await assertMultipart(c, 'pc.bin', [src.subarray(KIB100), src.subarray(0, 10)]);
      assert.equal(done.etag, multipartEtagOf([src.subarray(KIB100), src.subarray(0, 10)]));
    });

    it('CopyObject of a multipart object keeps type Multipart, ETag and bytes', async () => {
      const r = await c.copy('copied-mp.bin', 'dir/up.bin');
      const parts = split(pattern(7 * KIB100 + 1234, 3), KIB100);
      assert.equal(r.data.etag, multipartEtagOf(parts));
      await assertMultipart(c, 'copied-mp.bin', parts);
      // Copy onto itself (putMeta): a metadata update that keeps the segments.
      await c.putMeta('copied-mp.bin', { note: 'updated' });
      await assertMultipart(c, 'copied-mp.bin', parts);
      assert.equal((await c.head('copied-mp.bin')).meta.note, 'updated');
      await c.putMeta('dir/up.bin', { note: 'in place' });
      await assertMultipart(c, 'dir/up.bin', parts);
    });
  });
}
