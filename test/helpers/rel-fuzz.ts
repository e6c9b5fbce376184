/**
 * Request generators for the fuzz test (test/faults/fuzz.test.ts), with fast-check.
 *
 * A case is data (so fast-check can print and shrink it); it is turned into bytes only
 * when it is sent, because signatures need the current time. Most cases are correctly
 * signed (V1 with signV1 from raw-http.ts, some V4 and presigned), so they get past
 * authentication into the handlers; the rest are anonymous, garbled or skewed. A small
 * share is raw bytes on a socket: what Node's HTTP client refuses to send.
 *
 * The fuzzer never names the sentinel bucket (SENTINEL_BUCKET): cases that mention it
 * anywhere are filtered out.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-http.js';
import { isoBasic, parsePath, signatureV4, type V4Input } from './raw-v4.js';
import type { RelRequest } from './rel-http.js';

export const SENTINEL_BUCKET = 'zz-sentinel-vault';
/** fuzz-a (private) and fuzz-b (public-read-write) exist with objects; c and d may be created by the fuzzer. */
export const FUZZ_BUCKETS = ['fuzz-a', 'fuzz-b', 'fuzz-c', 'fuzz-d'] as const;
const REGION = 'cn-hangzhou';

export type Auth = 'v1' | 'v1-xdate' | 'v4' | 'none' | 'garbled' | 'presigned-v1' | 'presigned-v4' | 'skewed';

export interface HttpCase {
  kind: 'http';
  scenario: string;
  method: string;
  style: 'path' | 'vhost' | 'vhost-aliyun';
  /** Raw (encoded) bucket segment; undefined: service level. */
  bucket?: string;
  /** Raw (encoded) key part; undefined: bucket level. */
  key?: string;
  /** Service level sent as `//` (C++ SDK); bucket level without its trailing '/'. */
  oddSlashes: boolean;
  query: string[];
  headers: Array<[string, string]>;
  body: Buffer;
  md5: 'good' | 'bad' | 'garbage' | 'none';
  chunked: boolean;
  auth: Auth;
  /** Picks how a garbled signature or an expired presigned URL is made. */
  variant: number;
}

export interface WireCase {
  kind: 'wire';
  template: string;
  /** Method of the (first) request, for parsing HEAD answers. */
  method: string;
  key: string;
  garbage: Buffer;
  n: number;
}

export type FuzzCase = HttpCase | WireCase;

// ---- pieces ---------------------------------------------------------------------------

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
/** Every byte Node's HTTP client lets into a header value: tab, 0x20–0x7E, 0x80–0xFF (sent as latin1). The rest go by raw socket (ctl-in-meta). */
const latin1 = fc.string({
  unit: fc.oneof(
    { weight: 1, arbitrary: fc.constant('\t') },
    { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)) },
  ),
  maxLength: 40,
});
const headerValue = fc.oneof({ weight: 4, arbitrary: printable }, { weight: 1, arbitrary: latin1 });

/** Keys that are interesting as names, and as would-be paths. */
const KEY_SAMPLES = [
  'k1', 'k2', 'k3', 'app.log', 'dir/k4', 'a b+c.txt', '..', '../x', '../../canary/file', '../../../../../../etc/passwd', './x', 'a/./b',
  'a//b', '%2e%2e', '..\\..\\x', '\\lead', '/lead', 'trail/', '.', '...', '~', 'k?x', 'k#x', 'k&x=y', '中文/文件.txt', '😀', 'a\u0000b',
  'a\tb', 'a\nb', 'a\rb', 'a\u007fb', '\u202etxt.exe', '\ufeffbom', 'x'.repeat(1023), 'x'.repeat(1024), 'é'.repeat(511), 'é'.repeat(512),
  'a\ud800b', '\udfff', 'CON', 'nul', 'aux.txt', '.git/config', 'meta.db', '../meta.db', '../../data/meta.db', 'blobs/00/x',
  '../root-credentials.json', 'staging/x', '<tag>&amp;"\'', ' space ', '\u00a0', '\u2028', 'k1/', 'k1//', '*', 'con:x',
];

/** Keys that exist in the fuzz buckets (seeded by the test), so reads, appends and copies hit objects. */
export const HOT_KEYS = ['k1', 'k2', 'app.log', 'dir/k4', '..'];

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...HOT_KEYS) },
  { weight: 8, arbitrary: fc.constantFrom(...KEY_SAMPLES) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'b', '.', '/', '%', '\\', '\u0000', '\u001f', ' ', '+', '?', '#', '&', '=', 'é', '😀', '\ud800', '\udc00', '~'),
      minLength: 1,
      maxLength: 20,
    }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }).map((n) => 'k'.repeat(n)) },
);

/** UTF-8 bytes of a JS string, lone surrogates included (as CESU/WTF-8 style 3-byte forms). */
function wtf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    if (c > 0xffff) i++;
    if (c >= 0xd800 && c <= 0xdfff) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(...Buffer.from(String.fromCodePoint(c), 'utf8'));
  }
  return out;
}

