;; The inner loops of FedAvg in WebAssembly SIMD. addFour, addTwo and addOne add four, two or
;; one vectors to a block of float64 sums per pass:
;;
;;   sums[j] = (((sums[j] + a*x[j]) + b*y[j]) + c*z[j]) + d*u[j]   for j in [0, n)
;;
;; and addMean turns a block of sums into weights, out[j] = float32(base[j] + sums[j] / total),
;; reading the base from x's place and writing to y's.
;;
;; with every value of x, y, z and u a float32 widened to float64 exactly, and every product
;; and sum an IEEE float64 operation in that order (wasm has no fused multiply-add outside the
;; relaxed-SIMD proposal): bit for bit the scalar JavaScript loop it replaces.
;;
;; Memory (one 64 KiB page = 65,536 bytes; 8 pages):
;;   [0, 131072)          sums: 16,384 float64 (SUM_BLOCK in weighted-mean.ts)
;;   [131072, 196608)     x: 16,384 float32
;;   [196608, 262144)     y
;;   [262144, 327680)     z
;;   [327680, 393216)     u
;; The caller copies each vector's slice of the block into its place; n must be a multiple
;; of 4 and at most 16,384 (the caller handles the last n mod 4 elements itself).
;;
;; Generated into weighted-sum-wasm.ts by scripts/gen-wasm.mjs (`npm run gen`).
(module
  (memory (export "memory") 8)
  (func (export "addFour") (param $n i32) (param $a f64) (param $b f64) (param $c f64) (param $d f64)
    (local $j i32) (local $s i32) (local $v i32)
    (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)
    (local $lo v128) (local $hi v128) (local $w v128)
    (local.set $va (f64x2.splat (local.get $a)))
    (local.set $vb (f64x2.splat (local.get $b)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $vd (f64x2.splat (local.get $d)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        ;; $s: byte offset of sums[j]; $v: byte offset of x[j]. Four elements per iteration:
        ;; two float64 pairs of sums ($lo, $hi), one float32 quadruple of each vector ($w),
        ;; its low pair widened directly and its high pair after swapping the halves.
        (local.set $s (i32.shl (local.get $j) (i32.const 3)))
        (local.set $v (i32.add (i32.const 131072) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $lo (v128.load (local.get $s)))
        (local.set $hi (v128.load offset=16 (local.get $s)))
        ;; + a*x
        (local.set $w (v128.load (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        ;; + b*y
        (local.set $w (v128.load offset=65536 (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $vb) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $vb) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        ;; + c*z
        (local.set $w (v128.load offset=131072 (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $vc) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $vc) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        ;; + d*u
        (local.set $w (v128.load offset=196608 (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $vd) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $vd) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        (v128.store (local.get $s) (local.get $lo))
        (v128.store offset=16 (local.get $s) (local.get $hi))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $next (i32.lt_u (local.get $j) (local.get $n))))))

  ;; sums[j] = (sums[j] + a*x[j]) + b*y[j], as addFour without z and u.
  (func (export "addTwo") (param $n i32) (param $a f64) (param $b f64)
    (local $j i32) (local $s i32) (local $v i32)
    (local $va v128) (local $vb v128) (local $lo v128) (local $hi v128) (local $w v128)
    (local.set $va (f64x2.splat (local.get $a)))
    (local.set $vb (f64x2.splat (local.get $b)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $s (i32.shl (local.get $j) (i32.const 3)))
        (local.set $v (i32.add (i32.const 131072) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $lo (v128.load (local.get $s)))
        (local.set $hi (v128.load offset=16 (local.get $s)))
        (local.set $w (v128.load (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        (local.set $w (v128.load offset=65536 (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo)
          (f64x2.mul (local.get $vb) (f64x2.promote_low_f32x4 (local.get $w)))))
        (local.set $hi (f64x2.add (local.get $hi)
          (f64x2.mul (local.get $vb) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        (v128.store (local.get $s) (local.get $lo))
        (v128.store offset=16 (local.get $s) (local.get $hi))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $next (i32.lt_u (local.get $j) (local.get $n))))))

  ;; sums[j] = sums[j] + a*x[j].
  (func (export "addOne") (param $n i32) (param $a f64)
    (local $j i32) (local $s i32) (local $v i32)
    (local $va v128) (local $w v128)
    (local.set $va (f64x2.splat (local.get $a)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $s (i32.shl (local.get $j) (i32.const 3)))
        (local.set $v (i32.add (i32.const 131072) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $w (v128.load (local.get $v)))
        (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s))
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4 (local.get $w)))))
        (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s))
          (f64x2.mul (local.get $va) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $next (i32.lt_u (local.get $j) (local.get $n))))))

  ;; out[j] = float32(float64(base[j]) + sums[j] / total) for j in [0, n), base at x's place and
  ;; out at y's: each a float64 division, a float64 addition and one rounding to float32 (round
  ;; to nearest, ties to even), as JavaScript's Math.fround(base + sum / total). Returns the sum
  ;; over j of out[j] - out[j] in float32: 0 when every value written is finite, NaN otherwise.
  (func (export "addMean") (param $n i32) (param $total f64) (result f32)
    (local $j i32) (local $s i32) (local $v i32)
    (local $vt v128) (local $b v128) (local $lo v128) (local $hi v128) (local $o v128)
    (local $probe v128)
    (local.set $vt (f64x2.splat (local.get $total)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $s (i32.shl (local.get $j) (i32.const 3)))
        (local.set $v (i32.add (i32.const 131072) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $b (v128.load (local.get $v)))
        (local.set $lo (f64x2.add (f64x2.promote_low_f32x4 (local.get $b))
          (f64x2.div (v128.load (local.get $s)) (local.get $vt))))
        (local.set $hi (f64x2.add (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (f64x2.div (v128.load offset=16 (local.get $s)) (local.get $vt))))
        ;; Each demotion fills the low two lanes; the shuffle joins them into four.
        (local.set $o (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (v128.store offset=65536 (local.get $v) (local.get $o))
        (local.set $probe (f32x4.add (local.get $probe) (f32x4.sub (local.get $o) (local.get $o))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $next (i32.lt_u (local.get $j) (local.get $n)))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $probe)) (f32x4.extract_lane 1 (local.get $probe)))
      (f32.add (f32x4.extract_lane 2 (local.get $probe)) (f32x4.extract_lane 3 (local.get $probe)))))
)
