/**
 * Issue 19 promises the PostgreSQL + S3 deployment "the same API and guarantees": the
 * fuzzing of fuzz.test.ts (random requests with every byte value in keys, values and XML
 * bodies; no 5xx, well-formed XML errors from the catalogue, sentinels untouched, nothing
 * written outside the data folder), the same body (test/helpers/fuzz-battery.ts), against
 * one node on PostgreSQL metadata and S3 blobs (test/helpers/pg-s3-node.ts).
 *
 * 10,000 cases in the normal run, as for the embedded node (~10 s here); OSSD_LONG_TESTS=1
 * runs 200,000. At 2,000, the check that every scenario had a success failed for some seeds
 * (a scenario such as delete-multiple gets 2-7 successes per 2,000).
 * The byte sweep (batteries-cluster.test.ts) gives every byte to keys, metadata and listings.
 */
import { fuzzBattery } from '../helpers/fuzz-battery.js';
import { pgS3Skip, startPgS3Node } from '../helpers/pg-s3-node.js';

fuzzBattery({
  // A 3 s shutdown: the battery leaves a request in flight that the default 30 s waits for
  // (the embedded fuzz.test.ts spends those 30 s after its test too).
  start: (dataDir, cwd) => startPgS3Node({ env: { OSSD_DATA_DIR: dataDir, OSSD_SHUTDOWN_TIMEOUT: '3' }, cwd }),
  title: ' (PostgreSQL + S3 node)',
  skip: pgS3Skip(),
});
