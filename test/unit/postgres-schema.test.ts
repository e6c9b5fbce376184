/**
 * The PostgreSQL metadata schema and its migrations (issue 19), applied through psql
 * (test/helpers/postgres-migrate.ts) to a throw-away cluster:
 * - three nodes migrating at once all succeed, and each step runs once (the advisory
 *   lock); fails when the lock is taken out of the script (a racing CREATE then fails
 *   with "already exists" or a duplicate ledger row: checked);
 * - keys sort bytewise even in a database whose default collation is not (ICU en-US,
 *   where 'a' < 'B'); fails without COLLATE "C" on objects.key (checked);
 * - revisions drawn by different sessions never repeat and come in blocks of 1,024.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrations } from '../../src/drivers/postgres/migrations.js';
import { migrate } from '../helpers/postgres-migrate.js';
import { type Postgres, postgresSkip, psql, startPostgres } from '../helpers/postgres.js';

let pg: Postgres;
/** A database whose default collation is linguistic: only COLLATE "C" keeps keys bytewise there. */
let icuUrl: string;

before(async () => {
  if (postgresSkip()) return;
  pg = await startPostgres();
  await psql(pg.url, "CREATE DATABASE ossd_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'");
  icuUrl = pg.url.replace(/\/ossd$/, '/ossd_icu');
});
after(() => pg?.stop());

describe('PostgreSQL schema', { timeout: 180_000, skip: postgresSkip() }, () => {
  test('three nodes migrating at once: all succeed, each step runs once', async () => {
    await Promise.all([migrate(icuUrl), migrate(icuUrl), migrate(icuUrl)]);
    const steps = migrations().map((m) => `${m.version}|${m.name}\n`).join('');
    assert.ok(steps.startsWith('1|001-initial\n2|002-metadata-core\n'), steps);
    assert.equal(await psql(icuUrl, 'SELECT version, name FROM ossd_schema_migrations ORDER BY version'), steps);
    await migrate(icuUrl); // again: nothing to do
    assert.equal((await psql(icuUrl, 'SELECT count(*) FROM ossd_schema_migrations')).trim(), String(migrations().length));
    const tables = (await psql(icuUrl, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).trim().split('\n');
    for (const t of ['access_keys', 'append_journal', 'append_keys', 'bucket_usage', 'buckets', 'inline_blobs', 'leases', 'object_segments', 'object_versions', 'objects', 'temporary_credentials', 'unsettled_blobs', 'upload_parts', 'uploads', 'version_segments']) {
      assert.ok(tables.includes(t), `table ${t} exists`);
    }
  });

  test('keys list bytewise (UTF-8 byte order), whatever the database collation', async () => {
    assert.equal((await psql(icuUrl, "SELECT 'a' < 'B'")).trim(), 't', 'the database collation is linguistic');
    const keys = ['a', 'B', 'ab', 'a-b', 'a/b', 'é', 'z', '~', 'Z', '日本', '\u{1F600}', 'A'];
    const values = keys.map((k) => `('b', '${k}', 'Normal', 0, 'E', '0', 0, 'x', '{}', '{}', 'default', '[]', 'Standard', 1)`).join(',');
    await psql(icuUrl, `INSERT INTO objects (bucket, key, type, size, etag, crc, mtime_ms, content_type, headers, meta, acl, tags, storage_class, revision) VALUES ${values}`);
    const listed = (await psql(icuUrl, "SELECT key FROM objects WHERE bucket = 'b' ORDER BY key")).trimEnd().split('\n');
    const bytewise = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(listed, bytewise);
    // A listing page after a marker, as listObjects asks for it.
    const after = (await psql(icuUrl, "SELECT key FROM objects WHERE bucket = 'b' AND key > 'Z' ORDER BY key LIMIT 3")).trimEnd().split('\n');
    assert.deepEqual(after, bytewise.slice(bytewise.indexOf('Z') + 1, bytewise.indexOf('Z') + 4));
  });

  test('revision blocks from different sessions never overlap', async () => {
    const draws = await Promise.all(Array.from({ length: 6 }, () => psql(icuUrl, "SELECT nextval('object_revision')")));
    const starts = draws.map((d) => Number(d.trim()));
    assert.equal(new Set(starts).size, starts.length);
    for (const s of starts) assert.equal(s % 1024, 0, `${s} starts a block of 1,024`);
  });
});