/** Any byte sequence, every value 0x00–0xFF alike (invalid UTF-8 included). */
const anyBytes = (minLength: number, maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

/** Each byte as %XX: the percent-decoded value is exactly these bytes. */
export function pctBytes(b: Buffer): string {
  return [...b].map((x) => `%${x.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Percent-encodes everything but RFC 3986 unreserved characters (and '/' when asked). */
export function pctEncode(s: string, keepSlash: boolean): string {
  let out = '';
  for (const b of wtf8(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Printable ASCII passes as is ('%' too: a deliberate injection), the rest is encoded. */
function rawEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[\x21-\x7e]$/.test(ch) && ch !== '?' && ch !== '#') out += ch;
    else out += pctEncode(ch, false);
  }
  return out;
}

const INJECTIONS = [
  '%2e%2e/', '%2E%2E%2F', '..%2f', '%2e%2e%5c', '%C0%AF', '%C0%AE%C0%AE/', '%C3%28', '%FF', '%FE%FF', '%ED%A0%80', '%E0%80%80',
  '%F4%90%80%80', '%F0%9F%98', '%00', '%0d%0a', '%', '%%', '%G1', '%2', '%u002e', '%252e%252e', '/..', '/../..', '//', '%2F%2F', '%5C',
];

/** null most of the time, a value one time in eight. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

const encodedKeyArb: fc.Arbitrary<string> = fc
  .record({
    key: keyArb,
    mode: fc.constantFrom('slash', 'slash', 'slash', 'all', 'raw', 'bytes'),
    bytes: anyBytes(1, 12),
    before: rarely(fc.constantFrom(...INJECTIONS)),
    after: rarely(fc.constantFrom(...INJECTIONS)),
  })
  .map(({ key, mode, bytes, before, after }) => {
    // 'bytes': a name of raw bytes, each percent-encoded, so every byte value reaches the key rules.
    const body = mode === 'bytes' ? pctBytes(bytes) : mode === 'raw' ? rawEncode(key) : pctEncode(key, mode === 'slash');
    return `${before ?? ''}${body}${after ?? ''}`;
  });

const INVALID_BUCKETS = ['ab', 'AB', '-x-', 'a_b', 'a'.repeat(64), '..', '%2e%2e', '.', 'fuzz-a.', 'xn--', '-', 'fuzz%2Da', 'fuzz-a%00', '%FF%FE', '-'];

const bucketArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...FUZZ_BUCKETS) },
  { weight: 2, arbitrary: fc.constantFrom(...INVALID_BUCKETS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,8}[a-z0-9]$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => pctEncode(s, false)) },
);
const safeBucketArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...FUZZ_BUCKETS) }, { weight: 1, arbitrary: fc.constantFrom('ab', 'AB', 'a_b', '-x-', 'x') });

const SUB_RESOURCES = [
  'acl', 'append', 'uploads', 'delete', 'objectMeta', 'bucketInfo', 'location', 'tagging', 'symlink', 'versioning', 'versions', 'cors',
  'lifecycle', 'website', 'policy', 'restore', 'x-oss-process', 'comp', 'uploadId', 'partNumber', 'stat', 'select', 'img', 'logging',
  'referer', 'encryption', 'worm', 'qos', 'objectInfo', 'versionId', 'security-token', 'continuation-token',
];

const numberish = fc.oneof(
  { weight: 4, arbitrary: fc.nat(64).map(String) },
  { weight: 1, arbitrary: fc.nat().map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', '-1', '1e3', '0x10', '%201', '01', '9'.repeat(17), '9'.repeat(40), '18446744073709551616', 'NaN', 'Infinity', '1.5', '+1', '5368709121'),
  },
);

const queryItemArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...SUB_RESOURCES), fc.constantFrom('', '=', '=x', '=1', '=%00', '=..%2F'))
      .map(([n, v]) => n + v),
  },
  { weight: 3, arbitrary: numberish.map((v) => `position=${v}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('prefix', 'marker', 'delimiter', 'start-after', 'continuation-token', 'key-marker'), encodedKeyArb)
      .map(([n, v]) => `${n}=${v}`),
  },
  { weight: 2, arbitrary: numberish.map((v) => `max-keys=${v}`) },
  { weight: 2, arbitrary: fc.constantFrom('list-type=2', 'list-type=3', 'list-type=', 'encoding-type=url', 'encoding-type=x', 'fetch-owner=true') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('response-content-type', 'response-content-disposition', 'response-expires', 'response-cache-control', 'response-content-encoding', 'response-content-language'),
        // Printable text, or any bytes at all (CR, LF, NUL, invalid UTF-8): the answer is 400 InvalidArgument, never 500.
        fc.oneof(printable.map((v) => pctEncode(v, false)), anyBytes(0, 24).map(pctBytes)),
      )
      .map(([n, v]) => `${n}=${v}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('OSSAccessKeyId', 'Expires', 'Signature', 'x-oss-signature-version', 'x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-signature', 'x-oss-additional-headers'),
        fc.oneof(printable, fc.constantFrom('OSS4-HMAC-SHA256', 'OSS2', '0', '604801', '99999999999', '20250115T080000Z', 'a/b/c/oss/aliyun_v4_request')),
      )
      .map(([n, v]) => `${n}=${pctEncode(v, false)}`),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 12 })).map(([n, v]) => `${pctEncode(n, false)}=${pctEncode(v, false)}`) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '=', '==', '=x', 'a=b=c', '%00', 'x%', '%E0%A4%A', '%FF=%FE', 'append%00', 'acl&acl', '&&') },
);

/** A copy source that exists (fuzz-battery.ts seeds k1 and dir/k4 in both buckets), unless the fuzz deleted it since. */
const seededCopySourceArb: fc.Arbitrary<[string, string]> = fc.constantFrom<[string, string]>(
  ['x-oss-copy-source', '/fuzz-a/k1'],
  ['x-oss-copy-source', '/fuzz-b/k1'],
  ['x-oss-copy-source', '/fuzz-a/dir/k4'],
);

const HTTP_DATES = ['Sat, 21 Nov 2026 05:30:01 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', '', 'Mon, 32 Foo 2025 99:99:99 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT'];

const headerArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(fc.constant('content-type'), fc.oneof(fc.constantFrom('text/plain', 'application/xml', 'application/octet-stream', '', 'x'.repeat(300)), headerValue)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('x-oss-object-acl'), fc.constantFrom('default', 'private', 'public-read', 'public-read-write', 'Private', '', 'bogus')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-acl'), fc.constantFrom('private', 'public-read', 'public-read-write', 'bogus', '')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-storage-class'), fc.constantFrom('Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive', 'bogus', '')) },
  { weight: 2, arbitrary: fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((n) => `x-oss-meta-${n}`), fc.oneof(headerValue, fc.integer({ min: 100, max: 9000 }).map((n) => 'm'.repeat(n)))) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constant('x-oss-copy-source'),
      fc.oneof(
        fc.tuple(fc.constantFrom(...FUZZ_BUCKETS), encodedKeyArb).map(([b, k]) => `/${b}/${k}`),
        fc.constantFrom('/fuzz-a/k1', '/fuzz-b/k2', '/fuzz-a/', '/fuzz-a', '/', '', '/../../etc/passwd', 'fuzz-a/k1', '/fuzz-a/k1?versionId=x', '/AB/k', '/fuzz-a/%ZZ'),
        printable,
      ),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-metadata-directive'), fc.constantFrom('COPY', 'REPLACE', 'copy', 'bogus')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-forbid-overwrite'), fc.constantFrom('true', 'false', 'TRUE', 'bogus')) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('x-oss-tagging'),
      fc.oneof(fc.constantFrom('a=1&b=2', 'a=1&a=2', 'k=%ZZ', '=v', 'a', Array.from({ length: 11 }, (_, i) => `t${i}=v`).join('&'), `${'k'.repeat(129)}=v`), printable),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constant('range'),
      fc.oneof(fc.constantFrom('bytes=0-1', 'bytes=-5', 'bytes=5-', 'bytes=9-1', 'bytes=0-0,2-3', 'bytes=abc', 'items=0-1', 'bytes=99999999999999999999-', 'bytes=-0', 'bytes='), printable),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-range-behavior'), fc.constantFrom('standard', 'bogus')) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('if-match', 'if-none-match', 'x-oss-copy-source-if-match', 'x-oss-copy-source-if-none-match'),
      fc.oneof(fc.constantFrom('"abc"', '*', '', '"5D41402ABC4B2A76B9719D911017C592"'), printable),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('if-modified-since', 'if-unmodified-since', 'x-oss-copy-source-if-modified-since', 'x-oss-copy-source-if-unmodified-since'),
      fc.constantFrom(...HTTP_DATES),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('cache-control', 'content-disposition', 'content-encoding', 'expires', 'content-language'), headerValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('x-oss-server-side-encryption'), fc.constantFrom('AES256', 'KMS', 'SM4', 'bogus')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x-oss-security-token', 'x-oss-request-payer', 'x-oss-traffic-limit', 'x-oss-server-side-encryption-key-id'), headerValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('expect'), fc.constantFrom('100-continue', '100-Continue', 'bogus-expectation')) },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^x-[a-z]{1,8}$/), headerValue) },
);

// ---- bodies ---------------------------------------------------------------------------

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const LOLZ =
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">' +
  '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>';

/** Every code point as a character reference, hex or decimal: `&#0;`, lone surrogates and U+FFFE included. */
function charRefs(s: string): string {
  return [...s].map((ch, i) => (i % 2 === 0 ? `&#x${ch.codePointAt(0)!.toString(16)};` : `&#${ch.codePointAt(0)!};`)).join('');
}

/** Pieces that break (or test) well-formedness when dropped anywhere into a document. */
const XML_TOKENS = [
  '&#0;', '&#x0;', '&#x1;', '&#x1F;', '&#xD800;', '&#xFFFE;', '&#xFFFF;', '&#x110000;', '&#34;', '&#x9;', '&foo;', '&', '<', '>', ']]>',
  '<!DOCTYPE d>', '<!ENTITY e "x">', '<?xml version="1.0"?>', '<!--', '-->', '<![CDATA[', '</Delete>', '<Delete>', '\ufeff', '\ufffe', '\u0085', '\u2028',
];

/**
 * A valid body, or the same body with one raw byte (any of 0x00–0xFF, so invalid UTF-8
 * too) or one token dropped in at a random place. Whatever comes out, a refusal must act
 * on nothing; the fuzz test checks every answer.
 */
function mutatedXml(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.oneof(fc.integer({ min: 0, max: 255 }).map((b) => Buffer.from([b])), fc.constantFrom(...XML_TOKENS).map((t) => Buffer.from(t))))
        .map(([body, at, piece]) => {
          const i = at % (body.length + 1);
          return Buffer.concat([body.subarray(0, i), piece, body.subarray(i)]);
        }),
    },
  );
}

