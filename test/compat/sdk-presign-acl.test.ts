/**
 * Presigned URLs made by ali-oss (signatureUrl V1, signatureUrlV4) fetched with plain
 * `fetch`, anonymous access decided by bucket and object ACLs, and the signature errors
 * ali-oss surfaces for a wrong secret or an unknown key (auth.md §3, §5, §6, §8).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { rejectsWith, SDK_MODES, sleep } from '../helpers/sdk-fixtures.js';

const ossd = useOssd();

interface Fetched {
  status: number;
  headers: Headers;
  text: string;
}

async function get(url: string, init: RequestInit = {}): Promise<Fetched> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function codeOf(f: Fetched): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(f.text)?.[1];
}

/** Anonymous path-style URL of an object (or bucket, or the service with no bucket). */
function anonUrl(bucket?: string, key?: string): string {
  return `http://127.0.0.1:${ossd.port}/${bucket ? `${bucket}/` : ''}${key ? encodeURIComponent(key) : ''}`;
}

describe('presigned URLs', { timeout: 300_000 }, () => {
  const bucket = 'presign';
  const name = 'dir/a b+c.txt';
  let c: OssClient;
  before(async () => {
    // signatureUrl refuses IP endpoints: a hostname endpoint with sldEnable (sdk-usage.md §2).
    c = client(ossd, { mode: 'sld', bucket });
    await c.putBucket(bucket);
    await c.put(name, Buffer.from('presigned body'));
  });

  it('signatureUrl (V1) GET serves the object to plain fetch; tampering is refused', async () => {
    const url: string = c.signatureUrl(name);
    assert.match(url, /[?&]OSSAccessKeyId=[^&]+&Expires=\d+&Signature=/);
    const ok = await get(url);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'presigned body');
    const otherKey = await get(url.replace('a%20b', 'x%20b'));
    assert.equal(otherKey.status, 403);
    assert.equal(codeOf(otherKey), 'SignatureDoesNotMatch');
    const badSig = await get(url.replace(/Signature=[^&]+/, 'Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D'));
    assert.equal(badSig.status, 403);
    assert.equal(codeOf(badSig), 'SignatureDoesNotMatch');
    const missing = await get(c.signatureUrl('no-such-key.txt'));
    assert.equal(missing.status, 404);
    assert.equal(codeOf(missing), 'NoSuchKey');
  });

  it('signatureUrl (V1) applies signed response-* overrides', async () => {
    const url: string = c.signatureUrl(name, {
      response: { 'content-type': 'application/x-test', 'content-disposition': 'attachment; filename="x y.txt"' },
    });
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/x-test');
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="x y.txt"');
  });

  it('signatureUrl (V1) PUT uploads with the signed Content-Type, and only with it', async () => {
    const url: string = c.signatureUrl('uploaded.txt', { method: 'PUT', 'Content-Type': 'text/plain' });
    const body = Buffer.from('uploaded through a presigned URL');
    const put = await get(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body });
    assert.equal(put.status, 200, put.text);
    const got = await c.get('uploaded.txt');
    assert.equal(got.content.toString(), body.toString());
    assert.equal(got.res.headers['content-type'], 'text/plain');
    const wrongType = await get(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body });
    assert.equal(wrongType.status, 403);
    assert.equal(codeOf(wrongType), 'SignatureDoesNotMatch');
    const asGet = await get(url);
    assert.equal(asGet.status, 403, 'a URL signed for PUT does not work for GET');
  });

  it('signatureUrlV4 GET works, and signs additional headers', async () => {
    const url: string = await c.signatureUrlV4('GET', 60, undefined, name);
    assert.match(url, /x-oss-signature-version=OSS4-HMAC-SHA256/);
    const ok = await get(url);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'presigned body');

    const withHeader: string = await c.signatureUrlV4('GET', 60, { headers: { 'x-test-signed': 'yes' } }, name, ['x-test-signed']);
    assert.match(withHeader, /x-oss-additional-headers=x-test-signed/);
    assert.equal((await get(withHeader, { headers: { 'x-test-signed': 'yes' } })).status, 200);
    const wrong = await get(withHeader, { headers: { 'x-test-signed': 'no' } });
    assert.equal(wrong.status, 403);
    assert.equal(codeOf(wrong), 'SignatureDoesNotMatch');
  });

  it('signatureUrlV4 PUT uploads with the signed Content-Type', async () => {
    const url: string = await c.signatureUrlV4('PUT', 60, { headers: { 'Content-Type': 'text/csv' } }, 'v4-upload.csv');
    const put = await get(url, { method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: Buffer.from('a,b\n') });
    assert.equal(put.status, 200, put.text);
    const got = await c.get('v4-upload.csv');
    assert.equal(got.content.toString(), 'a,b\n');
    assert.equal(got.res.headers['content-type'], 'text/csv');
  });

  it('refuses expired presigned URLs with AccessDenied (V1 expires: 1, V4 expires 1)', async () => {
    const v1: string = c.signatureUrl(name, { expires: 1 });
    const v4: string = await c.signatureUrlV4('GET', 1, undefined, name);
    await sleep(2100);
    for (const url of [v1, v4]) {
      const r = await get(url);
      assert.equal(r.status, 403, url);
      assert.equal(codeOf(r), 'AccessDenied');
    }
  });
});

