/**
 * Hostile and broken clients against the real ossd process (issue "Reliability and
 * security"): disconnects mid-body and mid-download, slowloris headers, trickled bodies,
 * connection floods, oversized heads, a Content-Length over 5 GiB, Expect: 100-continue
 * on a refused append, and chunked bodies with bad framing. After each: nothing half
 * written is visible or left in the data folder, and the server keeps answering.
 *
 * The main server runs with 2 s header and idle timeouts (OSSD_HEADERS_TIMEOUT_MS,
 * OSSD_IDLE_TIMEOUT_MS) so the timeouts can be watched at work.
 */
import { hostileBattery } from '../helpers/hostile-battery.js';
import { startOssd } from '../helpers/ossd-process.js';

// The battery's body is shared with test/faults/batteries-cluster.test.ts (the same on a PostgreSQL + S3 node).
hostileBattery({ start: (opts) => startOssd(opts) });
