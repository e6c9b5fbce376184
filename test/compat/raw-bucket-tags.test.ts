// Bucket tags (issue 16): PutBucketTags / GetBucketTags / DeleteBucketTags and ListBuckets'
// `tag-key` / `tag-value` filter, over raw HTTP with the bytes the SDKs send (ali-oss
// putBucketTags: no prolog, `<Tagging><TagSet><Tag><Key/><Value/></Tag>…`; the OSS doc's
// `DELETE /?tagging=k1,k2`; the Java/Go SDKs' `GET /?tag-key=k&tag-value=v`), plus ali-oss's
// own putBucketTags / getBucketTags / deleteBucketTags. Rules: OSS's PutBucketTags doc and
// error pages 0010-00000213 / -00000207 / -00000219 (docs/operations.md).
//
// Fails before the fix: checked (every `?tagging` at bucket level was 501 NotImplemented,
// and `tag-key` was ignored by ListBuckets). Fails when the key-prefix check, the 20-tag
// limit, the character check, or the `tagging=k1,k2` subset are removed, or an EC is
// changed (0010-00000207 → -219): checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOssd, type Ossd } from '../helpers/ossd-process.js';
import { assertErr, raw, type RawRequest, type RawResponse } from '../helpers/raw-http.js';
import { client } from '../helpers/clients.js';

const B = 'raw-bucket-tags';
const OTHER = 'raw-bucket-tags-other';
let ossd: Ossd;

const req = (r: RawRequest): Promise<RawResponse> => raw(ossd, r);
const putTags = (bucket: string, xml: string): Promise<RawResponse> => req({ method: 'PUT', path: `/${bucket}/?tagging`, body: xml });
const getTags = (bucket: string): Promise<RawResponse> => req({ method: 'GET', path: `/${bucket}/?tagging` });

