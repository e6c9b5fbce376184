// Multipart upload over raw HTTP (multipart.md §1–§5, §8, §9): the error cases no SDK
// sends on purpose, the CRC-64 vector of crc64.md §5, the ETag rule, ranges across part
// boundaries, chunked parts, and parts reclaimed by Abort and Complete.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertErr, md5Base64, raw } from '../helpers/raw-http.js';
import { blobCount, crcOfParts, eventually, md5Hex, multipartEtagOf, pattern, RawMultipart, split, tag, useRawMultipart } from '../helpers/multipart.js';

const B = 'raw-multipart';
const KIB100 = 100 * 1024;
const { ossd, mp } = useRawMultipart(B);

describe('the crc64.md §5 multipart vector', { timeout: 300_000 }, () => {
  const whole = pattern(307200);
  const parts = split(pattern(307200), 102400);
  let uploadId: string;

  it('UploadPart answers the part ETag and CRC-64', async () => {
    assert.equal(whole.length, 307200);
    uploadId = await mp.initiate('vector.bin', { 'content-type': 'application/x-test', 'x-oss-meta-origin': 'raw' });
    assert.match(uploadId, /^[0-9A-F]{32}$/);
    const want = ['5409316634556368277', '8193091521729089674', '982876826629300528'];
    for (const [i, p] of parts.entries()) {
      const r = await mp.part('vector.bin', uploadId, i + 1, p);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.etag, `"${md5Hex(p)}"`);
      assert.equal(r.headers['x-oss-hash-crc64ecma'], want[i]);
      assert.equal(r.body.length, 0);
    }
  });

  it('Complete combines them: ETag per §8, CRC 2183100719620232441, type Multipart', async () => {
    const r = await mp.complete('vector.bin', uploadId, parts.map((p, i) => [i + 1, `"${md5Hex(p)}"`]));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.etag, multipartEtagOf(parts));
    assert.equal(r.headers['x-oss-hash-crc64ecma'], '2183100719620232441');
    assert.equal(tag(r.text, 'ETag'), multipartEtagOf(parts).replace(/"/g, '&quot;'));
    assert.equal(tag(r.text, 'Key'), 'vector.bin');
    assert.match(tag(r.text, 'Location') ?? '', /\/raw-multipart\/vector\.bin$/);
    const g = await mp.get('vector.bin');
    assert.equal(g.status, 200);
    assert.ok(g.body.equals(whole));
    assert.equal(g.headers['x-oss-object-type'], 'Multipart');
    assert.equal(g.headers['x-oss-hash-crc64ecma'], '2183100719620232441');
    assert.equal(g.headers.etag, multipartEtagOf(parts));
    assert.equal(g.headers['content-type'], 'application/x-test');
    assert.equal(g.headers['x-oss-meta-origin'], 'raw');
  });

  it('serves ranges that start, end and cross part boundaries (whole-object CRC on 206)', async () => {
    for (const [first, last] of [[102390, 102410], [0, 307199], [102399, 102400], [102400, 204799], [100, 250000], [307000, 307199]] as const) {
      const r = await mp.get('vector.bin', { range: `bytes=${first}-${last}` });
      assert.equal(r.status, 206, `${first}-${last}`);
      assert.equal(r.headers['content-range'], `bytes ${first}-${last}/307200`);
      assert.ok(r.body.equals(whole.subarray(first, last + 1)), `bytes ${first}-${last}`);
      assert.equal(r.headers['x-oss-hash-crc64ecma'], '2183100719620232441');
    }
    const suffix = await mp.get('vector.bin', { range: 'bytes=-204801' });
    assert.ok(suffix.body.equals(whole.subarray(307200 - 204801)));
  });
});

