/** The result table (markdown, also readable in a terminal), ratios, and the PASS/FAIL targets. */
import type { Summary } from './stats.js';

export interface Row {
  caseId: string;
  title: string;
  /** A target server name, or a variant label for the ossd-only cases (e.g. `ossd 1M objects`). */
  target: string;
  s: Summary;
}

export interface Verdict {
  goal: string;
  pass: boolean;
  detail: string;
}

const REFS = ['minimal', 'minimal-group', 'azurite', 's3rver'] as const;

function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(Math.min(digits, 1));
  return n.toFixed(n !== 0 && Math.abs(n) < 0.1 ? 3 : 2);
}

export function find(rows: Row[], caseId: string, target: string): Row | undefined {
  return rows.find((r) => r.caseId === caseId && r.target === target);
}

/** ops/s of `row` divided by ops/s of `ref` in the same case. */
function ratio(rows: Row[], row: Row, ref: string): string {
  if (row.target === ref) return '1';
  const other = find(rows, row.caseId, ref);
  if (!other || !(other.s.opsPerSec > 0)) return '';
  return `${fmt(row.s.opsPerSec / other.s.opsPerSec)}×`;
}

export function table(rows: Row[]): string {
  const head = ['case', 'target', 'ops/s', 'MB/s', 'p50 ms', 'p99 ms', 'srv CPU ms/op', 'retries/op', ...REFS.map((r) => `÷ ${r}`), 'extra'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  let last = '';
  for (const r of rows) {
    const extra = Object.entries(r.s.extra)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
    const cells = [
      r.caseId === last ? '' : r.caseId,
      r.target,
      fmt(r.s.opsPerSec),
      fmt(r.s.mbPerSec),
      fmt(r.s.p50Ms, 2),
      fmt(r.s.p99Ms, 2),
      fmt(r.s.cpuMsPerOp, 2),
      r.s.retriesPerOp === undefined ? '' : fmt(r.s.retriesPerOp),
      ...REFS.map((ref) => ratio(rows, r, ref)),
      extra,
    ];
    last = r.caseId;
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function legend(rows: Row[]): string {
  const seen = new Map<string, string>();
  for (const r of rows) if (!seen.has(r.caseId)) seen.set(r.caseId, r.title);
  return [...seen].map(([id, title]) => `- \`${id}\`: ${title}`).join('\n');
}

function rel(rows: Row[], caseId: string, a: string, b: string, min: number, metric: 'opsPerSec' | 'mbPerSec' = 'opsPerSec'): Verdict {
  const ra = find(rows, caseId, a);
  const rb = find(rows, caseId, b);
  const goal = `${caseId}: ${a} ≥ ${min}× ${b}`;
  if (!ra || !rb) return { goal, pass: false, detail: 'not measured' };
  const x = ra.s[metric] / rb.s[metric];
  return { goal, pass: x >= min, detail: `${fmt(x)}× (${fmt(ra.s[metric])} vs ${fmt(rb.s[metric])} ${metric === 'opsPerSec' ? 'ops/s' : 'MB/s'})` };
}

/** The faster of `minimal` and `minimal-group` in `caseId`, as a ratio to target `to` (what the machine itself allows). */
function bestMinimal(rows: Row[], caseId: string, to: string): number | undefined {
  const base = find(rows, caseId, to)?.s.opsPerSec;
  const best = Math.max(...['minimal', 'minimal-group'].map((t) => find(rows, caseId, t)?.s.opsPerSec ?? NaN).filter((x) => x > 0));
  return base && base > 0 && best > 0 ? best / base : undefined;
}

/**
 * Appends to a verdict's detail what the machine itself allows, from the same run, so a
 * FAIL says whether ossd or the machine falls short: the best of `minimal` and
 * `minimal-group` against the same reference, and for a 64 MiB put, MD5 alone on one
 * core (a Normal object's ETag is its MD5, which cannot be split across cores).
 */
function withLimit(rows: Row[], v: Verdict, caseId: string, ref: string): Verdict {
  if (ref === 'minimal' && caseId === 'put-64m') {
    const md5 = find(rows, 'hash', 'md5 (1 MiB chunks)')?.s.mbPerSec;
    const base = find(rows, caseId, ref)?.s.mbPerSec;
    if (!md5 || !base) return v;
    return { ...v, detail: `${v.detail}; MD5 alone on one core: ${fmt(md5)} MB/s, ${fmt(md5 / base)}× minimal` };
  }
  const limit = bestMinimal(rows, caseId, ref);
  if (limit === undefined) return v;
  return { ...v, detail: `${v.detail}; best minimal server itself: ${fmt(limit)}× ${ref}` };
}

function relLimit(rows: Row[], caseId: string, ref: string, min: number, metric: 'opsPerSec' | 'mbPerSec' = 'opsPerSec'): Verdict {
  return withLimit(rows, rel(rows, caseId, 'ossd', ref, min, metric), caseId, ref);
}

export function verdicts(rows: Row[], smallCaseIds: string[]): Verdict[] {
  const v: Verdict[] = [
    rel(rows, 'append-4k-1c', 'ossd', 'minimal', 0.8),
    relLimit(rows, 'append-4k-64c-64obj', 'minimal', 1.5),
    rel(rows, 'append-4k-64c-64obj', 'ossd', 'minimal-group', 0.8),
    rel(rows, 'put-4k-64c', 'ossd', 'minimal', 0.6),
    rel(rows, 'get-4k-64c', 'ossd', 'minimal', 0.6),
  ];
  if (find(rows, 'get-4k-64c-wrk', 'ossd')) v.push(rel(rows, 'get-4k-64c-wrk', 'ossd', 'minimal', 0.6));
  v.push(relLimit(rows, 'put-64m', 'minimal', 0.9, 'mbPerSec'));
  for (const id of ['append-64m-4m', 'get-64m']) v.push(rel(rows, id, 'ossd', 'minimal', 0.9, 'mbPerSec'));
  for (const id of smallCaseIds) {
    if (find(rows, id, 'azurite')) v.push(relLimit(rows, id, 'azurite', 10));
    if (find(rows, id, 's3rver')) v.push(relLimit(rows, id, 's3rver', 3));
  }
  const crc = find(rows, 'hash', 'crc64 (1 MiB chunks)');
  v.push({ goal: 'CRC-64 ≥ 1 GB/s on one core', pass: (crc?.s.mbPerSec ?? 0) >= 1000, detail: `${fmt(crc?.s.mbPerSec)} MB/s` });
  const l1k = find(rows, 'list-first-page', 'ossd 1k objects');
  const lbig = rows.find((r) => r.caseId === 'list-first-page' && r.target !== 'ossd 1k objects');
  if (l1k && lbig) {
    const x = lbig.s.p50Ms / l1k.s.p50Ms;
    v.push({ goal: `ListObjectsV2 first page p50: ${lbig.target} ≤ 2× 1k`, pass: x <= 2, detail: `${fmt(x)}× (${fmt(lbig.s.p50Ms, 2)} vs ${fmt(l1k.s.p50Ms, 2)} ms)` });
  } else v.push({ goal: 'ListObjectsV2 first page ≤ 2×', pass: false, detail: 'not measured' });
  v.push(rel(rows, 'get-fragmented', 'ossd appended', 'ossd put', 0.8, 'mbPerSec'));
  const up = find(rows, 'put-concurrent-big', 'ossd');
  const peak = up?.s.extra.peakRssMB;
  v.push({ goal: 'concurrent big uploads: ossd peak RSS < 300 MB', pass: peak !== undefined && peak < 300, detail: `${fmt(peak)} MB` });
  // Issue 15, hole 7: stalled uploads (bench/stalled.ts); every probe request succeeded, else the case failed.
  const stalled = rows.find((r) => r.caseId === 'stalled-uploads-1k' && r.target !== 'ossd, none stalled');
  const rss = stalled?.s.extra.rssMB;
  v.push({
    goal: 'stalled uploads (1 KiB sent each): ossd RSS < 512 MB, others served',
    pass: rss !== undefined && rss < 512 && stalled?.s.extra.failed === 0,
    detail: stalled ? `${fmt(rss)} MB with ${stalled.target.replace(/^ossd, /, '')}, probe p99 ${fmt(stalled.s.p99Ms, 2)} ms` : 'not measured',
  });
  return v;
}

export function verdictLines(v: Verdict[]): string {
  return v.map((x) => `- ${x.pass ? 'PASS' : 'FAIL'} ${x.goal}: ${x.detail}`).join('\n');
}
