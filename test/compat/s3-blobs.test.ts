/**
 * The real ossd started with `--blobs s3://<bucket>` against s3rver (an S3 server from
 * npm), driven by ali-oss and raw HTTP: objects go into the S3 bucket, appends become
 * segments (docs/storage.md "Scale-out design"). Put/get/range, multipart, racing appends
 * at one position (exactly one 200, the rest 409 PositionNotEqualToLength with the
 * winner's next position, no staged segment left after GC), and a 1,000-append object
 * compacted and read back byte-exact with its CRC. The S3 bucket is listed with the
 * AWS SDK to see what ossd left in it.
 *
 * One node: its racing appends are refused under the key's lock before they stage
 * anything; the compare-and-set path of racing nodes (losers' staged segments deleted) is
 * test/engine/segments.test.ts's, with six engines on one store.
 *
 * Checked to fail: with the position check under the key's lock removed (append.ts
 * lockedCurrent), "racing appends" fails; with compaction off (Compactor.watch doing
 * nothing), "1,000 appends" finds about 1,000 S3 objects for the object.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/drivers/s3/blob-store.js';
import { crc64, crc64ToDecimal } from '../../src/engine/crc64.js';
import { client, type OssClient } from '../helpers/clients.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';
import { type S3Server, startS3rver } from '../helpers/s3rver.js';
import { contentOf, hdr, rejectsWith, useScratchDir } from '../helpers/sdk-fixtures.js';

const B = 's3-blobs';
/** Short, so that the test sees what GC leaves: dereferenced blobs go after this. */
const GRACE_MS = 500;

let s3: S3Server;
let s3c: S3Client;
let bucket: string;
let ossd: Ossd;
let c: OssClient;
const scratch = useScratchDir();

