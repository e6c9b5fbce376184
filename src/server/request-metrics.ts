/**
 * The per-request metrics (requests by operation and status, their duration by operation)
 * counted in plain arrays, and handed to prom-client's registry as two metrics read at
 * scrape time.
 *
 * Why not prom-client's own Counter and Histogram here: each `inc({…})`/`observe({…})`
 * hashes and validates its label object, about 2 µs per request on the event loop of the
 * 64-appender bench, where a whole append costs ~130 µs (BENCH.md, "The embedded default
 * before and after the scale-out work"). Counting by operation here is a Map lookup and
 * two additions; the text format stays prom-client's (Registry.getMetricsAsString).
 */
import type { Registry } from 'prom-client';

/** What prom-client's registry reads of a metric (Registry.registerMetric, getMetricsAsString). */
interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: ScrapedValue[] }>;
  reset(): void;
}
interface ScrapedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** One operation's counts: requests by status, and its duration histogram. */
class OperationCounts {
  readonly byStatus = new Map<string, number>();
  /** Requests with a duration ≤ BOUNDS[i] and > BOUNDS[i-1]; the last slot: above every bound. */
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: number) {
    this.buckets = new Float64Array(bounds + 1);
  }
}

export class RequestMetrics {
  private readonly byOperation = new Map<string, OperationCounts>();

  constructor(
    registry: Registry,
    names: { requests: string; requestsHelp: string; duration: string; durationHelp: string },
    /** Upper bounds of the duration histogram, in seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric(this.scraped(names.requests, names.requestsHelp, 'counter', () => this.requestValues()) as never);
    registry.registerMetric(this.scraped(names.duration, names.durationHelp, 'histogram', () => this.durationValues(names.duration)) as never);
  }

  record(operation: string, status: string, durationS: number): void {
    let counts = this.byOperation.get(operation);
    if (counts === undefined) this.byOperation.set(operation, (counts = new OperationCounts(this.bounds.length)));
    counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < this.bounds.length && durationS > this.bounds[i]!) i++;
    counts.buckets[i]!++;
    counts.sum += durationS;
    counts.count++;
  }

  private scraped(name: string, help: string, type: ScrapedMetric['type'], values: () => ScrapedValue[]): ScrapedMetric {
    return {
      name, help, type, aggregator: 'sum',
      get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => this.byOperation.clear(),
    };
  }

  private requestValues(): ScrapedValue[] {
    const out: ScrapedValue[] = [];
    for (const [operation, counts] of this.byOperation) {
      for (const [status, value] of counts.byStatus) out.push({ labels: { operation, status }, value });
    }
    return out;
  }

  /** prom-client's histogram layout: cumulative `_bucket` lines (le), `+Inf`, `_sum`, `_count`. */
  private durationValues(name: string): ScrapedValue[] {
    const out: ScrapedValue[] = [];
    for (const [operation, counts] of this.byOperation) {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += counts.buckets[i]!;
        out.push({ labels: { le, operation }, value: below, metricName: `${name}_bucket` });
      });
      out.push({ labels: { le: '+Inf', operation }, value: counts.count, metricName: `${name}_bucket` });
      out.push({ labels: { operation }, value: counts.sum, metricName: `${name}_sum` });
      out.push({ labels: { operation }, value: counts.count, metricName: `${name}_count` });
    }
    return out;
  }
}
