/**
 * Operator basics (issue 18): `HEAD /-/health` answers 200 like GET (it answered 400
 * InvalidBucketName before: checked on the old code), and `ossd --version` prints the
 * version of package.json (read here from the file, not from src/).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runOssd } from '../helpers/ossd-exit.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw } from '../helpers/raw-http.js';

const ossd = useOssd();

describe('health and version', { timeout: 60_000 }, () => {
  test('GET and HEAD /-/health: 200, unsigned; HEAD has no body', async () => {
    const get = await raw(ossd, { method: 'GET', path: '/-/health', sign: 'none' });
    assert.equal(get.status, 200);
    assert.equal(get.text, 'ok\n');
    const head = await raw(ossd, { method: 'HEAD', path: '/-/health', sign: 'none' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  });

  test('ossd --version and ossd version print the package version', async () => {
    const pkgPath = resolve(fileURLToPath(import.meta.url), '../../../../package.json');
    const { version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
    for (const arg of ['--version', 'version']) {
      const r = await runOssd([arg], {}, 20_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `ossd ${version}\n`);
    }
  });
});