const deleteXmlArb: fc.Arbitrary<Buffer> = fc
  .record({
    keys: fc.array(keyArb, { minLength: 0, maxLength: 6 }),
    quiet: fc.constantFrom(undefined, 'true', 'false', 'TRUE', 'maybe', ''),
    variant: fc.constantFrom('plain', 'plain', 'plain', 'prolog', 'cdata', 'ns', 'lolz', 'xxe', 'proto', 'unclosed', 'many', 'empty', 'nested', 'wrongroot', 'entities', 'charrefs'),
  })
  .map(({ keys, quiet, variant }) => {
    const objects = keys.map((k) => `<Object><Key>${variant === 'cdata' ? `<![CDATA[${k}]]>` : xmlEscape(k)}</Key></Object>`).join('');
    const q = quiet === undefined ? '' : `<Quiet>${quiet}</Quiet>`;
    let xml: string;
    switch (variant) {
      case 'prolog': xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete>${q}${objects}</Delete>`; break;
      case 'ns': xml = `<Delete xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com" a="b">${q}${objects}</Delete>`; break;
      case 'lolz': xml = `<?xml version="1.0"?>${LOLZ}<Delete><Object><Key>&lol6;</Key></Object>${objects}</Delete>`; break;
      case 'xxe': xml = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>`; break;
      case 'proto': xml = `<Delete><__proto__><Key>x</Key></__proto__><constructor><prototype>1</prototype></constructor>${objects}</Delete>`; break;
      case 'unclosed': xml = `<Delete>${q}${objects}<Object><Key>x`; break;
      case 'many': xml = `<Delete>${Array.from({ length: 1001 }, (_, i) => `<Object><Key>m${i}</Key></Object>`).join('')}</Delete>`; break;
      case 'empty': xml = `<Delete/>`; break;
      case 'nested': xml = `<Delete><Object><Key><Key>a</Key></Key></Object><Object></Object>${objects}</Delete>`; break;
      case 'wrongroot': xml = `<Deleted>${objects}</Deleted>`; break;
      case 'entities': xml = `<Delete><Object><Key>&#0;&#x1F600;&#xD800;&foo;&amp;&#65;</Key></Object>${objects}</Delete>`; break;
      case 'charrefs': xml = `<Delete>${q}${keys.map((k) => `<Object><Key>${charRefs(k)}</Key></Object>`).join('')}</Delete>`; break;
      default: xml = `<Delete>${q}${objects}</Delete>`;
    }
    return Buffer.from(xml, 'utf8');
  });

