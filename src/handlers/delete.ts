/** DeleteObject and DeleteMultipleObjects (objects.md §6–7). */
import { createHash } from 'node:crypto';
import { OssError } from '../engine/errors.js';
import { authorize } from '../protocol/authorize.js';
import { withEc } from '../protocol/errors/catalogue.js';
import { bucketOf, header, keyOf, readSmallBody, type RequestContext } from '../protocol/context.js';
import { validateObjectKey } from '../protocol/names.js';
import { queryValue } from '../protocol/request-target.js';
import { asList, asObject, asText, parseXml } from '../protocol/xml/parse.js';
import { renderXml, urlEncode, type XmlNode } from '../protocol/xml/render.js';
import { send, sendXml } from '../server/respond.js';
import { checkVersionId, type DeleteOutcome } from '../engine/versioning.js';
import { versionIdParam } from '../protocol/versioning.js';

/** 1000 keys of up to 1023 bytes, escaped, fit well within this. */
const MAX_DELETE_BODY = 2 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;

/** objects.md §6: a delete marker made or removed, and the version concerned. */
function deleteHeaders(outcome: DeleteOutcome): Record<string, string> {
  const h: Record<string, string> = {};
  if (outcome.deleteMarker) h['x-oss-delete-marker'] = 'true';
  if (outcome.versionId !== undefined) h['x-oss-version-id'] = outcome.versionId;
  return h;
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const outcome = await ctx.engine.objects.delete(bucketOf(ctx), keyOf(ctx), versionIdParam(ctx));
  send(ctx, 204, deleteHeaders(outcome));
}

interface DeleteEntry {
  key: string;
  versionId?: string;
}

/**
 * Control characters written literally in `<Key>…</Key>` name the key they spell (issue 16:
 * "the multi-delete body may carry them as character references or raw"). ali-oss
 * (utility.escape), oss2 (ElementTree) and the Java SDK write every control character of a
 * key literally; the Go SDKs write references (`&#x01;`, `&#xD;`). XML 1.0 refuses
 * U+0001–U+001F other than tab, LF and CR, and reads a CR as a line feed (end-of-line
 * handling), which would delete another key. So, before parsing, each of them inside a
 * `<Key>` element becomes its character reference; everything else in the body is still
 * strict XML 1.0 (a control byte elsewhere, or NUL anywhere, is MalformedXML). Done on the
 * bytes: 0x01–0x1F never occur inside a multi-byte UTF-8 sequence. A key in a CDATA
 * section or in an element with attributes is left to XML's rules.
 */
export function keepControlCharactersInKeys(body: Uint8Array): Uint8Array {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!bytes.some((b) => b >= 0x01 && b <= 0x1f && b !== 0x09 && b !== 0x0a)) return body;
  const text = bytes
    .toString('latin1')
    // eslint-disable-next-line no-control-regex
    .replace(/<Key>([^<]*)<\/Key>/g, (_m, key: string) => `<Key>${key.replace(/[\x01-\x08\x0b-\x1f]/g, (c) => `&#${c.charCodeAt(0)};`)}</Key>`);
  return Buffer.from(text, 'latin1');
}

function parseDeleteRequest(xml: Uint8Array): { quiet: boolean; entries: DeleteEntry[] } {
  const root = asObject(parseXml(keepControlCharactersInKeys(xml)).Delete);
  // OSS: MalformedXML with EC 0016-00000608, "the root node is not named Delete." (its answer in alibabacloud-oss-go-sdk-v2 client_mock_test.go).
  if (!root) throw new OssError('MalformedXML', undefined, withEc('0016-00000608'));
  const quietText = asText(root.Quiet);
  if (quietText !== undefined && !['true', 'false'].includes(quietText.trim().toLowerCase())) throw new OssError('MalformedXML');
  const objects = asList(root.Object);
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new OssError('MalformedXML');
  const entries = objects.map((o): DeleteEntry => {
    const key = asText(asObject(o)?.Key);
    // OSS page 0016-00000613: an <Object> without <Key>.
    if (key === undefined) throw new OssError('MalformedXML', undefined, withEc('0016-00000613'));
    const version = asObject(o)?.VersionId;
    if (version === undefined) return { key };
    const versionId = asText(version) ?? '';
    checkVersionId(versionId);
    return { key, versionId };
  });
  return { quiet: quietText?.trim().toLowerCase() === 'true', entries };
}

export async function deleteMultipleObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.engine.buckets.require(bucket);
  const encodingType = queryValue(ctx.query, 'encoding-type');
  const md5 = header(ctx, 'content-md5');
  const raw = await readSmallBody(ctx, MAX_DELETE_BODY, () => new OssError('MalformedXML', 'The request body is too large.'));
  // objects.md §7: Content-MD5 is required for this operation.
  if (md5 === undefined || createHash('md5').update(raw).digest('base64') !== md5.trim()) {
    throw new OssError('InvalidDigest', 'Content-MD5 is missing or does not match the request body.');
  }
  const { quiet, entries } = parseDeleteRequest(raw);
  for (const { key } of entries) validateObjectKey(key);
  // Every object's own ACL counts, as for DeleteObject (auth.md §6.2): an anonymous writer
  // of a public-read-write bucket may not delete an object whose ACL is private or public-read.
  // An entry with <VersionId> is about that version, so that version's ACL counts.
  for (const { key, versionId } of entries) await authorize(ctx.engine, ctx.config, ctx.principal, { bucket, key, versionId }, 'write');
  const nodes: XmlNode[] = [];
  const encode = encodingType === 'url';
  if (encode) nodes.push(['EncodingType', 'url']);
  for (const entry of entries) {
    const outcome = await ctx.engine.objects.delete(bucket, entry.key, entry.versionId);
    if (!quiet) nodes.push(['Deleted', deletedNodes(entry, outcome, encode)]);
  }
  // Quiet mode: OSS returns no body at all (EC 0016-00000610's page; docs/errors.md).
  if (quiet) send(ctx, 200);
  else sendXml(ctx, renderXml('DeleteResult', nodes, 'reference'));
}

/** objects.md §7: the version asked for, and the delete marker made or removed. */
function deletedNodes(entry: DeleteEntry, outcome: DeleteOutcome, encode: boolean): XmlNode[] {
  const nodes: XmlNode[] = [['Key', encode ? urlEncode(entry.key) : entry.key]];
  if (entry.versionId !== undefined) nodes.push(['VersionId', entry.versionId]);
  if (outcome.deleteMarker) {
    nodes.push(['DeleteMarker', 'true']);
    if (outcome.versionId !== undefined) nodes.push(['DeleteMarkerVersionId', outcome.versionId]);
  }
  return nodes;
}
