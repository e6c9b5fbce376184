// Small wire details of the official SDKs besides ali-oss (issue 16): each test sends the
// bytes that SDK sends (read from its source: oss2 2.19 oss2/api.py and xml_utils.py,
// aliyun-oss-go-sdk v3, alibabacloud-oss-go-sdk-v2, aliyun-oss-cpp-sdk 1.10) and checks
// OSS's documented answer (sources in docs/errors.md and docs/operations.md).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertErr, md5Base64, raw } from '../helpers/raw-http.js';
import { strictXml } from '../helpers/raw-keepalive.js';
import { pattern, RawMultipart, split, tag, tags } from '../helpers/multipart.js';
import { useOssd } from '../helpers/ossd-process.js';

const B = 'sdk-details';
const ossd = useOssd({}, async (o) => {
  assert.equal((await raw(o, { method: 'PUT', path: `/${B}/` })).status, 200);
});
const mp = new RawMultipart(ossd, B);

async function put(key: string, body: string | Buffer): Promise<void> {
  const r = await raw(ossd, { method: 'PUT', path: `/${B}/${encodeURIComponent(key)}`, body });
  assert.equal(r.status, 200, r.text);
}

describe('ListObjectsV2 with oss2\'s empty continuation-token', { timeout: 120_000 }, () => {
  // oss2 Bucket.list_objects_v2 always sends every parameter, empty ones included, in this order.
  // Fails when list.ts treats `continuation-token=` as a token (400 InvalidArgument): checked.
  it('the first page is listed from the start', async () => {
    for (const k of ['a.txt', 'b.txt', 'c.txt']) await put(k, k);
    const q = 'list-type=2&prefix=&delimiter=&continuation-token=&start-after=&max-keys=2&encoding-type=url';
    const first = await raw(ossd, { method: 'GET', path: `/${B}/?${q}` });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(tags(first.text, 'Key'), ['a.txt', 'b.txt']);
    assert.equal(tag(first.text, 'IsTruncated'), 'true');
    const next = tag(first.text, 'NextContinuationToken');
    assert.ok(next);
    // The next page, as oss2's ObjectIteratorV2 asks for it.
    const q2 = `list-type=2&prefix=&delimiter=&continuation-token=${encodeURIComponent(next)}&start-after=&max-keys=2&encoding-type=url`;
    const second = await raw(ossd, { method: 'GET', path: `/${B}/?${q2}` });
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(tags(second.text, 'Key'), ['c.txt']);
    assert.equal(tag(second.text, 'ContinuationToken'), next);
  });
});

