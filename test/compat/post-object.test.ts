/**
 * PostObject (browser form upload) through raw multipart forms, signed by ali-oss's own
 * helpers (calculatePostSignature for V1, signPostObjectPolicyV4 for V4): answers,
 * redirects, ${filename}, every policy condition kind, expiry, signatures, anonymous
 * uploads, and the stored object read back with ali-oss.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { fileField, type FormField, policyFor, postForm, v1Fields, v4Fields } from '../helpers/post-form.js';
import { errorCode } from '../helpers/raw-http.js';
import { crcOf, md5Etag } from '../helpers/sdk-fixtures.js';

const B = 'post-object';
let ossd: Ossd;
let c: OssClient;
before(async () => {
  ossd = await startOssd();
  c = client(ossd, { mode: 'sld', bucket: B });
  await c.putBucket(B);
});
after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

const OPEN = policyFor([['content-length-range', 0, 10 * 1024 * 1024]]);

async function stored(key: string): Promise<{ content: Buffer; headers: Record<string, string> }> {
  const r = await c.get(key);
  return { content: r.content as Buffer, headers: r.res.headers as Record<string, string> };
}

async function absent(key: string): Promise<void> {
  await assert.rejects(c.head(key), (e: { status?: number }) => e.status === 404);
}

describe('PostObject answers', { timeout: 300_000 }, () => {
  it('V1: default 204, the object stored with its bytes, Content-Type, metadata and CRC', async () => {
    const data = randomBytes(4096);
    const res = await postForm(ossd, B, [
      { name: 'key', value: 'v1/default.bin' },
      ...v1Fields(c, OPEN),
      { name: 'Content-Type', value: 'image/png' },
      { name: 'x-oss-meta-color', value: 'blue' },
      { name: 'Cache-Control', value: 'no-cache' },
      fileField(data),
    ]);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, md5Etag(data));
    assert.equal(res.headers['x-oss-hash-crc64ecma'], crcOf(data));
    const got = await stored('v1/default.bin');
    assert.deepEqual(got.content, data);
    assert.equal(got.headers['content-type'], 'image/png');
    assert.equal(got.headers['x-oss-meta-color'], 'blue');
    assert.equal(got.headers['cache-control'], 'no-cache');
    assert.equal(got.headers['x-oss-hash-crc64ecma'], crcOf(data));
    assert.equal(got.headers['x-oss-object-type'], 'Normal');
  });

  it('success_action_status 200: empty 200; 201: <PostResponse> XML', async () => {
    const ok = await postForm(ossd, B, [{ name: 'key', value: 's200' }, ...v1Fields(c, OPEN), { name: 'success_action_status', value: '200' }, fileField('two hundred')]);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '');
    const created = await postForm(ossd, B, [{ name: 'key', value: 'dir/s 201' }, ...v1Fields(c, OPEN), { name: 'success_action_status', value: '201' }, fileField('created')]);
    assert.equal(created.status, 201);
    assert.match(String(created.headers['content-type']), /xml/);
    assert.match(created.text, /<PostResponse><Bucket>post-object<\/Bucket><ETag>&quot;[0-9A-F]{32}&quot;<\/ETag><Key>dir\/s 201<\/Key><Location>http:\/\/[^<]+\/post-object\/dir\/s%20201<\/Location><\/PostResponse>/);
    assert.equal((await stored('dir/s 201')).content.toString(), 'created');
    const other = await postForm(ossd, B, [{ name: 'key', value: 's999' }, ...v1Fields(c, OPEN), { name: 'success_action_status', value: '999' }, fileField('x')]);
    assert.equal(other.status, 204);
  });

  it('success_action_redirect: 303 to the URL with bucket, key and etag', async () => {
    const res = await postForm(ossd, B, [
      { name: 'key', value: 'redirect/a b.txt' },
      ...v1Fields(c, OPEN),
      { name: 'success_action_redirect', value: 'https://app.example.com/done?from=form' },
      fileField('redirected'),
    ]);
    assert.equal(res.status, 303);
    const loc = new URL(String(res.headers.location));
    assert.equal(loc.origin + loc.pathname, 'https://app.example.com/done');
    assert.equal(loc.searchParams.get('from'), 'form');
    assert.equal(loc.searchParams.get('bucket'), B);
    assert.equal(loc.searchParams.get('key'), 'redirect/a b.txt');
    assert.equal(loc.searchParams.get('etag'), res.headers.etag);
  });

  it('${filename} in the key is the uploaded file name', async () => {
    const res = await postForm(ossd, B, [{ name: 'key', value: 'uploads/${filename}' }, ...v1Fields(c, OPEN), fileField('named', 'photo 1.jpg', 'image/jpeg')]);
    assert.equal(res.status, 204, res.text);
    const got = await stored('uploads/photo 1.jpg');
    assert.equal(got.content.toString(), 'named');
    // No Content-Type field: the file part's own type.
    assert.equal(got.headers['content-type'], 'image/jpeg');
  });

  it('x-oss-object-acl sets the object ACL; fields after the file are ignored', async () => {
    const res = await postForm(ossd, B, [
      { name: 'key', value: 'acl.txt' }, ...v1Fields(c, OPEN), { name: 'x-oss-object-acl', value: 'public-read' }, fileField('acl'),
      { name: 'submit', value: 'Upload to OSS' },
    ]);
    assert.equal(res.status, 204, res.text);
    assert.equal((await c.getACL('acl.txt')).acl, 'public-read');
    const anon = await fetch(`http://127.0.0.1:${ossd.port}/${B}/acl.txt`);
    assert.equal(await anon.text(), 'acl');
  });

  it('streams a chunked multi-megabyte file; virtual-hosted POST / works too', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const res = await postForm(ossd, B, [{ name: 'key', value: 'big.bin' }, ...v1Fields(c, OPEN), fileField(data)], { chunked: true, virtualHosted: true });
    assert.equal(res.status, 204, res.text);
    const got = await stored('big.bin');
    assert.equal(got.content.length, data.length);
    assert.ok(got.content.equals(data));
    assert.equal(got.headers['x-oss-hash-crc64ecma'], crcOf(data));
  });

  it('an empty file makes an empty object', async () => {
    const res = await postForm(ossd, B, [{ name: 'key', value: 'empty' }, ...v1Fields(c, OPEN), fileField('')]);
    assert.equal(res.status, 204, res.text);
    assert.equal((await stored('empty')).content.length, 0);
  });
});

describe('PostObject policy conditions', { timeout: 300_000 }, () => {
  async function attempt(conditions: unknown[], fields: FormField[], file: FormField = fileField('policy body')): Promise<{ status: number; code?: string; text: string }> {
    const res = await postForm(ossd, B, [...fields, ...v1Fields(c, policyFor(conditions)), file]);
    return { status: res.status, code: errorCode(res), text: res.text };
  }

  const cases: Array<{ label: string; conditions: unknown[]; fields?: FormField[]; key: string; pass: boolean }> = [
    { label: 'exact-match map on key', conditions: [{ key: 'cond/exact' }], key: 'cond/exact', pass: true },
    { label: 'exact-match map on key, other key', conditions: [{ key: 'cond/exact' }], key: 'cond/other', pass: false },
    { label: 'eq $key', conditions: [['eq', '$key', 'cond/eq']], key: 'cond/eq', pass: true },
    { label: 'eq $key, other key', conditions: [['eq', '$key', 'cond/eq']], key: 'cond/eq2', pass: false },
    { label: 'starts-with $key', conditions: [['starts-with', '$key', 'user/eric/']], key: 'user/eric/a.txt', pass: true },
    { label: 'starts-with $key, outside the prefix', conditions: [['starts-with', '$key', 'user/eric/']], key: 'user/bob/a.txt', pass: false },
    { label: 'bucket map', conditions: [{ bucket: B }], key: 'cond/bucket', pass: true },
    { label: 'bucket map, other bucket', conditions: [{ bucket: 'another-bucket' }], key: 'cond/bucket2', pass: false },
    { label: 'x-oss-meta eq', conditions: [['eq', '$x-oss-meta-owner', 'eric']], fields: [{ name: 'x-oss-meta-owner', value: 'eric' }], key: 'cond/meta', pass: true },
    { label: 'x-oss-meta eq, other value', conditions: [['eq', '$x-oss-meta-owner', 'eric']], fields: [{ name: 'x-oss-meta-owner', value: 'bob' }], key: 'cond/meta2', pass: false },
    { label: 'x-oss-meta map, field missing', conditions: [{ 'x-oss-meta-owner': 'eric' }], key: 'cond/meta3', pass: false },
    { label: 'Content-Type starts-with', conditions: [['starts-with', '$Content-Type', 'image/']], fields: [{ name: 'Content-Type', value: 'image/jpeg' }], key: 'cond/ct', pass: true },
    { label: 'Content-Type starts-with, text', conditions: [['starts-with', '$Content-Type', 'image/']], fields: [{ name: 'Content-Type', value: 'text/plain' }], key: 'cond/ct2', pass: false },
    { label: 'in $content-type', conditions: [['in', '$content-type', ['image/jpg', 'image/png']]], fields: [{ name: 'content-type', value: 'image/png' }], key: 'cond/in', pass: true },
    { label: 'not-in $content-type', conditions: [['not-in', '$content-type', ['image/jpg', 'image/png']]], fields: [{ name: 'content-type', value: 'image/png' }], key: 'cond/notin', pass: false },
    { label: 'success_action_status eq', conditions: [['eq', '$success_action_status', '201']], fields: [{ name: 'success_action_status', value: '201' }], key: 'cond/sas', pass: true },
  ];
  for (const t of cases) {
    it(`${t.label}: ${t.pass ? 'stored' : '403 AccessDenied, nothing stored'}`, async () => {
      const r = await attempt(t.conditions, [{ name: 'key', value: t.key }, ...(t.fields ?? [])]);
      if (t.pass) {
        assert.ok(r.status === 204 || r.status === 201, `${r.status} ${r.text}`);
        assert.equal((await stored(t.key)).content.toString(), 'policy body');
      } else {
        assert.equal(r.status, 403, r.text);
        assert.equal(r.code, 'AccessDenied');
        assert.match(r.text, /Invalid according to Policy: Policy Condition failed/);
        await absent(t.key);
      }
    });
  }

  it('content-length-range: inside stored, above EntityTooLarge, below EntityTooSmall (nothing stored)', async () => {
    const range = [['content-length-range', 10, 100]];
    const ok = await attempt(range, [{ name: 'key', value: 'len/ok' }], fileField(Buffer.alloc(100, 1)));
    assert.equal(ok.status, 204, ok.text);
    const big = await attempt(range, [{ name: 'key', value: 'len/big' }], fileField(Buffer.alloc(101, 1)));
    assert.equal(big.status, 400);
    assert.equal(big.code, 'EntityTooLarge');
    await absent('len/big');
    const small = await attempt(range, [{ name: 'key', value: 'len/small' }], fileField(Buffer.alloc(9, 1)));
    assert.equal(small.status, 400);
    assert.equal(small.code, 'EntityTooSmall');
    await absent('len/small');
  });

  it('content-length-range is enforced while a large chunked body streams', async () => {
    const res = await postForm(ossd, B, [{ name: 'key', value: 'len/stream' }, ...v1Fields(c, policyFor([['content-length-range', 0, 1024 * 1024]])), fileField(randomBytes(4 * 1024 * 1024))], { chunked: true });
    assert.equal(res.status, 400);
    assert.equal(errorCode(res), 'EntityTooLarge');
    await absent('len/stream');
  });

  it('${filename} keys satisfy starts-with on the prefix and eq on the template', async () => {
    const a = await attempt([['starts-with', '$key', 'user/']], [{ name: 'key', value: 'user/${filename}' }], fileField('f', 'pic.png'));
    assert.equal(a.status, 204, a.text);
    const b = await attempt([['eq', '$key', 'tmpl/${filename}']], [{ name: 'key', value: 'tmpl/${filename}' }], fileField('f', 'pic.png'));
    assert.equal(b.status, 204, b.text);
    assert.equal((await stored('tmpl/pic.png')).content.toString(), 'f');
  });

  it('an expired policy is 403 AccessDenied "Policy expired"', async () => {
    const res = await postForm(ossd, B, [{ name: 'key', value: 'expired' }, ...v1Fields(c, policyFor([], -60_000)), fileField('late')]);
    assert.equal(res.status, 403);
    assert.equal(errorCode(res), 'AccessDenied');
    assert.match(res.text, /Policy expired/);
    await absent('expired');
  });

  it('malformed policies are 400 InvalidPolicyDocument', async () => {
    const sign = (policyText: string): FormField[] => {
      const policy = Buffer.from(policyText).toString('base64');
      return [
        { name: 'OSSAccessKeyId', value: ossd.accessKeyId },
        { name: 'policy', value: policy },
        { name: 'Signature', value: createHmac('sha1', ossd.accessKeySecret).update(policy).digest('base64') },
      ];
    };
    const future = new Date(Date.now() + 3600_000).toISOString();
    for (const text of [
      'not json',
      JSON.stringify({ conditions: [] }),
      JSON.stringify({ expiration: 'tomorrow', conditions: [] }),
      JSON.stringify({ expiration: future }),
      JSON.stringify({ expiration: future, conditions: [123] }),
      JSON.stringify({ expiration: future, conditions: [['content-length-range', 20, 10]] }),
      JSON.stringify({ expiration: future, conditions: [['content-length-range', 1, 'test']] }),
      JSON.stringify({ expiration: future, conditions: [['matches', '$key', 'x']] }),
      JSON.stringify({ expiration: future, conditions: [{ bucket: 123 }] }),
    ]) {
      const res = await postForm(ossd, B, [{ name: 'key', value: 'bad-policy' }, ...sign(text), fileField('x')]);
      assert.equal(res.status, 400, `${text}: ${res.text}`);
      assert.equal(errorCode(res), 'InvalidPolicyDocument', text);
    }
    await absent('bad-policy');
  });
});

describe('PostObject signatures and anonymous uploads', { timeout: 300_000 }, () => {
  it('V4 (signPostObjectPolicyV4) uploads; a wrong V4 signature is 403', async () => {
    const policy = policyFor([['starts-with', '$key', 'v4/'], { bucket: B }]);
    const ok = await postForm(ossd, B, [{ name: 'key', value: 'v4/obj.txt' }, ...v4Fields(c, ossd.accessKeyId, policy), fileField('signed v4')]);
    assert.equal(ok.status, 204, ok.text);
    assert.equal((await stored('v4/obj.txt')).content.toString(), 'signed v4');
    const fields = v4Fields(c, ossd.accessKeyId, policy).map((f) => (f.name === 'x-oss-signature' ? { ...f, value: '0'.repeat(64) } : f));
    const bad = await postForm(ossd, B, [{ name: 'key', value: 'v4/bad.txt' }, ...fields, fileField('no')]);
    assert.equal(bad.status, 403);
    assert.equal(errorCode(bad), 'SignatureDoesNotMatch');
    await absent('v4/bad.txt');
  });

  it('a V1 signature by the wrong secret is 403 SignatureDoesNotMatch; an unknown key 403 InvalidAccessKeyId', async () => {
    const wrong = client(ossd, { mode: 'sld', bucket: B, accessKeySecret: 'not-the-secret' });
    const bad = await postForm(ossd, B, [{ name: 'key', value: 'bad-sig' }, ...v1Fields(wrong, OPEN), fileField('x')]);
    assert.equal(bad.status, 403);
    assert.equal(errorCode(bad), 'SignatureDoesNotMatch');
    const unknown = client(ossd, { mode: 'sld', bucket: B, accessKeyId: 'LTAInobody' });
    const nobody = await postForm(ossd, B, [{ name: 'key', value: 'bad-sig' }, ...v1Fields(unknown, OPEN), fileField('x')]);
    assert.equal(nobody.status, 403);
    assert.equal(errorCode(nobody), 'InvalidAccessKeyId');
    await absent('bad-sig');
  });

  it('anonymous forms: refused on a private bucket, accepted on a public-read-write one', async () => {
    const priv = await postForm(ossd, B, [{ name: 'key', value: 'anon.txt' }, fileField('anon')]);
    assert.equal(priv.status, 403);
    assert.equal(errorCode(priv), 'AccessDenied');
    await absent('anon.txt');
    const open = 'post-object-open';
    await c.putBucket(open, { acl: 'public-read-write' });
    const ok = await postForm(ossd, open, [{ name: 'key', value: 'anon.txt' }, fileField('anon')]);
    assert.equal(ok.status, 204, ok.text);
    const oc = client(ossd, { mode: 'sld', bucket: open });
    assert.equal(((await oc.get('anon.txt')).content as Buffer).toString(), 'anon');
    // A policy without a signature is not anonymous.
    const half = await postForm(ossd, open, [{ name: 'key', value: 'half.txt' }, { name: 'policy', value: Buffer.from(JSON.stringify(OPEN)).toString('base64') }, fileField('x')]);
    assert.equal(half.status, 400);
  });

  it('malformed forms: 400 MalformedPOSTRequest; no file field or no key: 400 InvalidArgument; no bucket: 404', async () => {
    const notForm = await postForm(ossd, B, [], { headers: { 'content-type': 'text/plain' } });
    assert.equal(notForm.status, 400);
    assert.equal(errorCode(notForm), 'MalformedPOSTRequest');
    const noFile = await postForm(ossd, B, [{ name: 'key', value: 'nofile' }, ...v1Fields(c, OPEN)]);
    assert.equal(noFile.status, 400);
    assert.equal(errorCode(noFile), 'InvalidArgument');
    const noKey = await postForm(ossd, B, [...v1Fields(c, OPEN), fileField('x')]);
    assert.equal(noKey.status, 400);
    assert.equal(errorCode(noKey), 'InvalidArgument');
    const missing = await postForm(ossd, 'no-such-bucket-here', [{ name: 'key', value: 'k' }, ...v1Fields(c, OPEN), fileField('x')]);
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'NoSuchBucket');
  });
});
