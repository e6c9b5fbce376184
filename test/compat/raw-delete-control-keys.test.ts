// DeleteMultipleObjects of keys holding control characters (issue 16): the bodies the
// official SDKs write, byte for byte.
// - Both Go SDKs (aliyun-oss-go-sdk marshalDeleteObjectToXml + EscapeXml, alibabacloud-oss-go-sdk-v2
//   marshalDeleteObjects + escapeXml): `&#34;` `&#39;` `&#x9;` `&#xA;` `&#xD;` and `&#x01;`…`&#x1F;`,
//   with `?delete&encoding-type=url`; they URL-decode each Deleted/Key (url.QueryUnescape).
//   The keys are the ones of their integration test TestDeleteObjects / TestDeleteObjectsWithSpecialCharacter.
// - Java writes `&#x000D;` `&#x000A;` `&#x0009;`; decimal references are XML too.
// - ali-oss (utility.escape), oss2 (ElementTree) and Java write every control character
//   literally; a literal CR stays a CR in a key (docs/errors.md), else "cr\rkey" would delete
//   "cr\nkey", and the other controls name their keys too (the issue: "references or raw").
// encoding-type is about the answer only (OSS's DeleteMultipleObjects reference): keys in
// the body are taken as written, never URL-decoded, so `a%2Fb` deletes `a%2Fb`, not `a/b`.
// Without encoding-type the answer writes controls as character references, as OSS's listings.
// On the code before issue 16 every key with a control was refused (400 InvalidObjectName:
// checked); a literal CR deleted the LF key instead (checked, with keepCarriageReturnsInKeys removed);
// a literal U+0001 in a key was 400 MalformedXML (checked, before keepControlCharactersInKeys).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { listingXml, strictXml, type Answer, type KeepAliveClient, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

const B = 'ctl-delete';
const GO_PREFIX = 'go-sdk-test-';
const GO_CONTROLS = Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)).join('');
/** The keys of the Go SDKs' own delete tests. */
const GO_KEYS = [
  `${GO_PREFIX}${GO_CONTROLS}`,
  'A \' < > " & ~ ` ! @ # $ % ^ & * ( ) [] {} - _ + = / | \\ ? . , : ; A',
  '\f',
  '\v',
  `${GO_PREFIX}Ab3<-->+&*\r%%`,
  `${GO_PREFIX}Cd4\r&*\r%%`,
];

/** aliyun-oss-go-sdk EscapeXml (utils.go), for the characters these keys hold. */
function goEscapeXml(s: string): string {
  const named: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };
  return [...s].map((c) => named[c] ?? (c.charCodeAt(0) < 0x20 ? `&#x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')};` : c)).join('');
}
const goUnescape = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
const pathOf = (key: string): string => `/${B}/${encodeURIComponent(key)}`;

const { client } = useKeepAliveOssd(async () => {
  assert.equal((await send('PUT', `/${B}/`)).status, 200);
});
const send = (method: string, p: string, o?: Parameters<KeepAliveClient['send']>[2]): Promise<Answer> => client.send(method, p, o);

function deleteMulti(body: string, query = '&encoding-type=url'): Promise<Answer> {
  const md5 = createHash('md5').update(body, 'utf8').digest('base64');
  return send('POST', `/${B}/?delete${query}`, { body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } });
}
async function putAll(keys: readonly string[]): Promise<void> {
  for (const k of keys) assert.equal((await send('PUT', pathOf(k), { body: 'x' })).status, 200, JSON.stringify(k));
}
async function exists(key: string): Promise<boolean> {
  return (await send('HEAD', pathOf(key))).status === 200;
}

