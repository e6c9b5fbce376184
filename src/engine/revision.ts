/**
 * Revisions are the compare-and-set tokens of object rows. They are unique across
 * delete and re-create of the same key (never reused), so a stale append cannot commit
 * onto a new object that happens to have the same revision number (the ABA problem).
 * Millisecond clock × 1024 plus a counter: increasing within a process, and ahead of
 * any value written before a restart as long as the clock does not go back.
 */
let last = 0;

export function nextRevision(): number {
  const candidate = Date.now() * 1024;
  last = candidate > last ? candidate : last + 1;
  return last;
}
