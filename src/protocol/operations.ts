/**
 * The one operation table (design.md): each OSS operation is a row. Routing,
 * authorization, log names, NotImplemented answers and docs/operations.md all come from
 * it. A request matches the row of its method and level whose discriminators (a
 * sub-resource in the query, a header) are all present, preferring the most specific;
 * a request that names an OSS operation (oss-operation-names.ts) no row handles is
 * NotImplemented, at any method and level, and never runs as the base operation.
 */
import { APPEND_LIMIT_SUBRESOURCE, OSS_OPERATION_NAMES, OSSD_EXTENSION_NAMES } from './oss-operation-names.js';

export type Level = 'service' | 'bucket' | 'object';
/**
 * What a request needs, which decides who may send it anonymously (auth.md §6.2):
 * read/write follow the object ACL (else the bucket's), list follows the bucket ACL,
 * owner is never anonymous. form: the handler authorizes, from the signature in the form
 * (PostObject). anyone: no authorization at all (the CORS preflight, OptionObject).
 */
export type Access = 'read' | 'write' | 'list' | 'owner' | 'form' | 'anyone';

export interface OperationRow {
  name: string;
  method: string;
  level: Level;
  subresource?: string;
  /** A query parameter that must have this value (list-type=2). */
  queryEquals?: [string, string];
  header?: string;
  access: Access;
  /** Operation sub-resources in the query do not make the request NotImplemented (a preflight names the operation it precedes). */
  anySubresource?: boolean;
}

export const OPERATIONS: readonly OperationRow[] = [
  { name: 'ListBuckets', method: 'GET', level: 'service', access: 'owner' },
  // `GET /?regionList`: ListBuckets of the endpoint's region only (oss2's "single region"
  // example and test_list_buckets_with_region_list, answered 200 by OSS); ossd has one region.
  { name: 'ListBuckets', method: 'GET', level: 'service', subresource: 'regionList', access: 'owner' },
  // `?tagging="k":"v"`: ListBuckets filtered by tags (alibabacloud-oss-go-sdk-v2 ListBucketsRequest.Tagging).
  { name: 'ListBuckets', method: 'GET', level: 'service', subresource: 'tagging', access: 'owner' },

  { name: 'PutBucket', method: 'PUT', level: 'bucket', access: 'owner' },
  { name: 'DeleteBucket', method: 'DELETE', level: 'bucket', access: 'owner' },
  { name: 'GetBucketInfo', method: 'GET', level: 'bucket', subresource: 'bucketInfo', access: 'owner' },
  { name: 'GetBucketLocation', method: 'GET', level: 'bucket', subresource: 'location', access: 'owner' },
  { name: 'GetBucketAcl', method: 'GET', level: 'bucket', subresource: 'acl', access: 'owner' },
  { name: 'PutBucketAcl', method: 'PUT', level: 'bucket', subresource: 'acl', access: 'owner' },
  { name: 'ListObjects', method: 'GET', level: 'bucket', access: 'list' },
  { name: 'ListObjectsV2', method: 'GET', level: 'bucket', queryEquals: ['list-type', '2'], access: 'list' },
  { name: 'DeleteMultipleObjects', method: 'POST', level: 'bucket', subresource: 'delete', access: 'write' },
  // Multipart operations are writes (auth.md §6.2): upload ids are not shown to mere readers.
  { name: 'ListMultipartUploads', method: 'GET', level: 'bucket', subresource: 'uploads', access: 'write' },
  // PostObject: a browser form upload; the form carries the signature (post-object.ts).
  { name: 'PostObject', method: 'POST', level: 'bucket', access: 'form' },
  { name: 'PutBucketCors', method: 'PUT', level: 'bucket', subresource: 'cors', access: 'owner' },
  { name: 'GetBucketCors', method: 'GET', level: 'bucket', subresource: 'cors', access: 'owner' },
  { name: 'DeleteBucketCors', method: 'DELETE', level: 'bucket', subresource: 'cors', access: 'owner' },
  { name: 'OptionObject', method: 'OPTIONS', level: 'bucket', access: 'anyone', anySubresource: true },
  { name: 'PutBucketVersioning', method: 'PUT', level: 'bucket', subresource: 'versioning', access: 'owner' },
  { name: 'GetBucketVersioning', method: 'GET', level: 'bucket', subresource: 'versioning', access: 'owner' },
  { name: 'ListObjectVersions', method: 'GET', level: 'bucket', subresource: 'versions', access: 'list' },
  { name: 'PutBucketTags', method: 'PUT', level: 'bucket', subresource: 'tagging', access: 'owner' },
  { name: 'GetBucketTags', method: 'GET', level: 'bucket', subresource: 'tagging', access: 'owner' },
  { name: 'DeleteBucketTags', method: 'DELETE', level: 'bucket', subresource: 'tagging', access: 'owner' },
  // Always empty: no live channels here (handlers/live-channel.ts); SDK cleanup helpers call it.
  { name: 'ListLiveChannel', method: 'GET', level: 'bucket', subresource: 'live', access: 'owner' },

  // ossd extension, not OSS (docs/extensions.md "Append size limit"): the bucket's append size limit.
  { name: 'PutBucketAppendSizeLimit', method: 'PUT', level: 'bucket', subresource: APPEND_LIMIT_SUBRESOURCE, access: 'owner' },
  { name: 'GetBucketAppendSizeLimit', method: 'GET', level: 'bucket', subresource: APPEND_LIMIT_SUBRESOURCE, access: 'owner' },
  { name: 'DeleteBucketAppendSizeLimit', method: 'DELETE', level: 'bucket', subresource: APPEND_LIMIT_SUBRESOURCE, access: 'owner' },

  { name: 'PutObject', method: 'PUT', level: 'object', access: 'write' },
  { name: 'CopyObject', method: 'PUT', level: 'object', header: 'x-oss-copy-source', access: 'write' },
  { name: 'AppendObject', method: 'POST', level: 'object', subresource: 'append', access: 'write' },
  // Sealing ends the appends: whoever may append may seal (OSS: action oss:SealAppendObject).
  { name: 'SealAppendObject', method: 'POST', level: 'object', subresource: 'seal', access: 'write' },
  { name: 'InitiateMultipartUpload', method: 'POST', level: 'object', subresource: 'uploads', access: 'write' },
  { name: 'UploadPart', method: 'PUT', level: 'object', subresource: 'uploadId', access: 'write' },
  { name: 'UploadPartCopy', method: 'PUT', level: 'object', subresource: 'uploadId', header: 'x-oss-copy-source', access: 'write' },
  { name: 'CompleteMultipartUpload', method: 'POST', level: 'object', subresource: 'uploadId', access: 'write' },
  { name: 'AbortMultipartUpload', method: 'DELETE', level: 'object', subresource: 'uploadId', access: 'write' },
  { name: 'ListParts', method: 'GET', level: 'object', subresource: 'uploadId', access: 'write' },
  { name: 'GetObject', method: 'GET', level: 'object', access: 'read' },
  { name: 'HeadObject', method: 'HEAD', level: 'object', access: 'read' },
  { name: 'GetObjectMeta', method: 'HEAD', level: 'object', subresource: 'objectMeta', access: 'read' },
  { name: 'GetObjectMeta', method: 'GET', level: 'object', subresource: 'objectMeta', access: 'read' },
  { name: 'DeleteObject', method: 'DELETE', level: 'object', access: 'write' },
  { name: 'PutObjectAcl', method: 'PUT', level: 'object', subresource: 'acl', access: 'owner' },
  { name: 'GetObjectAcl', method: 'GET', level: 'object', subresource: 'acl', access: 'owner' },
  { name: 'PutSymlink', method: 'PUT', level: 'object', subresource: 'symlink', access: 'write' },
  { name: 'GetSymlink', method: 'GET', level: 'object', subresource: 'symlink', access: 'read' },
  { name: 'PutObjectTagging', method: 'PUT', level: 'object', subresource: 'tagging', access: 'write' },
  { name: 'GetObjectTagging', method: 'GET', level: 'object', subresource: 'tagging', access: 'read' },
  { name: 'DeleteObjectTagging', method: 'DELETE', level: 'object', subresource: 'tagging', access: 'write' },
  // The CORS preflight (OSS OptionObject), unsigned by nature: answered from the bucket's CORS rules.
  { name: 'OptionObject', method: 'OPTIONS', level: 'object', access: 'anyone', anySubresource: true },
];