describe('DeleteMultipleObjects with control characters in keys', { timeout: 120_000 }, () => {
  test('the Go SDKs\' body (hex references, &#34;) with encoding-type=url: every key deleted, each named URL-encoded', async () => {
    await putAll(GO_KEYS);
    const body = `<Delete><Quiet>false</Quiet>${GO_KEYS.map((k) => `<Object><Key>${goEscapeXml(k)}</Key></Object>`).join('')}</Delete>`;
    assert.match(body, /&#x01;&#x02;/);
    const res = await deleteMulti(body);
    assert.equal(res.status, 200, res.text);
    // An encoded answer is plain XML 1.0: no control byte, no reference.
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(res.text, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|&#/);
    const answer = strictXml(res.text);
    assert.deepEqual(answer.EncodingType, ['url']);
    assert.deepEqual(answer.Key!.map(goUnescape), GO_KEYS);
    for (const k of GO_KEYS) assert.equal(await exists(k), false, JSON.stringify(k));
  });

  test('decimal references and Java\'s &#x000D; form', async () => {
    const keys = ['dec\u0001\u001fkey', 'java\r\n\tkey'];
    await putAll(keys);
    const body = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>' +
      '<Object><Key>dec&#1;&#31;key</Key></Object><Object><Key>java&#x000D;&#x000A;&#x0009;key</Key></Object></Delete>';
    const res = await deleteMulti(body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(strictXml(res.text).Key!.map(goUnescape), keys);
    for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
  });

  test('literal tab, LF and CR (ali-oss, oss2): each names its own key; a CR is not read as an LF', async () => {
    const keys = ['raw\ttab', 'raw\nlf', 'raw\rcr', 'raw\r\ncrlf'];
    const lookalikes = ['raw\ncr', 'raw\ncrlf'];
    await putAll([...keys, ...lookalikes]);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\r\n<Delete>\r\n  <Quiet>false</Quiet>\r\n${keys.map((k) => `  <Object><Key>${k}</Key></Object>\r\n`).join('')}</Delete>\r\n`;
    const res = await deleteMulti(body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(strictXml(res.text).Key!.map(goUnescape), keys);
    for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
    for (const k of lookalikes) assert.equal(await exists(k), true, `${JSON.stringify(k)} must stay`);
  });

  test('other control characters written literally (ali-oss, oss2, Java) name their keys; outside a key, or NUL, they are MalformedXML', async () => {
    const keys = [`lit${GO_CONTROLS}`, 'lit\u0001key'];
    await putAll(keys);
    const res = await deleteMulti(`<Delete>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(strictXml(res.text).Key!.map(goUnescape), keys);
    for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
    await putAll(['kept']);
    for (const body of ['<Delete><Quiet>\u0001false</Quiet><Object><Key>kept</Key></Object></Delete>', '<Delete><Object><Key>kept\u0000</Key></Object><Object><Key>kept</Key></Object></Delete>']) {
      const refused = await deleteMulti(body);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(strictXml(refused.text).Code?.[0], 'MalformedXML');
      assert.equal(await exists('kept'), true);
    }
  });

  test('without encoding-type the answer names the keys with character references; quiet mode answers nothing', async () => {
    const keys = ['plain\u0001one', 'plain\u001ftwo\r'];
    await putAll(keys);
    const body = `<Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${goEscapeXml(k)}</Key></Object>`).join('')}</Delete>`;
    const res = await deleteMulti(body, '');
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<Key>plain&#1;one<\/Key>/);
    assert.deepEqual(listingXml(res.text).Key, keys);
    assert.equal(listingXml(res.text).EncodingType, undefined);

    await putAll(keys);
    const quiet = await deleteMulti(body.replace('<Quiet>false</Quiet>', '<Quiet>true</Quiet>'));
    assert.equal(quiet.status, 200, quiet.text);
    assert.equal(quiet.text, '');
    for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
  });

  test('keys in the body are never URL-decoded, with or without encoding-type=url', async () => {
    await putAll(['a%2Fb', 'a/b', '%01']);
    const res = await deleteMulti('<Delete><Object><Key>a%2Fb</Key></Object><Object><Key>%01</Key></Object></Delete>');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(strictXml(res.text).Key, ['a%252Fb', '%2501']);
    assert.equal(await exists('a%2Fb'), false);
    assert.equal(await exists('%01'), false);
    assert.equal(await exists('a/b'), true, 'a/b must stay');
  });

  test('versioned bucket: <VersionId> of a key with controls (the Go SDK\'s DeleteObjectVersions test)', async () => {
    const V = 'ctl-delete-versions';
    assert.equal((await send('PUT', `/${V}/`)).status, 200);
    assert.equal((await send('PUT', `/${V}/?versioning`, { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' })).status, 200);
    const key = `${GO_PREFIX}${GO_CONTROLS}v`;
    const put = await send('PUT', `/${V}/${encodeURIComponent(key)}`, { body: 'versioned' });
    const versionId = String(put.headers['x-oss-version-id']);
    const body = `<Delete><Quiet>false</Quiet><Object><Key>${goEscapeXml(key)}</Key><VersionId>${versionId}</VersionId></Object></Delete>`;
    const md5 = createHash('md5').update(body, 'utf8').digest('base64');
    const res = await send('POST', `/${V}/?delete&encoding-type=url`, { body, headers: { 'content-md5': md5 } });
    assert.equal(res.status, 200, res.text);
    const answer = strictXml(res.text);
    assert.deepEqual(answer.Key!.map(goUnescape), [key]);
    assert.deepEqual(answer.VersionId, [versionId]);
    assert.equal((await send('GET', `/${V}/${encodeURIComponent(key)}?versionId=${versionId}`)).status, 404);
  });
});
