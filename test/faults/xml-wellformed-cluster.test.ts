/**
 * Issue 19 promises the PostgreSQL + S3 deployment "the same API and guarantees": the
 * malformed-XML battery of test/compat/raw-xml-wellformed.test.ts (DTDs, entities, invalid
 * references and UTF-8 in DeleteMultipleObjects, CompleteMultipartUpload, tagging, CORS,
 * versioning and PutBucket bodies: 400 MalformedXML and nothing changed; references
 * decoded), the same body (test/helpers/xml-wellformed-battery.ts), against one node on
 * PostgreSQL metadata and S3 blobs (test/helpers/pg-s3-node.ts). Not sampled.
 */
import { pgS3Skip, usePgS3Node } from '../helpers/pg-s3-node.js';
import { xmlWellformedBattery } from '../helpers/xml-wellformed-battery.js';

xmlWellformedBattery((setup) => usePgS3Node({}, setup), { title: ' (PostgreSQL + S3 node)', skip: pgS3Skip() });
