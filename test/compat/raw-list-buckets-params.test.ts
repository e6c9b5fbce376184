// ListBuckets with `regionList` and with a prefix or marker no bucket name can begin with
// (issue 16, "Listing").
// - `GET /?regionList` is ListBuckets of the endpoint's region: oss2's own example
//   ("list all buckets, single region") and test_list_buckets_with_region_list send
//   `params={'regionList': ''}` and expect 200 with the buckets. ossd answered 501
//   NotImplemented before (checked), since regionList is on OSS's operation-name list.
// - OSS documents an EC for an invalid ListBuckets prefix (0017-00000290) and marker
//   (0017-00000291) without saying which are invalid; ossd refuses one that no bucket name
//   can begin with, 400 InvalidArgument with that EC (docs/errors.md); before, it answered an
//   empty list (checked). Fails when bucketNameStart is removed: checked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from '../helpers/raw-http.js';
import { strictXml, type Answer, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

const BUCKETS = ['lbp-alpha', 'lbp-beta', 'other-gamma'];

const { ossd, client } = useKeepAliveOssd(async () => {
  for (const b of BUCKETS) assert.equal((await send('PUT', `/${b}/`)).status, 200);
});
const send = (method: string, p: string): Promise<Answer> => client.send(method, p);

describe('ListBuckets parameters', { timeout: 60_000 }, () => {
  test('?regionList (as oss2 sends it, V1 signed with regionList in the resource, and V4): every bucket of the one region', async () => {
    // oss2 sends `?regionList=` (requests encodes an empty value with '='); V1 signs it as `/?regionList`.
    for (const res of [await raw(ossd, { method: 'GET', path: '/?regionList=' }), await raw(ossd, { method: 'GET', path: '/?regionList' }), await send('GET', '/?regionList')]) {
      assert.equal(res.status, 200, res.text);
      const names = strictXml(res.text).Name;
      for (const b of BUCKETS) assert.ok(names?.includes(b), `${b} in ${JSON.stringify(names)}`);
    }
    const prefixed = await send('GET', '/?regionList&prefix=lbp-&max-keys=1');
    assert.equal(prefixed.status, 200, prefixed.text);
    const p = strictXml(prefixed.text);
    assert.deepEqual(p.Name, ['lbp-alpha']);
    assert.deepEqual(p.NextMarker, ['lbp-alpha']);
  });

  test('a prefix no bucket name can begin with: 400 InvalidArgument, EC 0017-00000290', async () => {
    for (const prefix of ['LBP', 'lbp_', 'lbp/', 'a%01', '-lbp', 'a'.repeat(64), '%E6%8A%A5']) {
      const res = await send('GET', `/?prefix=${prefix}`);
      assert.equal(res.status, 400, `${prefix}: ${res.text}`);
      const e = strictXml(res.text);
      assert.equal(e.Code?.[0], 'InvalidArgument', prefix);
      assert.equal(e.ArgumentName?.[0], 'prefix');
      assert.equal(res.headers['x-oss-ec'], '0017-00000290', prefix);
    }
    // Valid beginnings of a name still list (none matching is an empty list).
    for (const [prefix, want] of [['lbp-', ['lbp-alpha', 'lbp-beta']], ['zzz', []], ['', BUCKETS.slice().sort()], ['a'.repeat(63), []]] as const) {
      const res = await send('GET', `/?prefix=${prefix}`);
      assert.equal(res.status, 200, `${prefix}: ${res.text}`);
      assert.deepEqual(strictXml(res.text).Name ?? [], want, prefix);
    }
  });

  test('a marker no bucket name can begin with: 400 InvalidArgument, EC 0017-00000291; a valid one pages', async () => {
    const bad = await send('GET', '/?marker=LBP-ALPHA');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(strictXml(bad.text).ArgumentName?.[0], 'marker');
    assert.equal(bad.headers['x-oss-ec'], '0017-00000291');
    const good = await send('GET', '/?marker=lbp-alpha&prefix=lbp-');
    assert.deepEqual(strictXml(good.text).Name, ['lbp-beta']);
  });
});
