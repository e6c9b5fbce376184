/**
 * docs/operations.md and docs/errors.md are generated from the operation table and the
 * error catalogue (`ossd docs`), so the documentation cannot drift from the code; a
 * unit test fails when the committed files are stale.
 */
import { ERROR_CATALOGUE } from './errors/catalogue.js';
import { OSS_OPERATION_NAME_GROUPS } from './oss-operation-names.js';
import { OPERATIONS, type OperationRow } from './operations.js';

const ACCESS_TEXT: Record<string, string> = {
  read: 'read: anonymous if the object (or bucket) ACL is public-read or public-read-write',
  write: 'write: anonymous only if the ACL is public-read-write',
  list: 'list: anonymous on public-read / public-read-write buckets (configurable)',
  owner: 'owner: an access key only',
  form: 'form: the access key that signed the form\'s policy, or anonymous only if the bucket ACL is public-read-write',
  anyone: 'anyone: no signature needed; answered from the bucket\'s CORS rules',
};

function requestShape(r: OperationRow): string {
  const path = r.level === 'service' ? '/' : r.level === 'bucket' ? '/' : '/<key>';
  const query = [r.subresource, r.queryEquals?.join('=')].filter(Boolean).join('&');
  const hdr = r.header ? ` + \`${r.header}\`` : '';
  return `\`${r.method} ${path}${query ? `?${query}` : ''}\`${hdr}`;
}