describe('DeleteMultipleObjects in quiet mode', { timeout: 120_000 }, () => {
  // The Go SDK v1 DeleteObjects(keys, DeleteObjectsQuiet(true)) body and query; oss2
  // batch_delete_objects sends the same shape. OSS: "true: ... OSS does not return a response
  // body" (EC 0016-00000610). Fails when delete.ts answers an empty <DeleteResult/>: checked.
  it('answers 200 with an empty body, and the keys are gone', async () => {
    for (const k of ['q/1', 'q/2&3']) await put(k, 'q');
    const body = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>q/1</Key></Object><Object><Key>q/2&amp;3</Key></Object></Delete>';
    const r = await raw(ossd, { method: 'POST', path: `/${B}/?delete&encoding-type=url`, body, headers: { 'content-md5': md5Base64(body), 'content-type': 'application/xml' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers['content-length'], '0');
    for (const k of ['q/1', 'q%2F2%263']) assert.equal((await raw(ossd, { method: 'HEAD', path: `/${B}/${k}` })).status, 404, k);
  });

  it('without quiet the DeleteResult lists every key', async () => {
    await put('v/1', 'v');
    const body = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet><Object><Key>v/1</Key></Object></Delete>';
    const r = await raw(ossd, { method: 'POST', path: `/${B}/?delete`, body, headers: { 'content-md5': md5Base64(body) } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags(r.text, 'Key'), ['v/1']);
  });
});

describe('ListLiveChannel: an empty list; channels themselves stay 501', { timeout: 120_000 }, () => {
  // oss2 Bucket.list_live_channel (LiveChannelIterator) sends `?live&prefix=&marker=&max-keys=100`;
  // SDK cleanup helpers call it before DeleteBucket. Shape: OSS ListLiveChannel reference
  // (ListLiveChannelResult: Prefix, Marker, MaxKeys, IsTruncated, NextMarker, LiveChannel*).
  // Fails without the ListLiveChannel row in operations.ts (501 NotImplemented): checked.
  it('answers a well-formed, empty ListLiveChannelResult', async () => {
    const r = await raw(ossd, { method: 'GET', path: `/${B}/?live&prefix=&marker=&max-keys=100` });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/xml/);
    const x = strictXml(r.text);
    assert.deepEqual(x.ListLiveChannelResult, ['']);
    assert.deepEqual([x.Prefix, x.Marker, x.MaxKeys, x.IsTruncated, x.NextMarker], [[''], [''], ['100'], ['false'], ['']]);
    assert.equal(x.LiveChannel, undefined);
  });

  it('echoes prefix, marker and max-keys (Go SDK v1 ListLiveChannel options)', async () => {
    const r = await raw(ossd, { method: 'GET', path: `/${B}/?live&marker=m1&max-keys=5&prefix=cam` });
    assert.equal(r.status, 200, r.text);
    const x = strictXml(r.text);
    assert.deepEqual([x.Prefix, x.Marker, x.MaxKeys], [['cam'], ['m1'], ['5']]);
  });

  it('max-keys outside 1..1000 is 400 InvalidArgument; a missing bucket is 404 NoSuchBucket', async () => {
    for (const m of ['0', '1001', 'abc']) assertErr(await raw(ossd, { method: 'GET', path: `/${B}/?live&max-keys=${m}` }), 400, 'InvalidArgument');
    assertErr(await raw(ossd, { method: 'GET', path: '/no-such-bucket-live/?live' }), 404, 'NoSuchBucket');
  });

  it('PutLiveChannel and GetLiveChannelInfo stay 501 NotImplemented, nothing stored', async () => {
    const conf = '<?xml version="1.0" encoding="UTF-8"?><LiveChannelConfiguration><Description></Description><Status>enabled</Status><Target><Type>HLS</Type></Target></LiveChannelConfiguration>';
    assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/chan?live`, body: conf }), 501, 'NotImplemented');
    assertErr(await raw(ossd, { method: 'GET', path: `/${B}/chan?live` }), 501, 'NotImplemented');
    assertErr(await raw(ossd, { method: 'HEAD', path: `/${B}/chan` }), 404, 'NoSuchKey');
    assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/?live`, body: conf }), 501, 'NotImplemented');
  });
});

describe('ListParts carries each part\'s HashCrc64ecma', { timeout: 120_000 }, () => {
  // oss2 list_parts sends `uploadId=…&part-number-marker=&max-parts=1000`; the Go v2 SDK's
  // Uploader resumes from each listed part's HashCrc64ecma. Values: the
  // crc64.md §5 vector (three 102400-byte parts of the 307200-byte pattern).
  // Fails when multipart-list.ts leaves HashCrc64ecma out: checked.
  it('lists the CRC that UploadPart answered, per part', async () => {
    const id = await mp.initiate('crc.bin');
    const crcs: string[] = [];
    for (const [i, p] of split(pattern(307200), 102400).entries()) {
      const r = await mp.part('crc.bin', id, i + 1, p);
      assert.equal(r.status, 200, r.text);
      crcs.push(String(r.headers['x-oss-hash-crc64ecma']));
    }
    assert.deepEqual(crcs, ['5409316634556368277', '8193091521729089674', '982876826629300528']);
    const r = await mp.listParts('crc.bin', id, 'part-number-marker=&max-parts=1000');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags(r.text, 'HashCrc64ecma'), crcs);
    // An empty part has CRC 0.
    assert.equal((await mp.part('crc.bin', id, 4, Buffer.alloc(0))).status, 200);
    const again = await mp.listParts('crc.bin', id, 'part-number-marker=3');
    assert.deepEqual(tags(again.text, 'HashCrc64ecma'), ['0']);
    assert.equal((await mp.abort('crc.bin', id)).status, 204);
  });
});

