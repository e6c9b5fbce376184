/**
 * A server asked for a PostgreSQL or S3 store it cannot use refuses to start with one line
 * and exit status 2 (never a stack trace, never the password), instead of serving from the
 * local stores (a "cluster" node writing to its own disk would lose every write the other
 * nodes cannot see). `sweep` and the maintenance commands work on a data folder only and
 * refuse the cluster's stores.
 *
 * Fails when openMetadata's errors lose their OSSD_BACKEND_UNAVAILABLE code (a stack trace,
 * exit 1: checked).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runOssd } from '../helpers/ossd-exit.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ossd-cluster-config-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const DATA_FOLDER_ONLY = /works on a data folder's embedded stores/;

describe('cluster stores that cannot be used', { timeout: 60_000 }, () => {
  test('--metadata postgres:// without the shared master key, or with a PostgreSQL that cannot be reached: one line, exit 2, no password shown', async () => {
    const noKey = await runOssd(['serve', '--data-dir', dataDir, '--address', '127.0.0.1:0', '--metadata', 'postgres://ossd:hunter2@127.0.0.1:1/ossd'], {}, 10_000);
    assert.equal(noKey.timedOut, false, noKey.stdout);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /OSSD_MASTER_KEY/);
    const unreachable = await runOssd(
      ['serve', '--data-dir', dataDir, '--address', '127.0.0.1:0', '--metadata', 'postgres://ossd:hunter2@127.0.0.1:1/ossd'],
      { OSSD_MASTER_KEY: 'a'.repeat(64) },
      10_000,
    );
    assert.equal(unreachable.timedOut, false, unreachable.stdout);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /metadata: PostgreSQL at postgres:\/\/ossd:\*\*\*@127\.0\.0\.1:1\/ossd: .*ECONNREFUSED/);
    for (const exit of [noKey, unreachable]) {
      // Beside the JSON log line of the start: one line, no stack.
      assert.equal(exit.stderr.trim().split('\n').filter((l) => !l.startsWith('{')).length, 1, exit.stderr);
      assert.equal(exit.stderr.includes('hunter2'), false);
    }
  });

  test('OSSD_BLOBS=s3://… with an S3 server that cannot be reached: one line naming the bucket, exit 2 (as any start-up refusal)', async () => {
    // (S3 blobs are built: the server starts with them, test/compat/s3-blobs.test.ts; here the bucket is checked at start.)
    const dir = mkdtempSync(join(tmpdir(), 'ossd-cluster-config-s3-'));
    try {
      const exit = await runOssd(['--data-dir', dir, '--address', '127.0.0.1:0'], { OSSD_BLOBS: 's3://ossd-data', OSSD_S3_ENDPOINT: 'http://127.0.0.1:1', OSSD_S3_ACCESS_KEY_ID: 'k', OSSD_S3_SECRET_ACCESS_KEY: 's' }, 30_000);
      assert.equal(exit.timedOut, false, exit.stdout);
      assert.equal(exit.code, 2);
      assert.match(exit.stderr, /blobs: cannot use S3 bucket "ossd-data"/);
      assert.doesNotMatch(exit.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a malformed value is a usage error (exit 2) naming the setting', async () => {
    const exit = await runOssd(['--data-dir', dataDir, '--blobs', 's3://Bad_Bucket'], {}, 10_000);
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /invalid S3 bucket "Bad_Bucket"/);
  });

  test('sweep and check refuse when OSSD_METADATA names PostgreSQL (they work on a data folder)', async () => {
    for (const args of [['sweep', '--data-dir', dataDir], ['check', '--data-dir', dataDir]]) {
      const exit = await runOssd(args, { OSSD_METADATA: 'postgres://127.0.0.1:1/ossd' }, 10_000);
      assert.equal(exit.code, 2, args.join(' '));
      assert.match(exit.stderr, DATA_FOLDER_ONLY);
    }
  });
});
