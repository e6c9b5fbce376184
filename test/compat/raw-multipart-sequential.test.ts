// Sequential multipart uploads (issue 16): `POST /key?uploads&sequential` (Go's
// oss.Sequential(), oss2 `params={'sequential': ''}`) makes an upload whose parts must come
// in order, 1, 2, 3…: another part number is 400 PartNotSequential (oss2 exceptions:
// PartNotSequential, status 400; its test_upload.py sees it when six threads upload a
// sequential file), and a part already uploaded is 409 PartAlreadyExist with EC
// 0042-00000108 ("For sequential multipart upload, you can't overwrite uploaded parts.", an
// OSS answer quoted in alist discussion 4309). The completed object has a Content-MD5 of its
// whole content on GET and HEAD; an object from an ordinary upload has none (oss2
// tests/test_multipart.py test_multipart_sequential). An ordinary upload keeps taking parts
// in any order, and again.
//
// Fails before the fix: checked (2026-12-05: every out-of-order and repeated part answered
// 200; no Content-MD5 on the completed object). Fails when checkSequential (engine/multipart.ts)
// is removed: checked; when the re-check under the lock in recordPart is removed, the
// concurrent case fails: checked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw, type RawResponse } from '../helpers/raw-http.js';

const B = 'sequential';
let ossd: Ossd;

const PART1 = Buffer.alloc(100 * 1024, 'a');
const PART2 = Buffer.alloc(100 * 1024, 'b');
const PART3 = Buffer.from('the last part');

async function initiate(key: string, sequential: boolean): Promise<string> {
  const r = await raw(ossd, { method: 'POST', path: `/${B}/${key}?uploads${sequential ? '&sequential' : ''}` });
  assert.equal(r.status, 200, r.text);
  return /<UploadId>([^<]+)<\/UploadId>/.exec(r.text)![1]!;
}

const part = (key: string, id: string, n: number, body: Buffer): Promise<RawResponse> =>
  raw(ossd, { method: 'PUT', path: `/${B}/${key}?partNumber=${n}&uploadId=${id}`, body });

async function complete(key: string, id: string, etags: string[]): Promise<RawResponse> {
  const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  return raw(ossd, { method: 'POST', path: `/${B}/${key}?uploadId=${id}`, body: xml });
}

function etagOf(r: RawResponse): string {
  assert.equal(r.status, 200, r.text);
  return String(r.headers.etag);
}

describe('sequential multipart uploads', { timeout: 120_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/` })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: `/${B}/source`, body: PART3 })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('parts out of order are PartNotSequential, a repeated part PartAlreadyExist; the object has a Content-MD5', async () => {
    const key = 'seq-object';
    const id = await initiate(key, true);
    assertErr(await part(key, id, 2, PART2), 400, 'PartNotSequential');
    const e1 = etagOf(await part(key, id, 1, PART1));
    const again = await part(key, id, 1, PART1);
    assertErr(again, 409, 'PartAlreadyExist');
    assert.equal(again.headers['x-oss-ec'], '0042-00000108');
    assert.match(again.text, /you can(&apos;|')t overwrite uploaded parts/);
    assertErr(await part(key, id, 3, PART3), 400, 'PartNotSequential');
    const e2 = etagOf(await part(key, id, 2, PART2));
    // UploadPartCopy follows the same order.
    const copyPart = (n: number): Promise<RawResponse> => raw(ossd, {
      method: 'PUT', path: `/${B}/${key}?partNumber=${n}&uploadId=${id}`, headers: { 'x-oss-copy-source': `/${B}/source` },
    });
    assertErr(await copyPart(4), 400, 'PartNotSequential');
    assertErr(await copyPart(2), 409, 'PartAlreadyExist');
    const copied = await copyPart(3);
    assert.equal(copied.status, 200, copied.text);
    const e3 = /<ETag>([^<]+)<\/ETag>/.exec(copied.text)![1]!;
    const listed = await raw(ossd, { method: 'GET', path: `/${B}/${key}?uploadId=${id}` });
    assert.deepEqual([...listed.text.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => m[1]), ['1', '2', '3']);
    assert.equal((await complete(key, id, [e1, e2, e3])).status, 200);
    const whole = Buffer.concat([PART1, PART2, PART3]);
    const md5 = createHash('md5').update(whole).digest('base64');
    const got = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(whole));
    assert.equal(got.headers['content-md5'], md5);
    assert.equal((await raw(ossd, { method: 'HEAD', path: `/${B}/${key}` })).headers['content-md5'], md5);
  });

  test('two uploads of the same next part at once: one is taken, the other is PartAlreadyExist', async () => {
    const key = 'seq-race';
    const id = await initiate(key, true);
    const answers = await Promise.all([part(key, id, 1, PART1), part(key, id, 1, PART2)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], answers.map((a) => a.text).join('\n'));
  });

  test('an ordinary upload takes parts in any order and again; its object has no Content-MD5', async () => {
    const key = 'plain-object';
    const id = await initiate(key, false);
    etagOf(await part(key, id, 2, PART3));
    etagOf(await part(key, id, 1, PART2));
    const e1 = etagOf(await part(key, id, 1, PART1));
    const e2 = etagOf(await part(key, id, 2, PART3));
    assert.equal((await complete(key, id, [e1, e2])).status, 200);
    const got = await raw(ossd, { method: 'GET', path: `/${B}/${key}` });
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-md5'], undefined);
  });
});
