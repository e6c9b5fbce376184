// Hosts named in responses (issue 16, "Endpoints"). OSS's GetBucketInfo and ListBuckets
// name the bucket's public and internal endpoints (`ExtranetEndpoint`,
// `IntranetEndpoint`; OSS doc "GetBucketInfo", example `oss-cn-hangzhou.aliyuncs.com`),
// and alibabacloud-oss-go-sdk-v2 dials what they name. ossd must name a host that reaches
// ossd: the one the client used (path style, IP, `<bucket>.<domain>` → `<domain>`, the
// local address for ali-oss's invented `*.aliyuncs.com` host) or `--public-endpoint`.
// CompleteMultipartUpload's `Location` likewise.
//
// Fails on the code before the fix: checked (2026-12-05: ExtranetEndpoint was
// `oss-cn-hangzhou.aliyuncs.com` in every case, Location `http://b.oss-cn-hangzhou.aliyuncs.com/...`
// for the ali-oss IP host). Fails when advertisedEndpoint() returns the Host unchanged
// (the virtual-hosted and aliyuncs cases): checked.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { runOssd } from '../helpers/ossd-exit.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { signV1 } from '../helpers/raw-v1.js';

interface Reply { status: number; text: string }

/**
 * A V1-signed request with any Host: `signedPath` is the path-style resource the SDK
 * signs (`/bucket/key`), `path` what goes on the request line (`/key` when virtual-hosted).
 */
function send(ossd: Ossd, method: string, host: string, path: string, signedPath: string, body = ''): Promise<Reply> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), host, 'content-length': String(Buffer.byteLength(body)) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, signedPath, headers)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ossd.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function all(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
}

const BUCKET = 'endpoints-b';

