/**
 * Temporary credentials in the STS shape (issue "The rest of the OSS object API"): issued
 * by `ossd sts issue` and by the root-only admin endpoint `POST /-/admin/sts`, used by
 * ali-oss with `stsToken` (V1 and V4 headers, V1 and V4 presigned URLs), refused when the
 * token is wrong, belongs to other credentials, is missing or has expired, or when the
 * parent key is disabled; limits enforced; and no secret ever printed by the server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { cli, cliOk, createKey, type Creds, issueSts, KEY_MODES, keyClient, type StsJson, stsCreds } from '../helpers/keys.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { errorCode, raw, type RawResponse } from '../helpers/raw-http.js';
import { rawV4 } from '../helpers/raw-v4.js';
import { rejectsWith, sleep } from '../helpers/sdk-fixtures.js';

const B = 'sts-main';
const OTHER = 'sts-other';
const denied = { code: 'AccessDenied', status: 403 };
const badToken = { code: 'InvalidSecurityToken', status: 403 };

let ossd: Ossd;
/** Every secret and token handed out, checked against the server's output at the end. */
const handedOut: string[] = [];

function remember(j: StsJson): StsJson {
  handedOut.push(j.AccessKeySecret, j.SecurityToken);
  return j;
}

async function issue(flags: string[] = []): Promise<Creds> {
  return stsCreds(remember(await issueSts(ossd, flags)));
}

/** A raw request signed (V1 or V4) by other credentials than the root's. */
function as(c: Creds): Ossd {
  return { ...ossd, accessKeyId: c.id, accessKeySecret: c.secret };
}

function adminJson(r: RawResponse): StsJson {
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return remember(JSON.parse(r.text) as StsJson);
}

