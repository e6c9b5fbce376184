// Runs every compiled test file under dist/test with node's own test runner.
// Usage: node scripts/run-tests.mjs [subfolder ...]   (default: unit engine compat faults security browser)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const groups = process.argv.slice(2);
const wanted = groups.length > 0 ? groups : ['unit', 'engine', 'compat', 'faults', 'security', 'browser'];

function collect(dir) {
  let out = [];
  let names;
  try { names = readdirSync(dir).sort(); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = wanted.flatMap((g) => collect(join(root, g)));
if (files.length === 0) {
  console.error('no test files found under', wanted.map((g) => join(root, g)).join(', '));
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