describe('endpoints named in responses', { timeout: 120_000 }, () => {
  let ossd: Ossd;
  let local: string;
  before(async () => {
    ossd = await startOssd();
    local = `127.0.0.1:${ossd.port}`;
    const put = await send(ossd, 'PUT', local, `/${BUCKET}/`, `/${BUCKET}/`);
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  /** GetBucketInfo through `host` and `path`; the endpoints it names. */
  async function infoEndpoints(host: string, path: string): Promise<string[]> {
    const r = await send(ossd, 'GET', host, path, `/${BUCKET}/?bucketInfo`);
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(r.text, /aliyuncs\.com/);
    assert.equal(all(r.text, 'Location')[0], 'oss-cn-hangzhou'); // the region id stays OSS's
    return [...all(r.text, 'ExtranetEndpoint'), ...all(r.text, 'IntranetEndpoint')];
  }

  test('path style on an IP names that IP and port', async () => {
    assert.deepEqual(await infoEndpoints(local, `/${BUCKET}/?bucketInfo`), [local, local]);
  });

  test('path style on a domain names that domain and port', async () => {
    const host = `localhost:${ossd.port}`;
    assert.deepEqual(await infoEndpoints(host, `/${BUCKET}/?bucketInfo`), [host, host]);
  });

  test('virtual-hosted <bucket>.<domain> names <domain> and port', async () => {
    const vh = await infoEndpoints(`${BUCKET}.localhost:${ossd.port}`, '/?bucketInfo');
    assert.deepEqual(vh, [`localhost:${ossd.port}`, `localhost:${ossd.port}`]);
  });

  test('the host ali-oss invents for an IP endpoint names the address the connection came to', async () => {
    const aliyun = await infoEndpoints(`${BUCKET}.oss-cn-hangzhou.aliyuncs.com`, '/?bucketInfo');
    assert.deepEqual(aliyun, [local, local]);
  });

  test('ListBuckets names the host in every Bucket entry', async () => {
    const host = `localhost:${ossd.port}`;
    const r = await send(ossd, 'GET', host, '/', '/');
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(r.text, /aliyuncs\.com/);
    assert.deepEqual(all(r.text, 'ExtranetEndpoint'), [host]);
    assert.deepEqual(all(r.text, 'IntranetEndpoint'), [host]);
  });

  test('CompleteMultipartUpload Location is a URL on the host used, never aliyuncs.com', async () => {
    const aliyunHost = `${BUCKET}.oss-cn-hangzhou.aliyuncs.com`;
    const init = await send(ossd, 'POST', aliyunHost, '/mp.bin?uploads', `/${BUCKET}/mp.bin?uploads`);
    assert.equal(init.status, 200, init.text);
    const uploadId = all(init.text, 'UploadId')[0]!;
    const part = await send(ossd, 'PUT', local, `/${BUCKET}/mp.bin?partNumber=1&uploadId=${uploadId}`, `/${BUCKET}/mp.bin?partNumber=1&uploadId=${uploadId}`, 'x');
    assert.equal(part.status, 200, part.text);
    const done = await send(ossd, 'POST', aliyunHost, `/mp.bin?uploadId=${uploadId}`, `/${BUCKET}/mp.bin?uploadId=${uploadId}`, '<CompleteMultipartUpload/>'.replace('/>', `><Part><PartNumber>1</PartNumber><ETag>"9DD4E461268C8034F5C8564E155C67A6"</ETag></Part></CompleteMultipartUpload>`));
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(all(done.text, 'Location'), [`http://${local}/${BUCKET}/mp.bin`]);
  });
});

describe('--public-endpoint', { timeout: 120_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd({ args: ['--public-endpoint', 'OSS.Example.test:8443'] });
    const put = await send(ossd, 'PUT', `127.0.0.1:${ossd.port}`, `/${BUCKET}/`, `/${BUCKET}/`);
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('names the configured endpoint whatever host the request used', async () => {
    for (const [host, path] of [[`127.0.0.1:${ossd.port}`, `/${BUCKET}/?bucketInfo`], [`${BUCKET}.localhost`, '/?bucketInfo']] as const) {
      const r = await send(ossd, 'GET', host, path, `/${BUCKET}/?bucketInfo`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(all(r.text, 'ExtranetEndpoint'), ['oss.example.test:8443']);
      assert.deepEqual(all(r.text, 'IntranetEndpoint'), ['oss.example.test:8443']);
    }
    const list = await send(ossd, 'GET', `127.0.0.1:${ossd.port}`, '/', '/');
    assert.deepEqual(all(list.text, 'ExtranetEndpoint'), ['oss.example.test:8443']);
  });

  test('serves <bucket>.<public host> virtual-hosted, as an SDK that follows the endpoint addresses it', async () => {
    const r = await send(ossd, 'GET', `${BUCKET}.oss.example.test:8443`, '/?bucketInfo', `/${BUCKET}/?bucketInfo`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(all(r.text, 'Name'), [BUCKET]);
  });

  test('OSSD_PUBLIC_ENDPOINT sets it too; a value with a scheme is refused at start', async () => {
    const env = await startOssd({ env: { OSSD_PUBLIC_ENDPOINT: '10.0.0.7:80' } });
    try {
      await send(env, 'PUT', `127.0.0.1:${env.port}`, `/${BUCKET}/`, `/${BUCKET}/`);
      const r = await send(env, 'GET', `localhost:${env.port}`, `/${BUCKET}/?bucketInfo`, `/${BUCKET}/?bucketInfo`);
      assert.deepEqual(all(r.text, 'ExtranetEndpoint'), ['10.0.0.7:80']);
    } finally {
      await env.stop();
      env.cleanup();
    }
    const bad = await runOssd(['serve', '--public-endpoint', 'http://oss.example.test'], { OSSD_DATA_DIR: '/nonexistent-ossd-endpoints' }, 20_000);
    assert.equal(bad.code, 2); // a configuration error: usage status
    assert.match(bad.stderr, /public endpoint must be host\[:port\]/);
  });
});
