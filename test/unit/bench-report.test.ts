/**
 * The bench's verdicts (bench/report.ts): each target's PASS/FAIL from same-run ratios,
 * and, where a target may be beyond the machine, what the machine itself allowed in that
 * run (the faster minimal server against the same reference; MD5 alone for a 64 MiB put).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Row, verdicts } from '../../bench/report.js';

function row(caseId: string, target: string, opsPerSec: number, mbPerSec = NaN): Row {
  return { caseId, title: caseId, target, s: { runs: 3, opsPerSec, mbPerSec, p50Ms: 1, p99Ms: 2, cpuMsPerOp: 0.1, extra: {} } };
}

function verdict(rows: Row[], goal: string, small: string[] = []): { pass: boolean; detail: string } {
  const v = verdicts(rows, small).find((x) => x.goal === goal);
  assert.ok(v, `no verdict "${goal}"`);
  return v;
}

describe('bench verdicts', { timeout: 30_000 }, () => {
  it('judges 64-client appends against minimal and says what minimal-group itself reached', () => {
    const rows = [
      row('append-4k-64c-64obj', 'ossd', 9000),
      row('append-4k-64c-64obj', 'minimal', 9000),
      row('append-4k-64c-64obj', 'minimal-group', 10800),
    ];
    const v = verdict(rows, 'append-4k-64c-64obj: ossd ≥ 1.5× minimal');
    assert.equal(v.pass, false);
    assert.match(v.detail, /^1\.00× \(9,000 vs 9,000 ops\/s\); best minimal server itself: 1\.20× minimal$/);
    const g = verdict(rows, 'append-4k-64c-64obj: ossd ≥ 0.8× minimal-group');
    assert.equal(g.pass, true);
    assert.doesNotMatch(g.detail, /best minimal/, 'no limit note against minimal-group itself');
  });

  it('gives the faster minimal server as the limit of a 10× Azurite target', () => {
    const rows = [row('put-4k-1c', 'ossd', 1800), row('put-4k-1c', 'minimal', 2000), row('put-4k-1c', 'minimal-group', 1900), row('put-4k-1c', 'azurite', 400)];
    const v = verdict(rows, 'put-4k-1c: ossd ≥ 10× azurite', ['put-4k-1c']);
    assert.equal(v.pass, false);
    assert.match(v.detail, /^4\.50× .*; best minimal server itself: 5\.00× azurite$/);
  });

  it('sets a 64 MiB put against MD5 alone on one core, from the same run', () => {
    const rows = [row('put-64m', 'ossd', 6.5, 430), row('put-64m', 'minimal', 8.2, 550), row('hash', 'md5 (1 MiB chunks)', NaN, 645)];
    const v = verdict(rows, 'put-64m: ossd ≥ 0.9× minimal');
    assert.equal(v.pass, false);
    assert.match(v.detail, /^0\.78× \(430 vs 550 MB\/s\); MD5 alone on one core: 645 MB\/s, 1\.17× minimal$/);
    // Without the hash case in the run, the verdict stands alone.
    assert.equal(verdict(rows.slice(0, 2), 'put-64m: ossd ≥ 0.9× minimal').detail, '0.78× (430 vs 550 MB/s)');
  });
});