describe('CompleteMultipartUpload with encoding-type=url: Location is encoded once', { timeout: 120_000 }, () => {
  // alibabacloud-oss-go-sdk-v2 always completes with `?encoding-type=url&uploadId=…` and writes
  // the ETag quotes as `&#34;`; it (and the Python v2 SDK) URL-decodes Key but not Location,
  // so Location must be the object's URL as is (its key percent-encoded once, as without
  // encoding-type). Fails when multipart.ts URL-encodes Location again (`%2520`): checked.
  const key = 'dir/a b+c%.txt';
  const keyPath = key.split('/').map(encodeURIComponent).join('/');

  async function uploadAndComplete(query: string): Promise<{ status: number; text: string }> {
    const id = await mp.initiate(key);
    const part = await raw(ossd, { method: 'PUT', path: `/${B}/${keyPath}?partNumber=1&uploadId=${id}`, body: 'only part' });
    assert.equal(part.status, 200, part.text);
    const etag = String(part.headers.etag).replace(/"/g, '&#34;');
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
    return raw(ossd, { method: 'POST', path: `/${B}/${keyPath}?${query}uploadId=${id}`, body, headers: { 'content-type': 'application/xml' } });
  }

  it('Key is URL-encoded, Location is the plain object URL', async () => {
    const r = await uploadAndComplete('encoding-type=url&');
    assert.equal(r.status, 200, r.text);
    assert.equal(tag(r.text, 'EncodingType'), 'url');
    assert.equal(decodeURIComponent(tag(r.text, 'Key')!), key);
    const location = tag(r.text, 'Location')!;
    assert.ok(location.endsWith(`/${B}/dir/a%20b%2Bc%25.txt`), location);
    assert.match(location, /^http:\/\//);
    // The same Location as without encoding-type.
    const plain = await uploadAndComplete('');
    assert.equal(plain.status, 200, plain.text);
    assert.equal(tag(plain.text, 'Location'), location);
    assert.equal(tag(plain.text, 'Key'), key);
  });
});

describe('UploadPartCopy with an open-ended x-oss-copy-source-range', { timeout: 120_000 }, () => {
  // oss2 upload_part_copy(..., byte_range=(start, None)) sends `bytes=<start>-` (its
  // _make_range_string leaves an absent end empty): the part is the source from start to
  // its end. Fails when multipart-params.ts requires `<last>` (400 InvalidArgument): checked.
  it('copies from the offset to the end of the source', async () => {
    const src = pattern(250_000, 3);
    await put('range-src.bin', src);
    const id = await mp.initiate('range-dst.bin');
    const headers = { 'x-oss-copy-source': `/${B}/range-src.bin`, 'x-oss-copy-source-range': 'bytes=102400-' };
    const r = await raw(ossd, { method: 'PUT', path: mp.path('range-dst.bin', `partNumber=2&uploadId=${id}`), headers });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-range'], 'bytes 102400-249999/250000');
    const first = await raw(ossd, {
      method: 'PUT',
      path: mp.path('range-dst.bin', `partNumber=1&uploadId=${id}`),
      headers: { 'x-oss-copy-source': `/${B}/range-src.bin`, 'x-oss-copy-source-range': 'bytes=0-102399' },
    });
    assert.equal(first.status, 200, first.text);
    const done = await mp.complete('range-dst.bin', id, [[1, first.headers.etag!], [2, r.headers.etag!]]);
    assert.equal(done.status, 200, done.text);
    assert.ok((await mp.get('range-dst.bin')).body.equals(src));
  });

  it('an open range starting at or past the end of the source is 400 InvalidArgument, no part recorded', async () => {
    await put('range-small.bin', 'ten bytes!');
    const id = await mp.initiate('range-bad.bin');
    for (const range of ['bytes=10-', 'bytes=11-']) {
      const headers = { 'x-oss-copy-source': `/${B}/range-small.bin`, 'x-oss-copy-source-range': range };
      assertErr(await raw(ossd, { method: 'PUT', path: mp.path('range-bad.bin', `partNumber=1&uploadId=${id}`), headers }), 400, 'InvalidArgument');
    }
    assert.deepEqual(tags((await mp.listParts('range-bad.bin', id)).text, 'PartNumber'), []);
  });
});

describe('CompleteMultipartUpload with zero parts', { timeout: 120_000 }, () => {
  // No body (alibabacloud-oss-go-sdk-v2 without CompleteMultipartUpload; aliyun-oss-go-sdk v1
  // CompleteMultipartUpload(imur, nil)): OSS answers 400 MalformedXML, EC 0042-00000205 (the
  // OSS answer held in alibabacloud-oss-go-sdk-v2 oss/client_mock_test.go); the upload stays usable.
  // A root element naming no part: the Go v2 uploader sends it for an empty file and its
  // integration test, run against OSS, gets a 0-byte object (docs/sdk-compatibility.md ⑮).
  // Fails when an empty part list is refused again (MalformedXML, as before: checked).
  it('no body: 400 MalformedXML with EC 0042-00000205, and the upload can still be completed', async () => {
    const id = await mp.initiate('zero.bin');
    const r = await raw(ossd, { method: 'POST', path: mp.path('zero.bin', `encoding-type=url&uploadId=${id}`), body: '' });
    assertErr(r, 400, 'MalformedXML');
    assert.equal(r.headers['x-oss-ec'], '0042-00000205');
    assertErr(await raw(ossd, { method: 'HEAD', path: mp.path('zero.bin') }), 404, 'NoSuchKey');
    const part = await mp.part('zero.bin', id, 1, Buffer.from('late part'));
    const done = await mp.complete('zero.bin', id, [[1, part.headers.etag!]]);
    assert.equal(done.status, 200, done.text);
    assert.equal((await mp.get('zero.bin')).text, 'late part');
  });

  it('an empty part list (the Go v2 uploader\'s empty file) completes a 0-byte object', async () => {
    for (const [key, body] of [['empty-a.bin', '<CompleteMultipartUpload></CompleteMultipartUpload>'], ['empty-b.bin', '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n</CompleteMultipartUpload>']] as const) {
      const id = await mp.initiate(key);
      const r = await raw(ossd, { method: 'POST', path: mp.path(key, `encoding-type=url&uploadId=${id}`), body });
      assert.equal(r.status, 200, r.text);
      const got = await mp.get(key);
      assert.equal(got.status, 200);
      assert.equal(got.text, '');
      assert.equal(got.headers['content-length'], '0');
    }
  });
});

describe('CopyObject / UploadPartCopy source conditions that fail: 412 with <Condition>', { timeout: 120_000 }, () => {
  // What the Go SDKs send for CopySourceIfMatch / CopySourceIfUnmodifiedSince (aliyun-oss-go-sdk
  // CopySourceIfMatch(), alibabacloud-oss-go-sdk-v2 CopyObjectRequest.IfMatch). OSS's 412 page
  // (help.aliyun.com/en/oss/user-guide/http-status-code-412, EC 0017-00001001) names the
  // conditions If-Match and If-Unmodified-Since. Fails when the engine labels them
  // `x-oss-copy-source-If-Match`: checked.
  const old = 'Wed, 01 Jan 2020 00:00:00 GMT';
  const cases: Array<[string, string, string]> = [
    ['x-oss-copy-source-if-match', '"0123456789ABCDEF0123456789ABCDEF"', 'If-Match'],
    ['x-oss-copy-source-if-unmodified-since', old, 'If-Unmodified-Since'],
  ];

  it('CopyObject: 412 PreconditionFailed, Condition names the condition, nothing written', async () => {
    await put('cond-src.txt', 'source');
    for (const [name, value, condition] of cases) {
      const r = await raw(ossd, { method: 'PUT', path: `/${B}/cond-dst.txt`, headers: { 'x-oss-copy-source': `/${B}/cond-src.txt`, [name]: value } });
      assertErr(r, 412, 'PreconditionFailed');
      assert.equal(tag(r.text, 'Condition'), condition, name);
    }
    assertErr(await raw(ossd, { method: 'HEAD', path: `/${B}/cond-dst.txt` }), 404, 'NoSuchKey');
  });

  it('UploadPartCopy: the same answer, no part recorded', async () => {
    const id = await mp.initiate('cond-part.bin');
    for (const [name, value, condition] of cases) {
      const headers = { 'x-oss-copy-source': `/${B}/cond-src.txt`, [name]: value };
      const r = await raw(ossd, { method: 'PUT', path: mp.path('cond-part.bin', `partNumber=1&uploadId=${id}`), headers });
      assertErr(r, 412, 'PreconditionFailed');
      assert.equal(tag(r.text, 'Condition'), condition, name);
    }
    assert.deepEqual(tags((await mp.listParts('cond-part.bin', id)).text, 'PartNumber'), []);
  });

  it('conditions that hold copy as usual', async () => {
    const etag = String((await raw(ossd, { method: 'HEAD', path: `/${B}/cond-src.txt` })).headers.etag);
    const headers = { 'x-oss-copy-source': `/${B}/cond-src.txt`, 'x-oss-copy-source-if-match': etag, 'x-oss-copy-source-if-unmodified-since': new Date(Date.now() + 60_000).toUTCString() };
    const r = await raw(ossd, { method: 'PUT', path: `/${B}/cond-ok.txt`, headers });
    assert.equal(r.status, 200, r.text);
    assert.equal((await raw(ossd, { method: 'GET', path: `/${B}/cond-ok.txt` })).text, 'source');
  });
});