const createBucketXmlArb0: fc.Arbitrary<Buffer> = fc
  .record({
    sc: fc.constantFrom(undefined, 'Standard', 'IA', 'Archive', 'ColdArchive', 'bogus', ''),
    red: fc.constantFrom(undefined, 'LRS', 'ZRS', 'bogus'),
    variant: fc.constantFrom('plain', 'plain', 'prolog', 'lolz', 'wrongroot', 'unclosed', 'text', 'big'),
  })
  .map(({ sc, red, variant }) => {
    const inner = `${sc === undefined ? '' : `<StorageClass>${sc}</StorageClass>`}${red === undefined ? '' : `<DataRedundancyType>${red}</DataRedundancyType>`}`;
    const xml =
      variant === 'prolog' ? `<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration>${inner}</CreateBucketConfiguration>`
        : variant === 'lolz' ? `<?xml version="1.0"?>${LOLZ}<CreateBucketConfiguration><StorageClass>&lol6;</StorageClass></CreateBucketConfiguration>`
          : variant === 'wrongroot' ? `<Configuration>${inner}</Configuration>`
            : variant === 'unclosed' ? `<CreateBucketConfiguration>${inner}`
              : variant === 'text' ? 'not xml at all'
                : variant === 'big' ? `<CreateBucketConfiguration>${'<X>y</X>'.repeat(9000)}</CreateBucketConfiguration>`
                  : `<CreateBucketConfiguration>${inner}</CreateBucketConfiguration>`;
    return Buffer.from(xml, 'utf8');
  });

const createBucketXmlArb = mutatedXml(createBucketXmlArb0);
const mutatedDeleteXmlArb = mutatedXml(deleteXmlArb);

const taggingXmlArb: fc.Arbitrary<Buffer> = mutatedXml(
  fc
    .array(fc.tuple(fc.oneof(printable, keyArb), fc.oneof(printable, keyArb)), { maxLength: 3 })
    .map((tags) => Buffer.from(`<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`)),
);

const corsXmlArb: fc.Arbitrary<Buffer> = mutatedXml(
  fc
    .tuple(fc.constantFrom('*', 'https://a.example', 'http://*.b.example'), fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'get', 'TRACE'), fc.oneof(printable, keyArb))
    .map(([origin, method, header]) =>
      Buffer.from(`<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>${method}</AllowedMethod><AllowedHeader>${xmlEscape(header)}</AllowedHeader></CORSRule></CORSConfiguration>`),
    ),
);

const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 5, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 70_000 }).map((n) => Buffer.alloc(n, 0x61)) },
  { weight: 1, arbitrary: mutatedDeleteXmlArb },
  { weight: 1, arbitrary: createBucketXmlArb },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')) },
);

// ---- scenarios ------------------------------------------------------------------------

const METHODS = ['GET', 'PUT', 'POST', 'HEAD', 'DELETE'];
const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 16, arbitrary: fc.constant('v1' as const) },
  { weight: 3, arbitrary: fc.constant('v1-xdate' as const) },
  { weight: 5, arbitrary: fc.constant('v4' as const) },
  { weight: 3, arbitrary: fc.constant('none' as const) },
  { weight: 2, arbitrary: fc.constant('garbled' as const) },
  { weight: 1, arbitrary: fc.constant('presigned-v1' as const) },
  { weight: 1, arbitrary: fc.constant('presigned-v4' as const) },
  { weight: 1, arbitrary: fc.constant('skewed' as const) },
);

interface Shape {
  scenario: string;
  method: string;
  bucket?: string;
  key?: string;
  query: string[];
  headers: Array<[string, string]>;
  body: Buffer;
  md5?: HttpCase['md5'];
}

