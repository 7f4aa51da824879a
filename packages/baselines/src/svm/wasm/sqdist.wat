;; Squared Euclidean distances from one float32 vector to n float32 rows, in WebAssembly SIMD (source of
;; sqdist-wasm.ts; rebuild with ./build.sh). Rows are zero-padded to dp floats, dp a multiple of 4.
;;
;;   out[j] = Σ_k (a[k] − X[j·dp + k])²   for j in [0, n), out as float64
;;
;; Each value is widened to float64 before the difference, squared and summed in float64 (two f64x2
;; accumulators: lanes k ≡ 0, 1 (mod 4) in acc0, k ≡ 2, 3 in acc1), and the four partial sums are added as
;; (s0 + s2) + (s1 + s3). kernel.ts's JavaScript fallback does exactly the same, so the two agree bit for bit.
(module
  (memory (export "memory") 1)
  (func (export "sqdist") (param $a i32) (param $x i32) (param $n i32) (param $dp i32) (param $out i32)
    (local $j i32) (local $k i32) (local $row i32) (local $rowBytes i32)
    (local $acc0 v128) (local $acc1 v128) (local $va v128) (local $vb v128) (local $t v128)
    (local.set $rowBytes (i32.shl (local.get $dp) (i32.const 2)))
    (local.set $row (local.get $x))
    (block $done_j
      (loop $lj
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $acc0 (v128.const f64x2 0 0))
        (local.set $acc1 (v128.const f64x2 0 0))
        (local.set $k (i32.const 0))
        (block $done_k
          (loop $lk
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $va (v128.load (i32.add (local.get $a) (local.get $k))))
            (local.set $vb (v128.load (i32.add (local.get $row) (local.get $k))))
            (local.set $t
              (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (f64x2.promote_low_f32x4 (local.get $vb))))
            (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $t
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vb) (local.get $vb)))))
            (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $lk)))
        (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3)))
          (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj))))
;; sqdist4: the same for four query vectors at once (each X row is read once for all four), so that a block of
;; kernel rows costs a quarter of the memory traffic. out[q·n + j] = Σ_k (a_q[k] − X[j·dp + k])², same arithmetic.
  (func (export "sqdist4") (param $a0 i32) (param $a1 i32) (param $a2 i32) (param $a3 i32)
    (param $x i32) (param $n i32) (param $dp i32) (param $out i32)
    (local $j i32) (local $k i32) (local $row i32) (local $rowBytes i32) (local $o i32) (local $nBytes i32)
    (local $blo v128) (local $bhi v128) (local $va v128) (local $t v128)
    (local $l0 v128) (local $h0 v128) (local $l1 v128) (local $h1 v128)
    (local $l2 v128) (local $h2 v128) (local $l3 v128) (local $h3 v128)
    (local.set $rowBytes (i32.shl (local.get $dp) (i32.const 2)))
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $row (local.get $x))
    (block $done_j
      (loop $lj
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $l0 (v128.const f64x2 0 0))
        (local.set $h0 (v128.const f64x2 0 0))
        (local.set $l1 (v128.const f64x2 0 0))
        (local.set $h1 (v128.const f64x2 0 0))
        (local.set $l2 (v128.const f64x2 0 0))
        (local.set $h2 (v128.const f64x2 0 0))
        (local.set $l3 (v128.const f64x2 0 0))
        (local.set $h3 (v128.const f64x2 0 0))
        (local.set $k (i32.const 0))
        (block $done_k
          (loop $lk
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $va (v128.load (i32.add (local.get $row) (local.get $k))))
            (local.set $blo (f64x2.promote_low_f32x4 (local.get $va)))
            (local.set $bhi
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va))))
            (local.set $va (v128.load (i32.add (local.get $a0) (local.get $k))))
            (local.set $t (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (local.get $blo)))
            (local.set $l0 (f64x2.add (local.get $l0) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $t
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (local.get $bhi)))
            (local.set $h0 (f64x2.add (local.get $h0) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $va (v128.load (i32.add (local.get $a1) (local.get $k))))
            (local.set $t (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (local.get $blo)))
            (local.set $l1 (f64x2.add (local.get $l1) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $t
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (local.get $bhi)))
            (local.set $h1 (f64x2.add (local.get $h1) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $va (v128.load (i32.add (local.get $a2) (local.get $k))))
            (local.set $t (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (local.get $blo)))
            (local.set $l2 (f64x2.add (local.get $l2) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $t
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (local.get $bhi)))
            (local.set $h2 (f64x2.add (local.get $h2) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $va (v128.load (i32.add (local.get $a3) (local.get $k))))
            (local.set $t (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (local.get $blo)))
            (local.set $l3 (f64x2.add (local.get $l3) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $t
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (local.get $bhi)))
            (local.set $h3 (f64x2.add (local.get $h3) (f64x2.mul (local.get $t) (local.get $t))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $lk)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $l0 (f64x2.add (local.get $l0) (local.get $h0)))
        (f64.store (local.get $o)
          (f64.add (f64x2.extract_lane 0 (local.get $l0)) (f64x2.extract_lane 1 (local.get $l0))))
        (local.set $o (i32.add (local.get $o) (local.get $nBytes)))
        (local.set $l1 (f64x2.add (local.get $l1) (local.get $h1)))
        (f64.store (local.get $o)
          (f64.add (f64x2.extract_lane 0 (local.get $l1)) (f64x2.extract_lane 1 (local.get $l1))))
        (local.set $o (i32.add (local.get $o) (local.get $nBytes)))
        (local.set $l2 (f64x2.add (local.get $l2) (local.get $h2)))
        (f64.store (local.get $o)
          (f64.add (f64x2.extract_lane 0 (local.get $l2)) (f64x2.extract_lane 1 (local.get $l2))))
        (local.set $o (i32.add (local.get $o) (local.get $nBytes)))
        (local.set $l3 (f64x2.add (local.get $l3) (local.get $h3)))
        (f64.store (local.get $o)
          (f64.add (f64x2.extract_lane 0 (local.get $l3)) (f64x2.extract_lane 1 (local.get $l3))))
        (local.set $o (i32.add (local.get $o) (local.get $nBytes)))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))))
