/**
 * The Ceph cluster of test/helpers/ceph.ts (issue 19) works as the S3 store the S3 blob
 * driver is tested against: it boots, its RGW user's keys sign requests, and RGW does what
 * the driver uses (buckets, put, get, ranges, multipart, delete, listing), driven with the
 * real @aws-sdk/client-s3. It also measures what the helper promises: boot time, the
 * daemons' memory and small-GET latency (printed as diagnostics), and that stop() leaves
 * nothing behind.
 *
 * Runs wherever Ceph is installed, and in CI (.ci/run installs it: CEPH_IN_CI in the
 * helper); skipped with the reason otherwise.
 *
 * Checked that it can fail:
 * - without `tcp_nodelay=1` in the helper's beast frontend line, the small-GET median
 *   is ~44 ms and "small GETs are fast" fails: checked;
 * - with stop() not removing the folder, "stop() kills every daemon and removes the
 *   folder" fails: checked;
 * - with a wrong secret returned by the helper, every S3 call fails (RGW refuses the
 *   signature): checked.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type Ceph, cephSkip, rssMiB, startCeph } from '../helpers/ceph.js';

const skip = cephSkip();
/** `npm run test:long` also boots the cluster BOOTS times in a row (OSSD_CEPH_BOOTS overrides). */
const BOOTS = Number(process.env.OSSD_CEPH_BOOTS ?? (process.env.OSSD_LONG_TESTS === '1' ? 5 : 0));

function client(ceph: Ceph): S3Client {
  return new S3Client({
    endpoint: ceph.endpoint,
    region: ceph.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
    // RGW 16 does not know the SDK's default CRC32 trailers on every request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function bodyOf(s3: S3Client, cmd: GetObjectCommand): Promise<Buffer> {
  const res = await s3.send(cmd);
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe('Ceph RGW as the S3 store (test/helpers/ceph.ts)', { timeout: 300_000, skip }, () => {
  let ceph: Ceph;
  let s3: S3Client;
  const bucket = 'ossd-smoke';

  before(async () => {
    ceph = await startCeph();
    s3 = client(ceph);
    // Diagnostics: the numbers the issue asks for (boot time, memory).
    console.log(`# ceph boot ${(ceph.bootMs / 1000).toFixed(1)} s, daemons' RSS ${rssMiB(ceph.pids()).toFixed(0)} MiB`);
  });
  after(async () => {
    s3?.destroy();
    await ceph?.stop();
  });

  it('creates a bucket; puts, heads and gets an object; reads a range', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const body = Buffer.from('hello ceph, this is ossd');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/a.txt', Body: body }));
    assert.ok(put.ETag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/a.txt' }));
    assert.equal(head.ContentLength, body.length);
    assert.deepEqual(await bodyOf(s3, new GetObjectCommand({ Bucket: bucket, Key: 'dir/a.txt' })), body);
    assert.equal((await bodyOf(s3, new GetObjectCommand({ Bucket: bucket, Key: 'dir/a.txt', Range: 'bytes=6-9' }))).toString(), 'ceph');
  });

  it('uploads in parts (two of 5 MiB and a small last one) and reads the whole back', async () => {
    const parts = [Buffer.alloc(5 << 20, 1), Buffer.alloc(5 << 20, 2), Buffer.from('tail')];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big' }));
    const done = [];
    for (const [i, part] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big', UploadId, PartNumber: i + 1, Body: part }));
      done.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big', UploadId, MultipartUpload: { Parts: done } }));
    const back = await bodyOf(s3, new GetObjectCommand({ Bucket: bucket, Key: 'big' }));
    assert.equal(back.length, (10 << 20) + 4);
    assert.ok(back.equals(Buffer.concat(parts)));
    const across = await bodyOf(s3, new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: `bytes=${(5 << 20) - 2}-${(5 << 20) + 1}` }));
    assert.deepEqual([...across], [1, 1, 2, 2]);
  });

  it('lists by prefix, deletes, and lists again', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/b.txt', Body: 'b' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['dir/a.txt', 'dir/b.txt']);
    for (const Key of ['dir/a.txt', 'dir/b.txt', 'big']) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.equal(empty.KeyCount, 0);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/a.txt' })), (e: Error) => e.name === 'NoSuchKey');
  });

  it('small GETs are fast (beast with tcp_nodelay: no ~44 ms delayed-ACK stall)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small', Body: Buffer.alloc(4096, 7) }));
    const ms: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      await bodyOf(s3, new GetObjectCommand({ Bucket: bucket, Key: 'small' }));
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const median = ms[ms.length >> 1]!;
    console.log(`# 4 KiB GET: median ${median.toFixed(1)} ms, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(1)} ms; daemons' RSS ${rssMiB(ceph.pids()).toFixed(0)} MiB`);
    // 44 ms is the stall without tcp_nodelay; a loaded 2-core machine answers in ~5 ms.
    assert.ok(median < 30, `median 4 KiB GET took ${median.toFixed(1)} ms`);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'small' }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it('stop() kills every daemon and removes the folder', async () => {
    const pids = ceph.pids();
    assert.ok(pids.length >= 3, `daemons: ${pids.join(', ')}`);
    await ceph.stop();
    // stop() waited for each exit, so node reaped them: their ids are gone.
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `daemon ${pid} still runs`);
    assert.equal(existsSync(ceph.dir), false);
  });
});


describe(`Ceph boots ${BOOTS} times in a row (reliability; npm run test:long)`, { timeout: 60_000 + BOOTS * 200_000, skip: skip || (BOOTS === 0 && 'runs in npm run test:long (or with OSSD_CEPH_BOOTS=N)') }, () => {
  it('every boot succeeds; prints each boot time', async () => {
    const times: number[] = [];
    for (let i = 0; i < BOOTS; i++) {
      const ceph = await startCeph();
      times.push(ceph.bootMs);
      await ceph.stop();
    }
    console.log(`# ${BOOTS} boots: ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s`);
  });
});
