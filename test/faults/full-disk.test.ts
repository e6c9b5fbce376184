/**
 * A really full disk: ossd's data folder on a 24 MiB tmpfs, filled with puts and appends
 * until the disk says ENOSPC. Writes that do not fit fail cleanly (an OSS error, 507
 * InsufficientStorage; no crash, no hang), nothing stored before is damaged (every
 * acknowledged object byte-exact with its CRC-64, no partial blob left behind), writes
 * succeed again once space is freed, and a restart on the full disk recovers.
 *
 * Mounting needs root. Where the mount is refused the test fails with the reason (it
 * does not pass silently), and the same checks run instead on an emulated full disk
 * (OSSD_FAULTS, src/drivers/faults-config.ts), which the output says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crcOf, randomBody } from '../helpers/fault-appends.js';
import { blobProblems, createBucket, getObject, stagingEntries } from '../helpers/fault-store.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { errorCode, raw, type RawResponse } from '../helpers/raw-http.js';

const BUCKET = 'full';
const KiB = 1024;
const MiB = 1024 * KiB;

let mountPoint: string | undefined;
let mountRefused: string | undefined;

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ossd-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) mountPoint = dir;
  else {
    mountRefused = `mount -t tmpfs -o size=24m tmpfs ${dir} was refused (exit ${String(r.status)}, uid ${process.getuid?.()}): ${(r.error?.message ?? r.stderr).trim()}`;
    rmSync(dir, { recursive: true, force: true });
  }
});

after(() => {
  if (!mountPoint) return;
  const r = spawnSync('umount', [mountPoint], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** The store as acknowledged: whole objects by key, and the appendable objects' bytes. */
class Ledger {
  readonly objects = new Map<string, Buffer>();
  refusals = 0;
  readonly codes = new Map<string, number>();

  /** A write's answer: 200 recorded by the caller; anything else must be a clean OSS error. */
  refused(res: RawResponse, what: string): void {
    assert.ok(res.status >= 400, `${what}: ${res.status}`);
    const code = errorCode(res);
    assert.ok(code, `${what}: ${res.status} without an OSS error code: ${res.text.slice(0, 200)}`);
    // A full disk is 507 InsufficientStorage; nothing else is acceptable for a write that fit in no way.
    assert.equal(`${res.status} ${code}`, '507 InsufficientStorage', `${what}: ${res.text.slice(0, 300)}`);
    this.refusals++;
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }
}

async function put(ossd: Ossd, key: string, body: Buffer): Promise<RawResponse> {
  return raw(ossd, { method: 'PUT', path: `/${BUCKET}/${key}`, body });
}

async function append(ossd: Ossd, key: string, position: number, body: Buffer): Promise<RawResponse> {
  return raw(ossd, { method: 'POST', path: `/${BUCKET}/${key}?append&position=${position}`, body });
}

/**
 * Puts of 1 MiB and appends of 100 KiB (blob fsync) and 8 KiB (journaled in the
 * metadata) until every kind of write has been refused three rounds in a row.
 */
async function fill(ossd: Ossd, ledger: Ledger, tag: string): Promise<number> {
  let failingRounds = 0;
  let writes = 0;
  for (let round = 0; round < 400 && failingRounds < 3; round++) {
    let ok = 0;
    const key = `${tag}/p${round}`;
    const body = randomBody(MiB);
    const p = await put(ossd, key, body);
    if (p.status === 200) {
      ledger.objects.set(key, body);
      ok++;
    } else ledger.refused(p, `put ${key}`);
    for (const [app, size] of [['app-big', 100 * KiB], ['app-small', 8 * KiB]] as const) {
      const current = ledger.objects.get(app) ?? Buffer.alloc(0);
      const more = randomBody(size);
      const a = await append(ossd, app, current.length, more);
      if (a.status === 200) {
        assert.equal(a.headers['x-oss-next-append-position'], String(current.length + size));
        ledger.objects.set(app, Buffer.concat([current, more]));
        ok++;
      } else ledger.refused(a, `append to ${app} at ${current.length}`);
    }
    writes += 3;
    failingRounds = ok === 0 ? failingRounds + 1 : 0;
  }
  assert.equal(failingRounds, 3, 'the disk filled up');
  return writes;
}

/** Every acknowledged object is there, byte-exact with its CRC; blobs hold exactly those bytes. */
async function verify(ossd: Ossd, ledger: Ledger, dataDir: string): Promise<void> {
  for (const [key, bytes] of ledger.objects) {
    const got = await getObject(ossd, BUCKET, key);
    assert.equal(got.status, 200, `GET ${key}: ${got.code}`);
    assert.equal(got.body.length, bytes.length, `${key}: length`);
    assert.ok(got.body.equals(bytes), `${key}: bytes`);
    assert.equal(got.crc, crcOf(bytes), `${key}: CRC-64`);
  }
  assert.deepEqual(
    blobProblems(dataDir, [...ledger.objects].map(([key, bytes]) => ({ key, bytes }))),
    [],
    'no partial blob or uncommitted tail left by refused writes',
  );
  assert.deepEqual(stagingEntries(dataDir), []);
}

