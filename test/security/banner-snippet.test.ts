/**
 * Issue 18, "The banner": the ali-oss snippet in the start banner runs as printed when
 * saved as snippet.mjs, and runs again without failing (an existing bucket and log are
 * fine); the banner names the address actually listened on.
 * - Fails with the old snippet (require() mixed with top-level await: a SyntaxError in an
 *   .mjs file, and BucketAlreadyExists on a second run): checked.
 * - Fails when the banner shows 127.0.0.1 for a server listening on all interfaces: checked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { startOssd } from '../helpers/ossd-process.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'ossd-banner-snippet-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
// The snippet imports ali-oss: give its folder the project's node_modules, as `npm i ali-oss` would.
symlinkSync(resolve('node_modules'), join(scratch, 'node_modules'));

/** The snippet's lines: the indented block after the line that says to save it as snippet.mjs. */
function snippetOf(out: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.includes('save as snippet.mjs'));
  assert.ok(at >= 0, `the banner offers a snippet:\n${out}`);
  const body: string[] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('  ')) break;
    body.push(line.slice(2));
  }
  return body.join('\n') + '\n';
}

async function runSnippet(code: string, env: Record<string, string> = {}): Promise<string> {
  const file = join(scratch, 'snippet.mjs');
  writeFileSync(file, code);
  const { stdout } = await run(process.execPath, [file], { cwd: scratch, env: { ...process.env, ...env }, timeout: 30_000 });
  return stdout;
}

describe('the start banner', { timeout: 120_000 }, () => {
  it('prints an ali-oss snippet that runs as snippet.mjs, twice, with a generated secret and with a kept one', async () => {
    const dataDir = join(scratch, 'data');
    const noKeys = { OSSD_ROOT_ACCESS_KEY_ID: '', OSSD_ROOT_ACCESS_KEY_SECRET: '' };
    const first = await startOssd({ dataDir, env: noKeys });
    try {
      const code = snippetOf(first.output());
      assert.equal(await runSnippet(code), 'hello world\n');
      assert.equal(await runSnippet(code), 'hello world\n', 'a second run succeeds too');
    } finally {
      await first.stop();
    }
    // A later start shows where the secret is kept; its snippet reads it from there.
    const second = await startOssd({ dataDir, env: noKeys });
    try {
      assert.equal(await runSnippet(snippetOf(second.output())), 'hello world\n');
    } finally {
      await second.stop();
    }
  });

  it('with the secret in the environment, the snippet reads it from there', async () => {
    const ossd = await startOssd();
    try {
      const out = await runSnippet(snippetOf(ossd.output()), { OSSD_ROOT_ACCESS_KEY_SECRET: ossd.accessKeySecret });
      assert.equal(out, 'hello world\n');
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
  });

  it('names the address listened on: all interfaces, not 127.0.0.1', async () => {
    const ossd = await startOssd({ env: { OSSD_ADDRESS: '0.0.0.0:0' } });
    try {
      assert.match(ossd.output(), new RegExp(`listening on: +0\\.0\\.0\\.0:${ossd.port} \\(all interfaces\\)\\n`));
    } finally {
      await ossd.stop();
      ossd.cleanup();
    }
    const local = await startOssd();
    try {
      assert.match(local.output(), new RegExp(`listening on: +127\\.0\\.0\\.1:${local.port}\\n`));
    } finally {
      await local.stop();
      local.cleanup();
    }
  });
});
