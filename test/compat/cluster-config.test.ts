/**
 * Until the PostgreSQL and S3 drivers exist (issue 19), a server asked for them refuses to
 * start with one line and exit status 2, before it touches its data folder, instead of
 * serving from the local stores (a "cluster" node writing to its own disk would lose every
 * write the other nodes cannot see). `ossd keys`, `sweep` and the maintenance commands refuse the same way.
 *
 * Fails when the refusal at start is removed (the server then starts and the 10 s limit
 * kills it: checked).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runOssd } from '../helpers/ossd-exit.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ossd-cluster-config-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const NOT_YET = /not available yet in this build/;

describe('scale-out backends not built yet (PostgreSQL), and an unreachable S3 store', { timeout: 60_000 }, () => {
  test('--metadata postgres:// : one line, exit 2, the data folder untouched, no password shown', async () => {
    const exit = await runOssd(['serve', '--data-dir', dataDir, '--address', '127.0.0.1:0', '--metadata', 'postgres://ossd:hunter2@127.0.0.1:1/ossd'], {}, 10_000);
    assert.equal(exit.timedOut, false, exit.stdout);
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, NOT_YET);
    assert.match(exit.stderr, /--metadata postgres/);
    assert.equal(exit.stderr.trim().split('\n').length, 1, exit.stderr);
    assert.equal(exit.stderr.includes('hunter2'), false);
    assert.deepEqual(readdirSync(dataDir), []);
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

  test('keys, sweep and check refuse when OSSD_METADATA names PostgreSQL', async () => {
    for (const args of [['keys', 'list', '--data-dir', dataDir], ['sweep', '--data-dir', dataDir], ['check', '--data-dir', dataDir]]) {
      const exit = await runOssd(args, { OSSD_METADATA: 'postgres://127.0.0.1:1/ossd' }, 10_000);
      assert.equal(exit.code, 2, args.join(' '));
      assert.match(exit.stderr, NOT_YET);
    }
    assert.deepEqual(readdirSync(dataDir), []);
  });
});