/** The S3 bucket's objects: key → size. */
async function s3Objects(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.set(o.Key!, o.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const crcOf = (b: Buffer): string => crc64ToDecimal(crc64(b));

describe('ossd on an S3 blob store (s3rver)', { timeout: 600_000 }, () => {
  before(async () => {
    s3 = await startS3rver();
    const config = await s3.newBucket();
    bucket = config.bucket;
    s3c = s3Client(config);
    ossd = await startOssd({
      env: {
        OSSD_BLOBS: `s3://${bucket}`,
        OSSD_S3_ENDPOINT: s3.endpoint,
        OSSD_S3_ACCESS_KEY_ID: config.accessKeyId!,
        OSSD_S3_SECRET_ACCESS_KEY: config.secretAccessKey!,
        OSSD_GC_GRACE_MS: String(GRACE_MS),
        OSSD_COMPACT_ABOVE: '16',
      },
    });
    c = client(ossd, { mode: 'ip', bucket: B });
    await c.putBucket(B);
  });
  after(async () => {
    await ossd?.stop();
    ossd?.cleanup();
    s3c?.destroy();
    await s3?.close();
  });

  it('racing appends at one position: exactly one 200, the rest 409 with the next position; no staged segment left', async () => {
    const first = randomBytes(70_000);
    const created = await raw(ossd, { method: 'POST', path: `/${B}/race?append&position=0`, body: first });
    assert.equal(created.status, 200);
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(50_000 + i));
    const answers = await Promise.all(bodies.map((body) => raw(ossd, { method: 'POST', path: `/${B}/race?append&position=${first.length}`, body })));
    const winners = answers.flatMap((r, i) => (r.status === 200 ? [i] : []));
    assert.equal(winners.length, 1, answers.map((r) => r.status).join(' '));
    const next = String(first.length + bodies[winners[0]!]!.length);
    for (const r of answers) {
      if (r.status === 200) continue;
      assert.equal(r.status, 409);
      assert.match(r.text, /<Code>PositionNotEqualToLength<\/Code>/);
      assert.equal(r.headers['x-oss-next-append-position'], next);
    }
    const whole = Buffer.concat([first, bodies[winners[0]!]!]);
    const got = await c.get('race');
    assert.ok(contentOf(got).equals(whole));
    assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOf(whole));
    // Only the object's two segments are in the bucket: every loser's staged segment went.
    await sleep(GRACE_MS + 1500);
    const objects = await s3Objects();
    assert.equal(objects.size, 2, [...objects.values()].join(' '));
    assert.equal(sum(objects), whole.length);
    await c.delete('race');
    await sleep(GRACE_MS + 1500);
    assert.equal((await s3Objects()).size, 0, 'a deleted object\'s segments are collected after the grace period');
  });

  it('put, get and ranged get of an object stored in S3', async () => {
    // Over 8 MiB: a multipart upload into S3, and over 4 MiB: its MD5 is computed on the
    // worker thread, whose batch buffers are reused (fails if the S3 writer keeps them: checked).
    const data = randomBytes(9 * 1024 * 1024 + 17);
    const put = await c.put('big.bin', data);
    assert.equal(put.res.status, 200);
    const objects = await s3Objects();
    assert.ok([...objects.values()].includes(data.length), 'the body is one S3 object');
    assert.equal(hdr(put.res, 'x-oss-hash-crc64ecma'), crcOf(data));
    const got = await c.get('big.bin');
    assert.ok(contentOf(got).equals(data));
    assert.equal(hdr(got.res, 'etag'), `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`);
    const range = await c.get('big.bin', { headers: { Range: 'bytes=1048570-2097160' } });
    assert.equal(range.res.status, 206);
    assert.ok(contentOf(range).equals(data.subarray(1048570, 2097161)));
    const first = await c.get('big.bin', { headers: { Range: 'bytes=0-0' } });
    assert.ok(contentOf(first).equals(data.subarray(0, 1)));
    await rejectsWith(c.get('missing.bin'), { code: 'NoSuchKey', status: 404 });
  });

  it('multipart upload: parts stored in S3, the completed object read whole and across parts', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 333);
    const file = join(scratch.path, 'mp.bin');
    writeFileSync(file, data);
    const r = await c.multipartUpload('mp.bin', file, { partSize: 512 * 1024, parallel: 3 });
    assert.equal(r.res.status, 200);
    const head = await c.head('mp.bin');
    assert.equal(hdr(head.res, 'x-oss-object-type'), 'Multipart');
    assert.equal(hdr(head.res, 'x-oss-hash-crc64ecma'), crcOf(data));
    assert.ok(contentOf(await c.get('mp.bin')).equals(data));
    const across = await c.get('mp.bin', { headers: { Range: `bytes=${512 * 1024 - 10}-${512 * 1024 + 9}` } });
    assert.ok(contentOf(across).equals(data.subarray(512 * 1024 - 10, 512 * 1024 + 10)));
  });

  it('1,000 appends: compacted into a few S3 objects, read back byte-exact with the CRC', async () => {
    const before = await s3Objects();
    const parts: Buffer[] = [];
    let position = 0;
    for (let i = 0; i < 1000; i++) {
      const part = randomBytes(512 + ((i * 7919) % 4096));
      const r = await c.append('many.log', part, { position });
      position += part.length;
      assert.equal(r.nextAppendPosition, String(position));
      parts.push(part);
    }
    const whole = Buffer.concat(parts);
    // Compaction runs in the background; its merged-away segments go after the grace period.
    let count = Infinity;
    for (let i = 0; i < 200 && count > 20; i++) {
      await sleep(100);
      const now = await s3Objects();
      count = [...now.keys()].filter((k) => !before.has(k)).length;
    }
    assert.ok(count <= 20, `${count} S3 objects for the appendable object`);
    const got = await c.get('many.log');
    assert.ok(contentOf(got).equals(whole));
    assert.equal(hdr(got.res, 'x-oss-hash-crc64ecma'), crcOf(whole));
    assert.equal(hdr(got.res, 'x-oss-object-type'), 'Appendable');
    const range = await c.get('many.log', { headers: { Range: 'bytes=100000-999999' } });
    assert.ok(contentOf(range).equals(whole.subarray(100000, 1000000)));

    // A number for the report (not a timed assertion): GET of the compacted object vs a single put of the same bytes.
    await c.put('single.bin', whole);
    const time = async (key: string): Promise<number> => {
      const t = performance.now();
      for (let i = 0; i < 10; i++) await c.get(key);
      return (performance.now() - t) / 10;
    };
    await time('many.log');
    const many = await time('many.log');
    const single = await time('single.bin');
    console.log(`# GET ${whole.length} bytes: compacted 1,000-append object (${count} segments) ${many.toFixed(1)} ms, single put ${single.toFixed(1)} ms (${(single / many).toFixed(2)}x)`);
  });
});
