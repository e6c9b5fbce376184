/**
 * Pure parts of PostObject and CORS: the streaming multipart reader under every chunking,
 * policy parsing and conditions, CORS XML and rule matching.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsHeaders, matchCorsRule, parseCorsXml, renderCorsXml } from '../../src/protocol/cors.js';
import { formBoundary, MultipartReader } from '../../src/protocol/multipart-form.js';
import { checkPolicy, parsePolicy } from '../../src/protocol/post-policy.js';
import { multipartBody } from '../helpers/post-form.js';

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readAll(body: Buffer, boundary: string, size: number): Promise<Array<[string, string, string | undefined]>> {
  const r = new MultipartReader(chunked(body, size), boundary);
  const out: Array<[string, string, string | undefined]> = [];
  for (let p = await r.next(); p; p = await r.next()) {
    const chunks: Buffer[] = [];
    for await (const c of r.body()) chunks.push(c);
    out.push([p.name, Buffer.concat(chunks).toString('latin1'), p.filename]);
  }
  return out;
}

describe('MultipartReader', { timeout: 30_000 }, () => {
  const file = Buffer.from('--b\r\n--bo\r\n\r\n--boundar line\r\n--boundarX end\r\n-', 'latin1');
  const { body, contentType } = multipartBody(
    [{ name: 'key', value: 'a/${filename}' }, { name: 'empty', value: '' }, { name: 'file', value: file, filename: 'f q;.txt', contentType: 'text/plain' }],
    'boundary',
  );

  it('finds the boundary in the Content-Type', () => {
    assert.equal(formBoundary(contentType), 'boundary');
    assert.equal(formBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.throws(() => formBoundary('text/plain'), { code: 'MalformedPOSTRequest' });
    assert.throws(() => formBoundary('multipart/form-data'), { code: 'MalformedPOSTRequest' });
  });

  it('reads the same parts whatever the chunk size', async () => {
    const expected = [['key', 'a/${filename}', undefined], ['empty', '', undefined], ['file', file.toString('latin1'), 'f q;.txt']];
    for (let size = 1; size <= body.length; size += size < 80 ? 1 : 37) {
      assert.deepEqual(await readAll(body, 'boundary', size), expected, `chunk size ${size}`);
    }
  });

  it('refuses truncated bodies and parts without a name', async () => {
    await assert.rejects(readAll(body.subarray(0, body.length - 30), 'boundary', 7), { code: 'MalformedPOSTRequest' });
    const bad = Buffer.from('--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n');
    await assert.rejects(readAll(bad, 'x', 5), { code: 'MalformedPOSTRequest' });
  });
});

describe('PostObject policy', { timeout: 30_000 }, () => {
  const enc = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString('base64');
  const future = new Date(Date.now() + 60_000).toISOString();

  it('parses conditions and the length range', () => {
    const p = parsePolicy(enc({ expiration: future, conditions: [{ bucket: 'b' }, ['starts-with', '$Key', 'u/'], ['content-length-range', '1', 10]] }));
    assert.deepEqual(p.lengthRange, { min: 1, max: 10 });
    assert.deepEqual(p.conditions.map((c) => [c.op, c.field]), [['eq', 'bucket'], ['starts-with', 'key']]);
  });

  it('checks fields, bucket, key (as sent or substituted) and expiry', () => {
    const p = parsePolicy(enc({ expiration: future, conditions: [{ bucket: 'b' }, ['eq', '$key', 'u/${filename}'], ['in', '$x-oss-meta-a', ['1', '2']]] }));
    const s = { bucket: 'b', rawKey: 'u/${filename}', key: 'u/f.txt', fields: new Map([['x-oss-meta-a', '2']]) };
    checkPolicy(p, s);
    assert.throws(() => checkPolicy(p, { ...s, bucket: 'c' }), { code: 'AccessDenied' });
    assert.throws(() => checkPolicy(p, { ...s, fields: new Map() }), { code: 'AccessDenied' });
    assert.throws(() => checkPolicy(p, s, Date.now() + 120_000), /Policy expired/);
  });

  it('refuses malformed documents with InvalidPolicyDocument', () => {
    for (const bad of ['@@', enc([]), enc({ expiration: future, conditions: {} }), enc({ expiration: future, conditions: [['eq', 'key', 'x']] })]) {
      assert.throws(() => parsePolicy(bad), { code: 'InvalidPolicyDocument' }, bad);
    }
  });
});

describe('CORS rules', { timeout: 30_000 }, () => {
  const xml = `<CORSConfiguration><CORSRule><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>x-oss-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule>
    <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod></CORSRule></CORSConfiguration>`;

  it('round-trips through XML', () => {
    const c = parseCorsXml(xml);
    assert.deepEqual(parseCorsXml(renderCorsXml(c)), c);
    assert.equal(c.rules[0]!.maxAgeSeconds, 5);
  });

  it('matches origin wildcards, methods and request headers (case-insensitive)', () => {
    const c = parseCorsXml(xml);
    assert.equal(matchCorsRule(c, { origin: 'http://a.example.com', method: 'GET', headers: ['X-OSS-Date'] }), c.rules[0]);
    assert.equal(matchCorsRule(c, { origin: 'http://a.example.com', method: 'GET', headers: ['authorization'] }), undefined);
    assert.equal(matchCorsRule(c, { origin: 'https://a.example.com', method: 'GET' }), undefined);
    assert.equal(matchCorsRule(c, { origin: 'https://anything', method: 'POST' }), c.rules[1]);
    assert.equal(matchCorsRule(c, { origin: 'https://anything', method: 'POST', headers: ['x'] }), undefined);
    const h = corsHeaders(c, c.rules[0]!, { origin: 'http://a.example.com', method: 'GET', headers: ['x-oss-date'] }, true);
    assert.deepEqual(h, {
      'access-control-allow-origin': 'http://a.example.com',
      'access-control-allow-methods': 'GET',
      'access-control-allow-headers': 'x-oss-date',
      'access-control-expose-headers': 'ETag',
      'access-control-max-age': '5',
    });
  });
});
