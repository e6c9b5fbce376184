// The response XML writer (src/protocol/xml/render.ts): every answer is well-formed XML 1.0
// whatever the strings it echoes (issue 15, hole 5). Checked with saxes, a strict parser.
// Fails when escapeXml stops dropping what XML cannot carry, or writes CR literally: checked.
// Listings (issue 16) write those characters as references instead, as OSS does; fails when
// the 'reference' mode drops them or references U+0000: checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml, renderXml } from '../../src/protocol/xml/render.js';
import { listingXml, strictXml } from '../helpers/raw-keepalive.js';

describe('escapeXml', { timeout: 10_000 }, () => {
  it('escapes markup, keeps tab and LF, writes CR as a reference', () => {
    assert.equal(escapeXml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
    assert.equal(escapeXml('a\tb\nc\rd'), 'a\tb\nc&#13;d');
    assert.equal(escapeXml('plain key/é/报告/😀'), 'plain key/é/报告/😀');
  });

  it('leaves out what XML 1.0 cannot carry: C0 controls, U+FFFE, U+FFFF, lone surrogates', () => {
    const every = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
    assert.equal(escapeXml(`[${every}]`), '[\t\n&#13;]');
    assert.equal(escapeXml('a\ufffeb\uffffc'), 'abc');
    assert.equal(escapeXml('a\ud800b\udc00c\ud83d\ude00d'), 'abc\ud83d\ude00d');
    assert.equal(escapeXml('\u007f\u0085\u00a0'), '\u007f\u0085\u00a0', 'DEL and C1 controls are XML 1.0 characters');
  });

  it('renders documents a strict parser reads back, every BMP code unit included', () => {
    const all = Array.from({ length: 0x10000 }, (_, i) => String.fromCharCode(i)).join('');
    const doc = renderXml('Error', [['Key', all], ['Message', 'x\u0000y']]);
    const parsed = strictXml(doc);
    assert.equal(parsed.Message?.[0], 'xy');
    const key = parsed.Key?.[0] ?? '';
    assert.ok(key.includes('\r') && key.includes('\t') && key.includes('\n') && key.includes('<') && key.includes('&'));
    // Left out: 29 controls, U+FFFE/FFFF, and the surrogates but U+DBFF U+DC00, which stand side by side and make a pair.
    assert.equal(key.length, 0x10000 - (0x20 - 3) - 2 - (0x800 - 2));
  });
});

describe('escapeXml for listings (controls as references)', { timeout: 10_000 }, () => {
  it('writes C0 controls, U+FFFE and U+FFFF as decimal references; still leaves out NUL and lone surrogates', () => {
    const every = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
    const refs = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `&#${n};`).join('') + '\t\n&#11;&#12;&#13;' + [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31].map((n) => `&#${n};`).join('');
    assert.equal(escapeXml(`[${every}]`, 'reference'), `[${refs}]`);
    assert.equal(escapeXml('a\ufffeb\uffffc&<', 'reference'), 'a&#65534;b&#65535;c&amp;&lt;');
    assert.equal(escapeXml('a\ud800b\ud83d\ude00', 'reference'), 'ab\ud83d\ude00');
  });

  it('a listing document reads back every key character but NUL with a lenient reader', () => {
    const key = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i)).join('') + '\ufffe\uffff';
    const doc = renderXml('ListBucketResult', [['Contents', [['Key', key]]]], 'reference');
    assert.equal(listingXml(doc).Key?.[0], key.slice(1));
    assert.throws(() => strictXml(doc), 'not XML 1.0, as OSS\'s listings of such keys are not');
  });
});
