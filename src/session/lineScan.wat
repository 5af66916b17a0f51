;; Line ends in message content, 16 bytes at a time (WebAssembly SIMD): what lets a piped
;; 100 MB DATA be checked for its final "." and its line endings at memory speed, where a
;; search per line from JavaScript costs ~70 ns a line. Built into src/session/lineScanWasm.ts
;; by `npm run wasm`; src/session/lineScan.ts is its only user.
;;
;; Memory: JavaScript lays out the areas regions are scanned in (src/session/lineScan.ts).
;; Each area has 16 zero bytes before it; a region starts at `base` in an area, after whole
;; lines or at the area's start, and the caller writes 32 zero bytes after it, so the loads
;; one byte before and after each position see an LF, a zero or the region itself.
(module
  (memory (export "memory") 17)
  ;; LFs passed by the last scan (the one it stopped at not counted).
  (global $lines (export "lines") (mut i32) (i32.const 0))

  ;; scan(base, from, len, mode): for the region at `base`, the position in it of the first
  ;; LF at or after `from` that JavaScript must look at, or len when there is none. An LF is looked at when the
  ;; next line starts with "." (the end of the message, or a line starting with a dot), or
  ;; when its line ending is not the one wanted: mode 0 wants LF (an LF after a CR is looked
  ;; at), mode 1 wants CRLF (an LF after anything else is), mode 2 looks at dots only.
  (func (export "scan") (param $base i32) (param $from i32) (param $len i32) (param $mode i32) (result i32)
    (local $i i32) (local $at i32) (local $lf i32) (local $bad i32) (local $flagged i32) (local $k i32)
    (global.set $lines (i32.const 0))
    (local.set $i (local.get $from))
    (block $end
      (loop $block
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $at (i32.add (local.get $i) (local.get $base)))
        (local.set $lf (i8x16.bitmask (i8x16.eq (v128.load (local.get $at)) (i8x16.splat (i32.const 10)))))
        ;; The last block: positions past the region do not count.
        (if (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $len))
          (then
            (local.set $lf (i32.and (local.get $lf)
              (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $len) (local.get $i))) (i32.const 1))))))
        (if (local.get $lf)
          (then
            ;; LFs with a CR before them.
            (local.set $bad (i32.and (local.get $lf)
              (i8x16.bitmask (i8x16.eq (v128.load (i32.sub (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 13))))))
            (if (i32.eq (local.get $mode) (i32.const 1))
              (then (local.set $bad (i32.xor (local.get $lf) (local.get $bad)))))
            (if (i32.eq (local.get $mode) (i32.const 2))
              (then (local.set $bad (i32.const 0))))
            ;; ... or with a "." after them.
            (local.set $flagged (i32.or (local.get $bad)
              (i32.and (local.get $lf)
                (i8x16.bitmask (i8x16.eq (v128.load (i32.add (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 46)))))))
            (if (local.get $flagged)
              (then
                (local.set $k (i32.ctz (local.get $flagged)))
                (global.set $lines (i32.add (global.get $lines)
                  (i32.popcnt (i32.and (local.get $lf) (i32.sub (i32.shl (i32.const 1) (local.get $k)) (i32.const 1))))))
                (return (i32.add (local.get $i) (local.get $k)))))
            (global.set $lines (i32.add (global.get $lines) (i32.popcnt (local.get $lf))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $block)))
    (local.get $len)))
