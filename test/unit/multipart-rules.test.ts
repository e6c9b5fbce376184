import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobLeases } from '../../src/engine/blob-leases.js';
import { OssError } from '../../src/engine/errors.js';
import { newUploadId, type PartRecord } from '../../src/engine/multipart-model.js';
import { checkPartOrder, multipartCrc, multipartEtag, normalizeEtag, resolveParts, segmentsOf } from '../../src/engine/multipart-rules.js';
import { copySourceRange, parseCompleteXml } from '../../src/protocol/multipart-params.js';

function part(partNumber: number, etag: string, size: number, crc = '0', blob: string | null = 'b'.repeat(32)): PartRecord {
  return { partNumber, etag, size, crc, blob, mtimeMs: 0 };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof OssError ? e.code : 'not an OssError';
  }
  return undefined;
}

describe('multipart ETag and CRC (multipart.md §8, §9)', { timeout: 30_000 }, () => {
  it('reproduces the real capture of README §6', () => {
    const parts = [part(1, '4DE8075FB607DF4D13FBC480EA488EFA', 102400), part(2, 'AF947EC157726CEA88ED83B3C989063B', 102400)];
    assert.equal(multipartEtag(parts), '1C787C506EABFB9B45EAAA8DB039F4B2-2');
  });

  it('combines the part CRCs of the crc64.md §5 vector into the whole-buffer CRC', () => {
    const parts = [
      part(1, 'A', 102400, '5409316634556368277'),
      part(2, 'B', 102400, '8193091521729089674'),
      part(3, 'C', 102400, '982876826629300528'),
    ];
    assert.equal(multipartCrc(parts), '2183100719620232441');
    assert.equal(multipartCrc([part(1, 'A', 0, '0')]), '0');
    // "foo" + "bar" (crc64.md §5).
    assert.equal(multipartCrc([part(1, 'A', 3, '10965392271467943256'), part(2, 'B', 3, '6794328359418260043')]), '6001682485122215966');
  });
});

describe('Complete validation (multipart.md §4)', { timeout: 30_000 }, () => {
  const uploaded = [part(1, 'AA', 102400), part(2, 'BB', 102399), part(3, 'CC', 5), part(5, 'EE', 200000)];

  it('requires strictly ascending part numbers', () => {
    assert.equal(code(() => checkPartOrder([{ partNumber: 1, etag: '' }, { partNumber: 3, etag: '' }])), undefined);
    assert.equal(code(() => checkPartOrder([{ partNumber: 2, etag: '' }, { partNumber: 1, etag: '' }])), 'InvalidPartOrder');
    assert.equal(code(() => checkPartOrder([{ partNumber: 2, etag: '' }, { partNumber: 2, etag: '' }])), 'InvalidPartOrder');
  });

  it('compares ETags without quotes, case-insensitively', () => {
    assert.equal(normalizeEtag(' "ab12" '), 'AB12');
    const got = resolveParts([{ partNumber: 1, etag: '"aa"' }, { partNumber: 3, etag: 'cc' }], uploaded);
    assert.deepEqual(got.map((p) => p.partNumber), [1, 3]);
  });

  it('InvalidPart for an unknown part or ETag, before EntityTooSmall', () => {
    assert.equal(code(() => resolveParts([{ partNumber: 4, etag: 'DD' }], uploaded)), 'InvalidPart');
    assert.equal(code(() => resolveParts([{ partNumber: 1, etag: 'AB' }], uploaded)), 'InvalidPart');
    assert.equal(code(() => resolveParts([{ partNumber: 2, etag: 'BB' }, { partNumber: 4, etag: 'X' }], uploaded)), 'InvalidPart');
  });

  it('EntityTooSmall for a non-last part under 100 KiB; the last part may be any size', () => {
    assert.equal(code(() => resolveParts([{ partNumber: 2, etag: 'BB' }, { partNumber: 3, etag: 'CC' }], uploaded)), 'EntityTooSmall');
    assert.equal(code(() => resolveParts([{ partNumber: 1, etag: 'AA' }, { partNumber: 3, etag: 'CC' }], uploaded)), undefined);
    assert.equal(code(() => resolveParts([{ partNumber: 3, etag: 'CC' }], uploaded)), undefined);
  });

  it('an object is made of the non-empty parts only', () => {
    const segs = segmentsOf([part(1, 'A', 102400, '1', 'x'.repeat(32)), part(2, 'B', 0, '0', null), part(3, 'C', 7, '2', 'y'.repeat(32))]);
    assert.deepEqual(segs, [
      { blob: 'x'.repeat(32), size: 102400, crc: '1' },
      { blob: 'y'.repeat(32), size: 7, crc: '2' },
    ]);
  });
});

