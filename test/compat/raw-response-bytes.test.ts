// Answers are always well-formed and never a 500 for bytes a request carries (issue 15,
// hole 5): `response-*` overrides holding a control byte are 400 InvalidArgument (they were
// 500 with a stack trace, anonymously); error bodies that echo a request's bytes stay
// well-formed XML 1.0 (checked with saxes, a strict parser), listings too but for the
// character references OSS writes for controls in them (issue 16, listingXml); values that would
// come back as headers (PostObject fields, CORS ExposeHeader) are refused when written.
//
// Fails on the code before the fix: checked (2026-12-05): every response-* control byte
// answered 500 InternalError; the SignatureDoesNotMatch, InvalidArgument, NoSuchKey and
// listing answers echoing NUL / U+FFFE were not well-formed ("disallowed character"); a
// key with CR came back as LF in listings; PostObject stored a Content-Disposition with
// CR LF, or a field `x-oss-meta-a b`, and its GET answered 500; PutBucketCors accepted an ExposeHeader with a line feed
// and every CORS answer of the bucket was 500 afterwards; UTF-8 in response-content-
// disposition answered 500. Also fails when the control-byte check of response-* is
// removed (utf8HeaderValue), and when escapeXml no longer drops NOT_XML: checked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { multipartBody } from '../helpers/post-form.js';
import { raw, signV1 } from '../helpers/raw-http.js';
import { errorXml, listingXml, strictXml, type Answer, type KeepAliveClient, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

const B = 'resp-bytes';
const OPEN = 'resp-bytes-open';
const PUB = 'pub.txt';
const CONTENT = 'public bytes';
const RESPONSE_PARAMS = [
  'response-content-type', 'response-content-disposition', 'response-cache-control',
  'response-content-language', 'response-expires', 'response-content-encoding',
];
/** Every C0 control byte and DEL. */
const CONTROL_BYTES = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f];
const pct = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

const { ossd, client } = useKeepAliveOssd(async () => {
  assert.equal((await send('PUT', `/${B}/`)).status, 200);
  assert.equal((await send('PUT', `/${OPEN}/`, { headers: { 'x-oss-acl': 'public-read-write' } })).status, 200);
  const put = await send('PUT', `/${B}/${PUB}`, { body: CONTENT, headers: { 'x-oss-object-acl': 'public-read' } });
  assert.equal(put.status, 200, put.text);
});
const send = (method: string, path: string, o?: Parameters<KeepAliveClient['send']>[2]): Promise<Answer> => client.send(method, path, o);

/** Asserts status and code, with the error XML parsed strictly; returns its elements. */
function assertWellFormedError(res: Answer, status: number, code: string, what: string): Record<string, string[]> {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  let e: Record<string, string[]>;
  try {
    e = strictXml(errorXml(res));
  } catch (err) {
    assert.fail(`${what}: error XML not well-formed (${(err as Error).message}): ${JSON.stringify(errorXml(res))}`);
  }
  assert.equal(e.Code?.[0], code, what);
  return e;
}

async function alive(): Promise<void> {
  assert.equal((await send('GET', '/-/health', { sign: 'none' })).status, 200);
  const get = await send('GET', `/${B}/${PUB}`);
  assert.equal(get.status, 200);
  assert.equal(get.text, CONTENT);
}

describe('response-* overrides', { timeout: 120_000 }, () => {
  test('every control byte in every response-* parameter: 400 InvalidArgument, signed and anonymous, and the server stays up', async () => {
    const problems: string[] = [];
    for (const param of RESPONSE_PARAMS) {
      for (const byte of CONTROL_BYTES) {
        for (const sign of ['v4', 'none'] as const) {
          const path = `/${B}/${PUB}?${param}=a${pct(byte)}b`;
          const res = await send('GET', path, { sign });
          let code: string | undefined;
          try {
            code = strictXml(res.text).Code?.[0];
          } catch {
            code = 'not well-formed';
          }
          if (res.status !== 400 || code !== 'InvalidArgument') problems.push(`${sign} GET ${path}: ${res.status} ${code}`);
        }
      }
    }
    assert.deepEqual(problems, [], `${problems.length} of ${RESPONSE_PARAMS.length * CONTROL_BYTES.length * 2}:\n${problems.join('\n')}`);
    await alive();
    assert.doesNotMatch(ossd.output(), /ERR_INVALID_CHAR/, 'no stack trace logged');
  });

  test('a HEAD with control bytes in response-* is answered (HEAD ignores response-*, as OSS)', async () => {
    assert.equal((await send('HEAD', `/${B}/${PUB}?response-content-type=a%0Ab`)).status, 200);
  });

  test('UTF-8 in response-content-disposition is sent as its UTF-8 bytes; printable values as given', async () => {
    const disposition = 'attachment; filename="报告 ü.txt"';
    const res = await send('GET', `/${B}/${PUB}?response-content-disposition=${encodeURIComponent(disposition)}&response-content-type=text%2Fplain%3B%20charset%3Dutf-8&response-expires=Thu%2C%2001%20Dec%202094%2016%3A00%3A00%20GMT`);
    assert.equal(res.status, 200, res.text);
    // Node's client reads header bytes as latin1.
    assert.equal(Buffer.from(String(res.headers['content-disposition']), 'latin1').toString('utf8'), disposition);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers.expires, 'Thu, 01 Dec 2094 16:00:00 GMT');
  });
});

