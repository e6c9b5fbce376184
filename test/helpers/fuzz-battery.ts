/**
 * The fuzz battery of test/faults/fuzz.test.ts (embedded default) and fuzz-cluster.test.ts
 * (a PostgreSQL + S3 node): see fuzz.test.ts for what it sends and checks. One body for
 * both, so the drivers are held to one standard.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { Ossd } from './ossd-process.js';
import { caseArb, type FuzzCase, materialize, SENTINEL_BUCKET, wireCaseBytes } from './rel-fuzz.js';
import { answerProblem, codeOf, exchange, LONG, RelClient, type RelResponse, wireProblems } from './rel-http.js';
import { xmlProblem } from './xml-check.js';

export interface FuzzOptions {
  /** Starts the server with its data folder at `dataDir` and its working folder `cwd` (both made by the battery). */
  start(dataDir: string, cwd: string): Promise<Ossd>;
  /** Added to the test's name. */
  title?: string;
  skip?: string | false;
  /** Cases in a normal run (default 10,000; OSSD_LONG_TESTS=1: 200,000). */
  cases?: number;
}

export function fuzzBattery(o: FuzzOptions): void {
  const TOTAL = LONG ? 200_000 : (o.cases ?? 10_000);
  const CONCURRENCY = 8;
  const SEED = process.env.OSSD_FUZZ_SEED ? Number(process.env.OSSD_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

  let root: string;
  let ossd: Ossd;
  let client: RelClient;

  // ---- what must not change -------------------------------------------------------------

  interface FsEntry { path: string; kind: 'file' | 'dir' | 'other'; size: number; mtimeMs: number; mode: number; sha?: string }

  /** Every entry under `dir` (recursively), except the subtrees named in `skip`. */
  function snapshot(dir: string, skip: Set<string> = new Set(), prefix = ''): FsEntry[] {
    const out: FsEntry[] = [];
    for (const name of readdirSync(dir).sort()) {
      const rel = prefix + name;
      if (skip.has(rel)) {
        out.push({ path: rel, kind: 'dir', size: 0, mtimeMs: 0, mode: 0 });
        continue;
      }
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) {
        out.push({ path: rel, kind: 'dir', size: 0, mtimeMs: st.mtimeMs, mode: st.mode });
        out.push(...snapshot(full, skip, `${rel}/`));
      } else {
        out.push({
          path: rel, kind: st.isFile() ? 'file' : 'other', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode,
          sha: st.isFile() ? createHash('sha256').update(readFileSync(full)).digest('hex') : undefined,
        });
      }
    }
    return out;
  }

  interface SentinelState { key: string; status: number; body: string; headers: Record<string, unknown>; acl: string }

  const SENTINEL_KEYS = ['plain.txt', 'app.log', '..', '../escape', 'dir/中文😀', 'empty', 'public-rw', '%2e%2e', 'k1'];

  function keep(res: RelResponse): Record<string, unknown> {
    const h = res.headers;
    const picked: Record<string, unknown> = {};
    for (const name of Object.keys(h).sort()) {
      if (['etag', 'x-oss-hash-crc64ecma', 'x-oss-object-type', 'content-type', 'last-modified', 'content-length', 'x-oss-next-append-position', 'x-oss-storage-class', 'cache-control', 'content-disposition'].includes(name) || name.startsWith('x-oss-meta-')) {
        picked[name] = h[name];
      }
    }
    return picked;
  }

  const path = (key: string): string => `/${SENTINEL_BUCKET}/${encodeURIComponent(key)}`;

  async function sentinelState(): Promise<{ objects: SentinelState[]; listing: string; bucket: string }> {
    const objects: SentinelState[] = [];
    for (const key of SENTINEL_KEYS) {
      const got = await client.signed('GET', path(key));
      const acl = await client.signed('GET', `${path(key)}?acl`);
      objects.push({
        key, status: got.status, body: got.body.toString('base64'), headers: keep(got),
        acl: /<Grant>([^<]*)<\/Grant>/.exec(acl.text)?.[1] ?? `status ${acl.status}`,
      });
    }
    const listing = (await client.signed('GET', `/${SENTINEL_BUCKET}/?max-keys=1000`)).text.replace(/<RequestId>[^<]*<\/RequestId>/, '');
    const info = await client.signed('GET', `/${SENTINEL_BUCKET}/?bucketInfo`);
    return { objects, listing, bucket: `${info.status} ${/<Grant>[^<]*<\/Grant>/.exec(info.text)?.[0] ?? ''} ${/<StorageClass>[^<]*/.exec(info.text)?.[0] ?? ''}` };
  }

  async function mustOk(p: Promise<RelResponse>, what: string): Promise<RelResponse> {
    const res = await p;
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  async function seedObjects(bucket: string): Promise<void> {
    await mustOk(client.signed('PUT', `/${bucket}/k1`, {}, randomBytes(100)), `${bucket}/k1`);
    await mustOk(client.signed('PUT', `/${bucket}/..`.replace('..', '%2E%2E'), {}, Buffer.from('dots')), `${bucket}/..`);
    await mustOk(client.signed('PUT', `/${bucket}/dir/k4`, { 'x-oss-meta-a': 'b' }, randomBytes(10)), `${bucket}/dir/k4`);
    await mustOk(client.signed('POST', `/${bucket}/app.log?append&position=0`, {}, Buffer.from('hello')), `${bucket}/app.log`);
  }

  let before_: FsEntry[];
  let sentinelsBefore: Awaited<ReturnType<typeof sentinelState>>;

  before(async () => {
    if (o.skip) return;
    root = mkdtempSync(join(tmpdir(), 'ossd-fuzz-'));
    mkdirSync(join(root, 'canary', 'etc'), { recursive: true });
    mkdirSync(join(root, 'canary', 'nested', 'deep'), { recursive: true });
    mkdirSync(join(root, 'cwd'));
    writeFileSync(join(root, 'canary', 'file'), 'canary file\n');
    writeFileSync(join(root, 'canary', 'x'), randomBytes(64));
    writeFileSync(join(root, 'canary', 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(root, 'canary', 'nested', 'deep', 'a.txt'), 'deep\n');
    writeFileSync(join(root, 'canary', 'meta.db'), 'not a database\n');
    ossd = await o.start(join(root, 'data'), join(root, 'cwd'));
    client = new RelClient(ossd, CONCURRENCY * 2);
    before_ = snapshot(root, new Set(['data']));

    await mustOk(client.signed('PUT', '/fuzz-a/'), 'PutBucket fuzz-a');
    await mustOk(client.signed('PUT', '/fuzz-b/', { 'x-oss-acl': 'public-read-write' }), 'PutBucket fuzz-b');
    for (const b of ['fuzz-a', 'fuzz-b']) await seedObjects(b);

    await mustOk(client.signed('PUT', `/${SENTINEL_BUCKET}/`, { 'x-oss-acl': 'public-read' }), 'PutBucket sentinel');
    await mustOk(client.signed('PUT', path('plain.txt'), { 'content-type': 'text/plain', 'x-oss-meta-owner': 'sentinel' }, randomBytes(3000)), 'plain.txt');
    for (const [i, part] of ['first ', 'second ', 'third'].entries()) {
      const at = ['first ', 'second ', 'third'].slice(0, i).join('').length;
      await mustOk(client.signed('POST', `${path('app.log')}?append&position=${at}`, {}, Buffer.from(part)), `append ${part}`);
    }
    await mustOk(client.signed('PUT', path('..'), {}, Buffer.from('dot dot')), '..');
    await mustOk(client.signed('PUT', path('../escape'), {}, Buffer.from('escape')), '../escape');
    await mustOk(client.signed('PUT', path('dir/中文😀'), { 'cache-control': 'no-cache' }, randomBytes(77)), 'unicode');
    await mustOk(client.signed('PUT', path('empty'), {}, Buffer.alloc(0)), 'empty');
    await mustOk(client.signed('PUT', path('public-rw'), { 'x-oss-object-acl': 'public-read-write' }, Buffer.from('anyone may write me')), 'public-rw');
    await mustOk(client.signed('PUT', path('%2e%2e'), {}, Buffer.from('percent dots')), '%2e%2e');
    await mustOk(client.signed('PUT', path('k1'), {}, randomBytes(100)), 'k1');
    sentinelsBefore = await sentinelState();
  });

  after(async () => {
    client?.close();
    await ossd?.stop();
    ossd?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  // ---- the run --------------------------------------------------------------------------

  interface Stats { cases: number; http: number; wire: number; statuses: Map<number, number>; codes: Map<string, number>; ok: Map<string, number> }
  const stats: Stats = { cases: 0, http: 0, wire: 0, statuses: new Map(), codes: new Map(), ok: new Map() };
  const bump = <K>(m: Map<K, number>, k: K): void => void m.set(k, (m.get(k) ?? 0) + 1);

  function describeCase(c: FuzzCase, extra: string): string {
    return `${extra}\ncase: ${JSON.stringify(c, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? `<${((v as { data: number[] }).data).length} bytes>` : v)).slice(0, 3000)}`;
  }

  /**
   * Every error answer is a well-formed XML 1.0 <Error> document (for HEAD: the base64
   * x-oss-err header), whatever bytes the request echoed into it; so is every XML answer
   * of a service- or bucket-level request (listings, DeleteResult, ACLs), where control
   * characters of keys may be character references as in OSS's listings.
   */
  function xmlAnswerProblem(method: string, res: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }, bucketLevel: boolean): string | undefined {
    if (res.status >= 400) {
      const err = res.headers['x-oss-err'];
      // A HEAD answer (also one inside a pipeline that began with another method) has no body: its XML is in x-oss-err.
      const xml = method !== 'HEAD' && res.body.length > 0 ? res.body : Buffer.from(typeof err === 'string' ? err : '', 'base64');
      const p = xmlProblem(xml, { root: 'Error' });
      return p && `error answer ${res.status}: ${p}`;
    }
    const type = res.headers['content-type'];
    if (bucketLevel && method !== 'HEAD' && res.body.length > 0 && typeof type === 'string' && type.startsWith('application/xml')) {
      // Answers that name keys write control characters as references (`&#1;`), as OSS's
      // listings do (issue 16, docs/errors.md); the rest of XML 1.0 holds.
      const p = xmlProblem(res.body, { controlReferences: true });
      return p && `XML answer ${res.status}: ${p}`;
    }
    return undefined;
  }

  async function runCase(c: FuzzCase): Promise<void> {
    stats.cases++;
    if (c.kind === 'wire') {
      stats.wire++;
      const { bytes, method } = wireCaseBytes(ossd, c);
      const { data } = await exchange(ossd, bytes, 5000);
      const { responses, problems } = wireProblems(method, data);
      for (const r of responses) if (r.status >= 200) bump(stats.statuses, r.status);
      for (const r of responses) {
        const p = r.status >= 400 ? xmlAnswerProblem(method, r, false) : undefined;
        if (p) problems.push(p);
      }
      if (problems.length > 0) throw new Error(describeCase(c, `${problems.join('; ')}\nbytes: ${JSON.stringify(bytes.toString('latin1').slice(0, 800))}`));
      return;
    }
    stats.http++;
    const req = materialize(ossd, c);
    let res: RelResponse;
    try {
      res = await client.send(req);
    } catch (e) {
      throw new Error(describeCase(c, `no answer (${(e as Error).message}) to ${req.method} ${req.path}`));
    }
    bump(stats.statuses, res.status);
    if (res.status >= 400) bump(stats.codes, codeOf(c.method === 'HEAD' ? Buffer.from(String(res.headers['x-oss-err'] ?? ''), 'base64').toString() : res.text) ?? '?');
    else bump(stats.ok, c.scenario);
    const problem = answerProblem(c.method, res) ?? xmlAnswerProblem(c.method, res, c.key === undefined);
    if (problem) throw new Error(describeCase(c, `${problem}\nrequest: ${req.method} ${req.path} ${JSON.stringify(req.headers).slice(0, 1500)}`));
  }

  test(`fuzz: ${TOTAL} random requests against the real server${o.title ?? ''} (seed ${SEED})`, { skip: o.skip, timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
    const started = Date.now();
    const perLoop = Math.ceil(TOTAL / CONCURRENCY);
    // CONCURRENCY independent fast-check runs side by side: each one is sequential (and
    // shrinks a failure to one request), together they keep the server busy.
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENCY }, (_, i) =>
        fc.assert(fc.asyncProperty(caseArb, runCase), { numRuns: perLoop, seed: SEED + i, endOnFailure: false }),
      ),
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary =
      `fuzz: ${stats.cases} cases (${stats.http} HTTP, ${stats.wire} raw socket) in ${seconds} s, seed ${SEED}; ` +
      `statuses ${JSON.stringify(Object.fromEntries([...stats.statuses].sort((a, b) => a[0] - b[0])))}; ` +
      `2xx by scenario ${JSON.stringify(Object.fromEntries(stats.ok))}; ` +
      `error codes ${JSON.stringify(Object.fromEntries([...stats.codes].sort((a, b) => b[1] - a[1])))}`;
    t.diagnostic(summary);
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => {
        const e = r.reason as Error & { cause?: Error };
        return `${e.message}\n${e.cause?.message ?? ''}`;
      });
    if (failures.length > 0) failures.unshift(`ossd exit code ${String(ossd.proc.exitCode)}, signal ${String(ossd.proc.signalCode)}; its output ends with:\n${ossd.output().slice(-3000)}`);
    assert.deepEqual(failures, [], `invariant violations (replay with OSSD_FUZZ_SEED=${SEED}):\n${failures.join('\n\n')}`);
    assert.ok(stats.cases >= TOTAL, `${stats.cases} cases run, ${TOTAL} wanted`);

    // The fuzzer must get past authentication: successes of every kind, and refusals of every kind.
    const ok = [...stats.ok.values()].reduce((a, b) => a + b, 0);
    assert.ok(ok > stats.http * 0.05, `only ${ok} of ${stats.http} requests succeeded: the fuzzer hardly reaches the handlers`);
    for (const scenario of ['put', 'append', 'read', 'delete-multiple', 'bucket', 'list', 'copy']) {
      assert.ok((stats.ok.get(scenario) ?? 0) > 0, `no successful ${scenario} request`);
    }
    for (const status of [200, 204, 400, 403, 404, 409]) assert.ok(stats.statuses.has(status), `no ${status} answer at all`);

    // No crash, still healthy.
    assert.equal(ossd.proc.exitCode, null, 'ossd exited');
    assert.equal((await client.anonymous('GET', '/-/health')).status, 200);
    const errors = ossd.output().split('\n').filter((l) => l.includes('"level":"error"') || /uncaught|unhandled/i.test(l));
    assert.deepEqual(errors, [], 'the server logged internal errors');

    // Sentinels untouched.
    assert.deepEqual(await sentinelState(), sentinelsBefore, 'sentinel objects changed');
    assert.ok(!(await client.signed('GET', '/fuzz-a/?max-keys=1')).text.includes(SENTINEL_BUCKET));

    // Nothing outside the data folder touched.
    assert.deepEqual(snapshot(root, new Set(['data'])), before_, 'files outside the data folder changed');
    assert.deepEqual(readdirSync(join(root, 'cwd')), [], 'the server wrote into its working folder');
    // (A node on PostgreSQL + S3 may keep nothing in its data folder, nor make it.)
    assert.deepEqual(readdirSync(root).filter((name) => name !== 'data').sort(), ['canary', 'cwd']);
  });
}
