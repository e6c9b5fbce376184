/**
 * Bucket-versioning test helpers (buckets.md §7, listing.md §4) shared by
 * test/compat/sdk-versioning.test.ts and raw-versioning.test.ts: the configuration body
 * ali-oss sends, and a reader of ListObjectVersions / DeleteMultipleObjects answers that
 * keeps the document order (ali-oss splits versions from delete markers and loses it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Ossd } from './ossd-process.js';
import { raw, type RawResponse } from './raw-http.js';

/** A version id a server never handed out (same shape as the real ones). */
export const UNKNOWN_VERSION_ID = `CAEQ${'A'.repeat(40)}`;

/** The PutBucketVersioning body exactly as ali-oss writes it (lib/common/bucket/putBucketVersioning.js). */
export function versioningXml(status: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>`;
}

/** PutBucketVersioning over raw HTTP (path style, V1). */
export function putVersioning(ossd: Ossd, bucket: string, status: string): Promise<RawResponse> {
  return raw(ossd, { method: 'PUT', path: `/${bucket}/?versioning`, body: versioningXml(status) });
}

/** x-oss-version-id of a raw answer. */
export function vidOf(r: { headers: IncomingHttpHeaders }): string | undefined {
  const v = r.headers['x-oss-version-id'];
  return Array.isArray(v) ? v.join(',') : v;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** Text of the first `<name>` element of `xml` (entities decoded); undefined when absent. */
export function field(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>|<${name}/>`).exec(xml);
  if (!m) return undefined;
  return unescapeXml(m[1] ?? '');
}

/** Whether `xml` has an element `<name>` (empty or not). */
export function hasElement(xml: string, name: string): boolean {
  return new RegExp(`<${name}[ />]`).test(xml);
}

export interface ListedEntry {
  kind: 'Version' | 'DeleteMarker';
  key: string;
  versionId: string;
  isLatest: string | undefined;
  lastModified: string | undefined;
  etag?: string | undefined;
  type?: string | undefined;
  size?: string | undefined;
  storageClass?: string | undefined;
  ownerId: string | undefined;
  ownerName: string | undefined;
  /** The entry's own XML, for element-presence checks. */
  xml: string;
}

/** The <Version> and <DeleteMarker> entries of a ListVersionsResult, in document order. */
export function listedEntries(xml: string): ListedEntry[] {
  return [...xml.matchAll(/<(Version|DeleteMarker)>([\s\S]*?)<\/\1>/g)].map((m) => {
    const body = m[2]!;
    const owner = /<Owner>([\s\S]*?)<\/Owner>/.exec(body)?.[1] ?? '';
    const e: ListedEntry = {
      kind: m[1] as ListedEntry['kind'],
      key: field(body, 'Key') ?? '',
      versionId: field(body, 'VersionId') ?? '',
      isLatest: field(body, 'IsLatest'),
      lastModified: field(body, 'LastModified'),
      ownerId: field(owner, 'ID'),
      ownerName: field(owner, 'DisplayName'),
      xml: body,
    };
    if (e.kind === 'Version') {
      e.etag = field(body, 'ETag');
      e.type = field(body, 'Type');
      e.size = field(body, 'Size');
      e.storageClass = field(body, 'StorageClass');
    }
    return e;
  });
}

/** `[kind, key, versionId, isLatest]` of each listed entry: the shape most assertions compare. */
export function listedShape(xml: string): Array<[string, string, string, string | undefined]> {
  return listedEntries(xml).map((e) => [e.kind, e.key, e.versionId, e.isLatest]);
}

/** The <CommonPrefixes><Prefix> values of a listing. */
export function listedPrefixes(xml: string): string[] {
  return [...xml.matchAll(/<CommonPrefixes>\s*<Prefix>([^<]*)<\/Prefix>\s*<\/CommonPrefixes>/g)].map((m) => unescapeXml(m[1]!));
}

/** The <Deleted> entries of a DeleteResult as field maps (only the elements present). */
export function deletedEntries(xml: string): Array<Record<string, string>> {
  return [...xml.matchAll(/<Deleted>([\s\S]*?)<\/Deleted>/g)].map((m) => {
    const out: Record<string, string> = {};
    for (const f of m[1]!.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) out[f[1]!] = unescapeXml(f[2]!);
    return out;
  });
}

/** The DeleteMultipleObjects body ali-oss writes, with optional <VersionId> per object. */
export function deleteXml(objects: Array<{ key: string; versionId?: string }>, quiet = false): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const items = objects
    .map((o) => `<Object><Key>${esc(o.key)}</Key>${o.versionId !== undefined ? `<VersionId>${esc(o.versionId)}</VersionId>` : ''}</Object>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>${quiet}</Quiet>${items}</Delete>`;
}