/** GET a presigned URL; localhost may resolve to ::1, the server listens on 127.0.0.1. */
function fetchPresigned(url: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, headers: { host: u.host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

before(async () => {
  ossd = await startOssd({ env: { OSSD_LOG_REQUESTS: '1' } });
  await client(ossd, { mode: 'sld' }).putBucket(B);
  await client(ossd, { mode: 'sld' }).putBucket(OTHER);
  await client(ossd, { mode: 'sld', bucket: B }).put('seed.txt', Buffer.from('seed'));
  await client(ossd, { mode: 'sld', bucket: OTHER }).put('seed.txt', Buffer.from('other'));
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

describe('temporary credentials from the CLI', { timeout: 300_000 }, () => {
  for (const m of KEY_MODES) {
    it(`work through ali-oss with stsToken: ${m.label}`, async () => {
      const j = remember(await issueSts(ossd, ['--duration', '600']));
      assert.match(j.AccessKeyId, /^STS\./);
      const expires = Date.parse(j.Expiration);
      assert.ok(Math.abs(expires - (Date.now() + 600_000)) < 10_000, `Expiration ${j.Expiration}`);
      assert.match(j.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const c = keyClient(ossd, m, stsCreds(j), B);
      const name = `sts-${m.mode}-${m.v4 ? 'v4' : 'v1'}.txt`;
      await c.put(name, Buffer.from('temporary'));
      await c.append(`${name}.log`, Buffer.from('a'));
      assert.equal((await c.get(name)).content.toString(), 'temporary');
      assert.equal((await c.head(name)).status, 200);
      await c.delete(name);
    });
  }

  it('presigned URLs carry the token (V1 security-token, V4 x-oss-security-token) on an sld hostname endpoint', async () => {
    const creds = await issue();
    const c = keyClient(ossd, { mode: 'sld', v4: false }, creds, B);
    const v1 = c.signatureUrl('seed.txt', { expires: 300 }) as string;
    assert.match(v1, /^http:\/\/localhost:\d+\/sts-main\/seed\.txt\?.*security-token=/);
    assert.deepEqual(await fetchPresigned(v1), { status: 200, body: 'seed' });
    const v4 = (await keyClient(ossd, { mode: 'sld', v4: true }, creds, B).signatureUrlV4('GET', 300, undefined, 'seed.txt')) as string;
    assert.match(v4, /x-oss-security-token=/);
    assert.deepEqual(await fetchPresigned(v4), { status: 200, body: 'seed' });
    const tampered = await fetchPresigned(v1.replace(/security-token=[^&]+/, 'security-token=CAISwrong'));
    assert.equal(tampered.status, 403);
    assert.match(tampered.body, /<Code>(InvalidSecurityToken|SignatureDoesNotMatch)<\/Code>/);
  });
});

describe('refusals', { timeout: 300_000 }, () => {
  for (const m of KEY_MODES) {
    it(`wrong, foreign and missing tokens: ${m.label}`, async () => {
      const a = await issue();
      const b = await issue();
      await rejectsWith(keyClient(ossd, m, { ...a, token: 'CAISnotTheToken' }, B).get('seed.txt'), badToken);
      await rejectsWith(keyClient(ossd, m, { ...a, token: b.token }, B).get('seed.txt'), badToken);
      await rejectsWith(keyClient(ossd, m, { id: a.id, secret: a.secret }, B).get('seed.txt'), badToken);
      await rejectsWith(keyClient(ossd, m, { ...a, secret: b.secret }, B).get('seed.txt'), { code: 'SignatureDoesNotMatch', status: 403 });
    });
  }

  it('expired credentials: InvalidSecurityToken "has expired"', async () => {
    const creds = await issue(['--duration', '1']);
    const c = keyClient(ossd, { mode: 'sld', v4: true }, creds, B);
    await sleep(2100);
    await rejectsWith(c.get('seed.txt'), { ...badToken, message: /The security token you provided has expired/ });
    await rejectsWith(keyClient(ossd, { mode: 'ip', v4: false }, creds, B).put('x.txt', Buffer.from('x')), badToken);
  });

  it('credentials issued under a key die with it: disabled or deleted parent → InvalidAccessKeyId', async () => {
    const parent = await createKey(ossd);
    handedOut.push(parent.secret);
    const creds = await issue(['--key', parent.id]);
    const c = keyClient(ossd, { mode: 'sld', v4: false }, creds, B);
    assert.equal((await c.get('seed.txt')).content.toString(), 'seed');
    await cliOk(ossd, ['keys', 'disable', parent.id]);
    await rejectsWith(c.get('seed.txt'), { code: 'InvalidAccessKeyId', status: 403 });
    await cliOk(ossd, ['keys', 'enable', parent.id]);
    assert.equal((await c.get('seed.txt')).content.toString(), 'seed');
    await cliOk(ossd, ['keys', 'delete', parent.id]);
    await rejectsWith(c.get('seed.txt'), { code: 'InvalidAccessKeyId', status: 403 });
  });
});

describe('limits', { timeout: 300_000 }, () => {
  it('read-only credentials limited to a bucket', async () => {
    const creds = await issue(['--bucket', B, '--read-only']);
    for (const m of KEY_MODES) {
      const c = keyClient(ossd, m, creds, B);
      assert.equal((await c.get('seed.txt')).content.toString(), 'seed');
      assert.ok((await c.list()).objects.length > 0);
      await rejectsWith(c.put('x.txt', Buffer.from('x')), denied);
      await rejectsWith(c.delete('seed.txt'), denied);
      await rejectsWith(keyClient(ossd, m, creds, OTHER).get('seed.txt'), denied);
      await rejectsWith(c.listBuckets(), denied);
    }
  });

  it('under a limited key they stay within its limits, and cannot widen them', async () => {
    const parent = await createKey(ossd, ['--bucket', B, '--read-only']);
    handedOut.push(parent.secret);
    const creds = await issue(['--key', parent.id]);
    const c = keyClient(ossd, { mode: 'sld', v4: true }, creds, B);
    assert.equal((await c.get('seed.txt')).content.toString(), 'seed');
    await rejectsWith(c.put('x.txt', Buffer.from('x')), denied);
    await rejectsWith(keyClient(ossd, { mode: 'sld', v4: true }, creds, OTHER).get('seed.txt'), denied);
    const wider = await cli(ossd, ['sts', 'issue', '--key', parent.id, '--bucket', OTHER]);
    assert.equal(wider.code, 1);
    assert.match(wider.stderr, /may not access bucket/);
  });
});

describe('the admin endpoint', { timeout: 300_000 }, () => {
  it('issues credentials to the root key (V1 and V4), with duration and limits', async () => {
    const v1 = adminJson(await raw(ossd, { method: 'POST', path: '/-/admin/sts?duration=900' }));
    assert.ok(Math.abs(Date.parse(v1.Expiration) - (Date.now() + 900_000)) < 10_000);
    assert.deepEqual(Object.keys(v1).sort(), ['AccessKeyId', 'AccessKeySecret', 'Expiration', 'SecurityToken']);
    const c = keyClient(ossd, { mode: 'ip', v4: true }, stsCreds(v1), B);
    await c.put('admin-v1.txt', Buffer.from('ok'));
    const v4 = adminJson(await rawV4(ossd, { method: 'POST', path: `/-/admin/sts?bucket=${OTHER}&read-only` }));
    const limited = keyClient(ossd, { mode: 'sld', v4: false }, stsCreds(v4), OTHER);
    assert.equal((await limited.get('seed.txt')).content.toString(), 'other');
    await rejectsWith(limited.put('x.txt', Buffer.from('x')), denied);
    await rejectsWith(keyClient(ossd, { mode: 'sld', v4: false }, stsCreds(v4), B).get('seed.txt'), denied);
    assert.ok(Math.abs(Date.parse(v4.Expiration) - (Date.now() + 3600_000)) < 10_000, 'default duration 3600 s');
  });

  it('refuses anonymous callers, other keys and temporary credentials with 403 AccessDenied', async () => {
    const anonymous = await raw(ossd, { method: 'POST', path: '/-/admin/sts', sign: 'none' });
    assert.equal(anonymous.status, 403);
    assert.equal(errorCode(anonymous), 'AccessDenied');
    const key = await createKey(ossd);
    handedOut.push(key.secret);
    for (const r of [await raw(as(key), { method: 'POST', path: '/-/admin/sts' }), await rawV4(as(key), { method: 'POST', path: '/-/admin/sts' })]) {
      assert.equal(r.status, 403, r.text);
      assert.equal(errorCode(r), 'AccessDenied');
    }
    const temp = await issue();
    const r = await raw(as(temp), { method: 'POST', path: '/-/admin/sts', headers: { 'x-oss-security-token': temp.token! } });
    assert.equal(errorCode(r), 'AccessDenied');
    const forged = await raw(ossd, { method: 'POST', path: '/-/admin/sts', headers: { authorization: `OSS ${ossd.accessKeyId}:AAAA` }, sign: 'none' });
    assert.equal(errorCode(forged), 'SignatureDoesNotMatch');
  });

  it('checks its arguments and method', async () => {
    for (const q of ['duration=0', 'duration=43201', 'duration=abc', 'bucket=Bad_Name']) {
      const r = await raw(ossd, { method: 'POST', path: `/-/admin/sts?${q}` });
      assert.equal(r.status, 400, q);
      assert.equal(errorCode(r), q.startsWith('bucket') ? 'InvalidBucketName' : 'InvalidArgument', q);
    }
    assert.equal((await raw(ossd, { method: 'GET', path: '/-/admin/sts' })).status, 405);
    assert.equal(errorCode(await raw(ossd, { method: 'POST', path: '/-/admin/nothing' })), 'InvalidRequest');
  });
});

it('the server prints no secret: the root one only in its banner, handed-out ones nowhere', { timeout: 300_000 }, async () => {
  await sleep(100);
  const out = ossd.output();
  assert.match(out, /"operation":"AdminIssueTemporaryCredentials"/, 'requests were logged');
  const bannerStart = out.indexOf('ossd is ready');
  const bannerEnd = out.indexOf('nextAppendPosition });', bannerStart);
  assert.ok(bannerStart >= 0 && bannerEnd > bannerStart);
  const rest = out.slice(0, bannerStart) + out.slice(bannerEnd);
  assert.ok(!rest.includes(ossd.accessKeySecret), 'root secret outside the banner');
  assert.ok(handedOut.length > 20);
  for (const s of handedOut) assert.ok(!out.includes(s), 'a handed-out secret or token was printed');
});
