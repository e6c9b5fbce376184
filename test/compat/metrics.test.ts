/**
 * `/-/metrics`, `/-/ready` and `/-/health` of the real process (issue 18, docs/observability.md):
 * the scrape names every metric the issue lists, its values move with the requests, the
 * bucket gauges are right right after each kind of write, and only the metrics token or
 * the root key's V1/V4 signature may read it (unless --metrics-anonymous).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { parseScrape, value } from '../helpers/metrics-scrape.js';
import { createKey } from '../helpers/keys.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { assertErr, presignV1, raw, type RawResponse, signV1 } from '../helpers/raw-http.js';
import { presignV4, rawV4 } from '../helpers/raw-v4.js';

const TOKEN = 'metrics-token-for-the-tests-0123456789';

function names(samples: Map<string, number>): Set<string> {
  return new Set([...samples.keys()].map((k) => k.replace(/\{.*$/, '')));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('metrics, readiness and health', { timeout: 300_000 }, () => {
  let ossd: Ossd;
  const scrapeRes = (): Promise<RawResponse> => raw(ossd, { method: 'GET', path: '/-/metrics', headers: bearer(TOKEN), sign: 'none' });
  const scrape = async (): Promise<Map<string, number>> => {
    const r = await scrapeRes();
    assert.equal(r.status, 200, r.text);
    return parseScrape(r.text);
  };
  const usage = async (bucket: string): Promise<{ objects: number; bytes: number }> => {
    const s = await scrape();
    return { objects: value(s, 'ossd_bucket_objects', { bucket }), bytes: value(s, 'ossd_bucket_bytes', { bucket }) };
  };

  before(async () => {
    ossd = await startOssd({ env: { OSSD_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  // Fails when metrics.record() is not called from server.ts (the request counters and histogram never appear): checked.
  it('a scrape names every metric, in the Prometheus text format', async () => {
    const r = await scrapeRes();
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    await raw(ossd, { method: 'PUT', path: '/names/' });
    const found = names(await scrape());
    for (const n of [
      'ossd_http_requests_total', 'ossd_http_request_duration_seconds_bucket', 'ossd_http_request_duration_seconds_sum',
      'ossd_http_request_duration_seconds_count', 'ossd_http_bytes_received_total', 'ossd_http_bytes_sent_total',
      'ossd_requests_in_flight', 'ossd_append_conflicts_total', 'ossd_bucket_objects', 'ossd_bucket_bytes',
      'ossd_disk_free_bytes', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds',
    ]) assert.ok(found.has(n), `${n} is in the scrape`);
    // Only a node on PostgreSQL metadata has them (test/compat/cluster-keys.test.ts).
    for (const n of ['ossd_postgres_transactions_total', 'ossd_postgres_round_trips_total']) assert.ok(!found.has(n), `${n} is not in an embedded node's scrape`);
  });

  // Fails when metrics.record() is not called from server.ts, or when it counts no append conflict: checked.
  it('counters move with requests: per operation and status, bytes each way, durations, append conflicts, requests in flight', async () => {
    await raw(ossd, { method: 'PUT', path: '/moves/' });
    const before = await scrape();
    const body = Buffer.alloc(1000, 'a');
    assert.equal((await raw(ossd, { method: 'PUT', path: '/moves/k', body })).status, 200);
    assert.equal((await raw(ossd, { method: 'GET', path: '/moves/k' })).body.length, 1000);
    assert.equal((await raw(ossd, { method: 'POST', path: '/moves/log?append&position=0', body: 'x' })).status, 200);
    assertErr(await raw(ossd, { method: 'POST', path: '/moves/log?append&position=0', body: 'x' }), 409, 'PositionNotEqualToLength');
    assertErr(await raw(ossd, { method: 'GET', path: '/moves/missing' }), 404, 'NoSuchKey');
    const now = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => value(now, name, labels) - value(before, name, labels);
    assert.equal(delta('ossd_http_requests_total', { operation: 'PutObject', status: '200' }), 1);
    assert.equal(delta('ossd_http_requests_total', { operation: 'GetObject', status: '200' }), 1);
    assert.equal(delta('ossd_http_requests_total', { operation: 'GetObject', status: '404' }), 1);
    assert.equal(delta('ossd_http_requests_total', { operation: 'AppendObject', status: '409' }), 1);
    assert.equal(delta('ossd_append_conflicts_total'), 1);
    assert.equal(delta('ossd_http_request_duration_seconds_count', { operation: 'PutObject' }), 1);
    assert.ok(delta('ossd_http_request_duration_seconds_sum', { operation: 'PutObject' }) > 0);
    assert.ok(delta('ossd_http_bytes_received_total') >= 1001, 'the put and the append bodies');
    assert.ok(delta('ossd_http_bytes_sent_total') >= 1000, 'the get body');

    // An upload that has sent 10 of its 1000 bytes is in flight while we scrape.
    const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': '1000' };
    headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'PUT', '/moves/slow', headers)}`;
    const stalled = http.request({ host: '127.0.0.1', port: ossd.port, method: 'PUT', path: '/moves/slow', headers, agent: false });
    stalled.on('error', () => undefined);
    stalled.write(Buffer.alloc(10));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(value(await scrape(), 'ossd_requests_in_flight') >= 2, 'the stalled upload and the scrape');
    stalled.destroy();
  });

  // Fails when a trigger of drivers/sqlite/usage-store.ts is removed (the resize one: appends not counted): checked.
  it('bucket objects and bytes are right right after put, append, copy, multipart, delete and versioned deletes', async () => {
    const oss = client(ossd, { mode: 'sld', bucket: 'usage' });
    await oss.putBucket('usage');
    assert.deepEqual(await usage('usage'), { objects: 0, bytes: 0 });
    await oss.put('a', Buffer.alloc(100));
    assert.deepEqual(await usage('usage'), { objects: 1, bytes: 100 });
    await oss.put('a', Buffer.alloc(40));
    assert.deepEqual(await usage('usage'), { objects: 1, bytes: 40 });
    const r = await oss.append('log', Buffer.alloc(7));
    await oss.append('log', Buffer.alloc(5), { position: r.nextAppendPosition });
    assert.deepEqual(await usage('usage'), { objects: 2, bytes: 52 });
    await oss.copy('a-copy', 'a');
    assert.deepEqual(await usage('usage'), { objects: 3, bytes: 92 });
    const up = await oss.initMultipartUpload('mp');
    const p1 = await oss.uploadPart('mp', up.uploadId, 1, Buffer.alloc(100 * 1024), 0, 100 * 1024);
    const p2 = await oss.uploadPart('mp', up.uploadId, 2, Buffer.alloc(3), 0, 3);
    assert.deepEqual(await usage('usage'), { objects: 3, bytes: 92 }, 'parts are not objects yet');
    await oss.completeMultipartUpload('mp', up.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
    assert.deepEqual(await usage('usage'), { objects: 4, bytes: 92 + 100 * 1024 + 3 });
    await oss.delete('mp');
    assert.deepEqual(await usage('usage'), { objects: 3, bytes: 92 });
    await oss.putBucketVersioning('usage', 'Enabled');
    const v1 = await oss.put('a', Buffer.alloc(10));
    const v1Id = v1.res.headers['x-oss-version-id'] as string;
    let s = await scrape();
    assert.equal(value(s, 'ossd_bucket_bytes', { bucket: 'usage' }), 62, 'the new current version');
    assert.equal(value(s, 'ossd_bucket_noncurrent_versions', { bucket: 'usage' }), 1, 'the 40-byte one kept');
    assert.equal(value(s, 'ossd_bucket_noncurrent_bytes', { bucket: 'usage' }), 40);
    await oss.delete('a');
    s = await scrape();
    assert.equal(value(s, 'ossd_bucket_objects', { bucket: 'usage' }), 2, 'a delete marker hides a');
    assert.equal(value(s, 'ossd_bucket_noncurrent_versions', { bucket: 'usage' }), 2);
    await oss.delete('a', { versionId: v1Id });
    s = await scrape();
    assert.equal(value(s, 'ossd_bucket_noncurrent_versions', { bucket: 'usage' }), 1, 'a deleted version is gone');
    assert.equal(value(s, 'ossd_bucket_noncurrent_bytes', { bucket: 'usage' }), 40);
    assert.deepEqual(await usage('usage'), { objects: 2, bytes: 52 });
  });

  // Fails when probes.ts serves the metrics without authorizeScrape, or lets any key read them: checked.
  it('only the token or the root key (V1, V4, presigned) may scrape; anonymous, wrong tokens and other keys get 403 AccessDenied', async () => {
    assertErr(await raw(ossd, { method: 'GET', path: '/-/metrics', sign: 'none' }), 403, 'AccessDenied');
    assertErr(await raw(ossd, { method: 'GET', path: '/-/metrics', headers: bearer(`${TOKEN}x`), sign: 'none' }), 403, 'AccessDenied');
    assertErr(await raw(ossd, { method: 'GET', path: '/-/metrics', headers: bearer('short'), sign: 'none' }), 403, 'AccessDenied');
    assert.equal((await raw(ossd, { method: 'GET', path: '/-/metrics', headers: bearer(TOKEN), sign: 'none' })).status, 200);
    assert.equal((await raw(ossd, { method: 'GET', path: '/-/metrics' })).status, 200, 'root key, V1');
    assert.equal((await rawV4(ossd, { method: 'GET', path: '/-/metrics' })).status, 200, 'root key, V4');
    const root = { id: ossd.accessKeyId, secret: ossd.accessKeySecret };
    const expires = Math.floor(Date.now() / 1000) + 600;
    assert.equal((await raw(ossd, { method: 'GET', path: presignV1(root, 'GET', '/-/metrics', expires), sign: 'none' })).status, 200, 'presigned V1');
    assert.equal((await raw(ossd, { method: 'GET', path: presignV4(root, 'GET', '/-/metrics'), sign: 'none' })).status, 200, 'presigned V4');
    assertErr(await rawV4(ossd, { method: 'GET', path: '/-/metrics', secret: 'not-the-secret-at-all' }), 403, 'AccessDenied');
    const other = await createKey(ossd);
    const asOther = { host: ossd.host, port: ossd.port, accessKeyId: other.id, accessKeySecret: other.secret } as Ossd;
    assertErr(await raw(asOther, { method: 'GET', path: '/-/metrics' }), 403, 'AccessDenied');
    assertErr(await rawV4(asOther, { method: 'GET', path: '/-/metrics' }), 403, 'AccessDenied');
  });

  it('health and readiness answer GET and HEAD without credentials', async () => {
    for (const path of ['/-/health', '/-/ready']) {
      const get = await raw(ossd, { method: 'GET', path, sign: 'none' });
      assert.equal(get.status, 200, path);
      assert.equal(get.text, path === '/-/health' ? 'ok\n' : 'ready\n');
      assert.equal((await raw(ossd, { method: 'HEAD', path, sign: 'none' })).status, 200, path);
    }
  });
});

describe('--metrics-anonymous, and readiness once the store takes no writes', { timeout: 300_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    // The first WAL fsync fails (the OSSD_FAULTS test hook): from then on the store refuses writes until a restart.
    ossd = await startOssd({ args: ['--metrics-anonymous'], env: { OSSD_FAULTS: 'wal.sync:1+:EIO', OSSD_TEST_FAULTS: '1' } });
  });
  after(async () => {
    await ossd.kill();
    ossd.cleanup();
  });

  // Fails when the --metrics-anonymous check of probes.ts is removed: checked.
  it('anonymous scrapes are served', async () => {
    const r = await raw(ossd, { method: 'GET', path: '/-/metrics', sign: 'none' });
    assert.equal(r.status, 200);
    assert.match(r.text, /^# TYPE ossd_http_requests_total counter$/m);
    assert.match(r.text, /^ossd_requests_in_flight 1$/m);
  });

  // Fails when /-/ready ignores writeFailure(): checked.
  it('/-/ready answers 503 with the reason once a metadata fsync failed; /-/health still 200', async () => {
    assert.equal((await raw(ossd, { method: 'GET', path: '/-/ready', sign: 'none' })).status, 200);
    assert.equal((await raw(ossd, { method: 'PUT', path: '/refused/' })).status, 500);
    const ready = await raw(ossd, { method: 'GET', path: '/-/ready', sign: 'none' });
    assert.equal(ready.status, 503);
    assert.match(ready.text, /^not ready: the metadata store takes no writes until a restart/);
    assert.equal((await raw(ossd, { method: 'GET', path: '/-/health', sign: 'none' })).status, 200);
  });
});
