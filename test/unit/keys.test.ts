/** The key store, its encryption at rest, and what limited keys may do (src/keys, key-scope.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteKeyStore } from '../../src/keys/key-store.js';
import { decryptSecret, encryptSecret, loadMasterKey } from '../../src/keys/master-key.js';
import { checkKeyScope } from '../../src/protocol/key-scope.js';
import type { Access } from '../../src/protocol/operations.js';
import { keyStoreCases } from '../helpers/key-store-cases.js';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'ossd-keys-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('master key and sealing', { timeout: 30_000 }, () => {
  it('creates a private 32-byte key once and reuses it', () => {
    const d = scratch();
    const k = loadMasterKey(d);
    assert.equal(k.length, 32);
    assert.equal(statSync(join(d, 'master.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadMasterKey(d), k);
  });

  it('round-trips, and refuses a ciphertext moved to another key id or altered', () => {
    const k = loadMasterKey(scratch());
    const sealed = encryptSecret(k, 'LTAIa', 'the-secret');
    assert.ok(!sealed.includes(Buffer.from('the-secret')));
    assert.equal(decryptSecret(k, 'LTAIa', sealed), 'the-secret');
    assert.throws(() => decryptSecret(k, 'LTAIb', sealed));
    const altered = Buffer.from(sealed);
    altered[altered.length - 1]! ^= 1;
    assert.throws(() => decryptSecret(k, 'LTAIa', altered));
  });
});

describe('SqliteKeyStore', { timeout: 30_000 }, () => {
  keyStoreCases(async () => new SqliteKeyStore(scratch()));

  it('keeps secrets and tokens out of meta.db and its WAL', async () => {
    const d = scratch();
    const store = new SqliteKeyStore(d);
    const a = await store.createKey({ readOnly: true });
    const t = await store.issueTemporary({ durationS: 60, readOnly: false, parent: a.id });
    // While open the rows sit in the WAL; on close they are checkpointed into meta.db.
    const noSecrets = (): void => {
      for (const f of readdirSync(d).filter((n) => n.startsWith('meta.db'))) {
        const bytes = readFileSync(join(d, f));
        for (const s of [a.secret, t.AccessKeySecret, t.SecurityToken]) assert.ok(!bytes.includes(Buffer.from(s)), `${f} holds a secret`);
      }
    };
    noSecrets();
    await store.close();
    noSecrets();
    const again = new SqliteKeyStore(d);
    assert.equal((await again.find(t.AccessKeyId))?.secret, t.AccessKeySecret, 'readable again after a reopen');
    await again.close();
  });
});

describe('checkKeyScope', { timeout: 30_000 }, () => {
  const get = { name: 'GetObject', method: 'GET' };
  const allowed = (scope: Parameters<typeof checkKeyScope>[0], bucket: string | undefined, access: Access, op?: { name: string; method: string }): boolean => {
    try {
      checkKeyScope(scope, { bucket, key: bucket === undefined ? undefined : 'k' }, access, op);
      return true;
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'AccessDenied');
      return false;
    }
  };

  it('read-only: reads, listings and owner-level GET/HEAD only', () => {
    const ro = { readOnly: true };
    assert.equal(allowed(ro, 'b', 'read', get), true);
    assert.equal(allowed(ro, 'b', 'list', { name: 'ListObjects', method: 'GET' }), true);
    assert.equal(allowed(ro, undefined, 'owner', { name: 'ListBuckets', method: 'GET' }), true);
    assert.equal(allowed(ro, 'b', 'owner', { name: 'GetBucketInfo', method: 'GET' }), true);
    assert.equal(allowed(ro, 'b', 'write', { name: 'ListParts', method: 'GET' }), false);
    assert.equal(allowed(ro, 'b', 'write', { name: 'PutObject', method: 'PUT' }), false);
    assert.equal(allowed(ro, 'b', 'owner', { name: 'PutBucketAcl', method: 'PUT' }), false);
    assert.equal(allowed(ro, 'b', 'owner'), false, 'owner access without an operation is not assumed to be a read');
  });

  it('named buckets: inside them only, no ListBuckets, no bucket creation or deletion', () => {
    const s = { readOnly: false, buckets: ['b'] };
    assert.equal(allowed(s, 'b', 'write', { name: 'PutObject', method: 'PUT' }), true);
    assert.equal(allowed(s, 'b', 'owner', { name: 'PutBucketAcl', method: 'PUT' }), true);
    assert.equal(allowed(s, 'c', 'read', get), false);
    assert.equal(allowed(s, 'c', 'read'), false, 'a copy source in another bucket');
    assert.equal(allowed(s, undefined, 'owner', { name: 'ListBuckets', method: 'GET' }), false);
    assert.equal(allowed(s, 'b', 'owner', { name: 'PutBucket', method: 'PUT' }), false);
    assert.equal(allowed(s, 'b', 'owner', { name: 'DeleteBucket', method: 'DELETE' }), false);
    assert.equal(allowed(undefined, undefined, 'owner', { name: 'PutBucket', method: 'PUT' }), true, 'no scope: full access');
  });
});
