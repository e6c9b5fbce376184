/**
 * Bucket usage for MetadataStore.bucketUsage(), which is synchronous (the metrics read it
 * per scrape): a cache of the trigger-kept counters (002-metadata-core.sql bucket_usage,
 * summed over their shards), refreshed after this node's commits and periodically for
 * the other nodes' (every REFRESH_MS). One refresh at a time; a commit during a refresh
 * asks for another after it, so the cache catches up with every commit of this node.
 */
import type { BucketUsage } from '../types.js';
import type { Queryable } from './object-rows.js';

const REFRESH_MS = 2000;
/** After a commit, the refresh waits this long, to serve the commits around it too. */
const CHANGED_DELAY_MS = 50;

const USAGE_SQL = `SELECT b.name AS bucket,
    coalesce(sum(u.objects), 0)::bigint AS "objects", coalesce(sum(u.bytes), 0)::bigint AS "bytes",
    coalesce(sum(u.noncurrent_versions), 0)::bigint AS "noncurrentVersions", coalesce(sum(u.noncurrent_bytes), 0)::bigint AS "noncurrentBytes"
  FROM buckets b LEFT JOIN bucket_usage u ON u.bucket = b.name GROUP BY b.name ORDER BY b.name`;

export class UsageCache {
  private usage: BucketUsage[] = [];
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private scheduled: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly db: Queryable) {
    this.timer = setInterval(() => this.changed(), REFRESH_MS);
    this.timer.unref();
  }

  list(): BucketUsage[] {
    return this.usage;
  }

  /**
   * Something changed: refresh soon, at most once per CHANGED_DELAY_MS however many commits
   * (with many buckets the query is not free). Errors keep the last figures; the next
   * refresh retries.
   */
  changed(): void {
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      void this.refresh().catch(() => undefined);
    }, CHANGED_DELAY_MS);
    this.scheduled.unref();
  }

  /** Resolves once the cache holds every commit made before the call (a refresh under way may have started before it: then one more, shared by every caller meanwhile). */
  refresh(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.db
      .query<BucketUsage>(USAGE_SQL)
      .then((r) => void (this.usage = r.rows))
      .finally(() => {
        if (this.running === p) this.running = undefined;
      });
    this.running = p;
    return p;
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.scheduled);
  }
}
