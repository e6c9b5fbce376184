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
    '| an append that would make the object larger than 5 GiB | `400 InvalidArgument`, refused before the body is read when Content-Length tells | OSS documents the limit, not the code (append.md §6) |',
    '| AppendObject without `position` | `400 MissingArgument` | EC 0016-00000501 family |',
    '| PutBucket on an existing bucket, also by its owner | `409 BucketAlreadyExists` | README open question 4 |',
    '| a body shorter than its Content-Length (client went away) | nothing stored; the connection is closed | all-or-nothing writes |',
    '| a request naming an operation ossd does not implement | `501 NotImplemented` | — |',
    '| anonymous listing of a public-read bucket | allowed (turn off with `--no-anonymous-list`) | auth.md §6.2 |',
    '',
  ];
  return lines.join('\n');
}
