/**
 * The one error catalogue: every OSS error code ossd can answer with, as data.
 * Sources: oss-api/README.md §4.3 (code → status), append.md §6, auth.md §8, objects.md.
 * `headers` turns an error's details into the extra response headers SDKs read
 * (py-sdk requires x-oss-next-append-position on PositionNotEqualToLength).
 */
export interface CatalogueEntry {
  status: number;
  message: string;
  /** OSS fine-grained error code, sent as x-oss-ec and <EC> where known. */
  ec?: string;
  headers?: (details: Record<string, string>) => Record<string, string>;
}

export const ERROR_CATALOGUE: Record<string, CatalogueEntry> = {
  AccessDenied: { status: 403, message: 'You have no right to access this object because of bucket acl.' },
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  RequestTimeTooSkewed: {
    status: 403,
    message: 'The difference between the request time and the current time is too large.',
  },
  InvalidSecurityToken: { status: 403, message: 'The security token you provided is invalid.' },
  InvalidArgument: { status: 400, message: 'Invalid argument.' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  // PostObject (OSS "PostObject errors and troubleshooting"): a bad form / a bad policy field.
  MalformedPOSTRequest: { status: 400, message: 'The body of your POST request is not well-formed multipart/form-data.' },
  InvalidPolicyDocument: { status: 400, message: 'Invalid Policy: the policy form field is not a valid policy document.' },
  MissingArgument: { status: 400, message: 'Missing Some Required Arguments.', ec: '0016-00000501' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed object size.' },
  // multipart.md §4 steps 3–5 (CompleteMultipartUpload).
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed size.', ec: '0042-00000213' },
  InvalidPart: {
    status: 400,
    message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
  },
  InvalidPartOrder: {
    status: 400,
    message: 'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
  },
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
  InvalidEncryptionAlgorithmError: { status: 400, message: 'The Encryption request you specified is not valid.' },
  InvalidRequest: { status: 400, message: 'Invalid request.' },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed.' },
  // objects.md §9 / ossutil read-symlink: GetSymlink of an object that is not a link.
  NotSymlink: { status: 400, message: 'The specified object is not a symlink.' },
  // A link whose target is itself a link (PutSymlink doc: a target cannot be a symlink;
  // checked on access, as the ali-oss test suite observes on HEAD).
  InvalidTargetType: { status: 400, message: 'The symlink target object type is not supported.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified upload does not exist.' },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  // GetBucketCors on a bucket without rules (buckets.md §"Other bucket sub-resources").
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS Configuration does not exist.' },
  SymlinkTargetNotExist: { status: 404, message: 'The symlink target object does not exist.', ec: '0026-00000012' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.' },
  ObjectNotAppendable: { status: 409, message: 'The object is not appendable', ec: '0026-00000017' },
  PositionNotEqualToLength: {
    status: 409,
    message: 'Position is not equal to file length',
    ec: '0026-00000016',
    headers: (d): Record<string, string> =>
      d.nextPosition !== undefined ? { 'x-oss-next-append-position': d.nextPosition } : {},
  },
  FileAlreadyExists: { status: 409, message: 'The object you specified already exists and can not be overwritten.', ec: '0026-00000201' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold.' },
  InvalidRange: { status: 416, message: 'The requested range cannot be satisfied.' },
  RequestHeaderTooLarge: { status: 431, message: 'Your request header is too large.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  // Not an OSS code: the disk under the data folder is full (ENOSPC, SQLITE_FULL). 507 as
  // in RFC 4918 (MinIO answers 507 too); nothing of the request was stored. docs.ts choices.
  InsufficientStorage: { status: 507, message: 'No space left on device: the server could not store the request. Nothing was written; retry after space is freed.' },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented.' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
};

/** Detail names that are used only to build headers, never rendered as XML elements. */
export const HEADER_ONLY_DETAILS = new Set(['nextPosition', 'deleteMarker', 'versionId']);

/**
 * Headers any error may carry: a read that found a delete marker says so (objects.md §2.3,
 * §6): `x-oss-delete-marker: true` and the marker's `x-oss-version-id`.
 */
export function versionErrorHeaders(d: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {};
  if (d.deleteMarker !== undefined) h['x-oss-delete-marker'] = d.deleteMarker;
  if (d.versionId !== undefined) h['x-oss-version-id'] = d.versionId;
  return h;
}
