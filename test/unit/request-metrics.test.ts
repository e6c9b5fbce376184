/**
 * The request metrics counted by hand (src/server/request-metrics.ts) against prom-client's
 * own Counter and Histogram fed the same requests: the scraped lines must be the same, for
 * durations on every bucket bound, just above and below it, 0, and far past the last one.
 *
 * Checked to fail: with `>=` for `>` in the bucket search (a duration equal to a bound
 * counted in the next bucket), the lines of le="0.001"… differ from prom-client's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from '../../src/server/request-metrics.js';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const NAMES = { requests: 'reqs_total', requestsHelp: 'Requests.', duration: 'dur_seconds', durationHelp: 'Duration.' };

/** Metric lines, label order ignored (prom-client and RequestMetrics may list labels differently). */
function lines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/\{([^}]*)\}/, (_m, labels: string) => `{${labels.split(',').sort().join(',')}}`))
    .sort();
}

describe('request metrics', { timeout: 30_000 }, () => {
  test('the same scrape as prom-client', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const metrics = new RequestMetrics(ours, NAMES, BOUNDS);
    const counter = new Counter({ name: NAMES.requests, help: NAMES.requestsHelp, labelNames: ['operation', 'status'], registers: [theirs] });
    const histogram = new Histogram({ name: NAMES.duration, help: NAMES.durationHelp, labelNames: ['operation'], buckets: BOUNDS, registers: [theirs] });
    const durations = [0, 1e-9, 100, 1e6, ...BOUNDS.flatMap((b) => [b, b * (1 - 1e-12), b * (1 + 1e-12)])];
    const operations = ['AppendObject', 'GetObject', 'Unparsable'];
    const statuses = ['200', '409', 'aborted'];
    let n = 0;
    for (const d of durations) {
      const operation = operations[n % operations.length]!;
      const status = statuses[(n >> 1) % statuses.length]!;
      n++;
      metrics.record(operation, status, d);
      counter.inc({ operation, status });
      histogram.observe({ operation }, d);
    }
    assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
    assert.ok(lines(await ours.metrics()).length > 50, 'every bucket line is there');
  });
});