describe('anonymous access and ACLs', { timeout: 300_000 }, () => {
  const bucket = 'anon-acl';
  let c: OssClient;
  before(async () => {
    c = client(ossd, { mode: 'sld', bucket });
    await c.putBucket(bucket);
    await c.put('object.txt', Buffer.from('public?'));
  });

  it('private bucket: anonymous GET, HEAD and list are AccessDenied', async () => {
    const r = await get(anonUrl(bucket, 'object.txt'));
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'AccessDenied');
    assert.equal((await get(anonUrl(bucket, 'object.txt'), { method: 'HEAD' })).status, 403);
    assert.equal((await get(anonUrl(bucket))).status, 403);
  });

  it('public-read bucket: anonymous reads succeed, an object ACL of private overrides', async () => {
    await c.putBucketACL(bucket, 'public-read');
    const r = await get(anonUrl(bucket, 'object.txt'));
    assert.equal(r.status, 200);
    assert.equal(r.text, 'public?');
    const listing = await get(anonUrl(bucket));
    assert.equal(listing.status, 200);
    assert.match(listing.text, /<Key>object\.txt<\/Key>/);
    await c.putACL('object.txt', 'private');
    const denied = await get(anonUrl(bucket, 'object.txt'));
    assert.equal(denied.status, 403);
    assert.equal(codeOf(denied), 'AccessDenied');
    await c.putACL('object.txt', 'default');
    assert.equal((await get(anonUrl(bucket, 'object.txt'))).status, 200, 'default follows the bucket again');
  });

  it('an object ACL of public-read opens one object of a private bucket', async () => {
    await c.putBucketACL(bucket, 'private');
    await c.put('shared.txt', Buffer.from('shared'), { headers: { 'x-oss-object-acl': 'public-read' } });
    assert.equal((await get(anonUrl(bucket, 'shared.txt'))).text, 'shared');
    assert.equal((await get(anonUrl(bucket, 'object.txt'))).status, 403);
  });

  it('anonymous writes need public-read-write', async () => {
    await c.putBucketACL(bucket, 'public-read');
    const body = Buffer.from('anonymous upload');
    const denied = await get(anonUrl(bucket, 'anon.txt'), { method: 'PUT', body });
    assert.equal(denied.status, 403);
    assert.equal(codeOf(denied), 'AccessDenied');
    const del = await get(anonUrl(bucket, 'object.txt'), { method: 'DELETE' });
    assert.equal(del.status, 403);
    await rejectsWith(c.head('anon.txt'), { code: 'NoSuchKey', status: 404 });

    await c.putBucketACL(bucket, 'public-read-write');
    const put = await get(anonUrl(bucket, 'anon.txt'), { method: 'PUT', body });
    assert.equal(put.status, 200, put.text);
    assert.equal((await c.get('anon.txt')).content.toString(), 'anonymous upload');
    const append = await get(`${anonUrl(bucket, 'anon.log')}?append&position=0`, { method: 'POST', body: Buffer.from('line\n') });
    assert.equal(append.status, 200, append.text);
    assert.equal(append.headers.get('x-oss-next-append-position'), '5');
    const acl = await get(`${anonUrl(bucket)}?acl`);
    assert.equal(acl.status, 403, 'bucket ACLs are never anonymous');
    await c.putBucketACL(bucket, 'private');
  });

  it('anonymous ListBuckets is AccessDenied', async () => {
    const r = await get(anonUrl());
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'AccessDenied');
  });
});

for (const m of SDK_MODES) {
  describe(`signature errors: ${m.label}`, { timeout: 300_000 }, () => {
    const bucket = `sig-${m.mode}-${m.v4 ? 'v4' : 'v1'}`;
    before(async () => {
      const c = client(ossd, { mode: m.mode, v4: m.v4, bucket });
      await c.putBucket(bucket);
      await c.put('k.txt', Buffer.from('k'));
    });

    it('a wrong secret is SignatureDoesNotMatch', async () => {
      const bad = client(ossd, { mode: m.mode, v4: m.v4, bucket, accessKeySecret: 'not-the-secret' });
      const want = { code: 'SignatureDoesNotMatch', status: 403, name: 'SignatureDoesNotMatchError' };
      await rejectsWith(bad.get('k.txt'), want);
      await rejectsWith(bad.head('k.txt'), want);
      await rejectsWith(bad.put('k.txt', Buffer.from('overwrite')), want);
      await rejectsWith(bad.append('new.log', Buffer.from('x')), want);
      await rejectsWith(bad.listBuckets(), want);
      assert.equal((await client(ossd, { mode: m.mode, v4: m.v4, bucket }).get('k.txt')).content.toString(), 'k');
    });

    it('an unknown access key is InvalidAccessKeyId', async () => {
      const bad = client(ossd, { mode: m.mode, v4: m.v4, bucket, accessKeyId: 'LTAIunknownKey0000000' });
      const want = { code: 'InvalidAccessKeyId', status: 403, name: 'InvalidAccessKeyIdError' };
      await rejectsWith(bad.get('k.txt'), want);
      await rejectsWith(bad.list(), want);
      await rejectsWith(bad.head('k.txt'), want);
    });
  });
}
