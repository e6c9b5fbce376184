/**
 * Issue 18, "Start-up": `npm start` compiles only when dist/ is missing or older than src/
 * (scripts/build-if-stale.mjs), run here on a small project of its own so the repository's
 * dist/ is never rebuilt under the other tests. Fails when the script always compiles
 * (the second run rewrites the output: checked) or never does (the edit is not picked up: checked).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const SCRIPT = resolve('scripts/build-if-stale.mjs');
const project = mkdtempSync(join(tmpdir(), 'ossd-build-if-stale-'));
after(() => rmSync(project, { recursive: true, force: true }));

function start(): string {
  return execFileSync(process.execPath, [SCRIPT], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) + '';
}

test('npm start compiles a missing or stale dist/, and leaves a current one alone', { timeout: 120_000 }, () => {
  mkdirSync(join(project, 'src', 'cli'), { recursive: true });
  symlinkSync(resolve('node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: '.', module: 'NodeNext', target: 'ES2022', types: [] }, include: ['src/**/*.ts'] }));
  const source = join(project, 'src', 'cli', 'main.ts');
  const output = join(project, 'dist', 'src', 'cli', 'main.js');
  writeFileSync(source, 'export const v = 1;\n');

  start();
  assert.match(readFileSync(output, 'utf8'), /v = 1/, 'a missing dist/ is compiled');
  // Back-date the output so that a needless rewrite would show in its mtime.
  const past = new Date(Date.now() - 60_000);
  utimesSync(source, past, past);
  utimesSync(join(project, 'tsconfig.json'), past, past);
  const old = new Date(Date.now() - 30_000);
  utimesSync(output, old, old);
  start();
  assert.ok(Math.abs(statSync(output).mtimeMs - old.getTime()) < 1, 'a current dist/ is not compiled again');

  writeFileSync(source, 'export const v = 2;\n');
  start();
  assert.match(readFileSync(output, 'utf8'), /v = 2/, 'an edited source is compiled');
});
