/**
 * A warning that may come thousands of times a second (every refused write on a full
 * disk, every refused connection): the first occurrence is logged at once, then at most
 * one line per `intervalMs`, saying how many occurrences it stands for.
 */
export function throttled<A extends unknown[]>(intervalMs: number, emit: (occurrences: number, ...args: A) => void): (...args: A) => void {
  let last = -Infinity;
  let pending = 0;
  return (...args: A) => {
    pending++;
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    emit(pending, ...args);
    pending = 0;
  };
}
