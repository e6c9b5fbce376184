import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateConditions } from '../../src/engine/conditions.js';
import { prefixSuccessor } from '../../src/engine/listing.js';
import { resolveTargets } from '../../src/protocol/addressing.js';
import { parseCopySource } from '../../src/protocol/copy-source.js';
import { validateBucketName, validateObjectKey } from '../../src/protocol/names.js';
import { parseRange } from '../../src/protocol/range.js';
import { parseTarget } from '../../src/protocol/request-target.js';

const opts = { domains: ['localhost', 'oss.example.com'] };

describe('addressing (README §1.2)', { timeout: 30_000 }, () => {
  it('path style for IPs and configured domains', () => {
    assert.deepEqual(resolveTargets('127.0.0.1:9000', '/b/k/x', opts), [{ bucket: 'b', key: 'k/x' }]);
    assert.deepEqual(resolveTargets('localhost:9000', '/b/', opts), [{ bucket: 'b' }]);
    assert.deepEqual(resolveTargets('localhost', '/', opts), [{}]);
    assert.deepEqual(resolveTargets('127.0.0.1:1', '//', opts), [{}]);
    assert.deepEqual(resolveTargets('[::1]:9000', '/b/k', opts), [{ bucket: 'b', key: 'k' }]);
  });

  it('virtual-hosted on sub-domains of configured domains', () => {
    assert.deepEqual(resolveTargets('b.localhost:9000', '/k', opts), [{ bucket: 'b', key: 'k' }]);
    assert.deepEqual(resolveTargets('b.oss.example.com', '/', opts), [{ bucket: 'b' }]);
  });

  it('hosts ali-oss invents for IP endpoints, and the sldEnable ambiguity (README §1.3)', () => {
    assert.deepEqual(resolveTargets('.oss-cn-hangzhou.aliyuncs.com', '/', opts), [{}]);
    assert.deepEqual(resolveTargets('b.oss-cn-hangzhou.aliyuncs.com', '/k', opts), [{ bucket: 'b', key: 'k' }]);
    assert.deepEqual(resolveTargets('b.oss-cn-hangzhou.aliyuncs.com', '/b/k', opts), [
      { bucket: 'b', key: 'b/k' },
      { bucket: 'b', key: 'k' },
    ]);
  });
});

describe('request line (README §1.4)', { timeout: 30_000 }, () => {
  it('keeps + literal, decodes %2F, records = presence', () => {
    const t = parseTarget('/b/dir%2Fa%20b+c?append=&position=0&uploads');
    assert.equal(t.path, '/b/dir/a b+c');
    assert.deepEqual(t.query, [
      { name: 'append', value: '', hasEquals: true },
      { name: 'position', value: '0', hasEquals: true },
      { name: 'uploads', value: '', hasEquals: false },
    ]);
  });

  it('refuses invalid UTF-8 in the path as InvalidObjectName', () => {
    assert.throws(() => parseTarget('/b/%FF%FE'), { code: 'InvalidObjectName' });
    assert.throws(() => parseTarget('/b/%ZZ'), { code: 'InvalidObjectName' });
  });
});

describe('names (README §1.5)', { timeout: 30_000 }, () => {
  it('bucket names', () => {
    for (const ok of ['abc', 'a-b-c', '0bucket9', 'a'.repeat(63)]) validateBucketName(ok);
    for (const bad of ['ab', 'ABC', '-abc', 'abc-', 'a_b', 'a'.repeat(64), '-']) {
      assert.throws(() => validateBucketName(bad), { code: 'InvalidBucketName' }, bad);
    }
  });

  it('keys: 1–1023 bytes, no leading slash or backslash, dots are ordinary', () => {
    for (const ok of ['a', '../../etc/passwd', '..', 'é'.repeat(511), 'x'.repeat(1023), 'a\tb']) validateObjectKey(ok);
    for (const bad of ['', 'x'.repeat(1024), 'é'.repeat(512), '/a', '\\a', 'a\u0000b', 'a\ud800b']) {
      assert.throws(() => validateObjectKey(bad), { code: 'InvalidObjectName' }, JSON.stringify(bad));
    }
  });
});

describe('ranges (objects.md §2.1)', { timeout: 30_000 }, () => {
  it('valid forms', () => {
    assert.deepEqual(parseRange('bytes=0-4', 10, false), { start: 0, end: 5 });
    assert.deepEqual(parseRange('bytes=5-', 10, false), { start: 5, end: 10 });
    assert.deepEqual(parseRange('bytes=-3', 10, false), { start: 7, end: 10 });
    assert.deepEqual(parseRange('bytes=0-1,4-5', 10, false), { start: 0, end: 2 });
  });

  it('default behaviour ignores bad ranges; standard behaviour truncates or refuses', () => {
    for (const h of ['byte=0-4', 'bytes=0-10', 'bytes=10-20', 'bytes=10-', 'bytes=-20', 'bytes=5-2']) {
      assert.equal(parseRange(h, 10, false), undefined, h);
    }
    assert.deepEqual(parseRange('bytes=5-20', 10, true), { start: 5, end: 10 });
    assert.throws(() => parseRange('bytes=10-', 10, true), { code: 'InvalidRange' });
    assert.equal(parseRange('bytes=0-0', 0, false), undefined);
  });
});

describe('conditions (objects.md §2.2)', { timeout: 30_000 }, () => {
  const etag = 'ABCDEF';
  const mtime = Date.parse('2025-01-15T08:00:00Z');
  it('412 conditions first, then 304', () => {
    assert.throws(() => evaluateConditions({ ifMatch: '"other"' }, etag, mtime), { code: 'PreconditionFailed' });
    assert.equal(evaluateConditions({ ifMatch: '"abcdef"' }, etag, mtime), 'proceed');
    assert.equal(evaluateConditions({ ifNoneMatch: '"ABCDEF"' }, etag, mtime), 'not-modified');
    assert.equal(evaluateConditions({ ifModifiedSince: 'Wed, 15 Jan 2025 08:00:00 GMT' }, etag, mtime), 'not-modified');
    assert.equal(evaluateConditions({ ifModifiedSince: 'Wed, 15 Jan 2025 07:59:59 GMT' }, etag, mtime), 'proceed');
    assert.throws(() => evaluateConditions({ ifUnmodifiedSince: 'Wed, 15 Jan 2025 07:59:59 GMT' }, etag, mtime), { code: 'PreconditionFailed' });
    assert.equal(evaluateConditions({ ifModifiedSince: 'garbage' }, etag, mtime), 'proceed');
  });
});

describe('listing helpers', { timeout: 30_000 }, () => {
  it('prefixSuccessor is the least string above every extension', () => {
    assert.equal(prefixSuccessor('dir/'), 'dir0');
    assert.equal(prefixSuccessor('a\u{10FFFF}'), 'b');
    assert.equal(prefixSuccessor('\ud7ff'), '\ue000');
    for (const ext of ['', 'a', '\u{10FFFF}\u{10FFFF}', 'zzz']) {
      assert.ok(Buffer.compare(Buffer.from('dir/' + ext), Buffer.from(prefixSuccessor('dir/')!)) < 0);
    }
  });

  it('copy source decoding (objects.md §5)', () => {
    assert.deepEqual(parseCopySource('/b/src%20dir%2Fy%2Bz.txt'), { bucket: 'b', key: 'src dir/y+z.txt', versionId: undefined });
    assert.deepEqual(parseCopySource('/b/a+b?versionId=v1'), { bucket: 'b', key: 'a b', versionId: 'v1' });
    assert.throws(() => parseCopySource('nobucket'), { code: 'InvalidArgument' });
  });
});
