#!/usr/bin/env node
// The ossd command's entry point. CommonJS on purpose: it runs before libuv's thread
// pool exists, so it can still size it. Blob fsyncs run on that pool, and with its
// default of 4 threads, 64 concurrent durable writes would queue 16 deep.
'use strict';
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '64';
import('../dist/src/cli/main.js');