const headersArb = (max: number): fc.Arbitrary<Array<[string, string]>> => fc.uniqueArray(headerArb, { maxLength: max, selector: (h) => h[0] });
const queryArb = (max: number): fc.Arbitrary<string[]> => fc.array(queryItemArb, { maxLength: max });

const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  {
    // Anything at all.
    weight: 4,
    arbitrary: fc.record({
      scenario: fc.constant('random'),
      method: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE') }),
      bucket: fc.option(bucketArb, { freq: 8 }).map((b) => b ?? undefined),
      key: fc.option(encodedKeyArb, { freq: 3 }).map((k) => k ?? undefined),
      query: queryArb(4),
      headers: headersArb(5),
      body: bodyArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      scenario: fc.constant('put'),
      method: fc.constant('PUT'),
      bucket: bucketArb,
      key: encodedKeyArb,
      query: queryArb(1),
      headers: headersArb(2),
      body: bodyArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      scenario: fc.constant('append'),
      method: fc.constantFrom('POST', 'POST', 'POST', 'PUT'),
      bucket: bucketArb,
      key: encodedKeyArb,
      // position=0 often: on a new key that is the one position that succeeds, so the append path is exercised past its checks.
      query: fc.tuple(fc.constantFrom('append', 'append=', 'append=1'), fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant('0') }, { weight: 4, arbitrary: numberish }), { freq: 8 }), queryArb(1)).map(([a, p, rest]) => [a, ...(p === null ? [] : [`position=${p}`]), ...rest]),
      headers: headersArb(3),
      body: bodyArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      scenario: fc.constant('read'),
      method: fc.constantFrom('GET', 'GET', 'HEAD'),
      bucket: bucketArb,
      key: encodedKeyArb,
      query: queryArb(2),
      headers: headersArb(3),
      body: fc.constant(Buffer.alloc(0)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      scenario: fc.constant('delete-multiple'),
      method: fc.constant('POST'),
      bucket: bucketArb,
      key: fc.constant(undefined),
      query: fc.tuple(fc.constantFrom('delete', 'delete=', 'delete&encoding-type=url'), queryArb(1)).map(([d, rest]) => [d, ...rest]),
      headers: headersArb(2),
      body: mutatedDeleteXmlArb,
      md5: fc.constantFrom<HttpCase['md5']>('good', 'good', 'good', 'good', 'bad', 'none', 'garbage'),
    }),
  },
  {
    // The other XML bodies: object tagging and bucket CORS, valid or with one byte or token dropped in.
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({
        scenario: fc.constant('xml'),
        method: fc.constant('PUT'),
        bucket: bucketArb,
        key: fc.oneof(fc.constantFrom(...HOT_KEYS).map((k) => pctEncode(k, true)), encodedKeyArb),
        query: fc.constant<string[]>(['tagging']),
        headers: headersArb(1),
        body: taggingXmlArb,
      }),
      fc.record({
        scenario: fc.constant('xml'),
        method: fc.constant('PUT'),
        bucket: bucketArb,
        key: fc.constant(undefined),
        query: fc.constant<string[]>(['cors']),
        headers: headersArb(1),
        body: corsXmlArb,
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      scenario: fc.constant('bucket'),
      method: fc.constantFrom('PUT', 'PUT', 'GET', 'DELETE'),
      bucket: bucketArb,
      key: fc.constant(undefined),
      query: fc.constantFrom<string[][]>([], [], ['acl'], ['bucketInfo'], ['location'], ['acl='], ['versioning'], ['cors']),
      headers: headersArb(2),
      body: fc.oneof(createBucketXmlArb, fc.constant(Buffer.alloc(0))),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      scenario: fc.constant('list'),
      method: fc.constant('GET'),
      bucket: fc.option(bucketArb, { freq: 10 }).map((b) => b ?? undefined),
      key: fc.constant(undefined),
      query: queryArb(5),
      headers: headersArb(1),
      body: fc.constant(Buffer.alloc(0)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      scenario: fc.constant('copy'),
      method: fc.constant('PUT'),
      bucket: bucketArb,
      key: encodedKeyArb,
      query: queryArb(1),
      // Half the time a source the test seeded: random sources alone gave a handful of
      // successful copies per 2,000 cases, and none for some seeds.
      headers: fc
        .tuple(fc.oneof(seededCopySourceArb, headerArb.filter((h) => h[0] === 'x-oss-copy-source')), headersArb(3))
        .map(([c, rest]) => [c, ...rest.filter((h) => h[0] !== 'x-oss-copy-source')]),
      body: fc.constant(Buffer.alloc(0)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      scenario: fc.constant('object-acl'),
      method: fc.constantFrom('PUT', 'GET'),
      bucket: bucketArb,
      key: encodedKeyArb,
      query: fc.constant<string[]>(['acl']),
      headers: headersArb(2),
      body: fc.constant(Buffer.alloc(0)),
    }),
  },
);

const httpCaseArb: fc.Arbitrary<HttpCase> = fc
  .record({
    shape: shapeArb,
    style: fc.constantFrom<HttpCase['style']>('path', 'path', 'path', 'path', 'path', 'path', 'vhost', 'vhost-aliyun'),
    vhostBucket: safeBucketArb,
    oddSlashes: fc.boolean(),
    md5: fc.constantFrom<HttpCase['md5']>('none', 'none', 'none', 'good', 'good', 'bad', 'garbage'),
    chunked: fc.boolean(),
    auth: authArb,
    variant: fc.nat(1000),
  })
  .map(({ shape, style, vhostBucket, oddSlashes, md5, chunked, auth, variant }): HttpCase => {
    const vhost = style !== 'path' && shape.bucket !== undefined;
    return {
      kind: 'http',
      scenario: shape.scenario,
      method: shape.method,
      style: vhost ? style : 'path',
      bucket: vhost ? vhostBucket : shape.bucket,
      key: shape.key,
      oddSlashes,
      query: shape.query,
      headers: shape.headers,
      body: shape.body,
      md5: shape.md5 ?? md5,
      chunked: chunked && shape.body.length > 0,
      auth,
      variant,
    };
  });

export const WIRE_TEMPLATES = [
  'raw-utf8-target', 'absolute-form', 'asterisk', 'bad-method', 'bad-version', 'no-host', 'dup-host', 'weird-host', 'no-colon',
  'space-in-name', 'obs-fold', 'nul-in-value', 'cl-negative', 'cl-garbage', 'cl-huge', 'cl-dup', 'cl-list', 'cl-te', 'te-bad',
  'chunk-bad-size', 'chunk-no-crlf', 'chunk-overflow', 'chunk-truncated', 'chunk-ext', 'chunk-trailer', 'lf-only', 'pipelined',
  'short-body', 'random-bytes', 'expect-bogus', 'huge-header', 'many-headers', 'http10', 'tab-target', 'ctl-in-target',
  'ctl-in-meta', 'byte-in-query',
] as const;

const wireCaseArb: fc.Arbitrary<WireCase> = fc
  .record({
    template: fc.constantFrom(...WIRE_TEMPLATES),
    method: fc.constantFrom('GET', 'PUT', 'POST', 'HEAD', 'DELETE'),
    key: keyArb,
    garbage: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    n: fc.nat(1_000_000),
  })
  .map((w): WireCase => ({ kind: 'wire', ...w }));

function mentionsSentinel(c: FuzzCase): boolean {
  const text = c.kind === 'http'
    ? [c.bucket ?? '', c.key ?? '', ...c.query, ...c.headers.flat(), c.body.toString('latin1')].join('\n')
    : [c.key, c.garbage.toString('latin1')].join('\n');
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // keep the raw text
  }
  return /sentinel/i.test(text) || /sentinel/i.test(decoded);
}