/** What ali-oss putBucketTags sends (obj2xml: no prolog). */
function tagging(tags: Array<[string, string]>): string {
  return `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
}
const tagsOf = (xml: string): string[] => [...xml.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => `${m[1]}=${m[2]}`);
const bucketNames = (xml: string): string[] => [...xml.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]!);

describe('bucket tags', { timeout: 300_000 }, () => {
  before(async () => {
    ossd = await startOssd();
    for (const b of [B, OTHER]) assert.equal((await req({ method: 'PUT', path: `/${b}/` })).status, 200);
  });

  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  test('a bucket without tags answers an empty TagSet; Put replaces the set; Get returns it in order', async () => {
    const empty = await getTags(B);
    assert.equal(empty.status, 200, empty.text);
    assert.match(empty.text, /<Tagging><TagSet\/><\/Tagging>$/);

    const put = await putTags(B, tagging([['owner', 'John'], ['dept', ''], ['a+b-c=d._:/ 1', 'v+-=._:/ 2']]));
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(tagsOf((await getTags(B)).text), ['owner=John', 'dept=', 'a+b-c=d._:/ 1=v+-=._:/ 2']);

    // With the doc's prolog, a second Put replaces the whole set.
    assert.equal((await putTags(B, `<?xml version="1.0" encoding="UTF-8"?>\n${tagging([['k1', 'v1'], ['k2', 'v2'], ['k3', 'v3']])}`)).status, 200);
    assert.deepEqual(tagsOf((await getTags(B)).text), ['k1=v1', 'k2=v2', 'k3=v3']);
  });

  test('OSS validation: 20 tags, key 1–64 bytes, value ≤ 128, reserved prefixes, characters, unique keys; nothing changes', async () => {
    assert.equal((await putTags(B, tagging([['keep', 'me']]))).status, 200);
    const twenty = Array.from({ length: 20 }, (_, i): [string, string] => [`k${i}`, `v${i}`]);
    assert.equal((await putTags(OTHER, tagging(twenty))).status, 200);
    assert.equal((await putTags(OTHER, tagging([['k'.repeat(64), 'v'.repeat(128)]]))).status, 200);
    const refused: Array<[string, Array<[string, string]>]> = [
      ['21 tags', [...twenty, ['k20', 'v20']]],
      ['empty key', [['', 'v']]],
      ['65-byte key', [['k'.repeat(65), 'v']]],
      ['129-byte value', [['k', 'v'.repeat(129)]]],
      ['Aliyun prefix', [['Aliyun-abc', 'v']]],
      ['aliyun prefix, any case', [['ALIYUNx', 'v']]],
      ['http:// prefix', [['http://x', 'v']]],
      ['https:// prefix', [['https://x', 'v']]],
      ['acs: prefix', [['acs:abc', 'v']]],
      ['% in key', [['a%b', 'v']]],
      ['@ in value', [['k', 'a@b']]],
      ['& in value', [['k', 'a&amp;b']]],
      ['non-ASCII key', [['键', 'v']]],
      ['duplicate key', [['k', '1'], ['k', '2']]],
    ];
    for (const [why, tags] of refused) {
      const res = await putTags(B, tagging(tags));
      assert.doesNotThrow(() => assertErr(res, 400, 'InvalidArgument'), why);
    }
    // OSS's EC for each cause (error pages 0010-00000219 / -00000207 / -00000002 / -00000213).
    const ecs: Array<[Array<[string, string]>, string]> = [
      [[['k'.repeat(65), 'v']], '0010-00000219'],
      [[['Aliyun-abc', 'v']], '0010-00000207'],
      [[['acs:abc', 'v']], '0010-00000002'],
      [[['a%b', 'v']], '0010-00000213'],
    ];
    for (const [tags, ec] of ecs) assert.equal((await putTags(B, tagging(tags))).headers['x-oss-ec'], ec, tags[0]![0]);
    assertErr(await putTags(B, '<Tagging><TagSet><Tag><Key>k</Key>'), 400, 'MalformedXML');
    assert.deepEqual(tagsOf((await getTags(B)).text), ['keep=me']);
    assertErr(await putTags('raw-bucket-tags-missing', tagging([['k', 'v']])), 404, 'NoSuchBucket');
    assertErr(await getTags('raw-bucket-tags-missing'), 404, 'NoSuchBucket');
  });

  test('DELETE /?tagging=k1,k2 removes only those keys; DELETE /?tagging removes all; both are 204', async () => {
    assert.equal((await putTags(B, tagging([['k1', 'v1'], ['k2', 'v2'], ['k3', 'v3']]))).status, 200);
    const some = await req({ method: 'DELETE', path: `/${B}/?tagging=k1,k3,absent` });
    assert.equal(some.status, 204, some.text);
    assert.deepEqual(tagsOf((await getTags(B)).text), ['k2=v2']);
    const all = await req({ method: 'DELETE', path: `/${B}/?tagging` });
    assert.equal(all.status, 204, all.text);
    assert.match((await getTags(B)).text, /<TagSet\/>/);
    // Nothing left to delete: still 204 (DeleteBucketTags doc).
    assert.equal((await req({ method: 'DELETE', path: `/${B}/?tagging` })).status, 204);
  });

  test('ListBuckets with tag-key (and tag-value) lists only the buckets carrying that tag', async () => {
    assert.equal((await putTags(B, tagging([['team', 'red'], ['env', 'dev']]))).status, 200);
    assert.equal((await putTags(OTHER, tagging([['team', 'blue']]))).status, 200);
    const list = async (query: string): Promise<string[]> => {
      const res = await req({ method: 'GET', path: `/?${query}` });
      assert.equal(res.status, 200, res.text);
      return bucketNames(res.text);
    };
    assert.deepEqual(await list('tag-key=team'), [B, OTHER]);
    assert.deepEqual(await list('tag-key=team&tag-value=blue'), [OTHER]);
    assert.deepEqual(await list('tag-key=env'), [B]);
    assert.deepEqual(await list('tag-key=team&tag-value=green'), []);
    assert.deepEqual(await list('tag-key=team&max-keys=1'), [B]);
    assert.deepEqual(await list('tag-key=nothing'), []);
  });

  test('ali-oss putBucketTags / getBucketTags / deleteBucketTags / listBuckets({tag-key})', async () => {
    const oss = client(ossd, { mode: 'sld', bucket: B });
    await oss.putBucketTags(B, { project: 'alpha', stage: 'test' });
    const got = await oss.getBucketTags(B);
    assert.deepEqual(got.tag, { project: 'alpha', stage: 'test' });
    const listed = await oss.listBuckets({ 'tag-key': 'project', 'tag-value': 'alpha' });
    assert.deepEqual(listed.buckets.map((b: { name: string }) => b.name), [B]);
    const res = await oss.deleteBucketTags(B);
    assert.equal(res.status, 204);
    assert.deepEqual((await oss.getBucketTags(B)).tag, {});
  });
});
