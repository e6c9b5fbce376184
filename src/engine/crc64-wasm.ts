// WebAssembly fast path for CRC-64/XZ (crc64.md §2): slicing-by-16 on i64 (src/engine/crc64.wat,
// assembled into crc64-wasm-bytes.ts by scripts/build-crc64-wasm.mjs). Measured ~2.2 GB/s end
// to end (copy into wasm memory included) vs ~1 GB/s for the pure-JS loop in crc64-js.ts.
//
// Wasm cannot read a Node Buffer in place, so input is copied into the module's memory in
// CHUNK-sized pieces (memcpy is an order of magnitude faster than the CRC, so it costs little).
// The module is instantiated synchronously at import; any failure (no WebAssembly, a bad
// build, a wrong self-check) leaves `wasmUpdate` null and callers use the JS updater.
import { CRC64_WASM_BASE64 } from './crc64-wasm-bytes.js';
import { SLICES, crc64Tables, updateJs, type RawUpdater } from './crc64-js.js';

// Memory layout; must match the header of crc64.wat.
const STATE_AT = 32768;
const INPUT_AT = 65536;
const CHUNK = 256 * 1024;

interface Crc64Exports {
  memory: WebAssembly.Memory;
  update: (ptr: number, len: number) => void;
}

function instantiate(): RawUpdater {
  const bytes = Buffer.from(CRC64_WASM_BASE64, 'base64');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const { memory, update } = instance.exports as unknown as Crc64Exports;
  // The module never grows its memory, so these views stay attached.
  const mem8 = new Uint8Array(memory.buffer);
  const mem32 = new Uint32Array(memory.buffer);
  if (mem8.length < INPUT_AT + CHUNK) throw new Error('crc64 wasm: memory too small');
  // Tables as little-endian i64: low half first.
  const [lo, hi] = crc64Tables();
  for (let i = 0; i < SLICES * 256; i++) {
    mem32[2 * i] = lo[i]!;
    mem32[2 * i + 1] = hi[i]!;
  }
  const s = STATE_AT >>> 2;
  return (state, buf) => {
    mem32[s] = state[0]!;
    mem32[s + 1] = state[1]!;
    const len = buf.length;
    for (let off = 0; off < len; off += CHUNK) {
      const n = Math.min(CHUNK, len - off);
      mem8.set(n === len ? buf : buf.subarray(off, off + n), INPUT_AT);
      update(INPUT_AT, n);
    }
    state[0] = mem32[s]!;
    state[1] = mem32[s + 1]!;
  };
}

/** Self-check against the JS path on a buffer that exercises the 16-byte loop and the tail. */
function agreesWithJs(fast: RawUpdater): boolean {
  const probe = new Uint8Array(1000);
  for (let i = 0; i < probe.length; i++) probe[i] = (i * 131 + 7) & 0xff;
  const a = Uint32Array.of(0xffffffff, 0xffffffff);
  const b = Uint32Array.of(0xffffffff, 0xffffffff);
  fast(a, probe);
  updateJs(b, probe);
  return a[0] === b[0] && a[1] === b[1];
}

function load(): RawUpdater | null {
  // OSSD_CRC64_JS=1 forces the pure-JS path (diagnostics, fallback testing).
  if (process.env.OSSD_CRC64_JS === '1' || typeof WebAssembly !== 'object') return null;
  try {
    const fast = instantiate();
    return agreesWithJs(fast) ? fast : null;
  } catch {
    return null;
  }
}

/** The wasm updater, or null when WebAssembly is unavailable (then use updateJs). */
export const wasmUpdate: RawUpdater | null = load();