describe('error and listing XML echoing request bytes is well-formed', { timeout: 60_000 }, () => {
  test('SignatureDoesNotMatch echoing a StringToSign with NUL and other controls', async () => {
    // V1: the StringToSign holds the decoded sub-resources (auth.md §2.3), bytes and all.
    for (const byte of [0x00, 0x01, 0x0b, 0x1f]) {
      const path = `/${B}/${PUB}?response-content-type=x${pct(byte)}y`;
      const date = new Date().toUTCString();
      const authorization = `OSS ${ossd.accessKeyId}:${signV1('not-the-secret', 'GET', path, { date })}`;
      const res = await raw(ossd, { method: 'GET', path, headers: { date, authorization }, sign: 'none' });
      const e = assertWellFormedError(res, 403, 'SignatureDoesNotMatch', `byte ${byte}`);
      assert.match(e.StringToSign?.[0] ?? '', /response-content-type=xy$/, 'the byte XML cannot carry is left out');
    }
  });

  test('InvalidArgument echoing the argument value', async () => {
    assertWellFormedError(await send('GET', `/${B}/?max-keys=1%00`), 400, 'InvalidArgument', 'max-keys with NUL');
    assertWellFormedError(await send('GET', `/${B}/?encoding-type=%01`), 400, 'InvalidArgument', 'encoding-type with \\x01');
  });

  test('NoSuchKey echoing a key with CR, tab, LF and U+FFFE (GET body and HEAD x-oss-err)', async () => {
    const path = `/${B}/missing%0D%09%0A%EF%BF%BEend`;
    const get = assertWellFormedError(await send('GET', path), 404, 'NoSuchKey', 'GET');
    // CR survives as a character reference; U+FFFE, which XML cannot carry, is left out.
    assert.deepEqual(get.Key, ['missing\r\t\nend']);
    assertWellFormedError(await send('HEAD', path), 404, 'NoSuchKey', 'HEAD');
  });

  test('listings echoing prefixes and markers with control bytes, and keys with CR and U+FFFF', async () => {
    const key = 'odd\r\tkey\uffff';
    assert.equal((await send('PUT', `/${B}/${encodeURIComponent(key)}`, { body: 'x' })).status, 200);
    // Issue 16: listings write what XML 1.0 cannot carry as character references, as OSS
    // does (U+0000 is still left out: no XML names it); CR is &#13;, so the key comes back whole.
    const v1 = await send('GET', `/${B}/?prefix=odd${pct(0x0d)}&marker=${pct(0x00)}&delimiter=${pct(0x01)}`);
    assert.equal(v1.status, 200, v1.text);
    const listed = listingXml(v1.text);
    assert.deepEqual(listed.Key, ['odd\r\tkey\uffff']);
    assert.deepEqual([listed.Marker, listed.Delimiter], [[''], ['\u0001']]);
    assert.match(v1.text, /<Key>odd&#13;\tkey&#65535;<\/Key>/);
    for (const q of [`list-type=2&prefix=${pct(0x02)}&start-after=${pct(0x03)}`, `versions&key-marker=${pct(0x04)}&prefix=${pct(0x05)}`, `uploads&key-marker=${pct(0x06)}&prefix=${pct(0x07)}&delimiter=${pct(0x08)}`]) {
      const res = await send('GET', `/${B}/?${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      assert.doesNotThrow(() => listingXml(res.text), `${q}: ${JSON.stringify(res.text)}`);
    }
    // encoding-type=url keeps every byte, and is well-formed XML 1.0.
    const url = await send('GET', `/${B}/?encoding-type=url&prefix=odd`);
    assert.deepEqual(strictXml(url.text).Key, ['odd%0D%09key%EF%BF%BF']);
    assert.equal((await send('DELETE', `/${B}/${encodeURIComponent(key)}`)).status, 204);
  });
});

describe('no parameter value makes an answer fail', { timeout: 120_000 }, () => {
  test('control bytes, DEL, a lone 0xFF and UTF-8 in each parameter SDKs send: no 5xx (but 501), every XML body well-formed', async () => {
    const params = [
      'versionId', 'uploadId', 'partNumber', 'position', 'prefix', 'marker', 'delimiter', 'max-keys', 'encoding-type',
      'continuation-token', 'start-after', 'fetch-owner', 'key-marker', 'version-id-marker', 'upload-id-marker',
      'max-uploads', 'max-parts', 'part-number-marker', 'x-oss-traffic-limit', 'security-token', ...RESPONSE_PARAMS,
    ];
    // A sample of the bytes (the response-* sweep above has them all): NUL, SOH, tab, LF, CR, US, DEL.
    const values = [...[0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x7f].map((b) => `a${pct(b)}b`), 'a%FFb', 'a%E6%8A%A5b'];
    const targets: Array<[string, string]> = [
      ['GET', `/${B}/${PUB}`], ['HEAD', `/${B}/${PUB}`], ['GET', `/${B}/`], ['GET', `/${B}/?versions`],
      ['GET', `/${B}/?uploads`], ['DELETE', `/${B}/never-there`],
    ];
    const problems: string[] = [];
    for (const [method, base] of targets) {
      for (const param of params) {
        for (const value of values) {
          const path = `${base}${base.includes('?') ? '&' : '?'}${param}=${value}`;
          // Invalid UTF-8 cannot be signed (V4 signs decoded values); the server refuses it before the signature anyway.
          const res = await send(method, path, { sign: value === 'a%FFb' ? 'none' : 'v4' });
          if (res.status >= 500 && res.status !== 501) problems.push(`${method} ${path}: ${res.status}`);
          else if (method !== 'HEAD' && /xml/.test(String(res.headers['content-type']))) {
            try {
              // A listing (200) may hold character references to controls, as OSS's do; errors are strict XML 1.0.
              if (res.status === 200) listingXml(res.text);
              else strictXml(res.text);
            } catch (e) {
              problems.push(`${method} ${path}: ${(e as Error).message}`);
            }
          }
        }
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    await alive();
  });
});

describe('values that come back as headers are refused when written', { timeout: 60_000 }, () => {
  async function postObject(fields: Array<{ name: string; value: string; filename?: string; contentType?: string }>): Promise<Answer> {
    const { body, contentType } = multipartBody(fields);
    return send('POST', `/${OPEN}/`, { body, headers: { 'content-type': contentType }, sign: 'none' });
  }

  test('PostObject: a Content-Disposition, Cache-Control or x-oss-meta-* field with CR, LF, NUL or DEL, a file part type with a control, an x-oss-meta-* name no header can have: 400, nothing stored', async () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['content-disposition', 'attachment;\r\nx-injected: 1', undefined],
      ['cache-control', 'no\u0000cache', undefined],
      ['x-oss-meta-note', 'a\u007fb', undefined],
      ['content-type', 'text/pla\u0001in', undefined],
      ['x-oss-meta-ok', 'fine', 'text/\u0001plain'],
      // Field names become header names too.
      ['x-oss-meta-a b', 'fine', undefined],
      ['x-oss-meta-a:b', 'fine', undefined],
      ['x-oss-meta-\u00e9t\u00e9', 'fine', undefined],
    ];
    for (const [name, value, fileType] of cases) {
      const res = await postObject([
        { name: 'key', value: 'posted.txt' },
        { name, value },
        { name: 'file', value: 'form bytes', filename: 'a.txt', contentType: fileType ?? 'text/plain' },
      ]);
      assertWellFormedError(res, 400, 'InvalidArgument', `${name}: ${JSON.stringify(value)} / ${String(fileType)}`);
      assert.equal((await send('HEAD', `/${OPEN}/posted.txt`)).status, 404, `${name}: nothing stored`);
    }
    // The same form with a clean value is stored, and read back with its header.
    const ok = await postObject([
      { name: 'key', value: 'posted.txt' },
      { name: 'content-disposition', value: 'attachment; filename="r\u00e9sum\u00e9.txt"' },
      { name: 'file', value: 'form bytes', filename: 'a.txt', contentType: 'text/plain' },
    ]);
    assert.equal(ok.status, 204, ok.text);
    const get = await send('GET', `/${OPEN}/posted.txt`);
    assert.equal(get.status, 200, get.text);
    assert.equal(Buffer.from(String(get.headers['content-disposition']), 'latin1').toString('utf8'), 'attachment; filename="résumé.txt"');
  });

  test('PutBucketCors: an ExposeHeader with a line feed or non-ASCII is 400, and CORS answers keep working', async () => {
    const cors = (expose: string): string =>
      `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>${expose}</ExposeHeader></CORSRule></CORSConfiguration>`;
    for (const expose of ['x-a\nb', 'x-\u62a5\u544a', 'x a']) {
      assertWellFormedError(await send('PUT', `/${B}/?cors`, { body: cors(expose) }), 400, 'InvalidArgument', expose);
    }
    assert.equal((await send('PUT', `/${B}/?cors`, { body: cors('x-oss-request-id') })).status, 200);
    const get = await send('GET', `/${B}/${PUB}`, { headers: { origin: 'http://example.com' } });
    assert.equal(get.status, 200, get.text);
    assert.equal(get.headers['access-control-expose-headers'], 'x-oss-request-id');
  });
});