describe('errors', { timeout: 300_000 }, () => {
  let id: string;
  let e1: string;
  before(async () => {
    id = await mp.initiate('err.bin');
    e1 = (await mp.part('err.bin', id, 1, pattern(KIB100, 1))).headers.etag!;
  });

  it('part numbers 0, 10001, abc and none are 400 InvalidArgument', async () => {
    for (const n of ['0', '10001', 'abc', '', '-1', '1.5']) assertErr(await mp.part('err.bin', id, n, Buffer.from('x')), 400, 'InvalidArgument');
    assert.equal((await mp.part('err.bin', id, 10000, Buffer.from('x'))).status, 200);
  });

  it('an unknown or finished upload id is 404 NoSuchUpload, for every operation', async () => {
    const bogus = '0123456789ABCDEF0123456789ABCDEF';
    assertErr(await mp.part('err.bin', bogus, 1, Buffer.from('x')), 404, 'NoSuchUpload');
    assertErr(await mp.complete('err.bin', bogus, [[1, e1]]), 404, 'NoSuchUpload');
    // The upload is checked before the body (§4 step 1).
    assertErr(await mp.completeBody('err.bin', bogus, '<not xml'), 404, 'NoSuchUpload');
    assertErr(await mp.abort('err.bin', bogus), 404, 'NoSuchUpload');
    assertErr(await mp.listParts('err.bin', bogus), 404, 'NoSuchUpload');
    // An upload id belongs to its key.
    assertErr(await mp.part('other.bin', id, 1, Buffer.from('x')), 404, 'NoSuchUpload');
  });

  it('a missing bucket is 404 NoSuchBucket', async () => {
    const r = await raw(ossd, { method: 'POST', path: '/no-such-bucket-mp/k?uploads' });
    assertErr(r, 404, 'NoSuchBucket');
    const p = await raw(ossd, { method: 'PUT', path: `/no-such-bucket-mp/k?partNumber=1&uploadId=${id}`, body: 'x' });
    assertErr(p, 404, 'NoSuchBucket');
    assertErr(await raw(ossd, { method: 'GET', path: '/no-such-bucket-mp/?uploads' }), 404, 'NoSuchBucket');
  });

  it('Complete: malformed XML, no body, non-numeric PartNumber → MalformedXML', async () => {
    assertErr(await mp.completeBody('err.bin', id, '<CompleteMultipartUpload><Part>'), 400, 'MalformedXML');
    assertErr(await mp.completeBody('err.bin', id, ''), 400, 'MalformedXML');
    // An empty <CompleteMultipartUpload> completes a 0-byte object (raw-sdk-details.test.ts); text in it is not XML for parts.
    assertErr(await mp.completeBody('err.bin', id, '<CompleteMultipartUpload>junk</CompleteMultipartUpload>'), 400, 'MalformedXML');
    assertErr(await mp.completeBody('err.bin', id, '<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>'), 400, 'MalformedXML');
    const bad = '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>';
    assertErr(await mp.completeBody('err.bin', id, bad), 400, 'MalformedXML');
  });

  it('Complete: a wrong ETag or a part never uploaded → InvalidPart', async () => {
    assertErr(await mp.complete('err.bin', id, [[1, '"0123456789ABCDEF0123456789ABCDEF"']]), 400, 'InvalidPart');
    assertErr(await mp.complete('err.bin', id, [[1, e1], [2, e1]]), 400, 'InvalidPart');
  });

  it('Complete: descending or repeated part numbers → InvalidPartOrder (checked before InvalidPart)', async () => {
    assertErr(await mp.complete('err.bin', id, [[2, '"X"'], [1, e1]]), 400, 'InvalidPartOrder');
    assertErr(await mp.complete('err.bin', id, [[1, e1], [1, e1]]), 400, 'InvalidPartOrder');
  });

  it('Complete: a non-last part under 100 KiB → EntityTooSmall; the last part may be small', async () => {
    const small = await mp.part('err.bin', id, 2, pattern(KIB100 - 1));
    const r = await mp.complete('err.bin', id, [[2, small.headers.etag!], [10000, '"9DD4E461268C8034F5C8564E155C67A6"']]);
    assertErr(r, 400, 'EntityTooSmall');
    assert.equal(r.headers['x-oss-ec'], '0042-00000213');
    // The upload is still there after every failed Complete.
    assert.equal((await mp.listParts('err.bin', id)).status, 200);
  });

  it('UploadPart with a wrong Content-MD5 → InvalidDigest, nothing recorded', async () => {
    const r = await mp.part('err.bin', id, 3, Buffer.from('abc'), { 'content-md5': md5Base64('abd') });
    assertErr(r, 400, 'InvalidDigest');
    assert.ok(!(await mp.listParts('err.bin', id)).text.includes('<PartNumber>3</PartNumber>'));
  });

  it('Complete with x-oss-forbid-overwrite: true over an existing key → FileAlreadyExists', async () => {
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/taken.txt`, body: 'old' })).status, 200);
    const u = await mp.initiate('taken.txt');
    const [etag] = await mp.parts('taken.txt', u, [Buffer.from('new')]);
    assertErr(await mp.complete('taken.txt', u, [[1, etag!]], { 'x-oss-forbid-overwrite': 'true' }), 409, 'FileAlreadyExists');
    assert.equal((await mp.get('taken.txt')).text, 'old');
  });

  it('DeleteBucket with an upload in progress → BucketNotEmpty; after Abort it goes', async () => {
    const bucket = 'raw-multipart-del';
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${bucket}/` })).status, 200);
    const other = new RawMultipart(ossd, bucket);
    const u = await other.initiate('pending');
    assertErr(await raw(ossd, { method: 'DELETE', path: `/${bucket}/` }), 409, 'BucketNotEmpty');
    assert.equal((await other.abort('pending', u)).status, 204);
    assert.equal((await raw(ossd, { method: 'DELETE', path: `/${bucket}/` })).status, 204);
  });
});

