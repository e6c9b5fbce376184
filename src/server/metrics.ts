/**
 * Prometheus metrics (prom-client), served at `/-/metrics` (probes.ts). Request counters
 * are updated as each request ends (request-observer.ts); the gauges are read when scraped:
 * requests in flight from the server's counter, bucket usage from the counters the
 * metadata store keeps on every commit (one row per bucket, never a scan of objects:
 * drivers/sqlite/usage-store.ts), disk space from one statfs of the data folder.
 */
import { statfsSync, type StatsFs } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';
import type { BucketUsage, MetadataQueryCounts } from '../drivers/types.js';

export interface MetricsSources {
  dataDir: string;
  inFlight: () => number;
  bucketUsage: () => BucketUsage[];
  /** With PostgreSQL metadata: what this node asked of it so far. */
  postgres?: () => MetadataQueryCounts;
}

/** One request, as the observer saw it end. */
export interface RequestOutcome {
  operation: string;
  /** The HTTP status, or `aborted` when the exchange was cut before the answer was complete. */
  status: string;
  errorCode?: string;
  durationS: number;
  bytesIn: number;
  bytesOut: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: RequestMetrics;
  private readonly bytesIn;
  private readonly bytesOut;
  private readonly appendConflicts;
  /** The bucket counters, read once per scrape for the four bucket gauges (text()). */
  private usage: BucketUsage[] = [];
  private readonly readUsage: () => BucketUsage[];

  constructor(sources: MetricsSources) {
    this.readUsage = sources.bucketUsage;
    const registers = [this.registry];
    this.requests = new RequestMetrics(this.registry, {
      requests: 'ossd_http_requests_total',
      requestsHelp: 'Requests answered, by OSS operation and HTTP status (aborted: cut before the answer was complete).',
      duration: 'ossd_http_request_duration_seconds',
      durationHelp: 'Time from the request head to the end of the answer, by OSS operation.',
    }, [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    this.bytesIn = new Counter({ name: 'ossd_http_bytes_received_total', help: 'Request body bytes received.', registers });
    this.bytesOut = new Counter({ name: 'ossd_http_bytes_sent_total', help: 'Response body bytes sent.', registers });
    this.appendConflicts = new Counter({
      name: 'ossd_append_conflicts_total', help: 'AppendObject requests refused because the position was not the length (409 PositionNotEqualToLength).', registers,
    });
    new Gauge({
      name: 'ossd_requests_in_flight', help: 'Requests being handled now.', registers,
      collect() { this.set(sources.inFlight()); },
    });
    const usageNow = (): BucketUsage[] => this.usage;
    const bucketGauge = (name: string, help: string, field: keyof Omit<BucketUsage, 'bucket'>): void => {
      new Gauge({
        name, help, labelNames: ['bucket'] as const, registers,
        collect() {
          this.reset();
          for (const u of usageNow()) this.set({ bucket: u.bucket }, u[field]);
        },
      });
    };
    bucketGauge('ossd_bucket_objects', 'Objects in the bucket (current versions; delete markers not counted).', 'objects');
    bucketGauge('ossd_bucket_bytes', 'Bytes of the objects in the bucket (current versions).', 'bytes');
    bucketGauge('ossd_bucket_noncurrent_versions', 'Noncurrent versions kept by versioning (delete markers not counted).', 'noncurrentVersions');
    bucketGauge('ossd_bucket_noncurrent_bytes', 'Bytes of the noncurrent versions.', 'noncurrentBytes');
    const disk = (name: string, help: string, pick: (s: StatsFs) => number): void => {
      new Gauge({
        name, help, registers,
        collect() { this.set(pick(statfsSync(sources.dataDir))); },
      });
    };
    disk('ossd_disk_free_bytes', 'Bytes free for ossd on the file system of the data folder (statfs bavail).', (s) => s.bavail * s.bsize);
    disk('ossd_disk_size_bytes', 'Size of the file system of the data folder.', (s) => s.blocks * s.bsize);
    const postgres = sources.postgres;
    if (postgres) {
      // Counted by the driver; each scrape brings the counter up to the driver's count.
      const counter = (name: string, help: string, pick: (c: MetadataQueryCounts) => number): void => {
        let counted = 0;
        new Counter({
          name, help, registers,
          collect() {
            const now = pick(postgres());
            this.inc(now - counted);
            counted = now;
          },
        });
      };
      counter('ossd_postgres_transactions_total', 'Transactions this node ran on PostgreSQL (with PostgreSQL metadata).', (c) => c.transactions);
      counter('ossd_postgres_round_trips_total', 'Statements this node sent to PostgreSQL, BEGIN and COMMIT included: its round trips.', (c) => c.roundTrips);
    }
    collectDefaultMetrics({ register: this.registry });
  }

  record(r: RequestOutcome): void {
    this.requests.record(r.operation, r.status, r.durationS);
    if (r.bytesIn > 0) this.bytesIn.inc(r.bytesIn);
    if (r.bytesOut > 0) this.bytesOut.inc(r.bytesOut);
    if (r.operation === 'AppendObject' && r.errorCode === 'PositionNotEqualToLength') this.appendConflicts.inc();
  }

  text(): Promise<string> {
    this.usage = this.readUsage();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
