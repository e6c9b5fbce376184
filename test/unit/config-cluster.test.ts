/**
 * The scale-out settings (issue 19): --metadata / OSSD_METADATA, --blobs / OSSD_BLOBS with
 * the OSSD_S3_* settings, --node-id / OSSD_NODE_ID. Defaults are the embedded stores;
 * PostgreSQL and S3 URLs parse (the server then refuses to start: test/compat/cluster-config.test.ts);
 * malformed values are a configuration error that names the setting and hides passwords.
 *
 * Fails when the bucket-name check of --blobs is removed (s3://Bad_Bucket accepted:
 * checked) and when the URL's password is printed in an error (redactUrl bypassed: checked).
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(argv, env);

function refused(argv: string[], env: NodeJS.ProcessEnv, pattern: RegExp): void {
  assert.throws(() => load(argv, env), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
}

describe('scale-out configuration', { timeout: 30_000 }, () => {
  test('defaults: sqlite metadata, file blobs, node id from host and port', () => {
    const c = load(['--address', '127.0.0.1:9123']);
    assert.deepEqual(c.metadata, { kind: 'sqlite' });
    assert.deepEqual(c.blobs, { kind: 'file' });
    assert.equal(c.nodeId, `${hostname()}:9123`);
    assert.deepEqual(load(['--metadata', 'sqlite', '--blobs', 'file']).metadata, { kind: 'sqlite' });
  });

  test('postgres:// and s3:// parse, from flags or the environment (the flag wins)', () => {
    const url = 'postgres://ossd:pw@db.example:5432/ossd';
    assert.deepEqual(load(['--metadata', url]).metadata, { kind: 'postgres', url });
    assert.deepEqual(load([], { OSSD_METADATA: 'postgresql://h/db' }).metadata, { kind: 'postgres', url: 'postgresql://h/db' });
    assert.deepEqual(load(['--metadata', 'sqlite'], { OSSD_METADATA: url }).metadata, { kind: 'sqlite' });
    const env = {
      OSSD_BLOBS: 's3://ossd-data',
      OSSD_S3_ENDPOINT: 'http://127.0.0.1:7480',
      OSSD_S3_ACCESS_KEY_ID: 'AK',
      OSSD_S3_SECRET_ACCESS_KEY: 'SK',
      OSSD_S3_REGION: 'eu-west-1',
    };
    assert.deepEqual(load([], env).blobs, {
      kind: 's3',
      bucket: 'ossd-data',
      endpoint: 'http://127.0.0.1:7480',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    const aws = load(['--blobs', 's3://b.example/'], { OSSD_S3_FORCE_PATH_STYLE: 'false' }).blobs;
    assert.equal(aws.kind === 's3' && aws.region, 'us-east-1');
    assert.equal(aws.kind === 's3' && aws.forcePathStyle, false);
    assert.equal(aws.kind === 's3' && aws.endpoint, undefined);
    assert.equal(load(['--node-id', 'node-a'], { OSSD_NODE_ID: 'node-b' }).nodeId, 'node-a');
    assert.equal(load([], { OSSD_NODE_ID: 'node-b' }).nodeId, 'node-b');
  });

  test('malformed values are refused, naming the setting', () => {
    refused(['--metadata', 'mysql://h/db'], {}, /^--metadata must be sqlite or postgres:/);
    refused(['--metadata', 'postgres:///db'], {}, /^--metadata names no host/);
    refused(['--blobs', 'gs://bucket'], {}, /^--blobs must be file or s3:\/\/<bucket>/);
    refused(['--blobs', 's3://'], {}, /invalid S3 bucket/);
    refused(['--blobs', 's3://Bad_Bucket'], {}, /invalid S3 bucket "Bad_Bucket"/);
    refused(['--blobs', 's3://a..b'], {}, /invalid S3 bucket/);
    refused(['--blobs', 's3://bucket/prefix'], {}, /^--blobs must be file or s3:\/\/<bucket>/);
    refused(['--blobs', 's3://bucket'], { OSSD_S3_ENDPOINT: 'ftp://h' }, /^OSSD_S3_ENDPOINT must be http/);
    refused(['--blobs', 's3://bucket'], { OSSD_S3_ACCESS_KEY_ID: 'AK' }, /both OSSD_S3_ACCESS_KEY_ID and OSSD_S3_SECRET_ACCESS_KEY/);
    refused(['--blobs', 's3://bucket'], { OSSD_S3_FORCE_PATH_STYLE: 'maybe' }, /^OSSD_S3_FORCE_PATH_STYLE must be true or false/);
    refused(['--node-id', 'a b'], {}, /^--node-id must be/);
    refused(['--node-id', 'x'.repeat(129)], {}, /^--node-id must be/);
  });

  test('a password in a malformed metadata URL is not repeated', () => {
    assert.throws(
      () => load(['--metadata', 'mysql://ossd:hunter2@h/db']),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2') && e.message.includes('ossd:***@h'),
    );
  });
});
