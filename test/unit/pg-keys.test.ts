/**
 * Access keys and temporary credentials on PostgreSQL (src/drivers/postgres/key-store.ts)
 * and the shared master key (src/keys/master-key.ts sharedMasterKey), with two stores on
 * two pools standing for two nodes.
 *
 * - The KeyStore cases every store passes (test/helpers/key-store-cases.ts).
 * - A key made on node A verifies on node B at once, through Keyring.verify (the verifier
 *   is synchronous; the key is read from the database first); disabled on B, it is refused
 *   on A at the next request. Fails when Keyring.verify answers a key it has not read yet
 *   with "unknown" instead of reading it (checked: the created key became InvalidAccessKeyId).
 * - A node with another master key cannot open the secrets (no silent wrong secret).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { masterKeyRefusal } from '../../src/config-cluster.js';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import { PgKeyStore } from '../../src/drivers/postgres/key-store.js';
import { Keyring } from '../../src/keys/keyring.js';
import { sharedMasterKey } from '../../src/keys/master-key.js';
import type { KeyLookup } from '../../src/protocol/auth/types.js';
import { keyStoreCases } from '../helpers/key-store-cases.js';
import { type Postgres, postgresSkip, startPostgres } from '../helpers/postgres.js';

let pg: Postgres | undefined;
let dbA: PgDatabase;
let dbB: PgDatabase;
const master = Buffer.alloc(32, 7);
const root = { accessKeyId: 'ROOTID', accessKeySecret: 'root-secret-0123456789' };

before(async () => {
  if (postgresSkip()) return;
  pg = await startPostgres();
  dbA = new PgDatabase(pg.url, 4);
  dbB = new PgDatabase(pg.url, 4);
  await Promise.all([dbA.migrate(), dbB.migrate()]);
});

after(async () => {
  await dbA?.close();
  await dbB?.close();
  await pg?.stop();
});

/** A stand-in for verifyRequest: looks up the key named, and checks the secret as a signature would. */
function verifyWith(id: string, secret: string): (lookup: KeyLookup) => string {
  return (lookup) => {
    const key = lookup(id);
    if (!key) throw Object.assign(new Error('unknown key'), { code: 'InvalidAccessKeyId' });
    if (key.secret !== secret) throw Object.assign(new Error('bad signature'), { code: 'SignatureDoesNotMatch' });
    return id;
  };
}

describe('PostgreSQL key store', { timeout: 120_000, skip: postgresSkip() }, () => {
  keyStoreCases(async () => new PgKeyStore(dbA, master));

  it('a key made on node A holds on node B at its next request; disabled on B, A refuses it', async () => {
    const a = new Keyring(root, new PgKeyStore(dbA, master));
    const b = new Keyring(root, new PgKeyStore(dbB, master));
    const key = await a.store.createKey({ readOnly: false, buckets: ['logs'] });
    assert.equal(await b.verify(verifyWith(key.id, key.secret)), key.id);
    assert.deepEqual(await b.principal(key.id), { anonymous: false, accessKeyId: key.id, scope: { readOnly: false, buckets: ['logs'] } });
    await assert.rejects(async () => b.verify(verifyWith(key.id, 'wrong')), { code: 'SignatureDoesNotMatch' });
    const sts = await a.store.issueTemporary({ durationS: 60, readOnly: true, parent: key.id });
    const found = await b.verify((lookup) => lookup(sts.AccessKeyId));
    assert.equal(found?.secret, sts.AccessKeySecret);
    assert.ok(found?.securityTokenSha256);
    assert.equal(await b.store.setEnabled(key.id, false), true);
    await assert.rejects(async () => a.verify(verifyWith(key.id, key.secret)), { code: 'InvalidAccessKeyId' });
    await assert.rejects(async () => a.principal(key.id), { code: 'InvalidAccessKeyId' });
    assert.equal(await a.verify((lookup) => lookup(sts.AccessKeyId)), undefined, 'its temporary credentials with it');
    // The root key is never looked for in the store.
    assert.equal(await a.verify(verifyWith(root.accessKeyId, root.accessKeySecret)), root.accessKeyId);
  });

  it('another master key cannot open the secrets', async () => {
    const key = await new PgKeyStore(dbA, master).createKey({ readOnly: false });
    await assert.rejects(new PgKeyStore(dbB, Buffer.alloc(32, 9)).find(key.id));
  });

  it('the shared master key: hex or base64, from the environment or a file; anything else refused', () => {
    const hex = master.toString('hex');
    assert.deepEqual(sharedMasterKey(hex, undefined), master);
    assert.deepEqual(sharedMasterKey(master.toString('base64'), undefined), master);
    assert.equal(sharedMasterKey(undefined, undefined), undefined);
    assert.throws(() => sharedMasterKey('abc', undefined), /32-byte key/);
    assert.throws(() => sharedMasterKey(hex.slice(2), undefined), /32-byte key/);
    // A postgres start without one is refused before anything opens (src/cli/main.ts).
    const pgMeta = { kind: 'postgres' as const, url: 'postgres://u@h/db' };
    assert.match(masterKeyRefusal(pgMeta, undefined, undefined) ?? '', /OSSD_MASTER_KEY/);
    assert.equal(masterKeyRefusal(pgMeta, hex, undefined), undefined);
    assert.equal(masterKeyRefusal(pgMeta, undefined, '/some/file'), undefined);
    assert.equal(masterKeyRefusal({ kind: 'sqlite' }, undefined, undefined), undefined);
    const dir = mkdtempSync(join(tmpdir(), 'ossd-mk-'));
    try {
      writeFileSync(join(dir, 'raw'), master);
      writeFileSync(join(dir, 'hex'), `${hex}\n`);
      writeFileSync(join(dir, 'short'), 'too short\n');
      assert.deepEqual(sharedMasterKey(undefined, join(dir, 'raw')), master);
      assert.deepEqual(sharedMasterKey(undefined, join(dir, 'hex')), master);
      assert.throws(() => sharedMasterKey(undefined, join(dir, 'short')), /32-byte key/);
      assert.deepEqual(sharedMasterKey(hex, join(dir, 'short')), master, 'the environment wins');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
