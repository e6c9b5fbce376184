/**
 * The ACL matrix (acl-matrix.test.ts) along the versionId dimension (issue 15, hole 3):
 * a request that names a version with `?versionId=` is authorized with the ACL of that
 * version (its own object ACL, or the bucket's when it is `default`; auth.md §6.2), never
 * with the current version's. Before the fix ossd read the current version's ACL, so an
 * anonymous user could read a private old version whenever the current one was public-read,
 * or whenever a delete marker was current in a public-read bucket.
 *
 * Cells: bucket ACL private / public-read / public-read-write × old version ACL default /
 * private / public-read × current version ACL default / private / public-read or a delete
 * marker. Each cell addresses the old version, the current one and the delete marker by
 * versionId with GetObject, HeadObject, GetObjectMeta and GetObjectTagging, as:
 *   anonymous ........ allowed iff the addressed version's effective ACL is public-read or
 *                      public-read-write (a delete marker has no ACL of its own: the bucket's)
 *   scoped ........... a read-only key limited to the matrix buckets: always allowed (keys act
 *                      as the account within their limits, docs/errors.md)
 *   outsider ......... a key limited to another bucket: always 403 AccessDenied
 *   presigned V1 / V4  by the root key, versionId in the signed query: allowed; by the
 *                      outsider: 403 AccessDenied
 *   tampered V1 / V4 . a root-presigned URL for the key (no versionId) with `&versionId=`
 *                      appended: 403 SignatureDoesNotMatch (versionId is signed, auth.md §2.3)
 * Allowed answers are 200, or 405 MethodNotAllowed for a delete marker (objects.md §2.3).
 * Writes that take versionId (DeleteObject, Put/DeleteObjectTagging, PutObjectAcl, the
 * <VersionId> of DeleteMultipleObjects, a copy source's ?versionId=) are checked below.
 *
 * Fails before the fix, checked (src/ at 6f752a8, authorize() reading the current version's
 * ACL): the read matrix reports 60 mismatches, all anonymous, e.g. "anonymous GetObject of
 * the old version (bucket private, old private, current public-read): expected 403
 * AccessDenied, got 200" and "... (bucket public-read, old private, current delete marker):
 * expected 403 AccessDenied, got 200"; the write test fails on the anonymous DELETE
 * ?versionId= of a private version (204, the version gone); the symlink test on GetSymlink
 * of the private old link (200). Each part of the fix removed alone, checked too: without
 * the <VersionId> in DeleteMultipleObjects' authorization (handlers/delete.ts) it deletes the
 * private version; without the copy source's versionId (object-write.ts, multipart.ts)
 * CopyObject and UploadPartCopy copy it (200). And with `versionId` removed from the
 * server's V1 sub-resource list (src/protocol/auth/v1.ts) the read matrix reports 1440
 * mismatches (V1-signed and V1-presigned requests naming a version get 403
 * SignatureDoesNotMatch, and a tampered V1 URL is served): checked.
 */
import { aclVersionsBattery } from '../helpers/acl-versions-battery.js';
import { startOssd } from '../helpers/ossd-process.js';

// The battery's body is shared with test/faults/batteries-cluster.test.ts (the same matrix on a PostgreSQL + S3 node).
aclVersionsBattery({ start: () => startOssd() });
