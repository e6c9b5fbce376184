/**
 * Key sets and paging loops for the ali-oss listing tests (listing.md). Expected orders
 * are built with Buffer.compare, i.e. bytewise over UTF-8, independently of the server.
 */
import assert from 'node:assert/strict';
import type { OssClient } from './clients.js';

/** Ascending UTF-8 byte order (not UTF-16 code unit order, not locale order). */
export function bytewise(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

// U+FF61 sorts before U+1F600 in UTF-8 (EF… < F0…) but after it in UTF-16 (FF61 > D83D).
const SUFFIXES = ['a', 'Z', 'é', '中', '😀', '\uff61', ' x', '+p', '~', '-', '_', '0', '%41'];

/** ~250 keys under `page/` whose bytewise order differs from UTF-16 order. */
export const PAGE_KEYS: readonly string[] = Array.from(
  { length: 250 },
  (_, i) => `page/${String(i % 17).padStart(2, '0')}${SUFFIXES[i % SUFFIXES.length]}${i}`,
);

export const TREE_KEYS = ['tree/a.txt', 'tree/b/1.txt', 'tree/b/2.txt', 'tree/c/d/e.txt', 'tree/z.txt', 'tree/b.txt'];

/** Multi-character delimiter `--`. */
export const MULTI_DELIM_KEYS = ['mc/x--y--z', 'mc/x--w', 'mc/plain', 'mc/q-r', 'mc/--lead'];

/** Directories and files interleaved so page boundaries fall on common prefixes. */
export const CP_KEYS = ['cp/a', 'cp/b/1', 'cp/b/2', 'cp/b/3', 'cp/b0', 'cp/c', 'cp/d/x/1', 'cp/d/y', 'cp/d0', 'cp/e/1', 'cp/f'];
/** What listing CP_KEYS with prefix `cp/` and delimiter `/` yields, in order. */
export const CP_ENTRIES = ['cp/a', 'cp/b/', 'cp/b0', 'cp/c', 'cp/d/', 'cp/d0', 'cp/e/', 'cp/f'];

export const ENC_KEYS = ['enc/a b+c', 'enc/中文', 'enc/x&y=z', 'enc/dir/ inner'];

export const ALL_LIST_KEYS: readonly string[] = [...PAGE_KEYS, ...TREE_KEYS, ...MULTI_DELIM_KEYS, ...CP_KEYS, ...ENC_KEYS];

export interface Paged {
  /** Objects and common prefixes of every page, page by page, each page in bytewise order. */
  entries: string[];
  pageSizes: number[];
  markers: string[];
}

type Query = Record<string, string | number | boolean>;

function pageEntries(r: { objects: Array<{ name: string }>; prefixes: string[] | null }): string[] {
  // ali-oss separates a page into objects and prefixes; a page is a contiguous range, so
  // sorting it restores the listing order.
  return bytewise([...r.objects.map((o) => o.name), ...(r.prefixes ?? [])]);
}

/** Pages through ListObjects (v1) following NextMarker. */
export async function pageV1(c: OssClient, query: Query): Promise<Paged> {
  const out: Paged = { entries: [], pageSizes: [], markers: [] };
  let marker: string | undefined;
  for (;;) {
    const r = await c.list({ ...query, ...(marker !== undefined ? { marker } : {}) });
    const entries = pageEntries(r);
    out.entries.push(...entries);
    out.pageSizes.push(entries.length);
    if (!r.isTruncated) return out;
    assert.ok(r.nextMarker, 'a truncated page has a NextMarker');
    assert.notEqual(r.nextMarker, marker, 'NextMarker advances');
    marker = r.nextMarker as string;
    out.markers.push(marker);
    assert.ok(out.pageSizes.length < 1000, 'paging terminates');
  }
}

/** Pages through ListObjectsV2 following NextContinuationToken. */
export async function pageV2(c: OssClient, query: Query): Promise<Paged> {
  const out: Paged = { entries: [], pageSizes: [], markers: [] };
  let token: string | undefined;
  for (;;) {
    const r = await c.listV2({ ...query, ...(token !== undefined ? { 'continuation-token': token } : {}) });
    const entries = pageEntries(r);
    assert.equal(r.keyCount, entries.length, 'KeyCount counts objects and common prefixes');
    out.entries.push(...entries);
    out.pageSizes.push(entries.length);
    if (token !== undefined) assert.equal(r.continuationToken, token, 'the request token is echoed');
    if (!r.isTruncated) {
      assert.equal(r.nextContinuationToken, null);
      return out;
    }
    assert.ok(r.nextContinuationToken, 'a truncated page has a NextContinuationToken');
    token = r.nextContinuationToken as string;
    out.markers.push(token);
    assert.ok(out.pageSizes.length < 1000, 'paging terminates');
  }
}

/** Every page but the last holds exactly `max` entries, the last 1..max. */
export function assertFullPages(p: Paged, max: number, total: number): void {
  assert.equal(p.pageSizes.length, Math.ceil(total / max), `page count for ${total} entries at ${max} per page`);
  p.pageSizes.forEach((n, i) => assert.equal(n, i < p.pageSizes.length - 1 ? max : total - max * (p.pageSizes.length - 1)));
}
