/**
 * Issue 15, "Secrets", with the real ossd process:
 * - the root secret is printed only when ossd generates it (first start of a data folder
 *   without configured keys); every later start shows the key id and where the secret is
 *   kept, never the secret (fails when the banner prints it again: checked);
 * - fault injection (OSSD_FAULTS) is honoured only with the test switch OSSD_TEST_FAULTS=1;
 *   without it `ossd serve` refuses to start, says why, and touches no data folder
 *   (fails when main.ts's faultsRefusal check is removed: the server then starts; checked).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startOssd } from '../helpers/ossd-process.js';
import { runOssd } from '../helpers/ossd-exit.js';

const require = createRequire(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'ossd-start-secrets-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The banner's text: from its first line to the end of the ali-oss snippet. */
function bannerOf(out: string): string {
  const start = out.indexOf('ossd is ready');
  const end = out.indexOf('nextAppendPosition });', start);
  assert.ok(start >= 0 && end > start, `a banner is printed:\n${out}`);
  return out.slice(start, end);
}

describe('the root secret in the banner', { timeout: 120_000 }, () => {
  it('is printed when generated, and never again: later starts say where it is kept', async () => {
    const dataDir = join(scratch, 'generated');
    // No root keys configured: the first start generates them.
    const noKeys = { OSSD_ROOT_ACCESS_KEY_ID: '', OSSD_ROOT_ACCESS_KEY_SECRET: '' };
    const first = await startOssd({ dataDir, env: noKeys });
    await first.stop();
    const file = join(dataDir, 'root-credentials.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; accessKeySecret: string };
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const firstBanner = bannerOf(first.output());
    assert.match(firstBanner, new RegExp(`access key id: +${saved.accessKeyId}\n`));
    assert.match(firstBanner, new RegExp(`access key secret: +${saved.accessKeySecret} +\\(generated now and shown only this once; kept in ${file}\\)`));
    assert.match(firstBanner, new RegExp(`accessKeySecret: '${saved.accessKeySecret}',`), 'the snippet works as printed');

    const second = await startOssd({ dataDir, env: noKeys });
    await second.stop();
    const out = second.output();
    assert.ok(!out.includes(saved.accessKeySecret), 'the secret is not printed again');
    const banner = bannerOf(out);
    assert.match(banner, new RegExp(`access key id: +${saved.accessKeyId}\n`));
    assert.match(banner, new RegExp(`access key secret: +kept in ${file} `));
    // The snippet reads the secret from that file, so it still works as printed.
    const expr = /accessKeySecret: JSON\.parse\(readFileSync\(("[^"]+"), 'utf8'\)\)\.accessKeySecret,/.exec(banner);
    assert.ok(expr, banner);
    assert.equal((require(JSON.parse(expr[1]!) as string) as { accessKeySecret: string }).accessKeySecret, saved.accessKeySecret);
    first.cleanup();
  });

  it('is not printed when given on the command line', async () => {
    const dataDir = join(scratch, 'flag');
    const secret = 'flagSecretForStartSecretsTest0001';
    const ossd = await startOssd({ dataDir, env: { OSSD_ROOT_ACCESS_KEY_SECRET: '' }, args: ['--root-access-key-secret', secret] });
    await ossd.stop();
    ossd.cleanup();
    assert.ok(!ossd.output().includes(secret));
    assert.match(bannerOf(ossd.output()), /access key secret: +from the command line \(--root-access-key-secret\)\n/);
  });
});

describe('fault injection needs the test switch', { timeout: 120_000 }, () => {
  for (const value of [undefined, '0', 'yes']) {
    it(`OSSD_FAULTS with OSSD_TEST_FAULTS=${String(value)}: start refused, no data folder touched`, async () => {
      const dataDir = join(scratch, `refused-${String(value)}`);
      const r = await runOssd(['serve'], { OSSD_FAULTS: 'blob.write:1:EIO', OSSD_TEST_FAULTS: value, OSSD_DATA_DIR: dataDir, OSSD_ADDRESS: '127.0.0.1:0' }, 30_000);
      assert.equal(r.timedOut, false, `refused at once, not served:\n${r.stdout}${r.stderr}`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /OSSD_FAULTS is set.*test hook.*only with OSSD_TEST_FAULTS=1.*Refusing to start/);
      assert.doesNotMatch(r.stdout, /ossd is ready/);
      assert.equal(existsSync(dataDir), false, 'nothing created');
    });
  }

  it('OSSD_FAULTS with OSSD_TEST_FAULTS=1: honoured, and the log says so', async () => {
    const ossd = await startOssd({ dataDir: join(scratch, 'allowed'), env: { OSSD_FAULTS: 'blob.write:1:EIO', OSSD_TEST_FAULTS: '1' } });
    await ossd.stop();
    ossd.cleanup();
    assert.match(ossd.output(), /"level":"warn".*"faults":"blob.write:1:EIO","msg":"fault injection \(test hook\) is active"/);
  });
});
