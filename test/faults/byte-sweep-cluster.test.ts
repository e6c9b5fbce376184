/**
 * Issue 19 promises the PostgreSQL + S3 deployment "the same API and guarantees": the byte
 * sweep of byte-sweep.test.ts (every byte value 0x00–0xFF in response-* values, keys,
 * metadata values and XML bodies), the same body (test/helpers/byte-sweep-battery.ts),
 * run against one node on PostgreSQL metadata and S3 blobs (test/helpers/pg-s3-node.ts).
 * The sweep stays exhaustive (256 bytes per place); only the random XML property runs
 * fewer cases than on the embedded node (it exercises the protocol layer, the same code).
 */
import { byteSweepBattery } from '../helpers/byte-sweep-battery.js';
import { pgS3Skip, usePgS3Node } from '../helpers/pg-s3-node.js';

byteSweepBattery((setup) => usePgS3Node({}, setup), { title: ' (PostgreSQL + S3 node)', skip: pgS3Skip(), randomRuns: 100 });
