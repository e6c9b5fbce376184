/** PutSymlink and GetSymlink (objects.md §9), and the headers of a GET/HEAD through a link (§2.3). */
import { OssError } from '../engine/errors.js';
import type { ObjectRecord } from '../engine/model.js';
import { bucketOf, header, keyOf, type RequestContext } from '../protocol/context.js';
import { withEc } from '../protocol/errors/catalogue.js';
import { validateObjectKey } from '../protocol/names.js';
import { objectResponseHeaders, parseForbidOverwrite, parseObjectAttributes, quoted } from '../protocol/object-headers.js';
import { send } from '../server/respond.js';
import { versionHeaders, versionIdParam } from '../protocol/versioning.js';

const TARGET_HEADER = 'x-oss-symlink-target';

/**
 * `x-oss-symlink-target`: ali-oss sends encodeURIComponent with '/' kept, Go QueryEscape
 * ('+' for space), Python quote, C++ the raw name (objects.md §9). Decoded form-style
 * like the copy source (README §1.4); raw UTF-8 bytes (C++) arrive as latin1 and are
 * read back as UTF-8.
 */
function parseTarget(ctx: RequestContext): string {
  const raw = header(ctx, TARGET_HEADER);
  // Project choice (docs/errors.md): an absent target is MissingArgument, like `position`.
  if (raw === undefined || raw.trim() === '') {
    throw new OssError('MissingArgument', 'x-oss-symlink-target is required.', { ArgumentName: TARGET_HEADER });
  }
  // eslint-disable-next-line no-control-regex
  const bytes = /[^\u0000-\u007f]/.test(raw) ? Buffer.from(raw, 'latin1').toString('utf8') : raw;
  const invalid = (why: string): OssError =>
    new OssError('InvalidArgument', `Invalid x-oss-symlink-target: ${why}`, { ArgumentName: TARGET_HEADER, ArgumentValue: raw });
  let target: string;
  try {
    target = decodeURIComponent(bytes.trim().replace(/\+/g, ' '));
  } catch {
    throw invalid('malformed percent-encoding.');
  }
  try {
    validateObjectKey(target);
  } catch (e) {
    throw invalid(e instanceof OssError ? e.message : 'not a valid object name.');
  }
  return target;
}

/** encodeURIComponent keeping '/': the plain name for simple keys; every SDK decodes it (objects.md §9). */
export function encodeTarget(target: string): string {
  return encodeURIComponent(target).replace(/%2F/g, '/');
}

/**
 * OSS takes x-oss-server-side-encryption on PutObject, PostObject, CopyObject,
 * InitiateMultipartUpload and AppendObject only; any other operation carrying it, PutSymlink
 * included, is refused (OSS page 0005-00000002, which names no code: InvalidArgument, 400).
 */
function refuseEncryptionHeader(ctx: RequestContext): void {
  const name = 'x-oss-server-side-encryption';
  const value = header(ctx, name);
  if (value === undefined) return;
  throw new OssError('InvalidArgument', `${name} is not supported by PutSymlink.`,
    withEc('0005-00000002', { ArgumentName: name, ArgumentValue: value }));
}

export async function putSymlink(ctx: RequestContext): Promise<void> {
  refuseEncryptionHeader(ctx);
  const target = parseTarget(ctx);
  const attrs = parseObjectAttributes(ctx);
  const rec = await ctx.engine.symlinks.put(bucketOf(ctx), keyOf(ctx), target, attrs, parseForbidOverwrite(ctx));
  send(ctx, 200, { etag: quoted(rec.etag), ...(await versionHeaders(ctx, rec)) });
}

export async function getSymlink(ctx: RequestContext): Promise<void> {
  const rec = await ctx.engine.symlinks.get(bucketOf(ctx), keyOf(ctx), versionIdParam(ctx));
  send(ctx, 200, {
    etag: quoted(rec.etag),
    'last-modified': new Date(rec.mtimeMs).toUTCString(),
    [TARGET_HEADER]: encodeTarget(rec.symlinkTarget),
    ...(await versionHeaders(ctx, rec)),
  });
}

/**
 * GET/HEAD through a link (project choice, docs/errors.md): the target's bytes and content
 * headers (length, Content-Type and the other stored headers, ETag, Last-Modified, CRC,
 * storage class), but the link's own `x-oss-object-type: Symlink`, user metadata and tag
 * count, as OSS answers in ali-oss's own symlink test (head(link): type Symlink, meta of
 * the link). No `x-oss-next-append-position`: appends to the link key are refused.
 */
export function linkedResponseHeaders(link: ObjectRecord, target: ObjectRecord): Record<string, string> {
  const h = objectResponseHeaders(target);
  for (const name of Object.keys(h)) {
    if (name.startsWith('x-oss-meta-')) delete h[name];
  }
  delete h['x-oss-next-append-position'];
  delete h['x-oss-sealed-time'];
  delete h['x-oss-tagging-count'];
  h['x-oss-object-type'] = 'Symlink';
  for (const [k, v] of Object.entries(link.meta)) h[`x-oss-meta-${k}`] = v;
  if (link.tags.length > 0) h['x-oss-tagging-count'] = String(link.tags.length);
  return h;
}
