;; CRC-64/XZ (crc64.md §1-§2), slicing-by-16, for ossd's x-oss-hash-crc64ecma.
;; Assembled by scripts/build-crc64-wasm.mjs into src/engine/crc64-wasm-bytes.ts.
;;
;; Memory layout (5 pages = 320 KiB, never grown, so JS views stay valid):
;;   [0, 32768)        16 tables T0..T15, 256 x i64 each (T_k at k*2048). Filled by the
;;                     JS loader (crc64-wasm.ts) from the pure-JS tables: T0 is the classic
;;                     reflected byte table, T_k[i] = T_{k-1}[i] >> 8 ^ T0[T_{k-1}[i] & 0xff].
;;   [32768, 32776)    the raw register (the CRC complemented, i.e. the "c" of crc64.md §2),
;;                     read at entry and written back at exit of $update.
;;   [65536, 327680)   input staging area (CHUNK = 256 KiB); JS copies data here.
;; Wasm is little-endian, so an i64.load of 8 input bytes puts byte 0 in the low bits,
;; which is exactly the order the reflected CRC consumes them.
(module
  (memory (export "memory") 5)
  ;; update(p, n): feed n bytes at address p through the register at 32768.
  (func (export "update") (param $p i32) (param $n i32)
    (local $crc i64) (local $a i64) (local $b i64) (local $end i32)
    (local.set $crc (i64.load (i32.const 32768)))
    ;; 16 bytes per step: a = register ^ bytes 0..7, b = bytes 8..15; each byte of a and b
    ;; is looked up in the table that advances it over the bytes still to come after it.
    ;; Index (x >> (8k)) & 0xff, scaled by 8, is computed as (x >> (8k-3)) & 0x7f8.
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    (block $done16
      (loop $step16
        (br_if $done16 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $b (i64.load offset=8 (local.get $p)))
        ;; XOR as a balanced tree, b half first: the b loads do not depend on the register,
        ;; and a serial 16-deep XOR chain would sit on the loop-carried path (measured ~1.6 vs
        ;; ~2.2 GB/s).
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $b)) (i32.const 3)) (i32.const 0x7f8)))  ;; T7[b byte 0]
                  (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 5))) (i32.const 0x7f8)))  ;; T6[b byte 1]
                )
                (i64.xor
                  (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 13))) (i32.const 0x7f8)))  ;; T5[b byte 2]
                  (i64.load offset=8192  (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 21))) (i32.const 0x7f8)))  ;; T4[b byte 3]
                )
              )
              (i64.xor
                (i64.xor
                  (i64.load offset=6144  (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 29))) (i32.const 0x7f8)))  ;; T3[b byte 4]
                  (i64.load offset=4096  (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 37))) (i32.const 0x7f8)))  ;; T2[b byte 5]
                )
                (i64.xor
                  (i64.load offset=2048  (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 45))) (i32.const 0x7f8)))  ;; T1[b byte 6]
                  (i64.load offset=0     (i32.and (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 53))) (i32.const 0x7f8)))  ;; T0[b byte 7]
                )
              )
            )
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=30720 (i32.and (i32.shl (i32.wrap_i64 (local.get $a)) (i32.const 3)) (i32.const 0x7f8)))  ;; T15[a byte 0]
                  (i64.load offset=28672 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 5))) (i32.const 0x7f8)))  ;; T14[a byte 1]
                )
                (i64.xor
                  (i64.load offset=26624 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 13))) (i32.const 0x7f8)))  ;; T13[a byte 2]
                  (i64.load offset=24576 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 21))) (i32.const 0x7f8)))  ;; T12[a byte 3]
                )
              )
              (i64.xor
                (i64.xor
                  (i64.load offset=22528 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 29))) (i32.const 0x7f8)))  ;; T11[a byte 4]
                  (i64.load offset=20480 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 37))) (i32.const 0x7f8)))  ;; T10[a byte 5]
                )
                (i64.xor
                  (i64.load offset=18432 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 45))) (i32.const 0x7f8)))  ;; T9[a byte 6]
                  (i64.load offset=16384 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 53))) (i32.const 0x7f8)))  ;; T8[a byte 7]
                )
              )
            )
          )
        )
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step16)))
    ;; the last n mod 16 bytes, one at a time (crc64.md §2 loop).
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const 15))))
    (block $done1
      (loop $step1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc (i64.xor
          (i64.load (i32.shl (i32.and (i32.xor (i32.wrap_i64 (local.get $crc))
                                               (i32.load8_u (local.get $p)))
                                      (i32.const 255))
                             (i32.const 3)))
          (i64.shr_u (local.get $crc) (i64.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $step1)))
    (i64.store (i32.const 32768) (local.get $crc))))