export function renderOperationsDoc(): string {
  const lines = [
    '# Supported operations',
    '',
    'Generated from `src/protocol/operations.ts` by `node dist/src/cli/main.js docs`. Do not edit by hand.',
    '',
    'Paths are shown virtual-hosted; path style puts `/<bucket>` in front. Every operation',
    'accepts V1 and V4 signatures, in the Authorization header or as a presigned URL.',
    '',
    '| operation | level | request | who may call it |',
    '|---|---|---|---|',
    ...OPERATIONS.map((r) => `| ${r.name} | ${r.level} | ${requestShape(r)} | ${ACCESS_TEXT[r.access]} |`),
    '',
    '## Operation names and NotImplemented',
    '',
    'These query parameters name OSS operations (OSS\'s full API reference, every group;',
    'sources in `src/protocol/oss-operation-names.ts`). A request naming one that no row above',
    'handles at its method and level gets `501 NotImplemented` with an OSS error body and',
    'changes nothing, at service, bucket and object level alike: `DELETE /bucket?acl` or',
    '`DELETE /bucket?responseHeader` is not DeleteBucket, `PUT /key?seal` is not PutObject.',
    'Rows match a name exactly (case-sensitive, as OSS); another spelling of a name (`?ACL`)',
    'is refused with 501 too. Parameters that modify an operation (`position`, `partNumber`,',
    '`versionId`, `response-*`, the listing parameters, `security-token`, `x-oss-traffic-limit`)',
    'and unknown ones (a cache-buster `?t=1`) are not operation names.',
    '',
    '| group | names | OSS operations |',
    '|---|---|---|',
    ...OSS_OPERATION_NAME_GROUPS.map((g) => `| ${g.group} | ${g.names.map((n) => `\`${n}\``).join(', ')} | ${g.operations} |`),
    '',
  ];
  return lines.join('\n');
}

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Generated from `src/protocol/errors/catalogue.ts` by `node dist/src/cli/main.js docs`. Do not edit by hand.',
    '',
    'Every error answer has an OSS XML body (`<Error>` with `Code`, `Message`, `RequestId`,',
    '`HostId`, and `EC` where OSS defines one) and the `x-oss-request-id` header. HEAD answers',
    'carry no body: the XML is base64-encoded in `x-oss-err`.',
    '',
    '| code | status | default message | extra headers |',
    '|---|---|---|---|',
    ...Object.entries(ERROR_CATALOGUE).map(([code, e]) => {
      const extra = code === 'PositionNotEqualToLength' ? '`x-oss-next-append-position`' : '';
      return `| ${code} | ${e.status} | ${e.message.replace(/\|/g, '\\|')} | ${[e.ec ? `\`x-oss-ec: ${e.ec}\`` : '', extra].filter(Boolean).join(', ')} |`;
    }),
    '',
    '## Choices where OSS leaves the question open',
    '',
    '| situation | answer | why |',
    '|---|---|---|',
    '| CopyObject whose source is an appendable object (also copy onto itself / `putMeta`) | `400 InvalidArgument`, message "CopyObject cannot be performed on appendable objects.", nothing written at the destination | the append-upload guides of every SDK say CopyObject cannot be performed on appendable objects; the API reference names no code (append.md §8) |',
    '| UploadPartCopy whose source is an appendable object | `400 InvalidArgument`, message "UploadPartCopy cannot be performed on appendable objects.", no part recorded | the same rule as CopyObject (append.md §8) |',
    '| `x-oss-copy-source-range` malformed, first > last, or last at or past the source size | `400 InvalidArgument` | OSS names no code (multipart.md §3) |',
    '| CompleteMultipartUpload: no `<Part>`, or a PartNumber that is not a number | `400 MalformedXML`; an unknown upload id is `404 NoSuchUpload` whatever the body | multipart.md §4 steps 1–2 |',
    '| CompleteMultipartUpload with `x-oss-complete-all: yes` and a body / with no part uploaded | `400 InvalidArgument` / `400 InvalidPart` | multipart.md §4 |',
    '| CompleteMultipartUpload with `x-oss-callback` | `501 NotImplemented`, the upload stays as it was | upload callbacks are not implemented |',
    '| anonymous multipart requests, ListParts and ListMultipartUploads included | only on public-read-write buckets (objects) | upload ids work as write capabilities; auth.md §6.2 lists multipart under public-read-write |',
    '| several uploads of one key in ListMultipartUploads | in initiation order (upload ids begin with their time) | S3-style ordering assumed (multipart.md §6) |',
    '| an append that would make the object larger than 5 GiB | `400 InvalidArgument`, refused before the body is read when Content-Length tells | OSS documents the limit, not the code (append.md §6) |',
    '| AppendObject without `position` | `400 MissingArgument` | EC 0016-00000501 family |',
    '| an append racing another request on its key: the object is deleted (or emptied) / replaced by a Normal object / made shorter or longer while its body is read | the append is committed onto what the key is now when its position still fits (an append at 0 onto a missing or empty object always succeeds); otherwise `409 PositionNotEqualToLength` or `409 ObjectNotAppendable`, compared against and reporting the same state, so `x-oss-next-append-position` is never the position sent; if an older version of the same length was made current meanwhile, `503 ServiceUnavailable` and nothing appended | the append is linearized at its commit; a refusal must not contradict itself (issue 15; append.md §6) |',
    '| PutBucket on an existing bucket, also by its owner | `409 BucketAlreadyExists` | README open question 4 |',
    '| a body shorter than its Content-Length (client went away) | nothing stored; the connection is closed | all-or-nothing writes |',
    '| a request naming an operation ossd does not implement, or an implemented operation\'s name at another method or level (`DELETE /bucket?acl`, `HEAD /key?tagging`) | `501 NotImplemented`, nothing changed | OSS answers 405 MethodNotAllowed for a method its operation list lacks, but that list keeps growing (bucket `tagging` gained DELETE); 501 says "not here" for every name alike, and never runs the base operation (docs/operations.md) |',
    '| anonymous listing of a public-read bucket | allowed (turn off with `--no-anonymous-list`) | auth.md §6.2 |',
    '| a `response-*` override (GetObject) holding a control byte (0x00–0x1F, 0x7F; tab included) | `400 InvalidArgument`, ArgumentName the parameter; UTF-8 text is sent as its UTF-8 bytes | a header cannot carry control bytes (Node refuses them); HEAD ignores `response-*` as OSS does (objects.md §2) |',
    '| a value that would come back as a response header holding a byte no header can carry: PostObject fields Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires, `x-oss-meta-*` (name and value), the file part\'s type; a CORS ExposeHeader that is not printable ASCII | `400 InvalidArgument` when written, nothing stored | else the object (or every CORS answer of the bucket) could never be sent again; request headers need no check, Node\'s parser refuses those bytes |',
    '| XML answers echoing characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates): a prefix, marker, key, argument value, StringToSign | left out of the answer; CR is written `&#13;` so it reads back as CR | every answer stays well-formed; `encoding-type=url` keeps every byte in listings |',
    '| a request that names a version: `?versionId=` (GetObject, HeadObject, GetObjectMeta, GetSymlink, Get/Put/DeleteObjectTagging, Get/PutObjectAcl, DeleteObject), a copy source\'s `?versionId=`, a `<VersionId>` in DeleteMultipleObjects | authorized with that version\'s own ACL, or the bucket\'s when it is `default`, never the current version\'s; a delete marker or a version that does not exist: the bucket\'s ACL | OSS keeps an ACL per version (PutObjectAcl ?versionId=); the bucket\'s ACL for a missing version tells anonymous users of a private bucket nothing |',
    '| GetObject / HeadObject of a symlink | the target\'s bytes, Content-Length, Content-Type and stored headers, ETag, Last-Modified, CRC and storage class; but `x-oss-object-type: Symlink` and the link\'s own `x-oss-meta-*` and `x-oss-tagging-count`; no `x-oss-next-append-position`. Conditions compare against the target. Anonymous access needs both ACLs | ali-oss\'s own symlink test against OSS expects `head(link)` to report type `Symlink` and the link\'s metadata; appends go to the link key and are refused (objects.md §2.3, append.md §8) |',
    '| GET / HEAD of a symlink whose target is missing, or is itself a symlink | `404 SymlinkTargetNotExist`; `400 InvalidTargetType` | objects.md §2.3; PutSymlink doc (a target cannot be a symlink, checked on access) |',
    '| GetSymlink of an object that is not a symlink | `400 NotSymlink` | ossutil read-symlink doc (objects.md §9) |',
    '| PutSymlink without `x-oss-symlink-target` (or empty) / with one that is not a valid object name | `400 MissingArgument` / `400 InvalidArgument` | like AppendObject without `position` |',
    '| a symlink\'s own ETag, size and CRC (GetSymlink, GetObjectMeta, listings) | MD5 of the target key, 0, 0 | not documented |',
    '| CopyObject whose source is a symlink | the destination is a symlink to the same target, with the link\'s metadata per the directives | objects.md §5 |',
    '| Put/DeleteObjectTagging | change only the tags: type, length, ETag, CRC and Last-Modified stay, also for appendable objects | append.md §8 |',
    '| access keys besides the root (`ossd keys create`) without limits | everything the root key may do, except the admin endpoint | keys are the account\'s; only the root key issues temporary credentials over HTTP |',
    '| a read-only access key or temporary credential | operations of access read or list, and owner-level GET/HEAD (ListBuckets, GetBucketInfo, GetBucketLocation, GetBucketAcl, GetObjectAcl); anything else, ListParts and ListMultipartUploads included, `403 AccessDenied` | like OSS\'s AliyunOSSReadOnlyAccess policy; upload ids work as write capabilities |',
    '| an access key or temporary credential limited to named buckets | everything inside those buckets; other buckets (CopyObject sources included), ListBuckets, and PutBucket / DeleteBucket even of a named bucket: `403 AccessDenied` | like a RAM policy whose resources are the buckets: ListBuckets is a service-level action, and creating or removing buckets is account administration |',
    '| a disabled or deleted access key, or temporary credentials whose parent key is | `403 InvalidAccessKeyId` from the next request on | the server reads the keys in meta.db on every request, no cache |',
    '| temporary credentials: expired / token missing, wrong or another credential\'s | `403 InvalidSecurityToken` "The security token you provided has expired" / "… is invalid." | OSS |',
    '| temporary credential duration (`ossd sts issue --duration`, `POST /-/admin/sts?duration=`) | 1 to 43200 s, default 3600 | STS AssumeRole allows 900–43200 s; shorter ones help tests |',
    '| `/-/admin/sts` called anonymously or by any key but the root | `403 AccessDenied` | bucket `-` is never valid, so the path cannot clash with a bucket |',
    '| PostObject without a `Content-Type` form field | the file part\'s own Content-Type (what the browser guessed), else application/octet-stream | OSS documents only the form field |',
    '| PostObject `success_action_status` | 201: `<PostResponse>` XML (Bucket, ETag, Key, Location); 200 and 204 (the default, also for any other value): empty body | OSS PostObject doc |',
    '| PostObject policy conditions on `key` | pass when either the key field as sent or the key after `${filename}` substitution satisfies them; V4 policies need not repeat the x-oss-credential / x-oss-date fields | a `starts-with` on the prefix holds for both |',
    '| PostObject form limits | fields before the file: 64 KiB each, 256 KiB in all; `400 MalformedPOSTRequest` beyond; fields after the file are ignored | OSS: the file field must be last |',
    '| CORS preflight without Origin or Access-Control-Request-Method, or to a bucket without CORS rules | `403 AccessDenied` "CORSResponse: ..." | like a preflight no rule allows |',
    '| Access-Control-Allow-Origin | the request\'s Origin, also for a `*` rule | valid with and without credentials |',
    '| the disk under the data folder is full (ENOSPC, EDQUOT, SQLITE_FULL) | `507 InsufficientStorage` "No space left on device …"; nothing of the write is stored or visible, earlier objects stay intact, writes work again once space is freed | OSS has no such code; 507 is HTTP\'s Insufficient Storage (MinIO answers 507 too), and a 5xx tells SDKs it is the server\'s fault; `test/faults/full-disk.test.ts` |',
    '| an I/O error on the disk (EIO, SQLITE_IOERR) | `500 InternalError` "An I/O error occurred on the server\'s storage …"; the write is rolled back, its cause is logged. A failed fsync of the metadata WAL (or of the append log committed with it) makes every later request `500` until ossd is restarted (recovery then serves everything acknowledged) | nothing can be promised about commits that may not be on disk; `test/faults/fault-drivers.test.ts` (`OSSD_FAULTS` test hook, drivers/faults-config.ts) |',
    '| GET, HEAD, GetObjectAcl, tagging with a `versionId` naming a delete marker | `405 MethodNotAllowed` with `x-oss-delete-marker: true` and `x-oss-version-id` | S3 answers 405; OSS documents EC 0017-00000002 (operation not supported on a delete marker) |',
    '| CopyObject / UploadPartCopy whose source `versionId` is a delete marker | `404 NoSuchKey` with `x-oss-delete-marker: true` | objects.md §5 |',
    '| DeleteObject with a `versionId` that does not exist | `204`, nothing deleted, `x-oss-version-id` echoed | like DeleteObject of a missing key |',
    '| an empty `versionId` (query, or `<VersionId></VersionId>` in DeleteMultipleObjects) | `400 InvalidArgument` | OSS EC 0016-00000612 |',
    '| PutBucketVersioning with a status other than Enabled / Suspended, or malformed XML | `400 MalformedXML` | S3 |',
    '| `version-id-marker` naming a version that is gone | the listing resumes after every version of `key-marker` | a marker is a position, not a precondition |',
    '| CopyObject onto itself in a versioned bucket | a new version with its own copy of the bytes (unversioned: a metadata update in place) | S3 |',
    '| a version made current again (its newer versions deleted by id) that is Appendable | appendable again at its length | appends follow the current version (append.md §9) |',
    '| a request XML body (DeleteMultipleObjects, CompleteMultipartUpload, tagging, CORS, versioning, PutBucket) that is not well-formed XML 1.0: a DOCTYPE or entity declaration, an undefined entity, a reference to a non-character (`&#0;`, `&#xD800;`, `&#xFFFE;`), bytes that are not UTF-8, an encoding other than UTF-8, mismatched tags, anything after the root | `400 MalformedXML`, nothing acted on | XML 1.0 well-formedness; a DTD is never needed by an OSS body and is the way to billion-laughs and external entities (src/protocol/xml/parse.ts) |',
    '| character references in request XML | every one that names a character is decoded, decimal and hex (`&#34;`, `&#x9;`); references to U+0001–U+001F are accepted too (XML 1.1 allows them as references), the characters written literally are not | both official Go SDKs write `"` in ETags as `&#34;` and control bytes in keys as `&#x01;`…`&#x1F;` |',
    '| deletes on a full disk | a 2 MiB `reserve` file in the data folder is given up so that deletes and aborts can commit and free space; made again once 32 MiB are free | without it a full disk could never be emptied (SQLITE_FULL on every commit); `test/faults/full-disk.test.ts` |',
    '',
    '## Object headers',
    '',
    '| header or element | answer | source |',
    '|---|---|---|',
    "| `Content-MD5` on GetObject / HeadObject | the object's MD5 (base64) for Normal objects (PutObject, PostObject, and copies of them), whose ETag is that MD5; none for Appendable, Multipart and Symlink objects, whose ETag is not an MD5; none on a ranged (206) GET, where it would not describe the body | OSS returns Content-MD5 only for objects uploaded by PutObject; the MD5 of a multipart or appended object is not known |",
    "| `x-oss-storage-class` (and listings' `StorageClass`) of a new object written without the header: PutObject, AppendObject, InitiateMultipartUpload, PutSymlink, PostObject, CopyObject with `REPLACE` | the bucket's storage class; with the header, the header's. CopyObject with `COPY` keeps the source's unless the header names one. The creating append in a ColdArchive or DeepColdArchive bucket makes an appendable object of that class too (OSS allows only Standard, IA and Archive in the header and says nothing about this case) | OSS EC page 0017-00000131: the header overrides the bucket's storage class for that object (../shared/oss-api/objects.md says `Standard`; the issue asks for the bucket's) |",
    "| `x-oss-version-id` | only in buckets whose versioning is Enabled or Suspended (`null` for the null version in a Suspended bucket, and for versions written before versioning was enabled); never in a bucket whose versioning was never enabled | OSS PutObject: a versioning-suspended bucket gives the object the version id `null` |",
    "| GetBucketInfo `<Comment>` | always present, after `<AccessControlList>`, empty: ossd has no way to set a bucket comment | the OSS GetBucketInfo example answer (and SDKs that map it, e.g. aliyun-oss-rs, read it as a string) |",
    '',
    '## Server-side encryption',
    '',
    '**The bytes are stored unencrypted.** ossd accepts and records the server-side encryption',
    'headers so that SDK code that sets them works unchanged, but it does not encrypt data at',
    'rest yet (a later issue); anyone with access to the data folder can read every object.',
    '',
    "| situation | answer | source |",
    '|---|---|---|',
    "| `x-oss-server-side-encryption` on PutObject, AppendObject (the creating append), CopyObject, InitiateMultipartUpload | `AES256`, `KMS` and `SM4` are taken (case-sensitive); anything else, the empty value included, `400 InvalidArgument` with ArgumentName the header, nothing written | OSS PutObject and EC page 0005-00000003 (supported values AES256, SM4, KMS), which name no error code; the issue asks for InvalidArgument. (An old copy of the InitiateMultipartUpload reference names `InvalidEncryptionAlgorithmError` for an unsupported value; no current page does) |",
    "| `x-oss-server-side-data-encryption` / `x-oss-server-side-encryption-key-id` | taken only with `x-oss-server-side-encryption: KMS` (the data algorithm only as `SM4`); else `400 InvalidArgument`. No key id is made up when none is sent | OSS PutObject: both are valid only with KMS |",
    "| where the headers come back | stored with the object and returned on GetObject and HeadObject, and in the answers of PutObject, every AppendObject to the object, CopyObject, InitiateMultipartUpload, and UploadPart and CompleteMultipartUpload (those of the upload's initiation) | OSS returns them on the writes that set them and on reads (the UploadPart reference: the part is encrypted as the initiation asked, and the response carries the header); CopyObject takes them from its own request, never from the source |",
    '',
  ];
  return lines.join('\n');
}
