/** GetObject, HeadObject, GetObjectMeta (objects.md §2–4). */
import { evaluateConditions } from '../engine/conditions.js';
import { header, keyOf, bucketOf, type RequestContext } from '../protocol/context.js';
import { objectResponseHeaders, quoted } from '../protocol/object-headers.js';
import { parseRange } from '../protocol/range.js';
import { queryValue } from '../protocol/request-target.js';
import { sendPooled } from '../server/pooled-send.js';
import { send, sendStream } from '../server/respond.js';
import type { OpenedObject } from '../engine/objects.js';
import type { ObjectRecord } from '../engine/model.js';
import type { HandlerExtras } from './index.js';
import { linkedResponseHeaders } from './symlink.js';
import { versionHeaders, versionIdParam } from '../protocol/versioning.js';
import { utf8HeaderValue } from '../protocol/header-values.js';
import { followStart, sendFollow } from './follow-read.js';

/** `response-*` query parameters override these response headers on GET (objects.md §2). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/** The `response-*` overrides of a GetObject, checked before anything is read: a control byte is 400, UTF-8 is sent as its bytes. */
function responseOverrides(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = queryValue(ctx.query, param);
    if (v !== undefined) headers[name] = utf8HeaderValue(v, param);
  }
  return headers;
}

function conditionsOf(ctx: RequestContext) {
  return {
    ifMatch: header(ctx, 'if-match'),
    ifNoneMatch: header(ctx, 'if-none-match'),
    ifModifiedSince: header(ctx, 'if-modified-since'),
    ifUnmodifiedSince: header(ctx, 'if-unmodified-since'),
  };
}

function notModified(ctx: RequestContext, rec: ObjectRecord): void {
  send(ctx, 304, { etag: quoted(rec.etag), 'last-modified': new Date(rec.mtimeMs).toUTCString() });
}

/** A symlink serves its target (objects.md §2.3); the target's ACL applies too. */
function targetCheck(ctx: RequestContext, extras: HandlerExtras): (target: string) => Promise<void> {
  return (target) => extras.authorizeRead(bucketOf(ctx), target);
}

/** The response headers of a GET/HEAD: the object's, or a link's over its target's, and the version read. */
async function readHeaders(ctx: RequestContext, link: ObjectRecord | undefined, rec: ObjectRecord): Promise<Record<string, string>> {
  return { ...(link ? linkedResponseHeaders(link, rec) : objectResponseHeaders(rec)), ...(await versionHeaders(ctx, link ?? rec)) };
}

/** Bodies up to this size are read in one call and sent in one write: no stream machinery per request. */
const SMALL_BODY = 256 * 1024;

async function sendBody(ctx: RequestContext, status: number, headers: Record<string, string>, opened: OpenedObject, start: number, end: number): Promise<void> {
  if (opened.read && end - start <= SMALL_BODY) return send(ctx, status, headers, await opened.read(start, end));
  // One file, nothing staged: read into reused buffers (pooled-send.ts).
  if (opened.readAt) return sendPooled(ctx, status, headers, opened.readAt, start, end);
  await sendStream(ctx, status, headers, opened.stream(start, end));
}

export async function getObject(ctx: RequestContext, extras: HandlerExtras): Promise<void> {
  const overrides = responseOverrides(ctx);
  const { link, target: opened } = await ctx.engine.symlinks.open(bucketOf(ctx), keyOf(ctx), targetCheck(ctx, extras), versionIdParam(ctx));
  let follow: { rec: ObjectRecord; headers: Record<string, string>; offset: number } | undefined;
  try {
    const rec = opened.record;
    if (evaluateConditions(conditionsOf(ctx), rec.etag, rec.mtimeMs) === 'not-modified') return notModified(ctx, rec);
    const headers = { ...(await readHeaders(ctx, link, rec)), ...overrides };
    // x-ossd-follow: 1 on an appendable object (the key itself, not through a link): a follow read.
    const offset = link ? undefined : followStart(ctx, rec);
    if (offset !== undefined) follow = { rec, headers, offset };
    else await sendRange(ctx, headers, opened);
  } finally {
    await opened.close();
  }
  // The file is not held open while the reader waits: each wake-up opens the object again.
  // Started, not awaited: the read goes on after this function (and the pipeline) returned.
  if (follow) sendFollow(ctx, follow.rec, follow.headers, follow.offset);
}

/** The body of a GetObject: the whole object, or the Range asked for. */
async function sendRange(ctx: RequestContext, headers: Record<string, string>, opened: OpenedObject): Promise<void> {
  const rec = opened.record;
  const standard = (header(ctx, 'x-oss-range-behavior') ?? '').toLowerCase() === 'standard';
  const range = parseRange(header(ctx, 'range'), rec.size, standard);
  if (range) {
    // Content-MD5 is the whole object's: a client checking it against a part would fail.
    delete headers['content-md5'];
    headers['content-range'] = `bytes ${range.start}-${range.end - 1}/${rec.size}`;
    headers['content-length'] = String(range.end - range.start);
    await sendBody(ctx, 206, headers, opened, range.start, range.end);
  } else {
    headers['content-length'] = String(rec.size);
    await sendBody(ctx, 200, headers, opened, 0, rec.size);
  }
}

export async function headObject(ctx: RequestContext, extras: HandlerExtras): Promise<void> {
  const { link, target: rec } = await ctx.engine.symlinks.head(bucketOf(ctx), keyOf(ctx), targetCheck(ctx, extras), versionIdParam(ctx));
  if (evaluateConditions(conditionsOf(ctx), rec.etag, rec.mtimeMs) === 'not-modified') return notModified(ctx, rec);
  const headers = await readHeaders(ctx, link, rec);
  send(ctx, 200, { ...headers, 'content-length': String(rec.size) });
}

/** GetObjectMeta: size, ETag, Last-Modified and the CRC only; a symlink describes itself (objects.md §4). */
export async function getObjectMeta(ctx: RequestContext): Promise<void> {
  const rec = await ctx.engine.objects.head(bucketOf(ctx), keyOf(ctx), versionIdParam(ctx));
  const headers: Record<string, string> = {
    ...(await versionHeaders(ctx, rec)),
    // HEAD (what every SDK sends) reports the size; a GET must not promise a body it never sends.
    'content-length': ctx.method === 'HEAD' ? String(rec.size) : '0',
    etag: quoted(rec.etag),
    'last-modified': new Date(rec.mtimeMs).toUTCString(),
    'x-oss-hash-crc64ecma': rec.crc,
  };
  if (rec.type === 'Appendable') headers['x-oss-next-append-position'] = String(rec.size);
  send(ctx, 200, headers);
}