function df(dir: string): string {
  return spawnSync('df', ['-k', dir], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
}

describe('a full disk', () => {
  it('on a 24 MiB tmpfs: refused writes fail cleanly, nothing is damaged, freeing space helps, a restart recovers', async (t) => {
    if (!mountPoint) assert.fail(`${mountRefused} (the emulated full disk below runs instead)`);
    const dataDir = join(mountPoint, 'data');
    mkdirSync(dataDir);
    const ledger = new Ledger();
    // Journaled appends stay in the metadata until the restart: its recovery must replay
    // them on the full disk (and cannot drop their rows there).
    let ossd: Ossd = await startOssd({ dataDir, env: { OSSD_JOURNAL_FLUSH_MS: '600000' } });
    try {
      await createBucket(ossd, BUCKET);
      const writes = await fill(ossd, ledger, 'first');
      t.diagnostic(`filled: ${writes} writes, ${ledger.objects.size} objects acknowledged, ${ledger.refusals} refused ${JSON.stringify(Object.fromEntries(ledger.codes))}; df: ${df(mountPoint)}`);
      assert.ok(ledger.refusals > 0);
      // A write much larger than what is left is refused too, and leaves nothing.
      ledger.refused(await put(ossd, 'huge', randomBody(4 * MiB)), 'put of 4 MiB on a full disk');
      assert.equal((await getObject(ossd, BUCKET, 'huge')).status, 404);
      assert.equal(ossd.proc.exitCode, null, 'ossd is still running');
      assert.equal((await raw(ossd, { method: 'GET', path: '/-/health', sign: 'none' })).status, 200);
      await verify(ossd, ledger, dataDir);

      // Free space: delete half the 1 MiB objects; then puts and appends work again.
      const puts = [...ledger.objects.keys()].filter((k) => k.startsWith('first/'));
      for (const key of puts.filter((_, i) => i % 2 === 0)) {
        assert.equal((await raw(ossd, { method: 'DELETE', path: `/${BUCKET}/${key}` })).status, 204);
        ledger.objects.delete(key);
      }
      const fresh = randomBody(MiB);
      assert.equal((await put(ossd, 'after-free', fresh)).status, 200, 'a put after space was freed');
      ledger.objects.set('after-free', fresh);
      for (const app of ['app-big', 'app-small']) {
        const current = ledger.objects.get(app)!;
        const more = randomBody(50 * KiB);
        const a = await append(ossd, app, current.length, more);
        assert.equal(a.status, 200, `append to ${app} at ${current.length} after space was freed: ${a.text.slice(0, 200)}`);
        ledger.objects.set(app, Buffer.concat([current, more]));
      }
      await verify(ossd, ledger, dataDir);

      // Full again, then a restart on the full disk.
      await fill(ossd, ledger, 'second');
      t.diagnostic(`full again: ${ledger.objects.size} objects, ${ledger.refusals} refusals in all; df: ${df(mountPoint)}`);
      await ossd.kill();
      ossd = await startOssd({ dataDir });
      await verify(ossd, ledger, dataDir);
      const last = randomBody(10);
      const current = ledger.objects.get('app-small')!;
      const a = await append(ossd, 'app-small', current.length, last);
      if (a.status === 200) ledger.objects.set('app-small', Buffer.concat([current, last]));
      else ledger.refused(a, 'append after the restart on a full disk');
      t.diagnostic(`restart on the full disk recovered ${ledger.objects.size} objects byte-exact; ${/recovery: +([^\n]*)/.exec(ossd.output())?.[1] ?? 'nothing to recover'}`);
      await verify(ossd, ledger, dataDir);
    } catch (e) {
      t.diagnostic(`ossd (exit ${String(ossd.proc.exitCode)}) output ends with: ${ossd.output().slice(-3000)}`);
      throw e;
    } finally {
      await ossd.kill();
    }
  });

  it('emulated with fault drivers when tmpfs cannot be mounted', async (t) => {
    if (mountPoint) {
      t.diagnostic('tmpfs mounted: the real full disk above was used; no emulation needed');
      return;
    }
    t.diagnostic(`EMULATED full disk (OSSD_FAULTS=blob.write:6+:ENOSPC) because ${mountRefused}`);
    const ossd = await startOssd({ env: { OSSD_FAULTS: 'blob.write:6+:ENOSPC', OSSD_TEST_FAULTS: '1' } });
    try {
      await createBucket(ossd, BUCKET);
      const ledger = new Ledger();
      await fill(ossd, ledger, 'emu');
      assert.ok(ledger.refusals > 0);
      assert.equal(ossd.proc.exitCode, null);
      await verify(ossd, ledger, ossd.dataDir);
    } finally {
      await ossd.kill();
      ossd.cleanup();
    }
  });
});
