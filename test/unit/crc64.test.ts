// CRC-64/XZ (x-oss-hash-crc64ecma): crc64.md §5 vectors, chaining, combine, and agreement of
// the wasm fast path with the pure-JS reference under any chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Crc64, crc64, crc64Combine, crc64ToDecimal, crc64UsesWasm } from '../../src/engine/crc64.js';
import { updateJs } from '../../src/engine/crc64-js.js';
import { wasmUpdate } from '../../src/engine/crc64-wasm.js';

const POLY_R = 0xc96c5795d7870f42n;
const MASK = (1n << 64n) - 1n;
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Deterministic PRNG (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}
function randomBytes(next: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

/** crc64.md §2 done bit by bit in BigInt: independent of the table code. */
function bitwiseCrc(buf: Uint8Array, crc = 0n): bigint {
  let c = crc ^ MASK;
  for (const byte of buf) {
    c ^= BigInt(byte);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY_R : c >> 1n;
  }
  return c ^ MASK;
}

/** crc64.md §3 O(len2) reference: feed len2 zero bytes through the raw register, XOR crc2. */
function zeroFeedCombine(crc1: bigint, crc2: bigint, len2: number): bigint {
  let r = crc1;
  for (let i = 0; i < len2 * 8; i++) r = r & 1n ? (r >> 1n) ^ POLY_R : r >> 1n;
  return r ^ crc2;
}

/** Runs an updater on a fresh register and returns the finished CRC. */
function withUpdater(update: (s: Uint32Array, b: Uint8Array) => void, buf: Uint8Array): bigint {
  const s = Uint32Array.of(0xffffffff, 0xffffffff);
  update(s, buf);
  return ((BigInt(s[1]!) << 32n) | BigInt(s[0]!)) ^ MASK;
}

const VECTORS: Array<[string, string]> = [
  ['123456789', '11051210869376104954'],
  ['', '0'],
  ['a', '3675645893302102789'],
  ['hello', '11177612005948864433'],
  ['world', '4472352582074980600'],
  ['helloworld', '10826451443916115081'],
  ['foo', '10965392271467943256'],
  ['bar', '6794328359418260043'],
  ['baz', '12244102855801329197'],
  ['foobar', '6001682485122215966'],
  ['foobarbaz', '9240600635424475731'],
];

test('crc64.md §5 single-input vectors (fast path, JS path, bitwise reference)', { timeout: 30_000 }, () => {
  for (const [input, dec] of VECTORS) {
    const b = utf8(input);
    assert.equal(crc64ToDecimal(crc64(b)), dec, input);
    assert.equal(withUpdater(updateJs, b).toString(), dec, `js ${input}`);
    assert.equal(bitwiseCrc(b).toString(), dec, `bitwise ${input}`);
  }
  assert.equal(crc64(utf8('123456789')), 0x995dc9bbdf1939fan);
  assert.equal(crc64(utf8('hello')), 0x9b1edae5dbb937b1n);
  assert.equal(crc64(utf8('helloworld')), 0x963f483a2ca28c89n);
  assert.equal(crc64(utf8('foo')), 0x982ce62c7ba91558n);
  assert.equal(crc64(utf8('foobar')), 0x534a426c0464b01en);
  assert.equal(crc64(utf8('foobarbaz')), 0x803d3551b1b98a53n);
});

test('the wasm fast path is active here and agrees with the JS path on the check value', { timeout: 30_000 }, () => {
  assert.ok(wasmUpdate, 'WebAssembly path failed to load');
  assert.equal(crc64UsesWasm, true);
  assert.equal(withUpdater(wasmUpdate, utf8('123456789')), 11051210869376104954n);
});

test('chaining equals concatenation (crc64.md §2, append.md §5)', { timeout: 30_000 }, () => {
  const hello = crc64(utf8('hello'));
  assert.equal(crc64(utf8('world'), hello), 10826451443916115081n);
  assert.equal(new Crc64(hello).update(utf8('world')).digest(), 10826451443916115081n);
  // The append example: 0 → "hello" → "world".
  let c = 0n;
  c = new Crc64(c).update(utf8('hello')).digest();
  assert.equal(c, 11177612005948864433n);
  c = new Crc64(c).update(utf8('world')).digest();
  assert.equal(c, 10826451443916115081n);
  // Random splits, including long ones that run through the wasm loop.
  const next = rng(7);
  for (let i = 0; i < 30; i++) {
    const a = randomBytes(next, next() % 5000);
    const b = randomBytes(next, next() % 5000);
    assert.equal(crc64(b, crc64(a)), crc64(Buffer.concat([a, b])));
  }
});

test('digest() does not reset; empty updates change nothing', { timeout: 30_000 }, () => {
  const h = new Crc64().update(utf8('hello'));
  assert.equal(h.digest(), 11177612005948864433n);
  h.update(new Uint8Array(0)).update(utf8('world'));
  assert.equal(h.digest(), 10826451443916115081n);
  assert.equal(new Crc64().digest(), 0n);
  assert.equal(new Crc64(12345n).digest(), 12345n);
});

test('combine: crc64.md §5 values', { timeout: 30_000 }, () => {
  const [foo, bar, baz] = ['foo', 'bar', 'baz'].map((s) => crc64(utf8(s))) as [bigint, bigint, bigint];
  assert.equal(crc64Combine(crc64(utf8('hello')), crc64(utf8('world')), 5), 10826451443916115081n);
  assert.equal(zeroFeedCombine(crc64(utf8('hello')), crc64(utf8('world')), 5), 10826451443916115081n);
  assert.equal(crc64Combine(foo, bar, 3), 6001682485122215966n);
  assert.equal(crc64Combine(crc64Combine(foo, bar, 3n), baz, 3), 9240600635424475731n);
  assert.equal(crc64Combine(foo, 0n, 0), foo);
});

test('combine (matrix) equals the O(n) zero-feeding reference and the concatenation', { timeout: 30_000 }, () => {
  const next = rng(42);
  for (const len2 of [0, 1, 7, 8, 9, 1000, 102400]) {
    for (let i = 0; i < 2; i++) {
      const a = randomBytes(next, next() % 300);
      const b = randomBytes(next, len2);
      const c1 = crc64(a);
      const c2 = crc64(b);
      const got = crc64Combine(c1, c2, len2);
      assert.equal(got, zeroFeedCombine(c1, c2, len2), `len2=${len2}`);
      assert.equal(got, crc64(Buffer.concat([a, b])), `len2=${len2}`);
    }
  }
  // Lengths beyond 2^32 take more operator squarings; check against arbitrary CRC values.
  const x = 0x0123456789abcdefn;
  assert.equal(crc64Combine(x, 0n, 2n ** 40n + 3n),
    crc64Combine(crc64Combine(x, 0n, 2n ** 40n), 0n, 3));
});

test('crc64.md §5 multipart vector (307200 bytes, i mod 251, 3 parts of 102400)', { timeout: 30_000 }, () => {
  const buf = Buffer.alloc(307200);
  for (let i = 0; i < buf.length; i++) buf[i] = i % 251;
  const parts = [0, 1, 2].map((p) => crc64(buf.subarray(p * 102400, (p + 1) * 102400)));
  assert.deepEqual(parts, [5409316634556368277n, 8193091521729089674n, 982876826629300528n]);
  const whole = crc64Combine(crc64Combine(parts[0]!, parts[1]!, 102400), parts[2]!, 102400);
  assert.equal(whole, 2183100719620232441n);
  assert.equal(whole, 0x1e4bee89b5dd14f9n);
  assert.equal(crc64(buf), whole);
  assert.equal(withUpdater(updateJs, buf), whole);
});

test('fast path equals pure JS on random buffers of random sizes', { timeout: 30_000 }, () => {
  assert.ok(wasmUpdate);
  const next = rng(1234);
  const sizes = [0, 1, 15, 16, 17, 31, 32, 33, 4096, 65535, 262144, 262145, 600001];
  for (let i = 0; i < 40; i++) sizes.push(next() % 20000);
  for (const n of sizes) {
    const b = randomBytes(next, n);
    const expect = withUpdater(updateJs, b);
    assert.equal(withUpdater(wasmUpdate, b), expect, `n=${n}`);
    assert.equal(crc64(b), expect, `n=${n}`);
    if (n <= 64) assert.equal(bitwiseCrc(b), expect, `bitwise n=${n}`);
  }
});

test('streaming: same digest however the input is chunked, incl. odd-offset slices', { timeout: 30_000 }, () => {
  const next = rng(99);
  const data = randomBytes(next, 70001);
  const expect = withUpdater(updateJs, data);
  // 1-byte chunks.
  const one = new Crc64();
  for (let i = 0; i < 3000; i++) one.update(data.subarray(i, i + 1));
  assert.equal(one.digest(), withUpdater(updateJs, data.subarray(0, 3000)));
  // Random split points.
  for (let round = 0; round < 20; round++) {
    const h = new Crc64();
    for (let off = 0; off < data.length;) {
      const n = Math.min(data.length - off, next() % (round < 10 ? 40 : 9000));
      h.update(data.subarray(off, off + n));
      off += n;
    }
    assert.equal(h.digest(), expect, `round ${round}`);
  }
  // Views into a larger ArrayBuffer at odd byteOffsets, fed as Uint8Array and as Buffer.
  const backing = new ArrayBuffer(data.length + 64);
  for (const shift of [1, 3, 5, 7, 13]) {
    const view = new Uint8Array(backing, shift, data.length);
    view.set(data);
    assert.equal(view.byteOffset % 2, 1);
    assert.equal(crc64(view), expect);
    assert.equal(crc64(Buffer.from(backing, shift, data.length)), expect);
    const h = new Crc64();
    for (let off = 0; off < view.length; off += 4093) h.update(view.subarray(off, off + 4093));
    assert.equal(h.digest(), expect);
  }
});

test('crc64ToDecimal is unsigned decimal; out-of-range inputs are rejected', { timeout: 30_000 }, () => {
  assert.equal(crc64ToDecimal(0n), '0');
  assert.equal(crc64ToDecimal(18020588380933092773n), '18020588380933092773');
  assert.equal(crc64ToDecimal(MASK), '18446744073709551615');
  assert.throws(() => crc64ToDecimal(-1n), RangeError);
  assert.throws(() => crc64ToDecimal(MASK + 1n), RangeError);
  assert.throws(() => new Crc64(-1n), RangeError);
  assert.throws(() => crc64Combine(0n, 0n, -1), RangeError);
  assert.throws(() => crc64Combine(0n, 0n, 1.5), RangeError);
});

test('OSSD_CRC64_JS=1 falls back to the JS path with the same results', { timeout: 30_000 }, () => {
  const mod = new URL('../../src/engine/crc64.js', import.meta.url).href;
  const script = `import { crc64, crc64UsesWasm } from ${JSON.stringify(mod)};
    const b = Buffer.alloc(307200); for (let i = 0; i < b.length; i++) b[i] = i % 251;
    console.log(JSON.stringify([crc64UsesWasm, String(crc64(Buffer.from('123456789'))), String(crc64(b))]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, OSSD_CRC64_JS: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [false, '11051210869376104954', '2183100719620232441']);
});
