// Runs every compiled test file under dist/test with node's own test runner, one child
// process per file, so that no test can hang CI:
// - `--test-timeout`: node (20) applies it to each file as a whole (the file is the
//   test: it ends the file and names it, "test timed out"); inside a file every test
//   has its own timeout as well (test/unit/test-timeouts.test.ts checks that each file
//   sets one), so a slow test fails on its own before its file does;
// - a watchdog kills a file that is still running a minute after that (the file and
//   every process it started, such as the ossd servers of integration tests: one
//   process group per file), names it, and fails the run. That covers what the
//   timeouts above cannot: a process that does not exit when told to, or a server left
//   behind that keeps its pipes open;
// - timing-sensitive fault tests (SERIAL) run one at a time, after the others, with
//   nothing else running beside them;
// - when a file needs Ceph (the cluster tests of issue 19) and Ceph is installed, one
//   cluster is booted for the whole run when the first of them starts, and handed to
//   those files (test/helpers/ceph.ts, RUN_CEPH_ENV): each boot costs 20-40 s of a CI
//   run that must stay under 20 minutes. If it cannot boot, each file boots its own.
// Each file's TAP output is printed whole when it ends; the run ends with node's closing
// lines (# tests, # pass, # fail, ...) summed over all files.
//
// Usage: node scripts/run-tests.mjs [subfolder or file ...]   (default: unit engine compat cli faults security browser)
// Environment: OSSD_TEST_JOBS (files run in parallel, default 2); OSSD_TEST_TIMEOUT_MS
// (--test-timeout, default 8 min, 3 h with OSSD_LONG_TESTS=1); OSSD_TEST_FILE_TIMEOUT_MS
// (the watchdog, default one minute more).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawn } from 'node:child_process';

const root = 'dist/test';
const groups = process.argv.slice(2);
const wanted = groups.length > 0 ? groups : ['unit', 'engine', 'compat', 'cli', 'faults', 'security', 'browser'];
const LONG = process.env.OSSD_LONG_TESTS === '1';
const MIN = 60_000;
/**
 * The driver pairs the engine conformance suites (test/engine) run for: every pair of
 * issue 19 where PostgreSQL is installed (CI installs it; the S3 store of the tests is
 * s3rver, from npm), else the embedded default. OSSD_TEST_DRIVERS chooses others.
 */