describe('multipart request parameters', { timeout: 30_000 }, () => {
  it('upload ids: 32 upper-case hex, sorting in creation order', () => {
    const ids = Array.from({ length: 2000 }, () => newUploadId());
    for (const id of ids) assert.match(id, /^[0-9A-F]{32}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('x-oss-copy-source-range: bytes=first-last, inclusive, within the source', () => {
    assert.equal(copySourceRange(undefined), undefined);
    assert.deepEqual(copySourceRange('bytes=0-9')!(10), { start: 0, end: 10 });
    assert.deepEqual(copySourceRange('bytes = 5 - 5')!(10), { start: 5, end: 6 });
    assert.equal(code(() => copySourceRange('bytes=0-10')!(10)), 'InvalidArgument');
    assert.equal(code(() => copySourceRange('bytes=6-5')!(10)), 'InvalidArgument');
    // Open-ended (oss2's range without an end): to the end of the source, and still within it.
    assert.deepEqual(copySourceRange('bytes=5-')!(10), { start: 5, end: 10 });
    assert.deepEqual(copySourceRange('bytes=9-')!(10), { start: 9, end: 10 });
    assert.equal(code(() => copySourceRange('bytes=10-')!(10)), 'InvalidArgument');
    assert.equal(code(() => copySourceRange('bytes=0-')!(0)), 'InvalidArgument');
    for (const bad of ['bytes=-5', 'bytes=-', 'items=0-1', 'bytes=0-1,3-4']) assert.equal(code(() => copySourceRange(bad)), 'InvalidArgument');
  });

  it('the Complete body: ali-oss, C++ (unquoted) and malformed forms', () => {
    const ali = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>"E1"</ETag>\n</Part>\n<Part>\n<PartNumber>3</PartNumber>\n<ETag>"E3"</ETag>\n</Part>\n</CompleteMultipartUpload>';
    assert.deepEqual(parseCompleteXml(ali), [{ partNumber: 1, etag: '"E1"' }, { partNumber: 3, etag: '"E3"' }]);
    const one = '<CompleteMultipartUpload><Part><ETag>E1</ETag><PartNumber> 2 </PartNumber></Part></CompleteMultipartUpload>';
    assert.deepEqual(parseCompleteXml(one), [{ partNumber: 2, etag: 'E1' }]);
    for (const bad of ['', '<CompleteMultipartUpload>', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>']) {
      assert.equal(code(() => parseCompleteXml(bad)), 'MalformedXML', bad);
    }
    // A root naming no part is an empty list: the Go v2 uploader's empty file (raw-sdk-details.test.ts).
    assert.deepEqual(parseCompleteXml('<CompleteMultipartUpload/>'), []);
    assert.deepEqual(parseCompleteXml('<CompleteMultipartUpload></CompleteMultipartUpload>'), []);
  });
});

describe('blob leases', { timeout: 30_000 }, () => {
  it('defers removal of a leased blob until its last reader is done', () => {
    const leases = new BlobLeases();
    const removed: string[] = [];
    const r1 = leases.acquire(['a', 'b']);
    const r2 = leases.acquire(['a']);
    leases.collect('a', () => removed.push('a'));
    leases.collect('b', () => removed.push('b'));
    leases.collect('c', () => removed.push('c'));
    assert.deepEqual(removed, ['c']);
    r1();
    r1();
    assert.deepEqual(removed, ['c', 'b']);
    r2();
    assert.deepEqual(removed, ['c', 'b', 'a']);
    assert.equal(leases.leased, 0);
  });
});