export const caseArb: fc.Arbitrary<FuzzCase> = fc
  .oneof({ weight: 19, arbitrary: httpCaseArb as fc.Arbitrary<FuzzCase> }, { weight: 1, arbitrary: wireCaseArb as fc.Arbitrary<FuzzCase> })
  .filter((c) => !mentionsSentinel(c));

// ---- turning a case into a request ---------------------------------------------------

export type Materialized = RelRequest;

function md5Header(c: HttpCase): string | undefined {
  switch (c.md5) {
    case 'good': return createHash('md5').update(c.body).digest('base64');
    case 'bad': return createHash('md5').update(Buffer.concat([c.body, Buffer.from('x')])).digest('base64');
    case 'garbage': return ['abc', '', '====', 'XUFAKrxLKna5cZ2REBfFkg', 'not base64!'][c.variant % 5]!;
    default: return undefined;
  }
}

/** Path as sent, and the path-style form the signature covers. */
function paths(c: HttpCase): { path: string; signPath: string; host?: string } {
  const q = c.query.length > 0 ? `?${c.query.join('&')}` : '';
  if (c.bucket === undefined) {
    const p = c.oddSlashes ? '//' : '/';
    return { path: p + q, signPath: p + q };
  }
  const rest = c.key !== undefined ? c.key : '';
  if (c.style !== 'path') {
    const host = c.style === 'vhost' ? `${c.bucket}.localhost` : `${c.bucket}.oss-${REGION}.aliyuncs.com`;
    return { path: `/${rest}${q}`, signPath: `/${c.bucket}/${rest}${q}`, host };
  }
  const bucketPart = c.key === undefined && c.oddSlashes ? `/${c.bucket}` : `/${c.bucket}/`;
  return { path: `${bucketPart}${rest}${q}`, signPath: `/${c.bucket}/${rest}${q}` };
}

function v4Authorization(ossd: Ossd, c: HttpCase, signPath: string, headers: Record<string, string>, ts: string): string | undefined {
  let parsed;
  try {
    parsed = parsePath(signPath);
  } catch {
    return undefined;
  }
  const input: V4Input = {
    accessKeyId: ossd.accessKeyId, secret: ossd.accessKeySecret, region: REGION, method: c.method,
    resource: parsed.resource, query: parsed.query, headers, timestamp: ts,
  };
  return `OSS4-HMAC-SHA256 Credential=${ossd.accessKeyId}/${ts.slice(0, 8)}/${REGION}/oss/aliyun_v4_request,Signature=${signatureV4(input)}`;
}

function garble(auth: string, variant: number): string {
  switch (variant % 8) {
    case 0: return auth.slice(0, -3) + (auth.endsWith('AAA') ? 'BBB' : 'AAA');
    case 1: return auth.slice(0, Math.max(0, auth.length - 1 - (variant % 20)));
    case 2: return auth.replace(/LTAI\w+/, 'LTAInobodyAtAll0000');
    case 3: return 'OSS ' + 'x'.repeat(variant % 50);
    case 4: return 'OSS4-HMAC-SHA256 Credential=a/b/c/d/e,Signature=' + 'f'.repeat(variant % 70);
    case 5: return 'OSS2 AccessKeyId:x,Signature:y';
    case 6: return auth.replace(':', '::');
    default: return `Bearer ${'z'.repeat(variant % 30)}`;
  }
}