function driverPairs() {
  if (process.env.OSSD_TEST_DRIVERS) return process.env.OSSD_TEST_DRIVERS;
  const root = '/usr/lib/postgresql';
  const havePostgres =
    process.env.OSSD_PG_BIN !== undefined || process.env.CI === 'true' || (existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb'))));
  return havePostgres ? 'sqlite+file,postgres+file,postgres+s3' : 'sqlite+file';
}

const JOBS = Math.max(1, Number(process.env.OSSD_TEST_JOBS ?? 2));
const TEST_TIMEOUT_MS = Number(process.env.OSSD_TEST_TIMEOUT_MS ?? (LONG ? 180 * MIN : 8 * MIN));
const FILE_TIMEOUT_MS = Number(process.env.OSSD_TEST_FILE_TIMEOUT_MS ?? TEST_TIMEOUT_MS + MIN);
/** After SIGTERM, how long a killed file gets before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/**
 * Files that run alone. Fault tests kill servers inside time windows, measure timeouts,
 * CPU or memory, or fill disks and race hundreds of clients: beside another file on two
 * cores their windows close (e.g. append-crash: "the storm acknowledged appends before
 * the kill" fails under load). The fuzzer only checks answers. Idle polling measures the
 * server's CPU time and a unit test's 30 ms budget.
 */
const SERIAL = [/^faults\/(?!fuzz(-cluster)?\.test\.js$)/, /(^|\/)(raw-)?idle-poll\.test\.js$/];

function collect(dir) {
  if (dir.endsWith('.test.js') && existsSync(dir)) return [dir]; // one file, e.g. faults/fuzz-cluster.test.js
  let out = [];
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
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
const isSerial = (file) => SERIAL.some((re) => re.test(file.slice(root.length + 1)));

/** The cluster tests: files that start an S3 store through test/helpers/s3-backend.ts. */
const needsCeph = (file) => /helpers\/(cluster|pg-s3-node|s3-backend)\.js['"]/.test(readFileSync(file, 'utf8'));

/** The run's one Ceph, or undefined where none is possible. */
async function startRunCeph() {
  if (process.env.OSSD_TEST_S3 === 's3rver') return undefined;
  try {
    const ceph = await import('../dist/test/helpers/ceph.js');
    if (ceph.missingCephPrograms().length > 0) return undefined;
    const c = await ceph.startCeph();
    process.stdout.write(`# one Ceph for the run's cluster tests: booted in ${(c.bootMs / 1000).toFixed(1)} s\n`);
    return { env: { [ceph.RUN_CEPH_ENV]: ceph.cephForChildren(c) }, stop: () => c.stop() };
  } catch (e) {
    process.stdout.write(`# the run's Ceph did not boot (each cluster test boots its own): ${e.message.split('\n')[0]}\n`);
    return undefined;
  }
}
/** Started by the first file that needs it. */
let runCeph;

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
/** Children still running: their process groups are killed if the runner itself is stopped. */
const running = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Node's closing counts of one file's TAP output (the last of each). */
function countsOf(output) {
  const counts = {};
  for (const name of COUNTS) {
    const all = [...output.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
    counts[name] = all.length > 0 ? Number(all.at(-1)[1]) : 0;
  }
  return counts;
}

/** Runs one file in its own process group, under the watchdog. */
async function runFile(file) {
  const extra = needsCeph(file) ? (await (runCeph ??= startRunCeph()))?.env : undefined;
  const started = Date.now();
  const args = ['--test', '--test-reporter=tap', `--test-timeout=${TEST_TIMEOUT_MS}`, file];
  // detached: its own process group, so the watchdog can kill the servers it started too.
  const env = { ...process.env, ...(file.includes(`${sep}engine${sep}`) ? { OSSD_TEST_DRIVERS: driverPairs() } : {}), ...extra };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  running.add(child);
  const chunks = [];
  child.stdout.on('data', (d) => chunks.push(d));
  child.stderr.on('data', (d) => chunks.push(d));
  let hung = false;
  let forceTimer;
  const watchdog = setTimeout(() => {
    hung = true;
    killGroup(child, 'SIGTERM');
    forceTimer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
  }, FILE_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      clearTimeout(forceTimer);
      running.delete(child);
      // Whatever the file left behind (a server it did not stop) goes with it.
      killGroup(child, 'SIGKILL');
      const output = Buffer.concat(chunks).toString();
      resolve({ file, output, code, signal, hung, ms: Date.now() - started, counts: countsOf(output) });
    });
  });
}

function report(r) {
  const failed = r.hung || r.code !== 0;
  const secs = (r.ms / 1000).toFixed(1);
  process.stdout.write(`# ---- ${r.file}: ${r.hung ? 'HUNG' : failed ? 'FAILED' : 'ok'} (${secs} s)\n`);
  process.stdout.write(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
  if (r.hung) {
    process.stdout.write(`not ok - ${r.file} hung: killed by the watchdog after ${FILE_TIMEOUT_MS / 1000} s (OSSD_TEST_FILE_TIMEOUT_MS)\n`);
  } else if (failed) {
    process.stdout.write(`# ${r.file} exited with ${r.signal ?? r.code}\n`);
  }
}

/** Runs `list` with at most `jobs` files at a time; reports each as it ends. */
async function pool(list, jobs, results) {
  const queue = [...list];
  const worker = async () => {
    while (queue.length > 0) {
      const r = await runFile(queue.shift());
      report(r);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, worker));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(1);
  });
}

const t0 = Date.now();
const results = [];
await pool(
  files.filter((f) => !isSerial(f)),
  JOBS,
  results,
);
await pool(
  files.filter(isSerial),
  1,
  results,
);

await (await runCeph)?.stop();

const total = Object.fromEntries(COUNTS.map((n) => [n, 0]));
for (const r of results) {
  for (const n of COUNTS) total[n] += r.counts[n];
  // A file that hung or died without failing a test still counts as one failed test.
  if ((r.hung || r.code !== 0) && r.counts.fail === 0) {
    total.tests++;
    total.fail++;
  }
}
const hung = results.filter((r) => r.hung);
const failedFiles = results.filter((r) => !r.hung && r.code !== 0);
console.log('# ---- summary');
console.log(`# files ${results.length}: ${results.length - hung.length - failedFiles.length} passed, ${failedFiles.length} failed, ${hung.length} hung`);
for (const r of failedFiles) console.log(`# failed${/failureType: 'testTimeoutFailure'/.test(r.output) ? ' (a timeout)' : ''}: ${r.file}`);
for (const r of hung) console.log(`# hung (killed after ${FILE_TIMEOUT_MS / 1000} s): ${r.file}`);
// Skipped tests, with their reasons (e.g. a system package the machine lacks), stay visible.
for (const r of results) {
  for (const m of r.output.matchAll(/^\s*ok \d+ - (.*?) # SKIP ?(.*)$/gm)) console.log(`# skipped: ${r.file}: ${m[1]}${m[2] ? ` (${m[2]})` : ''}`);
}
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
console.log(`# slowest: ${slowest.map((r) => `${r.file.slice(root.length + 1)} ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`);
for (const n of COUNTS) console.log(`# ${n} ${total[n]}`);
console.log(`# duration_ms ${Date.now() - t0}`);
process.exit(hung.length > 0 || failedFiles.length > 0 || total.fail > 0 ? 1 : 0);
