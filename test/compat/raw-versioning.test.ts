// Bucket versioning over raw HTTP (buckets.md §7, objects.md §2.3/§5–§7, listing.md §4,
// append.md §9): malformed configurations, the empty and unknown versionId, the headers of
// delete markers (also on errors, where no SDK shows them), the exact ListObjectVersions
// document and its paging, DeleteMultipleObjects bodies with <VersionId>, copy sources
// with ?versionId=, the append errors after a delete marker, Suspended null versions and
// DeleteBucket while versions remain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, md5Base64, raw, type RawRequest, type RawResponse } from '../helpers/raw-http.js';
import {
  deletedEntries,
  deleteXml,
  field,
  hasElement,
  listedEntries,
  listedPrefixes,
  listedShape,
  putVersioning,
  UNKNOWN_VERSION_ID,
  versioningXml,
  vidOf,
} from '../helpers/versioning.js';

const B = 'raw-ver';
const LIST = 'raw-ver-list';
const NONE = 'raw-ver-none';
let ossd: Ossd;

const req = (r: RawRequest): Promise<RawResponse> => raw(ossd, r);
const path = (bucket: string, key: string, query = ''): string => `/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}${query}`;
const put = (bucket: string, key: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  req({ method: 'PUT', path: path(bucket, key), body, headers });
const get = (bucket: string, key: string, query = ''): Promise<RawResponse> => req({ method: 'GET', path: path(bucket, key, query) });
const head = (bucket: string, key: string, query = ''): Promise<RawResponse> => req({ method: 'HEAD', path: path(bucket, key, query) });
const del = (bucket: string, key: string, query = ''): Promise<RawResponse> => req({ method: 'DELETE', path: path(bucket, key, query) });
const append = (bucket: string, key: string, position: number, body: string): Promise<RawResponse> =>
  req({ method: 'POST', path: path(bucket, key, `?append&position=${position}`), body });
const versions = (bucket: string, query = ''): Promise<RawResponse> => req({ method: 'GET', path: `/${bucket}/?versions${query}` });
const deleteMulti = (bucket: string, body: string): Promise<RawResponse> =>
  req({ method: 'POST', path: `/${bucket}/?delete`, body, headers: { 'content-md5': md5Base64(body), 'content-type': 'application/xml' } });
const md5Etag = (s: string): string => `"${createHash('md5').update(s).digest('hex').toUpperCase()}"`;

/** A successful write in a versioned bucket: 200 and a real version id. */
function newId(res: RawResponse, what: string): string {
  assert.equal(res.status, 200, `${what}: ${res.text}`);
  const id = vidOf(res);
  assert.ok(id !== undefined && id !== '' && id !== 'null', `${what}: x-oss-version-id is a real id (got ${id})`);
  return id;
}

async function createBucket(name: string): Promise<void> {
  assert.equal((await req({ method: 'PUT', path: `/${name}/` })).status, 200);
}

before(async () => {
  ossd = await startOssd();
  for (const b of [B, LIST, NONE]) await createBucket(b);
  assert.equal((await putVersioning(ossd, B, 'Enabled')).status, 200);
  assert.equal((await putVersioning(ossd, LIST, 'Enabled')).status, 200);
});

after(async () => {
  await ossd.stop();
  ossd.cleanup();
});

test('Get/PutBucketVersioning: empty configuration when never set; only Enabled and Suspended; anything else MalformedXML and no change', { timeout: 300_000 }, async () => {
  const cfg = 'raw-ver-cfg';
  await createBucket(cfg);
  const getCfg = (): Promise<RawResponse> => req({ method: 'GET', path: `/${cfg}/?versioning` });
  const unset = await getCfg();
  assert.equal(unset.status, 200);
  assert.match(unset.text, /<VersioningConfiguration\/>\s*$|<VersioningConfiguration><\/VersioningConfiguration>\s*$/, unset.text);
  assert.ok(!hasElement(unset.text, 'Status'), unset.text);
  const info0 = await req({ method: 'GET', path: `/${cfg}/?bucketInfo` });
  assert.ok(!hasElement(info0.text, 'Versioning'), info0.text);

  const bad = [
    '',
    'not xml at all',
    versioningXml('Disabled'),
    versioningXml('enabled'),
    versioningXml('Off'),
    versioningXml(''),
    '<VersioningConfiguration/>',
    '<VersioningConfiguration></VersioningConfiguration>',
    '<VersioningConfiguration><Status>Enabled</Status>',
    '<Other><Status>Enabled</Status></Other>',
  ];
  for (const body of bad) {
    assertErr(await req({ method: 'PUT', path: `/${cfg}/?versioning`, body }), 400, 'MalformedXML');
    assert.ok(!hasElement((await getCfg()).text, 'Status'), `after ${JSON.stringify(body)} the bucket is still never-versioned`);
  }

  assert.equal((await putVersioning(ossd, cfg, 'Enabled')).status, 200);
  assert.match((await getCfg()).text, /<VersioningConfiguration><Status>Enabled<\/Status><\/VersioningConfiguration>\s*$/);
  assert.equal(field((await req({ method: 'GET', path: `/${cfg}/?bucketInfo` })).text, 'Versioning'), 'Enabled');
  assertErr(await req({ method: 'PUT', path: `/${cfg}/?versioning`, body: versioningXml('Disabled') }), 400, 'MalformedXML');
  assert.equal(field((await getCfg()).text, 'Status'), 'Enabled', 'a refused configuration changes nothing');

  const noProlog = '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>';
  assert.equal((await req({ method: 'PUT', path: `/${cfg}/?versioning`, body: noProlog })).status, 200);
  assert.match((await getCfg()).text, /<VersioningConfiguration><Status>Suspended<\/Status><\/VersioningConfiguration>\s*$/);
  assert.equal(field((await req({ method: 'GET', path: `/${cfg}/?bucketInfo` })).text, 'Versioning'), 'Suspended');

  assertErr(await req({ method: 'GET', path: '/raw-ver-missing/?versioning' }), 404, 'NoSuchBucket');
  assertErr(await putVersioning(ossd, 'raw-ver-missing', 'Enabled'), 404, 'NoSuchBucket');
});

test('x-oss-version-id on every write and read of a versioned bucket, on none of a never-versioned one', { timeout: 300_000 }, async () => {
  for (const bucket of [B, NONE]) {
    const versioned = bucket === B;
    const pre = `hdr-${bucket}/`;
    const writes: Array<[string, RawResponse]> = [];
    const obj = await put(bucket, `${pre}obj`, 'object');
    writes.push(['PutObject', obj]);
    const app = await append(bucket, `${pre}app`, 0, 'ab');
    writes.push(['AppendObject', app]);
    const app2 = await append(bucket, `${pre}app`, 2, 'cd');
    writes.push(['AppendObject (second)', app2]);
    const cp = await put(bucket, `${pre}copy`, '', { 'x-oss-copy-source': `/${bucket}/${encodeURIComponent(`${pre}obj`)}` });
    writes.push(['CopyObject', cp]);
    const init = await req({ method: 'POST', path: path(bucket, `${pre}mp`, '?uploads') });
    assert.equal(init.status, 200, init.text);
    const uploadId = field(init.text, 'UploadId')!;
    const part = await req({ method: 'PUT', path: path(bucket, `${pre}mp`, `?partNumber=1&uploadId=${uploadId}`), body: 'part' });
    assert.equal(part.status, 200, part.text);
    const complete = await req({
      method: 'POST',
      path: path(bucket, `${pre}mp`, `?uploadId=${uploadId}`),
      body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`,
    });
    writes.push(['CompleteMultipartUpload', complete]);
    const link = await req({ method: 'PUT', path: path(bucket, `${pre}link`, '?symlink'), headers: { 'x-oss-symlink-target': `${pre}obj` } });
    writes.push(['PutSymlink', link]);
    for (const [what, r] of writes) {
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      if (versioned) newId(r, what);
      else assert.equal(vidOf(r), undefined, `${what}: no x-oss-version-id in a never-versioned bucket`);
    }
    if (versioned) {
      assert.equal(vidOf(app2), vidOf(app), 'an append keeps the version id');
      assert.equal(cp.headers['x-oss-copy-source-version-id'], vidOf(obj));
    } else {
      assert.equal(cp.headers['x-oss-copy-source-version-id'], undefined);
    }

    const reads: Array<[string, RawResponse, RawResponse]> = [
      ['GetObject', await get(bucket, `${pre}obj`), obj],
      ['HeadObject', await head(bucket, `${pre}obj`), obj],
      ['GetObjectMeta', await head(bucket, `${pre}obj`, '?objectMeta'), obj],
      ['GetObjectTagging', await get(bucket, `${pre}obj`, '?tagging'), obj],
      ['GetObjectAcl', await get(bucket, `${pre}obj`, '?acl'), obj],
      ['GetSymlink', await get(bucket, `${pre}link`, '?symlink'), link],
      ['GetObject (appendable)', await get(bucket, `${pre}app`), app],
      ['GetObject (copy)', await get(bucket, `${pre}copy`), cp],
      ['GetObject (multipart)', await get(bucket, `${pre}mp`), complete],
    ];
    for (const [what, r, written] of reads) {
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      assert.equal(vidOf(r), versioned ? vidOf(written) : undefined, `${what}: x-oss-version-id of the version read`);
    }
  }
});

test('versionId parameter: empty is 400 InvalidArgument; unknown is 404 NoSuchVersion (x-oss-err on HEAD)', { timeout: 300_000 }, async () => {
  const v = newId(await put(B, 'param/k', 'data'), 'put');
  assertErr(await get(B, 'param/k', '?versionId='), 400, 'InvalidArgument');
  assertErr(await head(B, 'param/k', '?versionId='), 400, 'InvalidArgument');
  assertErr(await head(B, 'param/k', '?objectMeta&versionId='), 400, 'InvalidArgument');
  assertErr(await del(B, 'param/k', '?versionId='), 400, 'InvalidArgument');
  // Found by the fuzzer: an id is echoed in x-oss-version-id, so control characters and
  // spaces are refused up front (they once made the DELETE answer 500).
  for (const bad of ['%00', '%0D%0Ax-injected:1', 'a%20b', '%C3%A9']) {
    assertErr(await del(B, 'param/k', `?versionId=${bad}`), 400, 'InvalidArgument');
    assertErr(await get(B, 'param/k', `?versionId=${bad}`), 400, 'InvalidArgument');
  }
  assert.equal((await get(B, 'param/k')).text, 'data', 'a refused delete deleted nothing');

  assertErr(await get(B, 'param/k', `?versionId=${UNKNOWN_VERSION_ID}`), 404, 'NoSuchVersion');
  assertErr(await head(B, 'param/k', `?versionId=${UNKNOWN_VERSION_ID}`), 404, 'NoSuchVersion');
  assertErr(await head(B, 'param/k', `?objectMeta&versionId=${UNKNOWN_VERSION_ID}`), 404, 'NoSuchVersion');
  assertErr(await get(B, 'param/k', `?acl&versionId=${UNKNOWN_VERSION_ID}`), 404, 'NoSuchVersion');
  assertErr(await get(B, 'param/k', `?tagging&versionId=${UNKNOWN_VERSION_ID}`), 404, 'NoSuchVersion');
  // A version id belongs to its key.
  assert.equal((await put(B, 'param/other', 'other')).status, 200);
  assertErr(await get(B, 'param/other', `?versionId=${v}`), 404, 'NoSuchVersion');

  const ok = await get(B, 'param/k', `?versionId=${v}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.text, 'data');
  assert.equal(vidOf(ok), v);
});

test('delete markers: DELETE answers the marker id; GET/HEAD are 404 NoSuchKey with x-oss-delete-marker and the id; by id 405 MethodNotAllowed', { timeout: 300_000 }, async () => {
  const k = 'marker/k.txt';
  const v = newId(await put(B, k, 'kept'), 'put');
  const d = await del(B, k);
  assert.equal(d.status, 204);
  assert.equal(d.headers['x-oss-delete-marker'], 'true');
  const m = vidOf(d);
  assert.ok(m && m !== 'null' && m !== v, `marker id ${m}`);
  assert.equal(d.body.length, 0);

  const g = await get(B, k);
  assertErr(g, 404, 'NoSuchKey');
  assert.equal(g.headers['x-oss-delete-marker'], 'true', 'GET of a deleted key says a marker is newest');
  assert.equal(vidOf(g), m);
  const h = await head(B, k);
  assertErr(h, 404, 'NoSuchKey');
  assert.equal(h.body.length, 0);
  assert.equal(h.headers['x-oss-delete-marker'], 'true');
  assert.equal(vidOf(h), m);
  const meta = await head(B, k, '?objectMeta');
  assert.equal(meta.status, 404);

  const gm = await get(B, k, `?versionId=${m}`);
  assertErr(gm, 405, 'MethodNotAllowed');
  assert.equal(gm.headers['x-oss-delete-marker'], 'true');
  const hm = await head(B, k, `?versionId=${m}`);
  assertErr(hm, 405, 'MethodNotAllowed');
  assert.equal(hm.headers['x-oss-delete-marker'], 'true');
  const am = await get(B, k, `?acl&versionId=${m}`);
  assertErr(am, 405, 'MethodNotAllowed');
  assert.equal(am.headers['x-oss-delete-marker'], 'true');

  const old = await get(B, k, `?versionId=${v}`);
  assert.equal(old.status, 200);
  assert.equal(old.text, 'kept');
  assert.equal(old.headers['x-oss-delete-marker'], undefined);

  const undo = await del(B, k, `?versionId=${m}`);
  assert.equal(undo.status, 204);
  assert.equal(vidOf(undo), m);
  assert.equal(undo.headers['x-oss-delete-marker'], 'true', 'the version removed was a marker');
  const back = await get(B, k);
  assert.equal(back.status, 200);
  assert.equal(back.text, 'kept');
  assert.equal(vidOf(back), v);
  assert.equal(back.headers['x-oss-delete-marker'], undefined);
});

test('DELETE with versionId: 204 echoing the id, no x-oss-delete-marker for a real version; unknown id deletes nothing', { timeout: 300_000 }, async () => {
  const k = 'delv/k.txt';
  const v1 = newId(await put(B, k, 'one'), 'put one');
  const v2 = newId(await put(B, k, 'two'), 'put two');
  const d = await del(B, k, `?versionId=${v2}`);
  assert.equal(d.status, 204);
  assert.equal(vidOf(d), v2);
  assert.equal(d.headers['x-oss-delete-marker'], undefined);
  const cur = await get(B, k);
  assert.equal(cur.text, 'one', 'the next newest version is current');
  assert.equal(vidOf(cur), v1);

  const unknown = await del(B, k, `?versionId=${UNKNOWN_VERSION_ID}`);
  assert.equal(unknown.status, 204);
  assert.equal(unknown.headers['x-oss-delete-marker'], undefined);
  assert.equal((await get(B, k)).text, 'one');
  assert.deepEqual(listedShape((await versions(B, '&prefix=delv/')).text), [['Version', k, v1, 'true']]);

  const last = await del(B, k, `?versionId=${v1}`);
  assert.equal(last.status, 204);
  const gone = await get(B, k);
  assertErr(gone, 404, 'NoSuchKey');
  assert.equal(gone.headers['x-oss-delete-marker'], undefined, 'no marker: the key simply has no versions');
  assert.deepEqual(listedShape((await versions(B, '&prefix=delv/')).text), []);
});

test('ListObjectVersions document: keys ascending, newest first, markers interleaved, every field', { timeout: 300_000 }, async () => {
  const a1 = newId(await put(LIST, 'a', 'a-one'), 'a1');
  const a2 = newId(await put(LIST, 'a', 'a-two!!'), 'a2');
  const am = vidOf(await del(LIST, 'a'))!;
  const b1 = newId(await put(LIST, 'b', 'b'), 'b1');
  const bm = vidOf(await del(LIST, 'b'))!;
  const b2 = newId(await put(LIST, 'b', 'b-two'), 'b2');
  const x1 = newId(await put(LIST, 'd/x', 'x-one'), 'x1');
  const x2 = newId(await put(LIST, 'd/x', 'x-two'), 'x2');
  const y1 = newId(await append(LIST, 'd/y', 0, 'yyy'), 'y1');

  const r = await versions(LIST);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/xml');
  assert.match(r.text, /<ListVersionsResult>/);
  assert.equal(field(r.text, 'Name'), LIST);
  assert.equal(field(r.text, 'Prefix'), '');
  assert.equal(field(r.text, 'KeyMarker'), '');
  assert.equal(field(r.text, 'VersionIdMarker'), '');
  assert.equal(field(r.text, 'MaxKeys'), '100');
  assert.equal(field(r.text, 'IsTruncated'), 'false');
  assert.ok(!hasElement(r.text, 'NextKeyMarker'), 'no NextKeyMarker when not truncated');
  assert.ok(!hasElement(r.text, 'NextVersionIdMarker'));
  assert.deepEqual(listedShape(r.text), [
    ['DeleteMarker', 'a', am, 'true'],
    ['Version', 'a', a2, 'false'],
    ['Version', 'a', a1, 'false'],
    ['Version', 'b', b2, 'true'],
    ['DeleteMarker', 'b', bm, 'false'],
    ['Version', 'b', b1, 'false'],
    ['Version', 'd/x', x2, 'true'],
    ['Version', 'd/x', x1, 'false'],
    ['Version', 'd/y', y1, 'true'],
  ]);
  const entries = listedEntries(r.text);
  const bodies: Record<string, string> = { [a2]: 'a-two!!', [a1]: 'a-one', [b2]: 'b-two', [b1]: 'b', [x2]: 'x-two', [x1]: 'x-one' };
  for (const e of entries) {
    assert.match(e.lastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, `LastModified of ${e.versionId}`);
    assert.ok(e.ownerId && e.ownerName, `Owner ID and DisplayName of ${e.kind} ${e.key}`);
    if (e.kind === 'DeleteMarker') {
      for (const absent of ['ETag', 'Size', 'Type', 'StorageClass']) assert.ok(!hasElement(e.xml, absent), `a DeleteMarker has no ${absent}`);
      continue;
    }
    assert.equal(e.storageClass, 'Standard');
    if (e.key === 'd/y') {
      assert.deepEqual([e.type, e.size], ['Appendable', '3']);
      assert.match(e.etag ?? '', /^"[0-9A-F]{32}"$/);
    } else {
      const body = bodies[e.versionId]!;
      assert.deepEqual([e.etag, e.type, e.size], [md5Etag(body), 'Normal', String(body.length)], `${e.key} ${e.versionId}`);
    }
  }
  assert.deepEqual(listedPrefixes(r.text), []);

  const folded = await versions(LIST, '&delimiter=/');
  assert.equal(field(folded.text, 'Delimiter'), '/');
  assert.deepEqual(listedShape(folded.text).map((e) => e[2]), [am, a2, a1, b2, bm, b1]);
  assert.deepEqual(listedPrefixes(folded.text), ['d/']);
  const inDir = await versions(LIST, '&prefix=d/&delimiter=/');
  assert.equal(field(inDir.text, 'Prefix'), 'd/');
  assert.deepEqual(listedShape(inDir.text).map((e) => e[2]), [x2, x1, y1]);

  // Paging: two entries a page; pages end inside a key's versions and resume with the next older one.
  const pages: Array<{ ids: string[]; truncated?: string; next?: [string | undefined, string | undefined] }> = [];
  let q = '&max-keys=2';
  for (let i = 0; i < 8; i++) {
    const p = await versions(LIST, q);
    assert.equal(p.status, 200, p.text);
    assert.equal(field(p.text, 'MaxKeys'), '2');
    const truncated = field(p.text, 'IsTruncated');
    const next: [string | undefined, string | undefined] = [field(p.text, 'NextKeyMarker'), field(p.text, 'NextVersionIdMarker')];
    pages.push({ ids: listedShape(p.text).map((e) => e[2]), truncated, next });
    if (truncated !== 'true') break;
    q = `&max-keys=2&key-marker=${encodeURIComponent(next[0] ?? '')}&version-id-marker=${encodeURIComponent(next[1] ?? '')}`;
  }
  assert.deepEqual(pages, [
    { ids: [am, a2], truncated: 'true', next: ['a', a2] },
    { ids: [a1, b2], truncated: 'true', next: ['b', b2] },
    { ids: [bm, b1], truncated: 'true', next: ['b', b1] },
    { ids: [x2, x1], truncated: 'true', next: ['d/x', x1] },
    { ids: [y1], truncated: 'false', next: [undefined, undefined] },
  ]);
  const resumed = await versions(LIST, `&key-marker=a&version-id-marker=${a2}`);
  assert.equal(field(resumed.text, 'KeyMarker'), 'a');
  assert.equal(field(resumed.text, 'VersionIdMarker'), a2);
  assert.deepEqual(listedShape(resumed.text).map((e) => e[2]), [a1, b2, bm, b1, x2, x1, y1]);
  const afterKey = await versions(LIST, '&key-marker=a');
  assert.deepEqual(listedShape(afterKey.text).map((e) => e[2]), [b2, bm, b1, x2, x1, y1], 'key-marker alone: after every version of that key');
  // max-keys=1 with a delimiter: every entry and the common prefix exactly once, in order.
  const seen: string[] = [];
  let dq = '&delimiter=/&max-keys=1';
  for (let i = 0; i < 12; i++) {
    const p = await versions(LIST, dq);
    assert.equal(p.status, 200, p.text);
    seen.push(...listedShape(p.text).map((e) => e[2]), ...listedPrefixes(p.text).map((cp) => `prefix:${cp}`));
    if (field(p.text, 'IsTruncated') !== 'true') break;
    dq = `&delimiter=/&max-keys=1&key-marker=${encodeURIComponent(field(p.text, 'NextKeyMarker') ?? '')}&version-id-marker=${encodeURIComponent(field(p.text, 'NextVersionIdMarker') ?? '')}`;
  }
  assert.deepEqual(seen, [am, a2, a1, b2, bm, b1, 'prefix:d/']);
  const prefixPage = await versions(LIST, '&delimiter=/&max-keys=4');
  assert.deepEqual(listedShape(prefixPage.text).map((e) => e[2]), [am, a2, a1, b2]);
  assert.equal(field(prefixPage.text, 'IsTruncated'), 'true');

  // ListObjects and ListObjectsV2: current versions that are not delete markers.
  const v1 = await req({ method: 'GET', path: `/${LIST}/` });
  assert.deepEqual([...v1.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((mm) => mm[1]), ['b', 'd/x', 'd/y']);
  const v2 = await req({ method: 'GET', path: `/${LIST}/?list-type=2` });
  assert.deepEqual([...v2.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((mm) => mm[1]), ['b', 'd/x', 'd/y']);
  assert.match(v2.text, /<KeyCount>3<\/KeyCount>/);
  const etags = [...v1.text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((mm) => field(mm[1]!, 'ETag'));
  assert.deepEqual(etags, [md5Etag('b-two'), md5Etag('x-two'), etags[2]], 'ListObjects shows the current versions');
});

test('ListObjectVersions: invalid max-keys is InvalidArgument; encoding-type=url encodes keys and markers; missing bucket', { timeout: 300_000 }, async () => {
  for (const mk of ['1001', 'abc', '-1']) assertErr(await versions(LIST, `&max-keys=${mk}`), 400, 'InvalidArgument');
  const k = 'enc dir/é&.txt';
  const v = newId(await put(LIST, k, 'enc'), 'put');
  const r = await versions(LIST, `&prefix=${encodeURIComponent('enc dir/')}&encoding-type=url&max-keys=1`);
  assert.equal(r.status, 200, r.text);
  assert.equal(field(r.text, 'EncodingType'), 'url');
  const e = listedEntries(r.text);
  assert.equal(e.length, 1);
  assert.equal(decodeURIComponent(e[0]!.key), k);
  assert.notEqual(e[0]!.key, k, 'the key is URL-encoded');
  assert.equal(e[0]!.versionId, v);
  assert.equal(decodeURIComponent(field(r.text, 'Prefix')!), 'enc dir/');
  assertErr(await versions('raw-ver-missing'), 404, 'NoSuchBucket');
});

test('DeleteMultipleObjects with <VersionId>: Deleted entries report versions and markers; an empty VersionId is InvalidArgument', { timeout: 300_000 }, async () => {
  const o1 = newId(await put(B, 'multi/one', 'one-1'), 'one-1');
  const o2 = newId(await put(B, 'multi/one', 'one-2'), 'one-2');
  const t1 = newId(await put(B, 'multi/two', 'two'), 'two');
  const body = deleteXml([{ key: 'multi/one', versionId: o1 }, { key: 'multi/two' }, { key: 'multi/none', versionId: UNKNOWN_VERSION_ID }]);
  const r = await deleteMulti(B, body);
  assert.equal(r.status, 200, r.text);
  const deleted = deletedEntries(r.text);
  const byKey = Object.fromEntries(deleted.map((d) => [d.Key, d]));
  assert.deepEqual(byKey['multi/one'], { Key: 'multi/one', VersionId: o1 });
  const marker = byKey['multi/two']?.DeleteMarkerVersionId;
  assert.ok(marker && marker !== 'null', r.text);
  assert.deepEqual(byKey['multi/two'], { Key: 'multi/two', DeleteMarker: 'true', DeleteMarkerVersionId: marker });
  assert.deepEqual(byKey['multi/none'], { Key: 'multi/none', VersionId: UNKNOWN_VERSION_ID }, 'an unknown version is reported deleted');

  assert.equal(vidOf(await get(B, 'multi/one')), o2);
  assertErr(await get(B, 'multi/one', `?versionId=${o1}`), 404, 'NoSuchVersion');
  const gone = await get(B, 'multi/two');
  assertErr(gone, 404, 'NoSuchKey');
  assert.equal(vidOf(gone), marker);

  const undo = await deleteMulti(B, deleteXml([{ key: 'multi/two', versionId: marker }]));
  assert.equal(undo.status, 200, undo.text);
  assert.deepEqual(deletedEntries(undo.text), [{ Key: 'multi/two', VersionId: marker, DeleteMarker: 'true', DeleteMarkerVersionId: marker }]);
  assert.equal(vidOf(await get(B, 'multi/two')), t1);

  const empty = '<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>false</Quiet><Object><Key>multi/one</Key><VersionId></VersionId></Object></Delete>';
  assertErr(await deleteMulti(B, empty), 400, 'InvalidArgument');
  assert.equal(vidOf(await get(B, 'multi/one')), o2, 'a refused request deleted nothing');
  const quiet = await deleteMulti(B, deleteXml([{ key: 'multi/one', versionId: o2 }], true));
  assert.equal(quiet.status, 200, quiet.text);
  assert.deepEqual(deletedEntries(quiet.text), []);
  assertErr(await get(B, 'multi/one'), 404, 'NoSuchKey');

  // A never-versioned bucket: no markers are reported.
  assert.equal((await put(NONE, 'multi/plain', 'p')).status, 200);
  const plain = await deleteMulti(NONE, deleteXml([{ key: 'multi/plain' }]));
  assert.deepEqual(deletedEntries(plain.text), [{ Key: 'multi/plain' }]);
});

test('CopyObject from ?versionId= in x-oss-copy-source; a delete marker or an unknown version as source is 404', { timeout: 300_000 }, async () => {
  const s1 = newId(await put(B, 'copy/src a+b.txt', 'source one', { 'content-type': 'text/x-one' }), 'src 1');
  const s2 = newId(await put(B, 'copy/src a+b.txt', 'source two'), 'src 2');
  const source = `/${B}/${encodeURIComponent('copy/src a+b.txt')}`;
  const cp = await put(B, 'copy/dst', '', { 'x-oss-copy-source': `${source}?versionId=${s1}` });
  const d = newId(cp, 'copy');
  assert.ok(![s1, s2].includes(d));
  assert.equal(cp.headers['x-oss-copy-source-version-id'], s1);
  assert.equal(field(cp.text, 'ETag'), md5Etag('source one'));
  const got = await get(B, 'copy/dst');
  assert.equal(got.text, 'source one');
  assert.equal(got.headers['content-type'], 'text/x-one');
  assert.equal(vidOf(got), d);

  assert.equal((await put(B, 'copy/dst-null', '', { 'x-oss-copy-source': `${source}?versionId=${UNKNOWN_VERSION_ID}` })).status, 404);
  const marker = vidOf(await del(B, 'copy/src a+b.txt'))!;
  assertErr(await put(B, 'copy/dst-m', '', { 'x-oss-copy-source': `${source}?versionId=${marker}` }), 404, 'NoSuchKey');
  assertErr(await put(B, 'copy/dst-m', '', { 'x-oss-copy-source': source }), 404, 'NoSuchKey');
  assertErr(await get(B, 'copy/dst-m'), 404, 'NoSuchKey');
  const fromOld = await put(B, 'copy/dst-old', '', { 'x-oss-copy-source': `${source}?versionId=${s2}` });
  newId(fromOld, 'copy of a version under a marker');
  assert.equal(fromOld.headers['x-oss-copy-source-version-id'], s2);
  assert.equal((await get(B, 'copy/dst-old')).text, 'source two');
});

test('append after a delete marker: position≠0 is PositionNotEqualToLength with next position 0; 0 makes a new version; put over appendable refuses appends', { timeout: 300_000 }, async () => {
  const k = 'app/go.log';
  const first = newId(await append(B, k, 0, '123'), 'append 123');
  const second = await append(B, k, 3, '456');
  assert.equal(vidOf(second), first);
  const marker = vidOf(await del(B, k));
  const mismatch = await append(B, k, 3, '789');
  assertErr(mismatch, 409, 'PositionNotEqualToLength');
  assert.equal(mismatch.headers['x-oss-next-append-position'], '0');
  const fresh = await append(B, k, 0, '789');
  const newer = newId(fresh, 'append 789 at 0');
  assert.notEqual(newer, first);
  assert.equal(fresh.headers['x-oss-next-append-position'], '3');
  assert.equal((await del(B, k, `?versionId=${marker}`)).status, 204);
  const more = await append(B, k, 3, 'abc');
  assert.equal(more.status, 200, more.text);
  assert.equal(more.headers['x-oss-next-append-position'], '6');
  assert.equal(vidOf(more), newer);
  assert.equal((await get(B, k)).text, '789abc');
  const old = await get(B, k, `?versionId=${first}`);
  assert.equal(old.text, '123456');
  assert.equal(old.headers['x-oss-object-type'], 'Appendable');
  assert.deepEqual(listedShape((await versions(B, `&prefix=${k}`)).text), [
    ['Version', k, newer, 'true'],
    ['Version', k, first, 'false'],
  ]);

  const p = 'app/put-over.log';
  const appended = newId(await append(B, p, 0, 'abc'), 'append');
  newId(await put(B, p, 'normal'), 'put over');
  assertErr(await append(B, p, 3, 'd'), 409, 'ObjectNotAppendable');
  assertErr(await append(B, p, 6, 'd'), 409, 'ObjectNotAppendable');
  const kept = await head(B, p, `?versionId=${appended}`);
  assert.equal(kept.status, 200);
  assert.equal(kept.headers['x-oss-object-type'], 'Appendable');
  assert.equal(kept.headers['content-length'], '3');
});

test('Suspended: writes and creating appends are the null version; DELETE makes a null marker', { timeout: 300_000 }, async () => {
  const S = 'raw-ver-susp';
  await createBucket(S);
  assert.equal((await putVersioning(ossd, S, 'Enabled')).status, 200);
  const e1 = newId(await put(S, 'k', 'enabled'), 'put Enabled');
  assert.equal((await putVersioning(ossd, S, 'Suspended')).status, 200);
  const p = await put(S, 'k', 'suspended');
  assert.equal(p.status, 200);
  assert.equal(vidOf(p), 'null');
  const a = await append(S, 'log', 0, 'ab');
  assert.equal(a.status, 200, a.text);
  assert.equal(vidOf(a), 'null');
  assert.equal(vidOf(await append(S, 'log', 2, 'cd')), 'null');
  assert.equal(vidOf(await get(S, 'log')), 'null');

  const d = await del(S, 'k');
  assert.equal(d.status, 204);
  assert.equal(d.headers['x-oss-delete-marker'], 'true');
  assert.equal(vidOf(d), 'null');
  const g = await get(S, 'k');
  assertErr(g, 404, 'NoSuchKey');
  assert.equal(g.headers['x-oss-delete-marker'], 'true');
  assert.equal(vidOf(g), 'null');
  assert.deepEqual(listedShape((await versions(S, '&prefix=k')).text), [
    ['DeleteMarker', 'k', 'null', 'true'],
    ['Version', 'k', e1, 'false'],
  ]);
  const undo = await del(S, 'k', '?versionId=null');
  assert.equal(undo.status, 204);
  assert.equal(undo.headers['x-oss-delete-marker'], 'true');
  assert.equal((await get(S, 'k')).text, 'enabled');
  assert.equal(vidOf(await get(S, 'k')), e1);

  // DELETE while a real-id version is current: a null marker on top, the version kept.
  const d2 = await del(S, 'k');
  assert.equal(vidOf(d2), 'null');
  assert.deepEqual(listedShape((await versions(S, '&prefix=k')).text), [
    ['DeleteMarker', 'k', 'null', 'true'],
    ['Version', 'k', e1, 'false'],
  ]);

  // Copy, CompleteMultipartUpload and PutSymlink also write the null version.
  assert.equal(vidOf(await put(S, 'src', 'normal source')), 'null');
  const cp = await put(S, 'cp', '', { 'x-oss-copy-source': `/${S}/src` });
  assert.equal(cp.status, 200, cp.text);
  assert.equal(vidOf(cp), 'null');
  assert.equal(cp.headers['x-oss-copy-source-version-id'], 'null', 'the source bucket is (suspended) versioned');
  const init = await req({ method: 'POST', path: path(S, 'mp', '?uploads') });
  const uploadId = field(init.text, 'UploadId')!;
  const part = await req({ method: 'PUT', path: path(S, 'mp', `?partNumber=1&uploadId=${uploadId}`), body: 'part' });
  const complete = await req({
    method: 'POST',
    path: path(S, 'mp', `?uploadId=${uploadId}`),
    body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`,
  });
  assert.equal(complete.status, 200, complete.text);
  assert.equal(vidOf(complete), 'null');
  const link = await req({ method: 'PUT', path: path(S, 'ln', '?symlink'), headers: { 'x-oss-symlink-target': 'log' } });
  assert.equal(link.status, 200, link.text);
  assert.equal(vidOf(link), 'null');

  // The null version sorts by age among real ids; paging resumes after it with version-id-marker=null.
  assert.equal((await putVersioning(ossd, S, 'Enabled')).status, 200);
  const e2 = newId(await put(S, 'pg', 'e2'), 'put pg Enabled');
  assert.equal((await putVersioning(ossd, S, 'Suspended')).status, 200);
  assert.equal(vidOf(await put(S, 'pg', 'n')), 'null');
  assert.equal((await putVersioning(ossd, S, 'Enabled')).status, 200);
  const e3 = newId(await put(S, 'pg', 'e3'), 'put pg re-Enabled');
  assert.deepEqual(listedShape((await versions(S, '&prefix=pg')).text).map((e) => e[2]), [e3, 'null', e2]);
  const p1 = await versions(S, '&prefix=pg&max-keys=2');
  assert.deepEqual([field(p1.text, 'NextKeyMarker'), field(p1.text, 'NextVersionIdMarker')], ['pg', 'null']);
  const p2 = await versions(S, '&prefix=pg&max-keys=2&key-marker=pg&version-id-marker=null');
  assert.deepEqual(listedShape(p2.text), [['Version', 'pg', e2, 'false']]);
  assert.equal(field(p2.text, 'IsTruncated'), 'false');
});

test('CopyObject, CompleteMultipartUpload and PutSymlink over an appendable current version keep it as a noncurrent Appendable version', { timeout: 300_000 }, async () => {
  const source = newId(await put(B, 'over/source', 'copied'), 'source');
  assert.ok(source);
  const writers: Array<[string, (key: string) => Promise<RawResponse>]> = [
    ['CopyObject', (key) => put(B, key, '', { 'x-oss-copy-source': `/${B}/over/source` })],
    ['PutSymlink', (key) => req({ method: 'PUT', path: path(B, key, '?symlink'), headers: { 'x-oss-symlink-target': 'over/source' } })],
    [
      'CompleteMultipartUpload',
      async (key) => {
        const init = await req({ method: 'POST', path: path(B, key, '?uploads') });
        const uploadId = field(init.text, 'UploadId')!;
        const part = await req({ method: 'PUT', path: path(B, key, `?partNumber=1&uploadId=${uploadId}`), body: 'mp' });
        return req({
          method: 'POST',
          path: path(B, key, `?uploadId=${uploadId}`),
          body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`,
        });
      },
    ],
  ];
  for (const [what, write] of writers) {
    const key = `over/${what}.log`;
    const a = newId(await append(B, key, 0, '12'), `${what}: append`);
    assert.equal((await append(B, key, 2, '34')).status, 200);
    const w = newId(await write(key), what);
    assert.notEqual(w, a);
    assertErr(await append(B, key, 4, '5'), 409, 'ObjectNotAppendable');
    const old = await get(B, key, `?versionId=${a}`);
    assert.equal(old.status, 200, `${what}: ${old.text}`);
    assert.equal(old.text, '1234', what);
    assert.equal(old.headers['x-oss-object-type'], 'Appendable', what);
    const entries = listedEntries((await versions(B, `&prefix=${encodeURIComponent(key)}`)).text);
    assert.deepEqual(entries.map((e) => [e.versionId, e.isLatest, e.type]), [
      [w, 'true', what === 'CopyObject' ? 'Normal' : what === 'PutSymlink' ? 'Symlink' : 'Multipart'],
      [a, 'false', 'Appendable'],
    ], what);
  }
});

test('Range and conditional GET on an old version apply to that version', { timeout: 300_000 }, async () => {
  const k = 'range/k';
  const v1 = newId(await put(B, k, '0123456789'), 'v1');
  newId(await put(B, k, 'abcdefghijklmnop'), 'v2');
  const r = await req({ method: 'GET', path: path(B, k, `?versionId=${v1}`), headers: { range: 'bytes=2-5' } });
  assert.equal(r.status, 206, r.text);
  assert.equal(r.text, '2345');
  assert.equal(r.headers['content-range'], 'bytes 2-5/10');
  assert.equal(vidOf(r), v1);
  const match = await req({ method: 'GET', path: path(B, k, `?versionId=${v1}`), headers: { 'if-match': md5Etag('0123456789') } });
  assert.equal(match.status, 200);
  assert.equal(match.text, '0123456789');
  const stale = await req({ method: 'GET', path: path(B, k, `?versionId=${v1}`), headers: { 'if-match': md5Etag('abcdefghijklmnop') } });
  assertErr(stale, 412, 'PreconditionFailed');
});

test('DeleteBucket: 409 BucketNotEmpty while noncurrent versions or delete markers remain; 204 once every version is deleted', { timeout: 300_000 }, async () => {
  const D = 'raw-ver-drop';
  await createBucket(D);
  assert.equal((await putVersioning(ossd, D, 'Enabled')).status, 200);
  const v = newId(await put(D, 'only', 'x'), 'put');
  const m = vidOf(await del(D, 'only'))!;
  assert.doesNotMatch((await req({ method: 'GET', path: `/${D}/` })).text, /<Contents>/);
  assertErr(await req({ method: 'DELETE', path: `/${D}/` }), 409, 'BucketNotEmpty');
  assert.equal((await del(D, 'only', `?versionId=${v}`)).status, 204);
  assertErr(await req({ method: 'DELETE', path: `/${D}/` }), 409, 'BucketNotEmpty');
  assert.equal((await del(D, 'only', `?versionId=${m}`)).status, 204);
  assert.equal((await req({ method: 'DELETE', path: `/${D}/` })).status, 204);
  assertErr(await req({ method: 'GET', path: `/${D}/?versioning` }), 404, 'NoSuchBucket');
});

test('concurrent writes and deletes of one key: every version and marker kept, exactly one latest', { timeout: 300_000 }, async () => {
  const k = 'race/k';
  const ops = Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? del(B, k) : put(B, k, `body-${i}`)));
  const results = await Promise.all(ops);
  for (const r of results) assert.ok(r.status === 200 || r.status === 204, r.text);
  const ids = results.map((r) => vidOf(r)!);
  assert.equal(new Set(ids).size, 12, 'twelve distinct version ids');
  const listed = listedEntries((await versions(B, `&prefix=${k}`)).text);
  assert.equal(listed.length, 12);
  assert.deepEqual(new Set(listed.map((e) => e.versionId)), new Set(ids));
  assert.deepEqual(listed.map((e) => e.isLatest), ['true', ...Array(11).fill('false')]);
  const newest = listed[0]!;
  const cur = await get(B, k);
  if (newest.kind === 'DeleteMarker') {
    assertErr(cur, 404, 'NoSuchKey');
    assert.equal(vidOf(cur), newest.versionId);
  } else {
    assert.equal(cur.status, 200);
    assert.equal(vidOf(cur), newest.versionId, 'the listed latest version is the one served');
  }
});

test('versions, delete markers and the configuration survive a restart', { timeout: 300_000 }, async () => {
  const R = 'raw-ver-restart';
  await createBucket(R);
  assert.equal((await putVersioning(ossd, R, 'Enabled')).status, 200);
  const v1 = newId(await put(R, 'k', 'one'), 'v1');
  const a1 = newId(await append(R, 'log', 0, 'abc'), 'append');
  const m = vidOf(await del(R, 'k'))!;
  const before = (await versions(R)).text;
  const dataDir = ossd.dataDir;
  await ossd.stop();
  ossd = await startOssd({ dataDir });
  assert.match((await req({ method: 'GET', path: `/${R}/?versioning` })).text, /<Status>Enabled<\/Status>/);
  const afterText = (await versions(R)).text;
  assert.deepEqual(listedShape(afterText), listedShape(before));
  assert.deepEqual(listedShape(afterText), [
    ['DeleteMarker', 'k', m, 'true'],
    ['Version', 'k', v1, 'false'],
    ['Version', 'log', a1, 'true'],
  ]);
  assert.equal((await get(R, 'k', `?versionId=${v1}`)).text, 'one');
  const more = await append(R, 'log', 3, 'def');
  assert.equal(more.status, 200, more.text);
  assert.equal(vidOf(more), a1);
  assert.equal((await get(R, 'log')).text, 'abcdef');
});
