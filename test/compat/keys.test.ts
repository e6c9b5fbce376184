/**
 * More than one access key (issue "The rest of the OSS object API", access keys):
 * `ossd keys create|list|disable|enable|delete` on the data folder while the server runs,
 * keys used through ali-oss (path style on localhost and the IP endpoint, V1 and V4),
 * read-only and bucket-limited keys, and secrets never stored in plaintext.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { client } from '../helpers/clients.js';
import { cli, cliOk, createKey, type Creds, filesContaining, KEY_MODES, keyClient } from '../helpers/keys.js';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { rejectsWith } from '../helpers/sdk-fixtures.js';

const B = 'keys-main';
const OTHER = 'keys-other';
const denied = { code: 'AccessDenied', status: 403 };
const unknownKey = { code: 'InvalidAccessKeyId', status: 403 };

let ossd: Ossd;
const created: Creds[] = [];

async function newKey(flags: string[] = []): Promise<Creds> {
  const k = await createKey(ossd, flags);
  created.push(k);
  return k;
}

before(async () => {
  ossd = await startOssd();
  const root = client(ossd, { mode: 'sld' });
  await root.putBucket(B);
  await root.putBucket(OTHER);
  await client(ossd, { mode: 'sld', bucket: B }).put('seed.txt', Buffer.from('seed'));
  await client(ossd, { mode: 'sld', bucket: OTHER }).put('seed.txt', Buffer.from('other'));
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

for (const m of KEY_MODES) {
  describe(`a created key works at once: ${m.label}`, { timeout: 300_000 }, () => {
    it('puts, appends, reads, lists and deletes; disabled, enabled, deleted take effect at the next request', async () => {
      const key = await newKey();
      const c = keyClient(ossd, m, key, B);
      const name = `obj-${m.mode}-${m.v4 ? 'v4' : 'v1'}`;
      await c.put(name, Buffer.from('hello'));
      await c.append(`${name}.log`, Buffer.from('a'));
      assert.equal((await c.get(name)).content.toString(), 'hello');
      assert.ok((await c.list({ prefix: name })).objects.some((o: { name: string }) => o.name === name));
      assert.equal((await c.listBuckets()).buckets.length >= 2, true, 'an unlimited key lists buckets');

      await cliOk(ossd, ['keys', 'disable', key.id]);
      await rejectsWith(c.get(name), unknownKey);
      await rejectsWith(c.put(name, Buffer.from('x')), unknownKey);
      await cliOk(ossd, ['keys', 'enable', key.id]);
      assert.equal((await c.get(name)).content.toString(), 'hello');
      await c.delete(name);

      await cliOk(ossd, ['keys', 'delete', key.id]);
      await rejectsWith(c.get(`${name}.log`), unknownKey);
      await rejectsWith(c.head(`${name}.log`), unknownKey);
    });
  });
}

describe('read-only keys', { timeout: 300_000 }, () => {
  for (const m of KEY_MODES) {
    it(`reads and lists but never writes: ${m.label}`, async () => {
      const c = keyClient(ossd, m, await newKey(['--read-only']), B);
      assert.equal((await c.get('seed.txt')).content.toString(), 'seed');
      assert.equal((await c.head('seed.txt')).status, 200);
      assert.ok((await c.list()).objects.length > 0);
      assert.ok((await c.listV2({})).objects.length > 0);
      assert.equal((await c.getBucketInfo(B)).bucket.Name, B, 'owner-level reads are allowed');
      await rejectsWith(c.put('ro.txt', Buffer.from('x')), denied);
      await rejectsWith(c.append('ro.log', Buffer.from('x')), denied);
      await rejectsWith(c.delete('seed.txt'), denied);
      await rejectsWith(c.deleteMulti(['seed.txt']), denied);
      await rejectsWith(c.copy('copy.txt', 'seed.txt'), denied);
      await rejectsWith(c.initMultipartUpload('mp.bin'), denied);
      await rejectsWith(c.putBucketACL(B, 'public-read'), denied);
      await rejectsWith(c.putBucket('keys-ro-new'), denied);
      assert.equal((await c.get('seed.txt')).content.toString(), 'seed', 'nothing was changed');
    });
  }
});

describe('keys limited to named buckets', { timeout: 300_000 }, () => {
  for (const m of KEY_MODES) {
    it(`work on their buckets only: ${m.label}`, async () => {
      const key = await newKey(['--bucket', B]);
      const c = keyClient(ossd, m, key, B);
      const name = `scoped-${m.mode}-${m.v4 ? 'v4' : 'v1'}.txt`;
      await c.put(name, Buffer.from('mine'));
      assert.equal((await c.get(name)).content.toString(), 'mine');
      await c.copy(`${name}.copy`, name);
      assert.equal((await c.getBucketInfo(B)).bucket.Name, B);
      const other = keyClient(ossd, m, key, OTHER);
      await rejectsWith(other.get('seed.txt'), denied);
      await rejectsWith(other.put('x.txt', Buffer.from('x')), denied);
      await rejectsWith(other.list(), denied);
      await rejectsWith(c.copy('stolen.txt', `/${OTHER}/seed.txt`), denied);
      await rejectsWith(c.listBuckets(), denied);
      await rejectsWith(c.putBucket('keys-scoped-new'), denied);
      await rejectsWith(c.deleteBucket(B), denied);
      await c.delete(name);
      await c.delete(`${name}.copy`);
    });
  }

  it('read-only and limited to two buckets', async () => {
    const key = await newKey(['--bucket', B, '--bucket', OTHER, '--read-only']);
    for (const bucket of [B, OTHER]) {
      const c = keyClient(ossd, { mode: 'sld', v4: true }, key, bucket);
      assert.ok((await c.get('seed.txt')).content.length > 0);
      await rejectsWith(c.put('x.txt', Buffer.from('x')), denied);
    }
  });
});

describe('the CLI', { timeout: 300_000 }, () => {
  it('lists id, status, scope and creation date, never a secret', async () => {
    const a = await newKey(['--bucket', B, '--read-only']);
    const b = await newKey();
    await cliOk(ossd, ['keys', 'disable', b.id]);
    for (const args of [['keys', 'list'], ['keys', 'list', '--json']]) {
      const r = await cli(ossd, args);
      assert.equal(r.code, 0, r.stderr);
      for (const k of created) assert.ok(!r.stdout.includes(k.secret), `${args.join(' ')} shows a secret`);
      assert.ok(!r.stdout.includes(ossd.accessKeySecret), 'nor the root secret');
    }
    const text = (await cli(ossd, ['keys', 'list'])).stdout;
    const lineOf = (id: string): string => text.split('\n').find((l) => l.startsWith(id)) ?? '';
    assert.match(lineOf(a.id), new RegExp(`enabled\\s+read-only, buckets ${B}\\s+\\d{4}-\\d\\d-\\d\\dT`));
    assert.match(lineOf(b.id), /disabled\s+read-write, all buckets/);
    assert.match(lineOf(ossd.accessKeyId), /enabled\s+root/);
    const json = JSON.parse((await cli(ossd, ['keys', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(json.find((k) => k.AccessKeyId === a.id)?.Buckets, [B]);
    assert.equal(json.find((k) => k.AccessKeyId === b.id)?.Status, 'Disabled');
  });

  it('refuses to delete or disable the root key, and unknown ids', async () => {
    for (const sub of ['delete', 'disable']) {
      const r = await cli(ossd, ['keys', sub, ossd.accessKeyId]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /root key/);
    }
    assert.equal((await cli(ossd, ['keys', 'delete', 'LTAInoSuchKey000000000000'])).code, 1);
    assert.equal((await cli(ossd, ['keys', 'create', '--bucket', 'Bad_Name'])).code, 2);
    assert.equal((await cli(ossd, ['keys', 'frobnicate'])).code, 2);
    const root = client(ossd, { mode: 'sld', bucket: B });
    assert.equal((await root.get('seed.txt')).content.toString(), 'seed', 'the root key still works');
  });

  it('prints the secret once, and the data folder never holds it in plaintext', async () => {
    const r = await cli(ossd, ['keys', 'create', '--bucket', B]);
    assert.equal(r.code, 0, r.stderr);
    const id = /access key id:\s+(\S+)/.exec(r.stdout)?.[1];
    const secret = /access key secret:\s+(\S+)/.exec(r.stdout)?.[1];
    assert.ok(id !== undefined && secret !== undefined);
    created.push({ id, secret });
    await keyClient(ossd, { mode: 'sld', v4: false }, { id, secret }, B).put('plain.txt', Buffer.from('x'));
    for (const k of created) {
      assert.deepEqual(filesContaining(ossd.dataDir, k.secret), [], `secret of ${k.id} found in the data folder`);
    }
    assert.ok(filesContaining(ossd.dataDir, id).length > 0, 'sanity: the id itself is stored');
    assert.equal(statSync(join(ossd.dataDir, 'master.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(ossd.dataDir, 'master.key')).size, 32);
    assert.ok(!ossd.output().includes(secret), 'the server never printed it');
  });
});
