#!/usr/bin/env node
// The ossd command's entry point. CommonJS on purpose: it runs before libuv's thread
// pool exists, so it can still size it. Blob fsyncs run on that pool, and with its
// default of 4 threads, 64 concurrent durable writes would queue 16 deep.
'use strict';
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '64';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const main = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  // A clone installed (npm install -g .) or run before its first build.
  process.stderr.write(`ossd: ${main} is missing: run "npm run build" in ${join(__dirname, '..')} first\n`);
  process.exit(2);
}
import('../dist/src/cli/main.js');
