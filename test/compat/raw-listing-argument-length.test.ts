// Listing prefixes and markers of 1024 bytes or more (oss2 test_list_object_versions_wrong;
// docs/sdk-compatibility.md ⑨). OSS documents them as 400 InvalidArgument: "the prefix
// must be shorter than 1024 bytes" (EC 0015-00000403, ListObjects), the marker likewise
// (0015-00000405), ListObjectVersions' prefix (0012-00000103). 1023 bytes still lists.
// Before, ossd listed them (checked: every refusal below failed with 200); fails when
// listingArgument's length check is removed: checked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { strictXml, type Answer, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

const { client } = useKeepAliveOssd(async () => {
  assert.equal((await send('PUT', '/lal/')).status, 200);
  assert.equal((await send('PUT', '/lal/k')).status, 200);
});
const send = (method: string, p: string): Promise<Answer> => client.send(method, p);

/** `n` bytes: ASCII, or 3-byte UTF-8 characters (byte length, not characters, counts). */
const ascii = (n: number): string => 'p'.repeat(n);
const cjk = (chars: number): string => encodeURIComponent('报'.repeat(chars));

async function refused(query: string, argument: string, ec: string | undefined): Promise<void> {
  const res = await send('GET', `/lal/?${query}`);
  assert.equal(res.status, 400, `${query.slice(0, 60)}: ${res.text.slice(0, 200)}`);
  const e = strictXml(res.text);
  assert.equal(e.Code?.[0], 'InvalidArgument');
  assert.equal(e.ArgumentName?.[0], argument);
  assert.equal(res.headers['x-oss-ec'], ec);
}

async function lists(query: string): Promise<void> {
  const res = await send('GET', `/lal/?${query}`);
  assert.equal(res.status, 200, `${query.slice(0, 60)}: ${res.text.slice(0, 200)}`);
}

describe('listing arguments of 1024 bytes or more', { timeout: 60_000 }, () => {
  test('ListObjects: prefix 0015-00000403, marker 0015-00000405; 1023 bytes lists', async () => {
    await refused(`prefix=${ascii(1024)}`, 'prefix', '0015-00000403');
    await refused(`prefix=${cjk(342)}`, 'prefix', '0015-00000403'); // 1026 bytes, 342 characters
    await refused(`marker=${ascii(2000)}`, 'marker', '0015-00000405');
    await lists(`prefix=${ascii(1023)}`);
    await lists(`marker=${ascii(1023)}`);
    await lists(`prefix=${cjk(341)}`); // 1023 bytes
  });

  test('ListObjectsV2: prefix 0015-00000403, start-after refused too (no documented EC)', async () => {
    await refused(`list-type=2&prefix=${ascii(1024)}`, 'prefix', '0015-00000403');
    await refused(`list-type=2&start-after=${ascii(1024)}`, 'start-after', undefined);
    await lists(`list-type=2&prefix=${ascii(1023)}&start-after=${ascii(1023)}`);
  });

  test('ListObjectVersions: prefix 0012-00000103, key-marker refused too', async () => {
    await refused(`versions&prefix=${ascii(1024)}`, 'prefix', '0012-00000103');
    await refused(`versions&key-marker=${ascii(1024)}`, 'key-marker', undefined);
    await lists(`versions&prefix=${ascii(1023)}&key-marker=${ascii(1023)}`);
  });
});
