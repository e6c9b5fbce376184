/** Per-run samples, and the medians across runs that the report prints. */

export interface RunResult {
  ops: number;
  bytes: number;
  seconds: number;
  /** Per-operation latencies in milliseconds (may be empty for throughput-only cases). */
  lat: number[];
  /** Latency percentiles measured elsewhere (wrk), when `lat` is empty. */
  pct?: { p50: number; p99: number };
  /** Position-conflict retries (contention case). */
  retries?: number;
  /** Case-specific numbers (peak RSS, ...), medianed like the rest. */
  extra?: Record<string, number>;
}

export interface Sample extends RunResult {
  cpuMs: number;
}

export interface Summary {
  runs: number;
  opsPerSec: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system) per operation, ms; NaN when there is no server. */
  cpuMsPerOp: number;
  retriesPerOp?: number;
  extra: Record<string, number>;
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Nearest-rank percentile of an unsorted array (q in 0..100). */
export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const v = Float64Array.from(xs).sort();
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((q / 100) * v.length) - 1))]!;
}

export function summarize(samples: Sample[]): Summary {
  const extraKeys = new Set(samples.flatMap((s) => Object.keys(s.extra ?? {})));
  const extra: Record<string, number> = {};
  for (const k of extraKeys) extra[k] = median(samples.map((s) => s.extra?.[k] ?? NaN));
  const withRetries = samples.some((s) => s.retries !== undefined);
  return {
    runs: samples.length,
    opsPerSec: median(samples.map((s) => s.ops / s.seconds)),
    mbPerSec: median(samples.map((s) => s.bytes / 1e6 / s.seconds)),
    p50Ms: median(samples.map((s) => (s.lat.length > 0 ? percentile(s.lat, 50) : (s.pct?.p50 ?? NaN)))),
    p99Ms: median(samples.map((s) => (s.lat.length > 0 ? percentile(s.lat, 99) : (s.pct?.p99 ?? NaN)))),
    cpuMsPerOp: median(samples.map((s) => (s.ops > 0 ? s.cpuMs / s.ops : NaN))),
    retriesPerOp: withRetries ? median(samples.map((s) => (s.retries ?? 0) / Math.max(1, s.ops))) : undefined,
    extra,
  };
}
