/**
 * ali-oss listParts / listUploads / abortMultipartUpload and the multipart error answers
 * as ali-oss reports them (multipart.md §5–§7, sdk-usage.md §1), in the path-style and IP
 * addressing modes with V1 and V4 signatures.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type OssClient } from '../helpers/clients.js';
import { md5Hex, pattern } from '../helpers/multipart.js';
import { useOssd } from '../helpers/ossd-process.js';
import { bucketClient, bucketFor, rejectsWith, SDK_MODES } from '../helpers/sdk-fixtures.js';

const KIB100 = 100 * 1024;
const MODES = SDK_MODES.filter((m) => m.mode === 'sld' || m.mode === 'ip');

const ossd = useOssd();

interface SdkPart {
  PartNumber: string;
  ETag: string;
  Size: string;
  LastModified: string;
}

for (const m of MODES) {
  describe(`multipart listing: ${m.label}`, { timeout: 300_000 }, () => {
    let c: OssClient;
    const bucket = bucketFor('mpl', m);
    before(async () => {
      c = await bucketClient(ossd, m, bucket);
    });

    it('listParts: raw parts, paging with max-parts and part-number-marker', async () => {
      const { uploadId } = await c.initMultipartUpload('parts.bin');
      const bodies = [pattern(KIB100, 1), pattern(KIB100, 2), pattern(10, 3)];
      for (const [i, b] of bodies.entries()) {
        const r = await c.uploadPart('parts.bin', uploadId, i + 1, b, 0, b.length);
        assert.equal(r.etag, `"${md5Hex(b)}"`);
      }
      const first = await c.listParts('parts.bin', uploadId, { 'max-parts': 2 });
      assert.equal(first.isTruncated, 'true');
      assert.equal(first.nextPartNumberMarker, '2');
      assert.equal(first.uploadId, uploadId);
      assert.equal(first.name, 'parts.bin');
      const parts = first.parts as SdkPart[];
      assert.deepEqual(parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [
        ['1', `"${md5Hex(bodies[0]!)}"`, String(KIB100)],
        ['2', `"${md5Hex(bodies[1]!)}"`, String(KIB100)],
      ]);
      assert.match(parts[0]!.LastModified, /\.000Z$/);
      const rest = await c.listParts('parts.bin', uploadId, { 'part-number-marker': 2 });
      // One part: ali-oss hands xml2js's object through, not an array (§7).
      assert.equal((rest.parts as SdkPart).PartNumber, '3');
      assert.equal(rest.isTruncated, 'false');
      await c.abortMultipartUpload('parts.bin', uploadId);
      await rejectsWith(c.listParts('parts.bin', uploadId), { code: 'NoSuchUpload', status: 404 });
    });

    it('listUploads: paging with max-uploads, key-marker and upload-id-marker, prefix', async () => {
      const ids: string[] = [];
      for (const k of ['u/a', 'u/b', 'u/b', 'u/c', 'v/d']) ids.push((await c.initMultipartUpload(k)).uploadId);
      const seen: Array<[string, string]> = [];
      let query: Record<string, unknown> = { 'max-uploads': 2, prefix: 'u/' };
      for (let page = 0; page < 5; page++) {
        const r = await c.listUploads(query);
        assert.equal(r.bucket, bucket);
        seen.push(...r.uploads.map((u: { name: string; uploadId: string }): [string, string] => [u.name, u.uploadId]));
        if (!r.isTruncated) break;
        query = { ...query, 'key-marker': r.nextKeyMarker, 'upload-id-marker': r.nextUploadIdMarker };
      }
      assert.deepEqual(seen, [['u/a', ids[0]], ['u/b', ids[1]], ['u/b', ids[2]], ['u/c', ids[3]]]);
      const all = await c.listUploads({});
      assert.equal(all.uploads.length, 5);
      assert.match(all.uploads[0].initiated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      const keys = ['u/a', 'u/b', 'u/b', 'u/c', 'v/d'];
      for (const [i, id] of ids.entries()) await c.abortMultipartUpload(keys[i], id);
      assert.equal((await c.listUploads({})).uploads.length, 0);
    });

    it('errors: NoSuchUpload on a part and on abort, InvalidPart, EntityTooSmall, appendable copy source', async () => {
      const { uploadId } = await c.initMultipartUpload('err.bin');
      const small = await c.uploadPart('err.bin', uploadId, 1, Buffer.from('tiny'), 0, 4);
      const last = await c.uploadPart('err.bin', uploadId, 2, Buffer.from('last'), 0, 4);
      await rejectsWith(c.completeMultipartUpload('err.bin', uploadId, [{ number: 1, etag: small.etag }, { number: 2, etag: last.etag }]), {
        code: 'EntityTooSmall',
        status: 400,
      });
      await rejectsWith(c.completeMultipartUpload('err.bin', uploadId, [{ number: 1, etag: last.etag }]), { code: 'InvalidPart', status: 400 });
      await c.append('app.log', Buffer.from('appendable'));
      await rejectsWith(c.uploadPartCopy('err.bin', uploadId, 3, '0-3', { sourceKey: 'app.log', sourceBucketName: bucket }), {
        code: 'InvalidArgument',
        status: 400,
        message: /appendable/,
      });
      // ali-oss deletes nothing on a bucket that still has uploads.
      await rejectsWith(c.deleteBucket(bucket), { code: 'BucketNotEmpty', status: 409 });
      await c.abortMultipartUpload('err.bin', uploadId);
      await rejectsWith(c.abortMultipartUpload('err.bin', uploadId), { code: 'NoSuchUpload', status: 404 });
      await rejectsWith(c.uploadPart('err.bin', uploadId, 1, Buffer.from('x'), 0, 1), { code: 'NoSuchUpload', status: 404 });
    });
  });
}
