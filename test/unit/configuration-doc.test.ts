/**
 * Issue 18, "Configuration": docs/configuration.md's table and the code agree. The table
 * is generated from OPTIONS (`node bin/ossd.cjs docs`); this fails when a setting is added,
 * renamed or re-described without regenerating it (checked by adding an option).
 * It also reads the table back and checks each row against the settings the parser takes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { renderConfigurationDoc } from '../../src/cli/configuration-doc.js';
import { loadConfig, OPTIONS } from '../../src/config.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

test('docs/configuration.md is current and lists every setting with its flag, environment name and file key', { timeout: 30_000 }, () => {
  const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  assert.equal(doc, renderConfigurationDoc(), 'regenerate with: node bin/ossd.cjs docs');
  const rows = doc.split('\n').filter((l) => l.startsWith('| `--'));
  assert.equal(rows.length, Object.keys(OPTIONS).length);
  for (const row of rows) {
    const [flag, env] = [...row.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const name = flag!.replace(/^--/, '').replace(/ VALUE$/, '');
    const option = (OPTIONS as Record<string, { env: string; type: string }>)[name];
    assert.ok(option, `${name} is a setting`);
    assert.equal(env, option.env);
    // The parser takes the flag as documented (a boolean alone, a string with a value).
    const args = option.type === 'boolean' ? [`--${name}`] : [`--${name}`, 'x'];
    try {
      loadConfig(args, {});
    } catch (e) {
      assert.doesNotMatch((e as Error).message, /Unknown option/, `--${name} is accepted`);
    }
  }
});
