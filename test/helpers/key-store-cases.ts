/**
 * What every access key store must do (src/keys/key-store.ts KeyStore), run against the
 * SQLite store (test/unit/keys.test.ts) and the PostgreSQL one (test/unit/pg-keys.test.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { KeyStore } from '../../src/keys/key-store.js';

export function keyStoreCases(open: () => Promise<KeyStore>): void {
  it('finds enabled keys only, with their limits; temporary credentials under a parent go with it', async () => {
    const store = await open();
    try {
      const a = await store.createKey({ readOnly: true, buckets: ['bkt-a', 'bkt-a'] });
      assert.deepEqual(await store.find(a.id), { secret: a.secret, scope: { readOnly: true, buckets: ['bkt-a'] } });
      assert.equal(await store.setEnabled(a.id, false), true);
      assert.equal(await store.find(a.id), undefined);
      assert.equal(await store.scope(a.id), undefined);
      assert.equal(await store.setEnabled('LTAInone', true), false);
      await store.setEnabled(a.id, true);
      assert.deepEqual(await store.scope(a.id), { readOnly: true, buckets: ['bkt-a'] });
      const t = await store.issueTemporary({ durationS: 60, readOnly: false, parent: a.id });
      const found = await store.find(t.AccessKeyId);
      assert.equal(found?.secret, t.AccessKeySecret);
      assert.deepEqual(found?.scope, { readOnly: true, buckets: ['bkt-a'] }, 'the parent\'s limits');
      assert.notEqual(found?.securityTokenSha256, t.SecurityToken);
      assert.match(found?.securityTokenSha256 ?? '', /^[0-9a-f]{64}$/);
      await store.setEnabled(a.id, false);
      assert.equal(await store.find(t.AccessKeyId), undefined, 'a disabled parent disables its temporary credentials');
      assert.equal(await store.scope(t.AccessKeyId), undefined);
      await store.setEnabled(a.id, true);
      const listed = await store.listKeys();
      assert.deepEqual(listed.filter((k) => k.id === a.id).map((k) => [k.enabled, k.scope]), [[true, { readOnly: true, buckets: ['bkt-a'] }]]);
      assert.equal(await store.deleteKey(a.id), true);
      assert.equal(await store.deleteKey(a.id), false);
      assert.equal(await store.find(t.AccessKeyId), undefined, 'temporary credentials go with their parent');
    } finally {
      await store.close();
    }
  });

  it('checks durations and narrowing', async () => {
    const store = await open();
    try {
      await assert.rejects(store.issueTemporary({ durationS: 0, readOnly: false }), /duration/);
      await assert.rejects(store.issueTemporary({ durationS: 43_201, readOnly: false }), /duration/);
      await assert.rejects(store.issueTemporary({ durationS: 60, readOnly: false, parent: 'LTAInone' }), /no enabled access key/);
      const k = await store.createKey({ readOnly: false, buckets: ['bkt-a'] });
      await assert.rejects(store.issueTemporary({ durationS: 60, readOnly: false, parent: k.id, buckets: ['bkt-b'] }), /may not access/);
      const root = await store.issueTemporary({ durationS: 60, readOnly: false });
      assert.deepEqual((await store.find(root.AccessKeyId))?.scope, { readOnly: false });
      assert.ok(Math.abs(((await store.find(root.AccessKeyId))?.expiresAt ?? 0) - Date.now() - 60_000) < 2000);
    } finally {
      await store.close();
    }
  });
}