/** The names of OSS_OPERATION_NAMES and ossd's extension operations in lower case, to recognise them in any spelling. */
const OPERATION_NAMES_ANY_CASE: ReadonlySet<string> = new Set([...OSS_OPERATION_NAMES, ...OSSD_EXTENSION_NAMES].map((n) => n.toLowerCase()));

/**
 * Whether a query parameter names an OSS operation (as opposed to modifying one, like
 * `position` or `response-content-type`). Rows match their sub-resource exactly, as OSS
 * does (V1 signs the names as sent; OSS's own names mix cases, e.g. `accessmonitor` next
 * to `bucketArchiveDirectRead`); another spelling of an operation name (`?ACL`) is not
 * that operation, but is refused all the same rather than run as the base operation:
 * ossd cannot tell what OSS would make of it, and DeleteBucket or PutObject must not be
 * the guess (docs/errors.md).
 */
export function namesOperation(queryName: string): boolean {
  return OPERATION_NAMES_ANY_CASE.has(queryName.toLowerCase());
}

export interface RouteInput {
  method: string;
  level: Level;
  queryNames: Set<string>;
  queryValue: (name: string) => string | undefined;
  hasHeader: (name: string) => boolean;
}

export type RouteResult = { row: OperationRow } | { notImplemented: string } | { methodNotAllowed: true };

function specificity(row: OperationRow): number {
  return (row.subresource ? 1 : 0) + (row.queryEquals ? 1 : 0) + (row.header ? 1 : 0);
}

function matches(row: OperationRow, r: RouteInput): boolean {
  if (row.method !== r.method || row.level !== r.level) return false;
  if (row.subresource && !r.queryNames.has(row.subresource)) return false;
  if (row.queryEquals && r.queryValue(row.queryEquals[0]) !== row.queryEquals[1]) return false;
  if (row.header && !r.hasHeader(row.header)) return false;
  return true;
}

export function route(r: RouteInput): RouteResult {
  const candidates = OPERATIONS.filter((row) => matches(row, r)).sort((a, b) => specificity(b) - specificity(a));
  const row = candidates[0];
  // Any operation name the row does not handle, also at another method or level
  // (`DELETE /bucket?acl` is not DeleteBucket): NotImplemented, whatever the method.
  const unknown = row?.anySubresource ? undefined : [...r.queryNames].find((n) => n !== row?.subresource && namesOperation(n));
  if (unknown !== undefined) return { notImplemented: unknown };
  if (!row) return { methodNotAllowed: true };
  return { row };
}
