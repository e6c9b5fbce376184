/**
 * Issue 18, "Start-up errors" and "Configuration": every setting the user must change stops
 * `ossd serve` with ONE line on stderr naming the setting, exit code 2, no stack trace, no
 * hang; the config file (TOML, JSON, YAML) is read, with flag > environment > file.
 * Checked to fail: without startup-checks.ts `--data-dir /proc/x` ran until killed and a
 * taken port printed a stack trace with exit 1; without MIN_ROOT_SECRET_LENGTH a 1-character
 * secret started the server; with the file read before the environment, the precedence case fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runOssd, type Exit } from '../helpers/ossd-exit.js';
import { startOssd } from '../helpers/ossd-process.js';

const scratch = mkdtempSync(join(tmpdir(), 'ossd-startup-errors-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const KEYS = { OSSD_ROOT_ACCESS_KEY_ID: 'LTAIstartupErrors01', OSSD_ROOT_ACCESS_KEY_SECRET: 'startupErrorsSecret0123456789' };

function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Exit> {
  return runOssd(['serve', ...args], { OSSD_ADDRESS: '127.0.0.1:0', ...KEYS, ...env }, 15_000);
}

/** Refused with one line that matches `line`, exit 2. */
function assertRefused(r: Exit, line: RegExp): void {
  assert.equal(r.timedOut, false, `ossd ended by itself:\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 2, `exit 2:\n${r.stdout}${r.stderr}`);
  // Structured log lines (JSON, e.g. recovery's) may come first; the message is one plain line.
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('{'));
  assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
  assert.match(lines[0]!, line);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(r.stdout, /ossd is ready/);
}

describe('start-up errors', { timeout: 180_000 }, () => {
  it('a taken port', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      assertRefused(await serve(['--data-dir', join(scratch, 'port'), '--address', `127.0.0.1:${port}`]), new RegExp(`^ossd: address: 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('an address this machine does not have', async () => {
    assertRefused(await serve(['--data-dir', join(scratch, 'addr'), '--address', '192.0.2.1:9000']), /^ossd: address: 192\.0\.2\.1:9000 is not an address of this machine/);
  });

  it('a data folder on /proc, under a missing parent, or that is a file', async () => {
    assertRefused(await serve(['--data-dir', '/proc/x']), /^ossd: data-dir: \/proc\/x is on the special file system proc/);
    assertRefused(await serve(['--data-dir', '/sys/ossd']), /^ossd: data-dir: \/sys\/ossd is on the special file system sysfs/);
    assertRefused(await serve(['--data-dir', join(scratch, 'no', 'such', 'parent')]), /^ossd: data-dir: the parent folder of .* does not exist/);
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    assertRefused(await serve(['--data-dir', file]), /^ossd: data-dir: .*a-file is not a folder/);
  });

  it('a read-only data folder', async (t) => {
    // A read-only mount needs root; as another user a folder without write permission stands for it.
    const dir = join(scratch, 'ro');
    mkdirSync(dir);
    if (process.getuid?.() === 0) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
      t.after(() => execFileSync('umount', [dir]));
      assertRefused(await serve(['--data-dir', dir]), /^ossd: data-dir: .*\/ro is on a read-only file system/);
    } else {
      chmodSync(dir, 0o555);
      assertRefused(await serve(['--data-dir', dir]), /^ossd: data-dir: .*\/ro is not writable by this user/);
    }
  });

  it('a root secret shorter than 16 characters, and other invalid settings, name the setting', async () => {
    const dir = join(scratch, 'short');
    assertRefused(await serve(['--data-dir', dir], { OSSD_ROOT_ACCESS_KEY_SECRET: 'x' }), /^ossd: root-access-key-secret must be at least 16 characters/);
    assertRefused(await serve(['--data-dir', dir, '--max-connections', 'lots']), /^ossd: max-connections must be a positive integer, got "lots"/);
    assertRefused(await serve(['--data-dir', dir, '--address', 'nowhere']), /^ossd: address must be host:port/);
    assertRefused(await serve(['--data-dir', dir, '--no-such-flag']), /^ossd: Unknown option '--no-such-flag'/);
  });
});

describe('the config file', { timeout: 180_000 }, () => {
  it('is read in TOML, JSON and YAML; flag beats environment beats file', async () => {
    const cases: Array<[string, string]> = [
      ['ossd.toml', 'region = "cn-beijing"\nmax-connections = 50\nlog-requests = false\n'],
      ['ossd.json', JSON.stringify({ region: 'cn-beijing', 'max-connections': 50 })],
      ['ossd.yaml', 'region: cn-beijing\nmax-connections: 50\n'],
    ];
    for (const [name, text] of cases) {
      const file = join(scratch, name);
      writeFileSync(file, text);
      const ossd = await startOssd({ args: ['--config', file] });
      await ossd.stop();
      ossd.cleanup();
      assert.match(ossd.output(), /region: +cn-beijing\n/, `${name} sets the region`);
    }
    const file = join(scratch, 'ossd.toml');
    writeFileSync(file, 'region = "cn-beijing"\n');
    const envWins = await startOssd({ args: ['--config', file], env: { OSSD_REGION: 'cn-shanghai' } });
    await envWins.stop();
    envWins.cleanup();
    assert.match(envWins.output(), /region: +cn-shanghai\n/, 'the environment wins over the file');
    const flagWins = await startOssd({ args: ['--config', file, '--region', 'cn-shenzhen'], env: { OSSD_REGION: 'cn-shanghai' } });
    await flagWins.stop();
    flagWins.cleanup();
    assert.match(flagWins.output(), /region: +cn-shenzhen\n/, 'the flag wins over both');
  });

  it('refuses an unknown key, a bad value, a bad file, with one line and exit 2', async () => {
    const dir = join(scratch, 'cfg-data');
    const bad = join(scratch, 'bad.toml');
    writeFileSync(bad, 'regoin = "cn-beijing"\n');
    assertRefused(await serve(['--data-dir', dir, '--config', bad]), /^ossd: config: .*bad\.toml: unknown setting "regoin"/);
    writeFileSync(bad, 'max-connections = "many"\n');
    assertRefused(await serve(['--data-dir', dir, '--config', bad]), /^ossd: max-connections must be a positive integer, got "many"/);
    writeFileSync(bad, 'region = \n');
    assertRefused(await serve(['--data-dir', dir, '--config', bad]), /^ossd: config: .*bad\.toml is not valid/);
    assertRefused(await serve(['--data-dir', dir, '--config', join(scratch, 'missing.toml')]), /^ossd: config: cannot read .*missing\.toml: ENOENT/);
    const ini = join(scratch, 'ossd.ini');
    writeFileSync(ini, 'region=x\n');
    assertRefused(await serve(['--data-dir', dir, '--config', ini]), /^ossd: config: .*ossd\.ini: the file name must end in \.toml, \.json, \.yaml or \.yml/);
  });
});
