/**
 * docs/operations.md and docs/errors.md are generated from the operation table and the
 * error catalogue (`ossd docs`), so the documentation cannot drift from the code; a
 * unit test fails when the committed files are stale.
 */
import { ERROR_CATALOGUE } from './errors/catalogue.js';
import { OPERATION_SUBRESOURCES, OPERATIONS, type OperationRow } from './operations.js';

const ACCESS_TEXT: Record<string, string> = {
  read: 'read: anonymous if the object (or bucket) ACL is public-read or public-read-write',
  write: 'write: anonymous only if the ACL is public-read-write',
  list: 'list: anonymous on public-read / public-read-write buckets (configurable)',
  owner: 'owner: an access key only',
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
    '## Not implemented',
    '',
    'A request naming one of these sub-resources, with no row above that handles it, gets',
    '`501 NotImplemented` with an OSS error body:',
    '',
    [...OPERATION_SUBRESOURCES]
      .filter((s) => !OPERATIONS.some((r) => r.subresource === s))
      .sort()
      .map((s) => `\`${s}\``)
      .join(', '),
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
    '| PutBucket on an existing bucket, also by its owner | `409 BucketAlreadyExists` | README open question 4 |',
    '| a body shorter than its Content-Length (client went away) | nothing stored; the connection is closed | all-or-nothing writes |',
    '| a request naming an operation ossd does not implement | `501 NotImplemented` | — |',
    '| anonymous listing of a public-read bucket | allowed (turn off with `--no-anonymous-list`) | auth.md §6.2 |',
    '| GetObject / HeadObject of a symlink | the target\'s bytes, Content-Length, Content-Type and stored headers, ETag, Last-Modified, CRC and storage class; but `x-oss-object-type: Symlink` and the link\'s own `x-oss-meta-*` and `x-oss-tagging-count`; no `x-oss-next-append-position`. Conditions compare against the target. Anonymous access needs both ACLs | ali-oss\'s own symlink test against OSS expects `head(link)` to report type `Symlink` and the link\'s metadata; appends go to the link key and are refused (objects.md §2.3, append.md §8) |',
    '| GET / HEAD of a symlink whose target is missing, or is itself a symlink | `404 SymlinkTargetNotExist`; `400 InvalidTargetType` | objects.md §2.3; PutSymlink doc (a target cannot be a symlink, checked on access) |',
    '| GetSymlink of an object that is not a symlink | `400 NotSymlink` | ossutil read-symlink doc (objects.md §9) |',
    '| PutSymlink without `x-oss-symlink-target` (or empty) / with one that is not a valid object name | `400 MissingArgument` / `400 InvalidArgument` | like AppendObject without `position` |',
    '| a symlink\'s own ETag, size and CRC (GetSymlink, GetObjectMeta, listings) | MD5 of the target key, 0, 0 | not documented |',
    '| CopyObject whose source is a symlink | the destination is a symlink to the same target, with the link\'s metadata per the directives | objects.md §5 |',
    '| Put/DeleteObjectTagging | change only the tags: type, length, ETag, CRC and Last-Modified stay, also for appendable objects | append.md §8 |',
    '',
  ];
  return lines.join('\n');
}
