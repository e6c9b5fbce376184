#!/usr/bin/env node
// `npm start` runs this before the server: it compiles (tsc, as `npm run build`) only when
// dist/ is missing or older than a source the server is built from, so a start after an
// unchanged checkout takes about a second instead of a full compile (issue 18).
// "Older" compares modification times: tsc rewrites every output file on each build, and
// the entry point dist/src/cli/main.js is one of them.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const entry = join(root, 'dist', 'src', 'cli', 'main.js');

/** The newest modification time (ms) among `dir`'s .ts files, recursively. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(entry).mtimeMs;
  } catch {
    return -1;
  }
}

const sources = Math.max(newestSource(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (builtAt() >= sources) {
  process.stderr.write('dist/ is current: not compiling (npm run build forces a build)\n');
} else {
  process.stderr.write('compiling (dist/ is missing or older than src/)\n');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