/** The request for a case, signed now. */
export function materialize(ossd: Ossd, c: HttpCase, now = Date.now()): Materialized {
  const { path, signPath, host } = paths(c);
  const headers: Record<string, string> = {};
  for (const [k, v] of c.headers) headers[k] = v;
  if (host) headers.host = host;
  const md5 = md5Header(c);
  if (md5 !== undefined) headers['content-md5'] = md5;
  const date = new Date(now);
  const v1 = (h: Record<string, string>, p = signPath): string => `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, c.method, p, h)}`;
  let finalPath = path;
  switch (c.auth) {
    case 'v1':
      headers.date = date.toUTCString();
      headers.authorization = v1(headers);
      break;
    case 'v1-xdate':
      headers['x-oss-date'] = date.toUTCString();
      headers.authorization = v1(headers);
      break;
    case 'skewed':
      headers.date = new Date(now + (c.variant % 2 === 0 ? -1 : 1) * 20 * 60_000).toUTCString();
      headers.authorization = v1(headers);
      break;
    case 'v4': {
      headers.date = date.toUTCString();
      headers['x-oss-date'] = isoBasic(date);
      headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
      headers.authorization = v4Authorization(ossd, c, signPath, headers, isoBasic(date)) ?? v1(headers);
      break;
    }
    case 'garbled': {
      headers.date = date.toUTCString();
      headers.authorization = garble(v1(headers), c.variant);
      break;
    }
    case 'presigned-v1': {
      const expires = String(Math.floor(now / 1000) + (c.variant % 5 === 0 ? -60 : 300));
      const signature = signV1(ossd.accessKeySecret, c.method, signPath, { ...headers, date: expires });
      const extra = `OSSAccessKeyId=${encodeURIComponent(ossd.accessKeyId)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
      finalPath += (finalPath.includes('?') ? '&' : '?') + extra;
      break;
    }
    case 'presigned-v4': {
      const ts = isoBasic(new Date(now - (c.variant % 5 === 0 ? 7_200_000 : 0)));
      const params = [
        'x-oss-signature-version=OSS4-HMAC-SHA256',
        `x-oss-credential=${encodeURIComponent(`${ossd.accessKeyId}/${ts.slice(0, 8)}/${REGION}/oss/aliyun_v4_request`)}`,
        `x-oss-date=${ts}`,
        `x-oss-expires=${c.variant % 7 === 0 ? 604801 : 3600}`,
      ].join('&');
      const signed = signPath + (signPath.includes('?') ? '&' : '?') + params;
      let sig = 'f'.repeat(64);
      try {
        const parsed = parsePath(signed);
        sig = signatureV4({
          accessKeyId: ossd.accessKeyId, secret: ossd.accessKeySecret, region: REGION, method: c.method,
          resource: parsed.resource, query: parsed.query, headers, timestamp: ts,
        });
      } catch {
        // undecodable path: the server must refuse it anyway
      }
      finalPath += (finalPath.includes('?') ? '&' : '?') + params + `&x-oss-signature=${sig}`;
      break;
    }
    default:
      if (c.variant % 2 === 0) headers.date = date.toUTCString();
  }
  return { method: c.method, path: finalPath, headers, body: c.body, chunked: c.chunked, timeoutMs: 15_000 };
}

/** The raw bytes of a wire case, and the method of the request whose answer is parsed first. */
export function wireCaseBytes(ossd: Ossd, w: WireCase): { bytes: Buffer; method: string } {
  const bytes = wireBytesOf(ossd, w);
  // Answers are parsed as HEAD answers (no body) only when the first request really is a HEAD.
  return { bytes, method: bytes.subarray(0, 5).toString('latin1') === 'HEAD ' ? 'HEAD' : 'GET' };
}

function wireBytesOf(ossd: Ossd, w: WireCase): Buffer {
  const host = `127.0.0.1:${ossd.port}`;
  const date = new Date().toUTCString();
  const keyPath = `/fuzz-a/${pctEncode(w.key, true)}`;
  const sign = (method: string, p: string, h: Record<string, string>): Record<string, string> => ({
    ...h,
    authorization: `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, p, h)}`,
  });
  const head = (line: string, h: Record<string, string>): string => `${line}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const signedHead = (method: string, p: string, h: Record<string, string>): string => head(`${method} ${p} HTTP/1.1`, sign(method, p, { host, date, ...h }));
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const m = w.method;
  switch (w.template) {
    case 'raw-utf8-target': return Buffer.concat([b(`${m} /fuzz-a/`), Buffer.from(w.key, 'utf8'), b(` HTTP/1.1\r\nhost: ${host}\r\ndate: ${date}\r\n\r\n`)]);
    case 'absolute-form': return b(head(`${m} ${w.n % 2 ? `http://${host}${keyPath}` : 'http://evil.example/../../etc/passwd'} HTTP/1.1`, { host, date }));
    case 'asterisk': return b(head('OPTIONS * HTTP/1.1', { host }));
    case 'bad-method': return b(head(`${['G@T', 'get', 'X'.repeat(300), 'GET\x01', ''][w.n % 5]} ${keyPath} HTTP/1.1`, { host }));
    case 'bad-version': return b(head(`${m} ${keyPath} ${['HTTP/1.2', 'HTTP/2.0', '', 'HTTP/1.1x', 'HTTP/9.9', 'http/1.1'][w.n % 6]}`, { host }));
    case 'no-host': return b(head(`${m} ${keyPath} HTTP/1.1`, { date }));
    case 'dup-host': return b(`${m} ${keyPath} HTTP/1.1\r\nhost: ${host}\r\nhost: fuzz-b.localhost\r\ndate: ${date}\r\n\r\n`);
    case 'weird-host': return b(signedHead(m, keyPath, { host: ['../../etc', 'fuzz-a.localhost:1:2', '[::1', '', 'a'.repeat(300), 'fuzz-a..localhost', '.localhost', 'localhost.'][w.n % 8]! }));
    case 'no-colon': return b(`${m} ${keyPath} HTTP/1.1\r\nhost: ${host}\r\nnocolonhere\r\n\r\n`);
    case 'space-in-name': return b(`${m} ${keyPath} HTTP/1.1\r\nhost: ${host}\r\nx a: b\r\n\r\n`);
    case 'obs-fold': return b(`${m} ${keyPath} HTTP/1.1\r\nhost: ${host}\r\nx-oss-meta-a: b\r\n c\r\n\r\n`);
    case 'nul-in-value': return b(`${m} ${keyPath} HTTP/1.1\r\nhost: ${host}\r\nx-oss-meta-a: b\x00c\r\n\r\n`);
    case 'cl-negative': return b(signedHead('PUT', keyPath, { 'content-length': '-1' }) + 'x');
    case 'cl-garbage': return b(signedHead('PUT', keyPath, { 'content-length': ['abc', '1.5', '0x10', ' ', '+5'][w.n % 5]! }) + 'hello');
    case 'cl-huge': return b(signedHead('PUT', keyPath, { 'content-length': ['99999999999999999999', '18446744073709551616', '9007199254740993'][w.n % 3]! }) + 'hello');
    case 'cl-dup': return b(`PUT ${keyPath} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!`);
    case 'cl-list': return b(`PUT ${keyPath} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 5, 5\r\n\r\nhello`);
    case 'cl-te': return b(signedHead('PUT', keyPath, { 'content-length': '5', 'transfer-encoding': 'chunked' }) + '5\r\nhello\r\n0\r\n\r\n');
    case 'te-bad': return b(signedHead('PUT', keyPath, { 'transfer-encoding': ['gzip, chunked', 'chunked, identity', 'xchunked', 'chunked, chunked', 'identity'][w.n % 5]! }) + '5\r\nhello\r\n0\r\n\r\n');
    case 'chunk-bad-size': return Buffer.concat([b(signedHead('PUT', keyPath, { 'transfer-encoding': 'chunked' }) + '5\r\nhello\r\nzz\r\n'), w.garbage]);
    case 'chunk-no-crlf': return b(signedHead('PUT', keyPath, { 'transfer-encoding': 'chunked' }) + '5\r\nhelloXX0\r\n\r\n');
    case 'chunk-overflow': return b(signedHead('PUT', keyPath, { 'transfer-encoding': 'chunked' }) + 'fffffffffffffffffff\r\nab');
    case 'chunk-truncated': return Buffer.concat([b(signedHead('POST', `${keyPath}?append&position=0`, { 'transfer-encoding': 'chunked' }) + 'ff\r\n'), w.garbage]);
    case 'chunk-ext': return b(signedHead('PUT', keyPath, { 'transfer-encoding': 'chunked' }) + '5;ext="a\x01b"\r\nhello\r\n0\r\n\r\n');
    case 'chunk-trailer': return b(signedHead('PUT', keyPath, { 'transfer-encoding': 'chunked' }) + '5\r\nhello\r\n0\r\nx-oss-meta-t: 1\r\ncontent-length: 99\r\n\r\n');
    case 'lf-only': return b(`${m} ${keyPath} HTTP/1.1\nhost: ${host}\ndate: ${date}\n\n`);
    case 'pipelined': return b(signedHead('GET', keyPath, {}) + signedHead('PUT', keyPath, { 'content-length': '5' }) + 'hello' + signedHead('HEAD', keyPath, {}));
    case 'short-body': return b(signedHead('PUT', keyPath, { 'content-length': '100' }) + 'only some');
    case 'random-bytes': return w.garbage;
    case 'expect-bogus': return b(signedHead('PUT', keyPath, { 'content-length': '5', expect: ['bogus', '100-continue, foo', '200-ok'][w.n % 3]! }) + 'hello');
    case 'huge-header': return b(signedHead(m, keyPath, { 'x-oss-meta-big': 'v'.repeat(17_000 + (w.n % 5000)) }));
    case 'many-headers': return b(head(`${m} ${keyPath} HTTP/1.1`, { host, ...Object.fromEntries(Array.from({ length: 2100 }, (_, i) => [`x-h${i}`, 'v'])) }));
    case 'http10': return b(`${m} ${keyPath} HTTP/1.0\r\ndate: ${date}\r\n\r\n`);
    case 'tab-target': return b(`${m} /fuzz-a/a\tb HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
    case 'ctl-in-target': return b(`${m} /fuzz-a/a\x01\x7fb HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
    // Any byte in a metadata value, signed: the bytes Node's client refuses (NUL, CR, LF, other controls, DEL) go only this way.
    case 'ctl-in-meta': return b(signedHead('PUT', keyPath, { 'x-oss-meta-a': `a${String.fromCharCode(w.n % 256)}b`, 'content-length': '1' }) + 'x');
    // Any byte, unencoded, in a response-* value of the request target.
    case 'byte-in-query': return b(signedHead('GET', `/fuzz-a/k1?response-content-type=a${String.fromCharCode(w.n % 256)}b`, {}));
    default: return w.garbage;
  }
}
