/**
 * ListObjectVersions in a metadata store, the part the SQLite and PostgreSQL stores share:
 * a page of current versions (their `objects` rows) and one of noncurrent versions (their
 * `object_versions` rows), each in (key, rank descending) order, merged into one page.
 */
import { compareBytewise } from './sqlite/bytewise.js';
import type { VersionEntry } from './types.js';

/** Two lists in (key, rank descending) order, merged into one. */
function mergeVersions(a: VersionEntry[], b: VersionEntry[]): VersionEntry[] {
  const out: VersionEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length) out.push(a[i++]!);
    else if (i >= a.length) out.push(b[j++]!);
    else {
      const c = compareBytewise(a[i]!.record.key, b[j]!.record.key);
      out.push(c < 0 || (c === 0 && a[i]!.rank > b[j]!.rank) ? a[i++]! : b[j++]!);
    }
  }
  return out;
}

/**
 * The first `n` versions of `currents` and `older` together, both starting at a key's
 * first version: the first version of each key in the page is its newest (`latest`).
 */
export function mergeVersionPage(currents: VersionEntry[], older: VersionEntry[], n: number): VersionEntry[] {
  const merged = mergeVersions(currents, older).slice(0, n);
  merged.forEach((e, i) => (e.latest = i === 0 || merged[i - 1]!.record.key !== e.record.key));
  return merged;
}
