/**
 * Issue 19 promises the PostgreSQL + S3 deployment "the same API and guarantees": the
 * versionId × ACL matrix of acl-versions.test.ts (anonymous users never read a private old
 * version, whatever the current version's or the bucket's ACL; keys, presigned URLs and
 * writes naming a version), the same body (test/helpers/acl-versions-battery.ts), against
 * one node on PostgreSQL metadata and S3 blobs (test/helpers/pg-s3-node.ts). Keys are
 * made with `ossd keys` on the cluster's key store (OSSD_METADATA).
 *
 * Sampled to keep the suite's time: the reads matrix makes its requests 4 of the 9 ways
 * (anonymous, the privacy cells, all kept; a scoped key; V4 presigned; a tampered V1 URL):
 * which version's ACL the metadata hands back is the driver's part, signing is not.
 * The write and symlink tests run whole.
 */
import { aclVersionsBattery } from '../helpers/acl-versions-battery.js';
import { pgS3Skip, startPgS3Node } from '../helpers/pg-s3-node.js';

aclVersionsBattery({
  start: () => startPgS3Node(),
  title: ' (PostgreSQL + S3 node)',
  skip: pgS3Skip(),
  means: ['anonymous', 'scoped', 'presigned V4', 'tampered V1'],
});
