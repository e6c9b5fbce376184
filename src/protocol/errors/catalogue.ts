/**
 * The one error catalogue: every OSS error code ossd can answer with, as data.
 * Sources: oss-api/README.md §4.3 (code → status), append.md §6, auth.md §8, objects.md.
 * `headers` turns an error's details into the extra response headers SDKs read
 * (py-sdk requires x-oss-next-append-position on PositionNotEqualToLength).
 */
export interface CatalogueEntry {
  status: number;
  message: string;
  /**
   * OSS's fine-grained error code (EC), sent as `x-oss-ec` and `<EC>`: the one OSS's
   * error-code pages (help.aliyun.com/…/oss/user-guide/<EC>) give for ossd's usual cause
   * of this code. A throw whose cause has its own EC passes it as the `ec` detail
   * (`withEc`). Each entry has `ec` or `noEc`, never neither (test/unit/error-ec.test.ts).
   */
  ec?: string;
  /** Why the entry has no EC: ossd's own code, or no EC page of OSS matches its cause. */
  noEc?: string;
  headers?: (details: Record<string, string>) => Record<string, string>;
}

export const ERROR_CATALOGUE: Record<string, CatalogueEntry> = {
  // OSS "Error responses" page: its 403 sample carries x-oss-ec 0003-00000001.
  AccessDenied: { status: 403, message: 'You have no right to access this object because of bucket acl.', ec: '0003-00000001' },
  // 0002-00000902: the AccessKeyId in the request does not exist (0002-00000904: disabled).
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.', ec: '0002-00000902' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    // V1 (OSS signature troubleshooting page sample); a V4 mismatch is 0002-00000201.
    ec: '0002-00000040',
  },
  RequestTimeTooSkewed: {
    status: 403,
    message: 'The difference between the request time and the current time is too large.',
    ec: '0002-00000504',
  },
  // 0002-00000006: the token is invalid (0002-00000007: expired).
  InvalidSecurityToken: { status: 403, message: 'The security token you provided is invalid.', ec: '0002-00000006' },
  // OSS gives InvalidArgument one EC per argument; throws with a documented cause pass it (withEc).
  InvalidArgument: { status: 400, message: 'Invalid argument.', noEc: 'one EC per argument in OSS; only causes with a documented EC carry one' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.', ec: '0015-00000001' },
  // 0016-00000003 too long, 0016-00000004 not UTF-8, 0016-00000005 leading '/' or '\\'.
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.', ec: '0016-00000005' },
  // 0017-00000503: Content-MD5 does not match the body (0017-00000502: not a valid MD5).
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.', ec: '0017-00000503' },
  // OSS "Error responses" page sample body.
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.', ec: '0031-00000001' },
  // PostObject (OSS "PostObject errors and troubleshooting"): a bad form / a bad policy field.
  // 0006-00000104: the form fields are not as PostObject requires (no file field, file not last, cut short).
  MalformedPOSTRequest: { status: 400, message: 'The body of your POST request is not well-formed multipart/form-data.', ec: '0006-00000104' },
  // 0006-00000201: the policy form field is not a valid policy (Base64 JSON with expiration and conditions).
  InvalidPolicyDocument: { status: 400, message: 'Invalid Policy: the policy form field is not a valid policy document.', ec: '0006-00000201' },
  MissingArgument: { status: 400, message: 'Missing Some Required Arguments.', ec: '0016-00000501' },
  EntityTooLarge: {
    status: 400,
    message: 'Your proposed upload exceeds the maximum allowed object size.',
    noEc: 'none for PutObject, AppendObject or UploadPart sizes; PostObject\'s content-length-range cause carries 0006-00000003',
  },
  // multipart.md §4 steps 3–5 (CompleteMultipartUpload).
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed size.', ec: '0042-00000213' },
  InvalidPart: {
    status: 400,
    message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
    noEc: 'no EC page found for it',
  },
  // A sequential upload's part out of order (oss2 exceptions.PartNotSequential: 400).
  PartNotSequential: { status: 400, message: 'For sequential multipart upload, parts must be uploaded in order: 1, 2, 3…', noEc: 'no EC page found for it' },
  InvalidPartOrder: {
    status: 400,
    message: 'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
    ec: '0042-00000209',
  },
  // 0017-00000505: the body's size differs from Content-Length.
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.', ec: '0017-00000505' },
  InvalidEncryptionAlgorithmError: { status: 400, message: 'The Encryption request you specified is not valid.', noEc: 'no EC page found for it' },
  InvalidRequest: { status: 400, message: 'Invalid request.', noEc: 'one EC per cause in OSS; none found for ossd\'s causes' },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed.', noEc: 'no EC page found for it' },
  // objects.md §9 / ossutil read-symlink: GetSymlink of an object that is not a link.
  // 0043-00000101: GetSymlink of an object that is not a symlink.
  NotSymlink: { status: 400, message: 'The specified object is not a symlink.', ec: '0043-00000101' },
  // A link whose target is itself a link (PutSymlink doc: a target cannot be a symlink;
  // checked on access, as the ali-oss test suite observes on HEAD).
  InvalidTargetType: { status: 400, message: 'The symlink target object type is not supported.', noEc: 'no EC page found for it' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.', ec: '0015-00000101' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.', ec: '0026-00000001' },
  // OSS page 0017-00000244 (the upload id does not exist), with OSS's message, which SDKs show.
  NoSuchUpload: {
    status: 404,
    message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    ec: '0017-00000244',
  },
  // 0012-00000203: the version a versionId names does not exist.
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.', ec: '0012-00000203' },
  // GetBucketCors on a bucket without rules (buckets.md §"Other bucket sub-resources").
  // 0034-00000001: GetBucketCors on a bucket without CORS rules.
  // Object tags that break OSS's rules (protocol/tagging.ts); the message names the rule, as OSS's do.
  InvalidTag: { status: 400, message: 'The TagKey you have provided is invalid', noEc: 'per cause (0010-00000217 for characters)' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS Configuration does not exist.', ec: '0034-00000001' },
  NoSuchAppendSizeLimit: { status: 404, message: 'The bucket has no append size limit.', noEc: "ossd's own code; OSS has no append size limit" },
  SymlinkTargetNotExist: { status: 404, message: 'The symlink target object does not exist.', ec: '0026-00000012' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.', noEc: 'one EC per cause in OSS: a delete marker carries 0017-00000002; none for the others' },
  // 0015-00000102: the name is taken (ossd has one account, so always by "another user" of the same server).
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.', ec: '0015-00000102' },
  // 0015-00000301: DeleteBucket of a bucket that holds objects (OSS's answer in alibabacloud-oss-go-sdk-v2 client_mock_test.go).
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.', ec: '0015-00000301' },
  ObjectNotAppendable: { status: 409, message: 'The object is not appendable', ec: '0026-00000017' },
  PositionNotEqualToLength: {
    status: 409,
    message: 'Position is not equal to file length',
    ec: '0026-00000016',
    headers: (d): Record<string, string> =>
      d.nextPosition !== undefined ? { 'x-oss-next-append-position': d.nextPosition } : {},
  },
  // ossd's own (docs/extensions.md "Append size limit"; engine/append-limit.ts says why 409).
  AppendSizeLimitExceeded: {
    status: 409,
    message: "The append would make the object larger than the bucket's append size limit.",
    noEc: "ossd's own code; OSS has no append size limit below 5 GiB",
    headers: (d): Record<string, string> => (d.nextPosition !== undefined ? { 'x-oss-next-append-position': d.nextPosition } : {}),
  },
  // Sequential multipart uploads (`?uploads&sequential`): a part already uploaded cannot be
  // uploaded again (OSS's answer carries this message and EC 0042-00000108).
  PartAlreadyExist: { status: 409, message: "For sequential multipart upload, you can't overwrite uploaded parts.", ec: '0042-00000108' },
  FileAlreadyExists: { status: 409, message: 'The object you specified already exists and can not be overwritten.', ec: '0026-00000201' },
  // Not an OSS code: exactly-once appends (docs/extensions.md), a key reused with another append.
  // 422 as the IETF Idempotency-Key draft answers a key reused with a different payload.
  IdempotencyKeyMismatch: {
    status: 422,
    message: 'The Idempotency-Key was already used for an append with another position or body.',
    noEc: "ossd's own code (an extension); OSS has none",
  },
  // 0017-00000101: no Content-Length (and not chunked).
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.', ec: '0017-00000101' },
  // 0017-00001001: If-Match, If-Unmodified-Since, If-Modified-Since or If-None-Match not met.
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold.', ec: '0017-00001001' },
  InvalidRange: { status: 416, message: 'The requested range cannot be satisfied.', noEc: 'no EC page found for it' },
  RequestHeaderTooLarge: { status: 431, message: 'Your request header is too large.', noEc: 'answered by the HTTP layer, not by OSS' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.', noEc: 'a server fault, not a cause the client can look up' },
  // Not an OSS code: the disk under the data folder is full (ENOSPC, SQLITE_FULL). 507 as
  // in RFC 4918 (MinIO answers 507 too); nothing of the request was stored. docs.ts choices.
  InsufficientStorage: {
    status: 507,
    message: 'No space left on device: the server could not store the request. Nothing was written; retry after space is freed.',
    noEc: 'ossd\'s own code; OSS has none',
  },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented.', noEc: 'ossd answers it for operations it lacks; OSS implements them' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.', noEc: 'no EC page found for it' },
};

/** Detail names that are used only to build headers, never rendered as XML elements. */
export const HEADER_ONLY_DETAILS = new Set(['nextPosition', 'deleteMarker', 'versionId', 'ec', 'status']);

/**
 * `details` with the HTTP status of this throw's cause, where OSS answers the same code with
 * another status than the catalogue's (NotImplemented for a conditional PutObject is 400, EC
 * 0017-00000245, not 501).
 */
export function withStatus(status: number, details: Record<string, string> = {}): Record<string, string> {
  return { ...details, status: String(status) };
}

/** `details` with the EC of this throw's cause, where it differs from the catalogue's (rendered as x-oss-ec and <EC>). */
export function withEc(ec: string, details: Record<string, string> = {}): Record<string, string> {
  return { ...details, ec };
}

/** `details` for a throw whose cause OSS documents no EC for, where the catalogue's EC would name another cause: no EC is sent. */
export function withoutEc(details: Record<string, string> = {}): Record<string, string> {
  return { ...details, ec: '' };
}

/** The EC an error is answered with: its throw's own (none for `withoutEc`), else the catalogue's. */
export function ecOf(code: string, details: Record<string, string>): string | undefined {
  if (details.ec === '') return undefined;
  return details.ec ?? ERROR_CATALOGUE[code]?.ec;
}

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
