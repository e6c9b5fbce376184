// CRC-64 as OSS reports it in x-oss-hash-crc64ecma: CRC-64/XZ, i.e. the reflected ECMA-182
// polynomial with all-ones init and final XOR (crc64.md §1). check("123456789") =
// 11051210869376104954, CRC of empty input = 0.
//
// BigInt appears only at this API boundary; the register is two uint32 halves, updated by the
// WebAssembly slicing-by-16 loop (crc64-wasm.ts) or, if that cannot load, by the pure-JS one
// (crc64-js.ts). Both compute the same function; test/unit/crc64.test.ts checks they agree.
import { POLY_HI, POLY_LO, updateJs, type RawUpdater } from './crc64-js.js';
import { wasmUpdate } from './crc64-wasm.js';

/** Below this many bytes the JS byte loop is as fast as the wasm call + copy (~35 ns). */
const SMALL_INPUT = 16;

const MASK64 = (1n << 64n) - 1n;
const fastUpdate: RawUpdater = wasmUpdate ?? updateJs;

/** True when update() runs the WebAssembly path (for benchmarks and diagnostics). */
export const crc64UsesWasm: boolean = wasmUpdate !== null;

function checkCrc(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > MASK64) {
    throw new RangeError(`${what} must be a bigint in [0, 2^64)`);
  }
}

/**
 * Streaming CRC-64. `initial` is a finished CRC to chain from (crc64.md §2 "crc64_update",
 * append.md §5): new Crc64(crc64(A)).update(B).digest() === crc64(A ‖ B).
 */
export class Crc64 {
  // Raw register (the complemented CRC, "c" in crc64.md §2) as [lo, hi].
  private readonly state = new Uint32Array(2);

  constructor(initial: bigint = 0n) {
    checkCrc(initial, 'initial CRC');
    this.state[0] = ~Number(initial & 0xffffffffn);
    this.state[1] = ~Number(initial >> 32n);
  }

  update(buf: Uint8Array): this {
    if (buf.length >= SMALL_INPUT) fastUpdate(this.state, buf);
    else if (buf.length > 0) updateJs(this.state, buf);
    return this;
  }

  /** The CRC of everything fed so far; does not reset, so update() may continue after it. */
  digest(): bigint {
    return (BigInt(~this.state[1]! >>> 0) << 32n) | BigInt(~this.state[0]! >>> 0);
  }
}

/** CRC-64 of `buf`, optionally chained from the finished CRC `initial` of preceding data. */
export function crc64(buf: Uint8Array, initial: bigint = 0n): bigint {
  return new Crc64(initial).update(buf).digest();
}

/** Unsigned decimal, the wire format of x-oss-hash-crc64ecma (crc64.md §1). */
export function crc64ToDecimal(crc: bigint): string {
  checkCrc(crc, 'CRC');
  return crc.toString(10);
}

// ---- Combine (crc64.md §3) -------------------------------------------------------------
// A 64×64 GF(2) matrix is 64 columns; column n (the image of bit n) is stored at
// [2n] = lo, [2n + 1] = hi. ZEROS[k] is the operator "feed 2^k zero bytes through the raw
// register"; it is built once by repeated squaring (zlib crc32_combine's sequence, cached),
// so combine() itself is just one matrix-vector product per set bit of len2.

type Matrix = Uint32Array;

/** mat · (hi:lo) over GF(2); result written to out[0..1]. */
function times(mat: Matrix, lo: number, hi: number, out: Uint32Array): void {
  let rlo = 0;
  let rhi = 0;
  for (let n = 0; n < 32; n++) {
    if ((lo >>> n) & 1) { rlo ^= mat[2 * n]!; rhi ^= mat[2 * n + 1]!; }
    if ((hi >>> n) & 1) { rlo ^= mat[64 + 2 * n]!; rhi ^= mat[65 + 2 * n]!; }
  }
  out[0] = rlo;
  out[1] = rhi;
}

function square(mat: Matrix): Matrix {
  const sq = new Uint32Array(128);
  const col = new Uint32Array(2);
  for (let n = 0; n < 64; n++) {
    times(mat, mat[2 * n]!, mat[2 * n + 1]!, col);
    sq[2 * n] = col[0]!;
    sq[2 * n + 1] = col[1]!;
  }
  return sq;
}

const ZEROS: Matrix[] = [];

function zerosOperator(k: number): Matrix {
  if (ZEROS.length === 0) {
    // One zero bit: bit 0 drops out and folds in the polynomial; bit n moves to n - 1.
    const oneBit = new Uint32Array(128);
    oneBit[0] = POLY_LO;
    oneBit[1] = POLY_HI;
    for (let n = 1; n < 64; n++) {
      if (n <= 32) oneBit[2 * n] = 2 ** (n - 1);
      else oneBit[2 * n + 1] = 2 ** (n - 33);
    }
    ZEROS.push(square(square(square(oneBit)))); // 2, 4, then 8 bits = one byte
  }
  while (ZEROS.length <= k) ZEROS.push(square(ZEROS[ZEROS.length - 1]!));
  return ZEROS[k]!;
}

/**
 * crc64(A ‖ B) from crc1 = crc64(A), crc2 = crc64(B) and len2 = |B| (crc64.md §3):
 * Z^len2(crc1) XOR crc2, with Z^len2 applied in O(log len2) matrix steps.
 */
export function crc64Combine(crc1: bigint, crc2: bigint, len2: number | bigint): bigint {
  checkCrc(crc1, 'crc1');
  checkCrc(crc2, 'crc2');
  let len = typeof len2 === 'bigint' ? len2 : Number.isSafeInteger(len2) ? BigInt(len2) : -1n;
  if (len < 0n) throw new RangeError('len2 must be a non-negative integer');
  if (len === 0n) return crc1;
  const v = Uint32Array.of(Number(crc1 & 0xffffffffn), Number(crc1 >> 32n));
  for (let k = 0; len > 0n; k++, len >>= 1n) {
    if (len & 1n) times(zerosOperator(k), v[0]!, v[1]!, v);
  }
  return ((BigInt(v[1]!) << 32n) | BigInt(v[0]!)) ^ crc2;
}