describe('parts and blobs', { timeout: 300_000 }, () => {
  it('a chunked part (C++ SDK style), quoted or unquoted ETags in any case', async () => {
    const parts = [pattern(KIB100, 7), Buffer.from('tail')];
    const id = await mp.initiate('chunked.bin');
    const r1 = await mp.part('chunked.bin', id, 1, parts[0]!, {}, true);
    assert.equal(r1.status, 200, r1.text);
    const r2 = await mp.part('chunked.bin', id, 2, parts[1]!);
    const lower = r2.headers.etag!.replace(/"/g, '').toLowerCase();
    const c = await mp.complete('chunked.bin', id, [[1, r1.headers.etag!], [2, lower]]);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.headers['x-oss-hash-crc64ecma'], crcOfParts(parts));
    assert.ok((await mp.get('chunked.bin')).body.equals(Buffer.concat(parts)));
  });

  it('a part uploaded again replaces the earlier one; its old blob is removed', async () => {
    const base = blobCount(ossd.dataDir);
    const id = await mp.initiate('again.bin');
    await mp.part('again.bin', id, 1, pattern(1000));
    const before = blobCount(ossd.dataDir);
    const r = await mp.part('again.bin', id, 1, pattern(2000, 3));
    await eventually('the replaced part blob is removed', () => blobCount(ossd.dataDir) === before);
    const list = (await mp.listParts('again.bin', id)).text;
    assert.equal(tag(list, 'ETag'), r.headers.etag!.replace(/"/g, '&quot;'));
    assert.equal(tag(list, 'Size'), '2000');
    assert.equal((await mp.abort('again.bin', id)).status, 204);
    await eventually('the aborted part is removed', () => blobCount(ossd.dataDir) === base);
  });

  it('Abort removes every part file; Complete removes the unlisted ones and the replaced object', async () => {
    const start = blobCount(ossd.dataDir);
    const id = await mp.initiate('reclaim.bin');
    await mp.parts('reclaim.bin', id, [pattern(KIB100), pattern(KIB100, 1), pattern(10, 2)]);
    assert.equal(blobCount(ossd.dataDir), start + 3);
    assert.equal((await mp.abort('reclaim.bin', id)).status, 204);
    await eventually('aborted parts are removed', () => blobCount(ossd.dataDir) === start);
    assertErr(await mp.listParts('reclaim.bin', id), 404, 'NoSuchUpload');

    assert.equal((await raw(ossd, { method: 'PUT', path: mp.path('reclaim.bin'), body: 'a normal object' })).status, 200);
    const id2 = await mp.initiate('reclaim.bin');
    const parts = [pattern(KIB100, 5), pattern(KIB100, 6), pattern(50, 7)];
    const etags = await mp.parts('reclaim.bin', id2, parts);
    assert.equal(blobCount(ossd.dataDir), start + 4);
    const c = await mp.complete('reclaim.bin', id2, [[1, etags[0]!], [3, etags[2]!]]);
    assert.equal(c.status, 200, c.text);
    // Part 2 was not listed and the Normal object was replaced: two blobs go, two stay.
    await eventually('unlisted part and replaced object are removed', () => blobCount(ossd.dataDir) === start + 2);
    const g = await mp.get('reclaim.bin');
    assert.ok(g.body.equals(Buffer.concat([parts[0]!, parts[2]!])));
    assert.equal(g.headers.etag, multipartEtagOf([parts[0]!, parts[2]!]));
    assert.equal((await raw(ossd, { method: 'DELETE', path: mp.path('reclaim.bin') })).status, 204);
    await eventually('a deleted multipart object leaves no segment', () => blobCount(ossd.dataDir) === start);
  });

  it('empty parts: an empty last part, and an object made of one empty part', async () => {
    const id = await mp.initiate('empty.bin');
    const [e1, e2] = await mp.parts('empty.bin', id, [pattern(KIB100), Buffer.alloc(0)]);
    assert.equal((await mp.complete('empty.bin', id, [[1, e1!], [2, e2!]])).status, 200);
    assert.ok((await mp.get('empty.bin')).body.equals(pattern(KIB100)));
    const id2 = await mp.initiate('zero.bin');
    const [z] = await mp.parts('zero.bin', id2, [Buffer.alloc(0)]);
    const c = await mp.complete('zero.bin', id2, [[1, z!]]);
    assert.equal(c.headers['x-oss-hash-crc64ecma'], '0');
    const g = await mp.get('zero.bin');
    assert.equal(g.status, 200);
    assert.equal(g.body.length, 0);
    assert.equal(g.headers['x-oss-object-type'], 'Multipart');
  });
});
