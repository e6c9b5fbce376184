/**
 * The malformed-XML battery of test/compat/raw-xml-wellformed.test.ts (embedded default) and
 * test/faults/batteries-cluster.test.ts (a PostgreSQL + S3 node): see the first for what it checks and
 * what it found. One body for both, so the drivers are held to one standard.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ossd } from './ossd-process.js';
import { assertErr, md5Base64, raw, type RawResponse } from './raw-http.js';
import { tag } from './multipart.js';

/** Starts the node for the file (like useOssd) and runs `setup` on it in the same hook. */
export type UseNode = (setup: (o: Ossd) => Promise<void>) => Ossd;

export function xmlWellformedBattery(useNode: UseNode, o: { title?: string; skip?: string | false } = {}): void {
  const B = 'raw-xml-wf';
  const ossd = useNode(async (node) => {
    assert.equal((await raw(node, { method: 'PUT', path: `/${B}/` })).status, 200);
  });

  const objectPath = (key: string, query = ''): string => `/${B}/${encodeURIComponent(key)}${query}`;
  const put = (key: string, body: string): Promise<RawResponse> => raw(ossd, { method: 'PUT', path: objectPath(key), body });
  const get = (key: string): Promise<RawResponse> => raw(ossd, { method: 'GET', path: objectPath(key) });
  const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  function deleteMultiple(body: Buffer | string): Promise<RawResponse> {
    return raw(ossd, { method: 'POST', path: `/${B}/?delete`, body, headers: { 'content-md5': md5Base64(body) } });
  }

  const VICTIM = '<Object><Key>victim</Key></Object>';
  const LOLZ =
    '<!DOCTYPE Delete [<!ENTITY a "victim"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">' +
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>';

  /** Each body names `victim` in a well-formed `<Object>`; the malformation is elsewhere. */
  const MALFORMED_DELETES: Array<[string, Buffer | string]> = [
    ['billion laughs DTD (OLD-ACCEPTED)', `<?xml version="1.0"?>${LOLZ}<Delete>${VICTIM}<Object><Key>&e;</Key></Object></Delete>`],
    ['internal entity naming the key (OLD-ACCEPTED)', '<!DOCTYPE Delete [<!ENTITY k "victim">]><Delete><Object><Key>&k;</Key></Object></Delete>'],
    ['external entity', `<!DOCTYPE Delete [<!ENTITY x SYSTEM "file:///etc/hostname">]><Delete>${VICTIM}<Object><Key>&x;</Key></Object></Delete>`],
    ['DOCTYPE alone (OLD-ACCEPTED)', `<!DOCTYPE Delete><Delete>${VICTIM}</Delete>`],
    ['undefined entity (OLD-ACCEPTED)', `<Delete>${VICTIM}<Object><Key>x&foo;</Key></Object></Delete>`],
    ['&#0; (OLD-ACCEPTED)', `<Delete>${VICTIM}<Object><Key>x&#0;</Key></Object></Delete>`],
    ['&#xFFFE; (OLD-ACCEPTED)', `<Delete>${VICTIM}<Object><Key>x&#xFFFE;</Key></Object></Delete>`],
    ['&#xD800; (OLD-ACCEPTED)', `<Delete>${VICTIM}<Object><Key>x&#xD800;</Key></Object></Delete>`],
    ['&#x110000; (OLD-ACCEPTED)', `<Delete>${VICTIM}<Object><Key>x&#x110000;</Key></Object></Delete>`],
    ['invalid UTF-8 in a key (OLD-ACCEPTED)', bytes(`<Delete>${VICTIM}<Object><Key>x`, [0xff, 0xfe], '</Key></Object></Delete>')],
    ['overlong UTF-8 in a key (OLD-ACCEPTED)', bytes(`<Delete>${VICTIM}<Object><Key>x`, [0xc0, 0xaf], '</Key></Object></Delete>')],
    ['literal control byte outside a key', `<Delete><Quiet>\u0001false</Quiet>${VICTIM}</Delete>`],
    ['literal NUL in a key', `<Delete>${VICTIM}<Object><Key>x\u0000y</Key></Object></Delete>`],
    ['two roots', `<Delete>${VICTIM}</Delete><Delete>${VICTIM}</Delete>`],
    ['truncated document', `<Delete>${VICTIM}`],
    ['mismatched tags', `<Delete>${VICTIM}<Object><Key>x</Object></Key></Delete>`],
    ['trailing junk after the root', `<Delete>${VICTIM}</Delete>junk`],
    ['encoding other than UTF-8 (OLD-ACCEPTED)', `<?xml version="1.0" encoding="ISO-8859-1"?><Delete>${VICTIM}</Delete>`],
    ['UTF-16 body', Buffer.from(`\ufeff<Delete>${VICTIM}</Delete>`, 'utf16le')],
  ];

  describe(`request XML is well-formed XML 1.0 or nothing happens${o.title ?? ''}`, { skip: o.skip, timeout: 120_000 }, () => {
    test('DeleteMultipleObjects: each malformed body is 400 MalformedXML and the named key stays', async () => {
      assert.equal((await put('victim', 'precious bytes')).status, 200);
      for (const [what, body] of MALFORMED_DELETES) {
        assertErr(await deleteMultiple(body), 400, 'MalformedXML');
        const after = await get('victim');
        assert.equal(after.status, 200, `${what}: victim was deleted`);
        assert.equal(after.text, 'precious bytes', what);
      }
    });

    test('DeleteMultipleObjects: character references are decoded (Go SDK style), a BOM and a prolog are fine', async () => {
      for (const key of ['a"bA', 'tab\there', "quote'd", 'x<y&z']) assert.equal((await put(key, 'v')).status, 200);
      const body = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>false</Quiet>' +
        '<Object><Key>a&#34;b&#x41;</Key></Object><Object><Key>tab&#x9;here</Key></Object>' +
        '<Object><Key>quote&#39;d</Key></Object><Object><Key><![CDATA[x<y]]>&#38;z</Key></Object></Delete>';
      const res = await deleteMultiple(body);
      assert.equal(res.status, 200, res.text);
      for (const key of ['a"bA', 'tab\there', "quote'd", 'x<y&z']) assertErr(await get(key), 404, 'NoSuchKey');
    });

    test('CompleteMultipartUpload: malformed bodies change nothing; the Go SDKs\' &#34;ETag&#34; completes', async () => {
      const init = await raw(ossd, { method: 'POST', path: objectPath('mp', '?uploads') });
      const uploadId = tag(init.text, 'UploadId')!;
      const part = await raw(ossd, { method: 'PUT', path: objectPath('mp', `?partNumber=1&uploadId=${uploadId}`), body: 'part one' });
      const etag = part.headers.etag!; // quoted: "…"
      const inner = etag.replace(/"/g, '');
      const complete = (body: Buffer | string): Promise<RawResponse> => raw(ossd, { method: 'POST', path: objectPath('mp', `?uploadId=${uploadId}`), body });
      const goodPart = `<Part><PartNumber>1</PartNumber><ETag>&#34;${inner}&#34;</ETag></Part>`;
      const malformed: Array<Buffer | string> = [
        `<!DOCTYPE C [<!ENTITY e "${inner}">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"&e;"</ETag></Part></CompleteMultipartUpload>`,
        `<CompleteMultipartUpload>${goodPart}<X>&bogus;</X></CompleteMultipartUpload>`,
        `<CompleteMultipartUpload>${goodPart}<X>&#0;</X></CompleteMultipartUpload>`,
        bytes(`<CompleteMultipartUpload>${goodPart}<X>`, [0xfe], '</X></CompleteMultipartUpload>'),
        `<CompleteMultipartUpload>${goodPart}</CompleteMultipartUpload><CompleteMultipartUpload/>`,
        `<CompleteMultipartUpload>${goodPart}`,
      ];
      for (const body of malformed) {
        assertErr(await complete(body), 400, 'MalformedXML');
        assertErr(await get('mp'), 404, 'NoSuchKey');
      }
      // Exactly what the Go SDKs send (encoding/xml writes `"` as &#34;). Before the fix: 400 InvalidPart.
      const done = await complete(`<CompleteMultipartUpload>${goodPart}</CompleteMultipartUpload>`);
      assert.equal(done.status, 200, done.text);
      assert.equal((await get('mp')).text, 'part one');
    });

    test('PutObjectTagging: malformed bodies leave the tags; references in values are decoded', async () => {
      assert.equal((await put('tagged', 'v')).status, 200);
      const putTagging = (body: Buffer | string): Promise<RawResponse> => raw(ossd, { method: 'PUT', path: objectPath('tagged', '?tagging'), body });
      const getTagging = async (): Promise<string> => (await raw(ossd, { method: 'GET', path: objectPath('tagged', '?tagging') })).text;
      assert.equal((await putTagging('<Tagging><TagSet><Tag><Key>k</Key><Value>&#43;q&#x3D;&#x41;</Value></Tag></TagSet></Tagging>')).status, 200);
      const before = await getTagging();
      // (Tag values take only letters, digits, space and + - = . _ : /: the references name some of those.)
      assert.match(before, /<Value>\+q=A<\/Value>/);
      const tagSet = '<TagSet><Tag><Key>k</Key><Value>new</Value></Tag></TagSet>';
      for (const body of [
        `<!DOCTYPE Tagging><Tagging>${tagSet}</Tagging>`,
        `<Tagging>${tagSet}<X>&#xD800;</X></Tagging>`,
        bytes(`<Tagging>${tagSet}<X>`, [0x80], '</X></Tagging>'),
        `<Tagging>${tagSet}</Tagging><Tagging/>`,
      ]) {
        assertErr(await putTagging(body), 400, 'MalformedXML');
        assert.equal(await getTagging(), before);
      }
    });

    test('PutBucketCors, PutBucketVersioning, PutBucket: malformed bodies change nothing', async () => {
      const cors = (extra: string): string =>
        `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>${extra}</CORSConfiguration>`;
      for (const body of [`<!DOCTYPE CORSConfiguration>${cors('')}`, cors('<X>&#0;</X>'), `${cors('')}<a/>`]) {
        assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/?cors`, body }), 400, 'MalformedXML');
      }
      assertErr(await raw(ossd, { method: 'GET', path: `/${B}/?cors` }), 404, 'NoSuchCORSConfiguration');

      for (const body of [
        '<!DOCTYPE V [<!ENTITY s "Enabled">]><VersioningConfiguration><Status>&s;</Status></VersioningConfiguration>',
        bytes('<VersioningConfiguration><Status>Enabled</Status><X>', [0xff], '</X></VersioningConfiguration>'),
      ]) {
        assertErr(await raw(ossd, { method: 'PUT', path: `/${B}/?versioning`, body }), 400, 'MalformedXML');
      }
      assert.doesNotMatch((await raw(ossd, { method: 'GET', path: `/${B}/?versioning` })).text, /<Status>/);

      const create = '<CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>';
      for (const body of [`<!DOCTYPE C>${create}`, `${create}junk`, create.replace('IA', 'I&#0;A')]) {
        assertErr(await raw(ossd, { method: 'PUT', path: '/raw-xml-wf-new/', body }), 400, 'MalformedXML');
        assertErr(await raw(ossd, { method: 'GET', path: '/raw-xml-wf-new/?bucketInfo' }), 404, 'NoSuchBucket');
      }
    });
  });
}
