;; The GM layer's parameter-sized, input-sized and output-sized loops (K×L×d, B×d and
;; B×K×L), in WebAssembly with 128-bit SIMD, for the fused kernels of src/op/fused/gm-fused.ts.
;; tfjs-wasm runs each elementwise op as its own kernel over whole tensors; these loops
;; do what took eleven such ops (and their launches) in two passes over U, the row
;; scaling in one pass over x, and the sums over components and outputs in one pass
;; each way. The math is src/op/fused/gm-fused.ts's module comment; reference/closed-form.ts and
;; reference/gradients.ts have it in float64.
;;
;; Conventions
;; - All tensors are row-major float32; every pointer is a byte address in the imported
;;   memory: tfjs-wasm's own heap (no copies), or a private memory the caller copies
;;   into (src/op/fused/wasm-loops.ts).
;; - Parameters: the sizes, then the input pointers, then the output pointers.
;; - Each loop over i runs 4 lanes at a time (f32x4) up to d4 = d − d mod 4, then one
;;   lane at a time to d (loops over rows b likewise, to B); the two bodies compute the
;;   same float32 operations in the same order, so a value does not depend on where its
;;   column falls.
;; - Compiled by `npm run wasm` (wabt's wat2wasm) into src/op/fused/wasm/gm-loops.wasm.ts;
;;   properties/op/fused/wasm-loops.test.ts checks the committed bytes match this text.
(module
  (import "env" "memory" (memory 0))

  ;; maxAbs[b] = max_i |x[b, i]|.  x: [B, d]; maxAbs: [B].
  ;; The lanes use f32x4.pmax (b < a ? a : b, one x86 instruction), not f32x4.max, whose
  ;; NaN and ±0 rules cost a dependent sequence that made this loop several times slower. They
  ;; agree here: |x| has no −0, and NaN inputs are rejected before the op runs.
  (func (export "rowMaxAbs")
    (param $B i32) (param $d i32) (param $x i32) (param $maxAbs i32)
    (local $b i32) (local $i i32) (local $d4 i32) (local $acc v128) (local $m f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $lanes
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (local.set $acc (f32x4.pmax (local.get $acc) (f32x4.abs (v128.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $lanes)))
      (local.set $m (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.max (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $m (f32.max (local.get $m) (f32.abs (f32.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (f32.store (i32.add (local.get $maxAbs) (i32.shl (local.get $b) (i32.const 2))) (local.get $m))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

;; x̂ = x / c (rowwise; exact, c_b is a power of two) and x̂², each also transposed.
  ;; x, x̂, x̂²: [B, d]; c: [B]; x̂ᵀ, x̂²ᵀ: [d, B].
  ;; Rows go four at a time: a 4×4 tile of x̂ (rows b..b+3, columns i..i+3) is
  ;; transposed in registers and stored as four vectors of x̂ᵀ (storing x̂ᵀ one float at
  ;; a time, a new cache line each, made this loop markedly slower). The columns past
  ;; d − d mod 4 and the rows past B − B mod 4 go one float at a time ($scaleScalar).
  (func (export "scaleRows")
    (param $B i32) (param $d i32) (param $x i32) (param $c i32)
    (param $xh i32) (param $xh2 i32) (param $xhT i32) (param $xh2T i32)
    (local $b i32) (local $o i32) (local $d4 i32) (local $rowBytes i32) (local $stride i32) (local $T i32) (local $T2 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $rows i32) (local $cols i32) (local $plane i32) (local $lo01 v128) (local $lo23 v128) (local $hi01 v128) (local $hi23 v128)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $stride (i32.shl (local.get $B) (i32.const 2))) ;; bytes between x̂ᵀ[i, b] and x̂ᵀ[i + 1, b]
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.gt_u (i32.add (local.get $b) (i32.const 4)) (local.get $B)))
      ;; 1/c_b = 2^−e is exact, and so is x·2^−e wherever x/c_b is representable.
      (local.set $r0 (f32x4.splat (call $reciprocal (local.get $c) (local.get $b))))
      (local.set $r1 (f32x4.splat (call $reciprocal (local.get $c) (i32.add (local.get $b) (i32.const 1)))))
      (local.set $r2 (f32x4.splat (call $reciprocal (local.get $c) (i32.add (local.get $b) (i32.const 2)))))
      (local.set $r3 (f32x4.splat (call $reciprocal (local.get $c) (i32.add (local.get $b) (i32.const 3)))))
      (local.set $T (i32.add (local.get $xhT) (i32.shl (local.get $b) (i32.const 2))))
      (local.set $T2 (i32.add (local.get $xh2T) (i32.shl (local.get $b) (i32.const 2))))
      (local.set $o (i32.const 0)) ;; byte offset of column i in a row
      (block $done (loop $tiles
        (br_if $done (i32.ge_u (local.get $o) (i32.shl (local.get $d4) (i32.const 2))))
        (local.set $y0 (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (local.get $r0)))
        (local.set $y1 (f32x4.mul (v128.load (i32.add (i32.add (local.get $x) (local.get $rowBytes)) (local.get $o))) (local.get $r1)))
        (local.set $y2 (f32x4.mul (v128.load (i32.add (i32.add (local.get $x) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $o))) (local.get $r2)))
        (local.set $y3 (f32x4.mul (v128.load (i32.add (i32.add (local.get $x) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $o))) (local.get $r3)))
        ;; Plane 0 stores x̂'s tile and its transpose, plane 1 those of x̂² (written out
        ;; here: as a called function this ran slower).
        (local.set $rows (i32.add (local.get $xh) (local.get $o)))
        (local.set $cols (local.get $T))
        (local.set $plane (i32.const 0))
        (loop $planes
          (v128.store (local.get $rows) (local.get $y0))
          (v128.store (i32.add (local.get $rows) (local.get $rowBytes)) (local.get $y1))
          (v128.store (i32.add (local.get $rows) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $y2))
          (v128.store (i32.add (local.get $rows) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $y3))
          ;; lo01 = [y0₀ y1₀ y0₁ y1₁], hi01 = [y0₂ y1₂ y0₃ y1₃]; lo23, hi23 likewise for rows 2, 3.
          (local.set $lo01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y0) (local.get $y1)))
          (local.set $lo23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y2) (local.get $y3)))
          (local.set $hi01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y0) (local.get $y1)))
          (local.set $hi23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y2) (local.get $y3)))
          ;; Column j of the tile: lane j of y0..y3.
          (v128.store (local.get $cols) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo01) (local.get $lo23)))
          (v128.store (i32.add (local.get $cols) (local.get $stride))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $lo01) (local.get $lo23)))
          (v128.store (i32.add (local.get $cols) (i32.shl (local.get $stride) (i32.const 1)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $hi01) (local.get $hi23)))
          (v128.store (i32.add (local.get $cols) (i32.mul (local.get $stride) (i32.const 3)))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $hi01) (local.get $hi23)))
          (local.set $y0 (f32x4.mul (local.get $y0) (local.get $y0)))
          (local.set $y1 (f32x4.mul (local.get $y1) (local.get $y1)))
          (local.set $y2 (f32x4.mul (local.get $y2) (local.get $y2)))
          (local.set $y3 (f32x4.mul (local.get $y3) (local.get $y3)))
          (local.set $rows (i32.add (local.get $xh2) (local.get $o)))
          (local.set $cols (local.get $T2))
          (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
          (br_if $planes (i32.lt_u (local.get $plane) (i32.const 2))))
        (local.set $T (i32.add (local.get $T) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $T2 (i32.add (local.get $T2) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $tiles)))
      (call $scaleScalar (local.get $B) (local.get $d) (local.get $d4) (local.get $b) (i32.add (local.get $b) (i32.const 4))
        (local.get $x) (local.get $c) (local.get $xh) (local.get $xh2) (local.get $xhT) (local.get $xh2T))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $rowBytes) (i32.const 2))))
      (local.set $xh (i32.add (local.get $xh) (i32.shl (local.get $rowBytes) (i32.const 2))))
      (local.set $xh2 (i32.add (local.get $xh2) (i32.shl (local.get $rowBytes) (i32.const 2))))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $blocks)))
    (call $scaleScalar (local.get $B) (local.get $d) (i32.const 0) (local.get $b) (local.get $B)
      (local.get $x) (local.get $c) (local.get $xh) (local.get $xh2) (local.get $xhT) (local.get $xh2T)))

  ;; 1/c[b] (c: [B] float32 at byte address $c).
  (func $reciprocal (param $c i32) (param $b i32) (result f32)
    (f32.div (f32.const 1) (f32.load (i32.add (local.get $c) (i32.shl (local.get $b) (i32.const 2))))))

  ;; scaleRows one float at a time, for rows b0 ≤ b < b1 and columns i0 ≤ i < d; $x, $xh
  ;; and $xh2 point at row b0, $xhT and $xh2T at the whole outputs.
  (func $scaleScalar
    (param $B i32) (param $d i32) (param $i0 i32) (param $b0 i32) (param $b1 i32)
    (param $x i32) (param $c i32) (param $xh i32) (param $xh2 i32) (param $xhT i32) (param $xh2T i32)
    (local $b i32) (local $i i32) (local $at i32) (local $atT i32) (local $r f32) (local $y f32)
    (local.set $b (local.get $b0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $b1)))
      (local.set $r (call $reciprocal (local.get $c) (local.get $b)))
      (local.set $i (local.get $i0))
      (block $done (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $at (i32.shl (i32.add (i32.mul (i32.sub (local.get $b) (local.get $b0)) (local.get $d)) (local.get $i)) (i32.const 2)))
        (local.set $atT (i32.shl (i32.add (i32.mul (local.get $i) (local.get $B)) (local.get $b)) (i32.const 2)))
        (local.set $y (f32.mul (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $r)))
        (f32.store (i32.add (local.get $xh) (local.get $at)) (local.get $y))
        (f32.store (i32.add (local.get $xhT) (local.get $atT)) (local.get $y))
        (local.set $y (f32.mul (local.get $y) (local.get $y)))
        (f32.store (i32.add (local.get $xh2) (local.get $at)) (local.get $y))
        (f32.store (i32.add (local.get $xh2T) (local.get $atT)) (local.get $y))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cols)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; The forward's parameter work, with σ scaled per component by ς_k, a power of two
  ;; (at least 1) whose reciprocal is a normal float32 (so σ̂ = σ·(1/ς) is exact):
  ;;   A = [μ; U ⊙ σ̃]: [K + K·L, d], σ̃ = σ·σ̂ = σ²/ς; rows k, then K + k·L + l (the left
  ;;       operand of one product)
  ;;   σ̂²ᵀ: [d, K]
  ;;   w = U μ + v: [K, L], w_kl = Σ_i U_kli μ_ki + v_kl (four partial sums, then added pairwise)
  ;; μ, σ: [K, d]; U: [K, L, d]; v: [K, L]; ς: [K].
  (func (export "prepare")
    (param $K i32) (param $L i32) (param $d i32)
    (param $mu i32) (param $sigma i32) (param $U i32) (param $v i32) (param $scale i32)
    (param $A i32) (param $sigma2T i32) (param $w i32)
    (local $k i32) (local $l i32) (local $i i32) (local $d4 i32)
    (local $muK i32) (local $sigmaK i32) (local $mp i32) (local $sp i32) (local $out i32) (local $T i32)
    (local $u v128) (local $dot v128) (local $us f32) (local $dots f32) (local $s f32)
    (local $inv f32) (local $invV v128) (local $sv v128)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $out (i32.add (local.get $A) (i32.shl (i32.mul (local.get $K) (local.get $d)) (i32.const 2)))) ;; row K of A
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $muK (i32.add (local.get $mu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $sigmaK (i32.add (local.get $sigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $inv (f32.div (f32.const 1) (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2))))))
      (local.set $invV (f32x4.splat (local.get $inv)))
      ;; A row k = μ_k, and σ̂²ᵀ column k.
      (memory.copy (i32.add (local.get $A) (i32.sub (local.get $muK) (local.get $mu))) (local.get $muK) (i32.shl (local.get $d) (i32.const 2)))
      (local.set $sp (local.get $sigmaK))
      (local.set $T (i32.add (local.get $sigma2T) (i32.shl (local.get $k) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $done (loop $col
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $s (f32.mul (f32.load (local.get $sp)) (local.get $inv)))
        (f32.store (local.get $T) (f32.mul (local.get $s) (local.get $s)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (local.set $T (i32.add (local.get $T) (i32.shl (local.get $K) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col)))
      (local.set $l (i32.const 0))
      (block $lDone (loop $ls
        (br_if $lDone (i32.ge_u (local.get $l) (local.get $L)))
        (local.set $mp (local.get $muK))
        (local.set $sp (local.get $sigmaK))
        (local.set $dot (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $done (loop $lanes
          (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
          (local.set $u (v128.load (local.get $U)))
          (local.set $sv (v128.load (local.get $sp)))
          (v128.store (local.get $out)
            (f32x4.mul (local.get $u) (f32x4.mul (local.get $sv) (f32x4.mul (local.get $sv) (local.get $invV)))))
          (local.set $dot (f32x4.add (local.get $dot) (f32x4.mul (local.get $u) (v128.load (local.get $mp)))))
          (local.set $U (i32.add (local.get $U) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $mp (i32.add (local.get $mp) (i32.const 16)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $lanes)))
        (local.set $dots (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $dot)) (f32x4.extract_lane 1 (local.get $dot)))
          (f32.add (f32x4.extract_lane 2 (local.get $dot)) (f32x4.extract_lane 3 (local.get $dot)))))
        (block $done (loop $tail
          (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $us (f32.load (local.get $U)))
          (local.set $s (f32.load (local.get $sp)))
          (f32.store (local.get $out) (f32.mul (local.get $us) (f32.mul (local.get $s) (f32.mul (local.get $s) (local.get $inv)))))
          (local.set $dots (f32.add (local.get $dots) (f32.mul (local.get $us) (f32.load (local.get $mp)))))
          (local.set $U (i32.add (local.get $U) (i32.const 4)))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $mp (i32.add (local.get $mp) (i32.const 4)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $tail)))
        (f32.store (local.get $w) (f32.add (local.get $dots) (f32.load (local.get $v))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $ls)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))

  ;; The per-component terms of the forward: the special functions of src/op/normal-f32.ts
  ;; (upperTailFit), in float64, two rows b at a time, rounded to float32 on store. With
  ;; m = F[k, b], ŝ² = s2[b, k] (the variance at σ̂ = σ/ς) and ς = scale[k]:
  ;;   ŝ² > sMin²:  ŝ = √ŝ², s = ŝ·ς, t = m/s clamped to ±uMax, u = |t|, φ = φ(u),
  ;;                R = √(π/2)·y·e^P(y) (y = 1/(1 + u/(2√2)), P the erfc fit), Q = φR = Φ(−u),
  ;;                and g = φ(1 − uR) below fractionStart, else φR/T with the continued
  ;;                fraction T = u + 2/(u + 3/(… + depth/u));
  ;;                a = max(m, 0) + s·g, b = Φ(t) (Q where t < 0, else 1 − Q), φ/ŝ, tφ/ŝ²
  ;;   otherwise:   a = max(m, 0), b = H(m) (H(0) = ½), φ/ŝ = tφ/ŝ² = 0 (the exact limits)
  ;; as upperTailFit computes them, except that both polynomials (P, and e^r's in $exp) run
  ;; by Estrin's scheme and $exp is not Math.exp: the float64 values differ from
  ;; upperTailFit's by at most ~1e−14 relative, the float32 results by at most one rounding
  ;; (and by none over a grid of 5,001 t in [−25, 25], properties/op/fused/wasm-loops.test.ts).
  ;; The fit's constants are parameters, passed from src/op/normal-f32.ts (UPPER_TAIL_CONSTANTS).
  ;; F: [K + K·L, B] (rows k are m_k); s2: [B, K]; scale: [K]; terms: [4, K, B] (a, b, φ/ŝ, tφ/ŝ²).
  (func (export "componentTerms")
    (param $K i32) (param $B i32) (param $sMin2 f64)
    (param $uMax f64) (param $fractionStart f64) (param $fractionDepth f64) (param $invSqrt2Pi f64) (param $sqrtHalfPi f64)
    (param $c0 f64) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $c4 f64) (param $c5 f64) (param $c6 f64) (param $c7 f64) (param $c8 f64) (param $c9 f64)
    (param $F i32) (param $s2 i32) (param $scale i32) (param $terms i32)
    (local $k i32) (local $r i32) (local $row i32) (local $plane i32) (local $at i32) (local $sAt i32) (local $pair i32) (local $sc f64)
    (local $a v128) (local $b v128) (local $pOverS v128) (local $tpOverS2 v128)
    (local.set $row (i32.shl (local.get $B) (i32.const 2))) ;; bytes per row of B
    (local.set $plane (i32.mul (local.get $K) (local.get $row)))
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $sc (f64.promote_f32 (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2))))))
      (local.set $r (i32.const 0))
      (block $done (loop $pairs
        (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
        ;; A last odd row runs as a pair with itself, and only lane 0 is stored.
        (local.set $pair (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $B)))
        (local.set $at (i32.add (i32.mul (local.get $k) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))) ;; (k, r) in F and in each plane
        (local.set $sAt (i32.add (local.get $s2) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $K)) (local.get $k)) (i32.const 2))))
        (call $tailTerms
          (f64x2.replace_lane 1
            (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $F) (local.get $at)))))
            (f64.promote_f32 (f32.load (i32.add (local.get $F)
              (select (i32.add (local.get $at) (i32.const 4)) (local.get $at) (local.get $pair))))))
          (f64x2.replace_lane 1
            (f64x2.splat (f64.promote_f32 (f32.load (local.get $sAt))))
            (f64.promote_f32 (f32.load
              (select (i32.add (local.get $sAt) (i32.shl (local.get $K) (i32.const 2))) (local.get $sAt) (local.get $pair)))))
          (local.get $sc) (local.get $sMin2) (local.get $uMax) (local.get $fractionStart) (local.get $fractionDepth) (local.get $invSqrt2Pi) (local.get $sqrtHalfPi)
          (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3) (local.get $c4) (local.get $c5) (local.get $c6) (local.get $c7) (local.get $c8) (local.get $c9))
        (local.set $tpOverS2) (local.set $pOverS) (local.set $b) (local.set $a)
        (local.set $at (i32.add (local.get $terms) (local.get $at)))
        (if (local.get $pair)
          (then
            (v128.store64_lane 0 (local.get $at) (f32x4.demote_f64x2_zero (local.get $a)))
            (v128.store64_lane 0 (i32.add (local.get $at) (local.get $plane)) (f32x4.demote_f64x2_zero (local.get $b)))
            (v128.store64_lane 0 (i32.add (local.get $at) (i32.shl (local.get $plane) (i32.const 1))) (f32x4.demote_f64x2_zero (local.get $pOverS)))
            (v128.store64_lane 0 (i32.add (local.get $at) (i32.mul (local.get $plane) (i32.const 3))) (f32x4.demote_f64x2_zero (local.get $tpOverS2))))
          (else
            (f32.store (local.get $at) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $a))))
            (f32.store (i32.add (local.get $at) (local.get $plane)) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $b))))
            (f32.store (i32.add (local.get $at) (i32.shl (local.get $plane) (i32.const 1))) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $pOverS))))
            (f32.store (i32.add (local.get $at) (i32.mul (local.get $plane) (i32.const 3))) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $tpOverS2))))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairs)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))

  ;; a, b, φ/ŝ and tφ/ŝ² for two lanes of m and ŝ², scale ς: the body of componentTerms.
  (func $tailTerms
    (param $m v128) (param $v v128) (param $sc f64) (param $sMin2 f64)
    (param $uMax f64) (param $fractionStart f64) (param $fractionDepth f64) (param $invSqrt2Pi f64) (param $sqrtHalfPi f64)
    (param $c0 f64) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $c4 f64) (param $c5 f64) (param $c6 f64) (param $c7 f64) (param $c8 f64) (param $c9 f64)
    (result v128 v128 v128 v128)
    (local $flat v128) (local $s v128) (local $t v128) (local $u v128) (local $pdf v128) (local $y v128) (local $p v128)
    (local $R v128) (local $Q v128) (local $loss v128) (local $far v128) (local $T v128) (local $n f64) (local $relu v128) (local $y2 v128) (local $y4 v128)
    (local $st v128)
    ;; flat: lanes with ŝ² ≤ sMin² (s = 0 among them), which take the limits; ŝ² = 1
    ;; stands in there so that every lane below stays finite.
    (local.set $flat (f64x2.le (local.get $v) (f64x2.splat (local.get $sMin2))))
    (local.set $v (v128.bitselect (f64x2.splat (f64.const 1)) (local.get $v) (local.get $flat)))
    (local.set $s (f64x2.sqrt (local.get $v)))
    (local.set $st (f64x2.mul (local.get $s) (f64x2.splat (local.get $sc)))) ;; s = ŝ·ς, exact in float64
    (local.set $t (f64x2.min (f64x2.max (f64x2.div (local.get $m) (local.get $st)) (f64x2.splat (f64.neg (local.get $uMax)))) (f64x2.splat (local.get $uMax))))
    (local.set $u (f64x2.abs (local.get $t)))
    (local.set $pdf (f64x2.mul (f64x2.splat (local.get $invSqrt2Pi))
      (call $exp (f64x2.mul (f64x2.mul (f64x2.splat (f64.const -0.5)) (local.get $u)) (local.get $u)))))
    (local.set $y (f64x2.div (f64x2.splat (f64.const 1))
      (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (f64x2.mul (local.get $u) (f64x2.splat (f64.const 0.5))) (f64x2.splat (f64.const 0.7071067811865476))))))
    ;; P(y) = Σ_j c_j y^j by Estrin's scheme (pairs, then quadruples, …): its dependent
    ;; chain is four multiply-adds deep where Horner's is nine.
    (local.set $y2 (f64x2.mul (local.get $y) (local.get $y)))
    (local.set $y4 (f64x2.mul (local.get $y2) (local.get $y2)))
    (local.set $p (f64x2.add
      (f64x2.add
        (f64x2.add (f64x2.add (f64x2.splat (local.get $c0)) (f64x2.mul (f64x2.splat (local.get $c1)) (local.get $y))) (f64x2.mul (f64x2.add (f64x2.splat (local.get $c2)) (f64x2.mul (f64x2.splat (local.get $c3)) (local.get $y))) (local.get $y2)))
        (f64x2.mul (f64x2.add (f64x2.add (f64x2.splat (local.get $c4)) (f64x2.mul (f64x2.splat (local.get $c5)) (local.get $y))) (f64x2.mul (f64x2.add (f64x2.splat (local.get $c6)) (f64x2.mul (f64x2.splat (local.get $c7)) (local.get $y))) (local.get $y2))) (local.get $y4)))
      (f64x2.mul (f64x2.add (f64x2.splat (local.get $c8)) (f64x2.mul (f64x2.splat (local.get $c9)) (local.get $y))) (f64x2.mul (local.get $y4) (local.get $y4)))))
    (local.set $R (f64x2.mul (f64x2.mul (f64x2.splat (local.get $sqrtHalfPi)) (local.get $y)) (call $exp (local.get $p))))
    (local.set $Q (f64x2.mul (local.get $pdf) (local.get $R)))
    (local.set $loss (f64x2.mul (local.get $pdf) (f64x2.sub (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $u) (local.get $R)))))
    (local.set $far (f64x2.ge (local.get $u) (f64x2.splat (local.get $fractionStart))))
    (if (v128.any_true (local.get $far))
      (then
        (local.set $T (local.get $u))
        (local.set $n (local.get $fractionDepth))
        (block $done (loop $levels
          (br_if $done (f64.lt (local.get $n) (f64.const 2)))
          (local.set $T (f64x2.add (local.get $u) (f64x2.div (f64x2.splat (local.get $n)) (local.get $T))))
          (local.set $n (f64.sub (local.get $n) (f64.const 1)))
          (br $levels)))
        (local.set $loss (v128.bitselect (f64x2.div (local.get $Q) (local.get $T)) (local.get $loss) (local.get $far)))))
    (local.set $relu (f64x2.max (local.get $m) (f64x2.splat (f64.const 0))))
    ;; a
    (v128.bitselect (local.get $relu) (f64x2.add (local.get $relu) (f64x2.mul (local.get $st) (local.get $loss))) (local.get $flat))
    ;; b, and H(m) on flat lanes
    (v128.bitselect
      (v128.bitselect (f64x2.splat (f64.const 1))
        (v128.bitselect (f64x2.splat (f64.const 0)) (f64x2.splat (f64.const 0.5)) (f64x2.lt (local.get $m) (f64x2.splat (f64.const 0))))
        (f64x2.gt (local.get $m) (f64x2.splat (f64.const 0))))
      (v128.bitselect (local.get $Q) (f64x2.sub (f64x2.splat (f64.const 1)) (local.get $Q)) (f64x2.lt (local.get $t) (f64x2.splat (f64.const 0))))
      (local.get $flat))
    ;; φ/ŝ and tφ/ŝ², 0 on flat lanes
    (v128.andnot (f64x2.div (local.get $pdf) (local.get $s)) (local.get $flat))
    (v128.andnot (f64x2.div (f64x2.mul (local.get $t) (local.get $pdf)) (local.get $v)) (local.get $flat)))

  ;; e^x for two float64 lanes, x in [−700, 700] (here −u²/2 ≥ −200 and P(y) ∈ [−1.3, 0]),
  ;; within 1e−14 relative: x = n·ln 2 + r with n = nearest(x/ln 2) and |r| ≤ ln 2/2
  ;; (ln 2 in two parts, after Cody and Waite, so that n·ln2hi is exact), e^r by its
  ;; Taylor polynomial of degree 11 (remainder below r¹²/12! ≈ 7e−15), and 2^n built as
  ;; the float's exponent bits.
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128) (local $r2 v128) (local $r4 v128)
    (local.set $n (f64x2.nearest (f64x2.mul (local.get $x) (f64x2.splat (f64.const 1.4426950408889634)))))
    (local.set $r (f64x2.sub
      (f64x2.sub (local.get $x) (f64x2.mul (local.get $n) (f64x2.splat (f64.const 0x1.62e42feep-1))))
      (f64x2.mul (local.get $n) (f64x2.splat (f64.const 0x1.a39ef35793c76p-33)))))
    ;; Σ_k r^k/k! for k ≤ 11, by Estrin's scheme as for P above.
    (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
    (local.set $p (f64x2.add
      (f64x2.add
        (f64x2.add (f64x2.add (f64x2.splat (f64.const 1.0)) (f64x2.mul (f64x2.splat (f64.const 1.0)) (local.get $r))) (f64x2.mul (f64x2.add (f64x2.splat (f64.const 0.5)) (f64x2.mul (f64x2.splat (f64.const 0.16666666666666666)) (local.get $r))) (local.get $r2)))
        (f64x2.mul (f64x2.add (f64x2.add (f64x2.splat (f64.const 0.041666666666666664)) (f64x2.mul (f64x2.splat (f64.const 0.008333333333333333)) (local.get $r))) (f64x2.mul (f64x2.add (f64x2.splat (f64.const 0.001388888888888889)) (f64x2.mul (f64x2.splat (f64.const 0.0001984126984126984)) (local.get $r))) (local.get $r2))) (local.get $r4)))
      (f64x2.mul (f64x2.add (f64x2.add (f64x2.splat (f64.const 2.48015873015873e-05)) (f64x2.mul (f64x2.splat (f64.const 2.7557319223985893e-06)) (local.get $r))) (f64x2.mul (f64x2.add (f64x2.splat (f64.const 2.755731922398589e-07)) (f64x2.mul (f64x2.splat (f64.const 2.505210838544172e-08)) (local.get $r))) (local.get $r2))) (f64x2.mul (local.get $r4) (local.get $r4)))))
    (f64x2.mul (local.get $p)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $n))) (i64x2.splat (i64.const 1023)))
        (i32.const 52))))

  ;; h = c/K · Σ_k (a_k w_k + (b_k ς_k) q̃_k), q̃ = q/ς, per row b and output l, accumulated
  ;; in float32 over k in order, with the row scale split as c = c↓·c↑, c↓ = min(c, 1),
  ;; c↑ = max(c, 1), and f↓ = c↓/K: acc ← acc + ((a_bk f↓) w_kl + ((b_bk ς_k) f↓) q̃_klb),
  ;; then h_bl = acc · c↑. A tiny row's scale and the mean's 1/K meet the terms before they
  ;; meet w or q̃ or one another, a huge row's scale after: no product and no partial sum
  ;; leaves float32's range that h keeps in it (docs/MATH.md, section 6). c↓ and c↑ are
  ;; powers of two, so h(2^j x) = 2^j h(x) stays exact. Lanes run over 4 rows b at a time.
  ;; F: [K + K·L, B] (rows K + kL + l are q̃_kl); terms: [4, K, B] (a, then b); w: [K, L];
  ;; c: [B]; scale: [K]; h: [B, L].
  (func (export "mixOutputs")
    (param $K i32) (param $L i32) (param $B i32)
    (param $F i32) (param $terms i32) (param $w i32) (param $c i32) (param $scale i32) (param $h i32)
    (local $l i32) (local $k i32) (local $r i32) (local $B4 i32) (local $row i32) (local $a i32) (local $bT i32) (local $q i32)
    (local $acc v128) (local $accs f32) (local $wkl f32) (local $Kf f32) (local $out i32) (local $sc f32)
    (local $low v128) (local $lows f32)
    (local.set $B4 (i32.and (local.get $B) (i32.const -4)))
    (local.set $row (i32.shl (local.get $B) (i32.const 2))) ;; bytes per row of B
    (local.set $Kf (f32.convert_i32_u (local.get $K)))
    (block $lDone (loop $ls
      (br_if $lDone (i32.ge_u (local.get $l) (local.get $L)))
      (local.set $r (i32.const 0))
      (block $done (loop $lanes
        (br_if $done (i32.ge_u (local.get $r) (local.get $B4)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $low (f32x4.div (f32x4.min (v128.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (f32x4.splat (f32.const 1))) (f32x4.splat (local.get $Kf))))
        (local.set $k (i32.const 0))
        (block $kDone (loop $ks
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $a (i32.add (local.get $terms) (i32.add (i32.mul (local.get $k) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $bT (i32.add (local.get $a) (i32.mul (local.get $K) (local.get $row))))
          (local.set $q (i32.add (local.get $F) (i32.add (i32.mul (i32.add (local.get $K) (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l))) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $sc (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.add
              (f32x4.mul (f32x4.mul (v128.load (local.get $a)) (local.get $low)) (f32x4.splat (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2))))))
              (f32x4.mul (f32x4.mul (f32x4.mul (v128.load (local.get $bT)) (f32x4.splat (local.get $sc))) (local.get $low)) (v128.load (local.get $q))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        ;; h[r + j, l] for the four lanes j.
        (local.set $out (i32.add (local.get $h) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $L)) (local.get $l)) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 0 (local.get $acc))
          (f32.max (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 1 (local.get $acc))
          (f32.max (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))) (f32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 2 (local.get $acc))
          (f32.max (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 2)) (i32.const 2)))) (f32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 3 (local.get $acc))
          (f32.max (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 3)) (i32.const 2)))) (f32.const 1))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $lanes)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
        (local.set $accs (f32.const 0))
        (local.set $lows (f32.div (f32.min (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 1)) (local.get $Kf)))
        (local.set $k (i32.const 0))
        (block $kDone (loop $ks
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $a (i32.add (local.get $terms) (i32.add (i32.mul (local.get $k) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $bT (i32.add (local.get $a) (i32.mul (local.get $K) (local.get $row))))
          (local.set $q (i32.add (local.get $F) (i32.add (i32.mul (i32.add (local.get $K) (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l))) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $wkl (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2)))))
          (local.set $sc (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $accs (f32.add (local.get $accs)
            (f32.add (f32.mul (f32.mul (f32.load (local.get $a)) (local.get $lows)) (local.get $wkl))
              (f32.mul (f32.mul (f32.mul (f32.load (local.get $bT)) (local.get $sc)) (local.get $lows)) (f32.load (local.get $q))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        (f32.store (i32.add (local.get $h) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $L)) (local.get $l)) (i32.const 2)))
          (f32.mul (local.get $accs) (f32.max (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 1))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $ls))))

;; What the backward needs from G = ∂ℓ/∂h, per row b (the math of src/op/fused/gm-fused.ts,
  ;; componentGradsKernel). With g_bl = G_bl/K (h averages over K components), q̃ = q/ς
  ;; and ŝ = s/ς:
  ;;   ∂ℓ/∂q̃_klb = g_bl (b_kb ς_k)                 dMQT row K + kL + l, and R = that · c_b/cmax
  ;;   ∂ℓ/∂w_kl  = cmax·Σ_b (a_kb c_b/cmax) g_bl     lane sums over b, added pairwise, then the tail
  ;;               (as P and S: a row's ratio meets a before g, and cmax the sum)
  ;;   α_kb = Σ_l g_bl w_kl,  β_kb = Σ_l g_bl q̃_klb (∂ℓ/∂a, and ∂ℓ/∂b/ς, summed over l in order)
  ;;   ∂ℓ/∂m_kb  = α b + β φ/ŝ                      dMQT row k, and R row k = that · c_b/cmax
  ;;   D_bk = (∂ℓ/∂s)/ŝ = α φ/ŝ − β tφ/ŝ²           and Dr = D · c_b/cmax
  ;;   cmax = max(1, max_b c_b)
  ;; Lanes run over 4 rows b at a time. α and β accumulate in dMQT row k and R row k,
  ;; which are written last. c_b/cmax is formed as c_b · (1/cmax): both are powers of
  ;; two, so this is c_b/cmax rounded once, as a division would give.
  ;; G: [B, L]; F: [K + K·L, B] (rows K + kL + l are q̃_kl); w: [K, L]; terms: [4, K, B]
  ;; (a, b, φ/ŝ, tφ/ŝ²); c: [B]; scale: [K]. dMQT, R: [K + K·L, B]; D, Dr: [B, K];
  ;; ∂ℓ/∂w: [K, L]; cmax: [1].
  (func (export "componentGrads")
    (param $K i32) (param $L i32) (param $B i32)
    (param $G i32) (param $F i32) (param $w i32) (param $terms i32) (param $c i32) (param $scale i32)
    (param $dMQT i32) (param $R i32) (param $D i32) (param $Dr i32) (param $gw i32) (param $cMaxAt i32)
    (local $k i32) (local $l i32) (local $r i32) (local $B4 i32) (local $row i32) (local $plane i32)
    (local $o i32) (local $col i32) (local $aK i32) (local $alpha i32) (local $beta i32) (local $Gr i32)
    (local $cMax f32) (local $inv f32) (local $Kf f32) (local $at i32)
    (local $g v128) (local $wkl v128) (local $acc v128) (local $cs v128) (local $dq v128)
    (local $pv v128) (local $ds v128) (local $dm v128)
    (local $gs f32) (local $wkls f32) (local $accs f32) (local $css f32) (local $dqs f32) (local $ps f32) (local $dss f32) (local $dms f32)
    (local $alphaV v128) (local $betaV v128) (local $dr v128) (local $alphaS f32) (local $betaS f32) (local $sc f32)
    (local.set $B4 (i32.and (local.get $B) (i32.const -4)))
    (local.set $row (i32.shl (local.get $B) (i32.const 2))) ;; bytes per row of B
    (local.set $plane (i32.mul (local.get $K) (local.get $row))) ;; bytes per K×B plane of terms
    (local.set $Kf (f32.convert_i32_u (local.get $K)))
    (local.set $cMax (f32.const 1))
    (block $done (loop $max
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $cMax (f32.max (local.get $cMax) (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $max)))
    (f32.store (local.get $cMaxAt) (local.get $cMax))
    (local.set $inv (f32.div (f32.const 1) (local.get $cMax)))
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $aK (i32.add (local.get $terms) (i32.mul (local.get $k) (local.get $row)))) ;; a_k; b_k, φ/ŝ, tφ/ŝ² follow a plane apart
      (local.set $sc (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $alpha (i32.add (local.get $dMQT) (i32.mul (local.get $k) (local.get $row))))
      (local.set $beta (i32.add (local.get $R) (i32.mul (local.get $k) (local.get $row))))
      (memory.fill (local.get $alpha) (i32.const 0) (local.get $row))
      (memory.fill (local.get $beta) (i32.const 0) (local.get $row))
      (local.set $l (i32.const 0))
      (block $lDone (loop $ls
        (br_if $lDone (i32.ge_u (local.get $l) (local.get $L)))
        (local.set $wkls (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2)))))
        (local.set $wkl (f32x4.splat (local.get $wkls)))
        (local.set $col (i32.mul (i32.add (local.get $K) (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l))) (local.get $row)))
        (local.set $Gr (i32.add (local.get $G) (i32.shl (local.get $l) (i32.const 2)))) ;; G[0, l]; G[r, l] is r·L floats on
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $r (i32.const 0))
        (block $done (loop $lanes
          (br_if $done (i32.ge_u (local.get $r) (local.get $B4)))
          (local.set $o (i32.shl (local.get $r) (i32.const 2)))
          (local.set $at (i32.add (local.get $Gr) (i32.shl (i32.mul (local.get $r) (local.get $L)) (i32.const 2))))
          (local.set $g (f32x4.splat (f32.load (local.get $at))))
          (local.set $at (i32.add (local.get $at) (i32.shl (local.get $L) (i32.const 2))))
          (local.set $g (f32x4.replace_lane 1 (local.get $g) (f32.load (local.get $at))))
          (local.set $at (i32.add (local.get $at) (i32.shl (local.get $L) (i32.const 2))))
          (local.set $g (f32x4.replace_lane 2 (local.get $g) (f32.load (local.get $at))))
          (local.set $at (i32.add (local.get $at) (i32.shl (local.get $L) (i32.const 2))))
          (local.set $g (f32x4.replace_lane 3 (local.get $g) (f32.load (local.get $at))))
          (local.set $g (f32x4.div (local.get $g) (f32x4.splat (local.get $Kf))))
          (v128.store (i32.add (local.get $alpha) (local.get $o))
            (f32x4.add (v128.load (i32.add (local.get $alpha) (local.get $o))) (f32x4.mul (local.get $g) (local.get $wkl))))
          (v128.store (i32.add (local.get $beta) (local.get $o))
            (f32x4.add (v128.load (i32.add (local.get $beta) (local.get $o)))
              (f32x4.mul (local.get $g) (v128.load (i32.add (i32.add (local.get $F) (local.get $col)) (local.get $o))))))
          (local.set $dq (f32x4.mul (local.get $g)
            (f32x4.mul (v128.load (i32.add (i32.add (local.get $aK) (local.get $plane)) (local.get $o))) (f32x4.splat (local.get $sc)))))
          (local.set $cs (f32x4.mul (v128.load (i32.add (local.get $c) (local.get $o))) (f32x4.splat (local.get $inv))))
          (v128.store (i32.add (i32.add (local.get $dMQT) (local.get $col)) (local.get $o)) (local.get $dq))
          (v128.store (i32.add (i32.add (local.get $R) (local.get $col)) (local.get $o)) (f32x4.mul (local.get $dq) (local.get $cs)))
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $aK) (local.get $o))) (local.get $cs)) (local.get $g))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $lanes)))
        (local.set $accs (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (block $done (loop $tail
          (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
          (local.set $o (i32.shl (local.get $r) (i32.const 2)))
          (local.set $gs (f32.div (f32.load (i32.add (local.get $Gr) (i32.shl (i32.mul (local.get $r) (local.get $L)) (i32.const 2)))) (local.get $Kf)))
          (f32.store (i32.add (local.get $alpha) (local.get $o))
            (f32.add (f32.load (i32.add (local.get $alpha) (local.get $o))) (f32.mul (local.get $gs) (local.get $wkls))))
          (f32.store (i32.add (local.get $beta) (local.get $o))
            (f32.add (f32.load (i32.add (local.get $beta) (local.get $o)))
              (f32.mul (local.get $gs) (f32.load (i32.add (i32.add (local.get $F) (local.get $col)) (local.get $o))))))
          (local.set $dqs (f32.mul (local.get $gs)
            (f32.mul (f32.load (i32.add (i32.add (local.get $aK) (local.get $plane)) (local.get $o))) (local.get $sc))))
          (local.set $css (f32.mul (f32.load (i32.add (local.get $c) (local.get $o))) (local.get $inv)))
          (f32.store (i32.add (i32.add (local.get $dMQT) (local.get $col)) (local.get $o)) (local.get $dqs))
          (f32.store (i32.add (i32.add (local.get $R) (local.get $col)) (local.get $o)) (f32.mul (local.get $dqs) (local.get $css)))
          (local.set $accs (f32.add (local.get $accs)
            (f32.mul (f32.mul (f32.load (i32.add (local.get $aK) (local.get $o))) (local.get $css)) (local.get $gs))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $tail)))
        (f32.store (i32.add (local.get $gw) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2))) (f32.mul (local.get $accs) (local.get $cMax)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $ls)))
      ;; ∂ℓ/∂m_k and D's column k from α (in dMQT row k) and β (in R row k).
      (local.set $r (i32.const 0))
      (block $done (loop $lanes
        (br_if $done (i32.ge_u (local.get $r) (local.get $B4)))
        (local.set $o (i32.shl (local.get $r) (i32.const 2)))
        (local.set $alphaV (v128.load (i32.add (local.get $alpha) (local.get $o))))
        (local.set $betaV (v128.load (i32.add (local.get $beta) (local.get $o))))
        (local.set $pv (v128.load (i32.add (i32.add (local.get $aK) (i32.shl (local.get $plane) (i32.const 1))) (local.get $o)))) ;; φ/ŝ
        (local.set $ds (f32x4.sub (f32x4.mul (local.get $alphaV) (local.get $pv))
          (f32x4.mul (local.get $betaV) (v128.load (i32.add (i32.add (local.get $aK) (i32.mul (local.get $plane) (i32.const 3))) (local.get $o))))))
        (local.set $dm (f32x4.add (f32x4.mul (local.get $alphaV) (v128.load (i32.add (i32.add (local.get $aK) (local.get $plane)) (local.get $o))))
          (f32x4.mul (local.get $betaV) (local.get $pv))))
        (local.set $cs (f32x4.mul (v128.load (i32.add (local.get $c) (local.get $o))) (f32x4.splat (local.get $inv))))
        (v128.store (i32.add (local.get $alpha) (local.get $o)) (local.get $dm))
        (v128.store (i32.add (local.get $beta) (local.get $o)) (f32x4.mul (local.get $dm) (local.get $cs)))
        (local.set $dr (f32x4.mul (local.get $ds) (local.get $cs)))
        ;; D and Dr are [B, K]: lane j goes to row r + j, column k.
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $r) (local.get $K)) (local.get $k)) (i32.const 2)))
        (f32.store (i32.add (local.get $D) (local.get $at)) (f32x4.extract_lane 0 (local.get $ds)))
        (f32.store (i32.add (local.get $Dr) (local.get $at)) (f32x4.extract_lane 0 (local.get $dr)))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $K) (i32.const 2))))
        (f32.store (i32.add (local.get $D) (local.get $at)) (f32x4.extract_lane 1 (local.get $ds)))
        (f32.store (i32.add (local.get $Dr) (local.get $at)) (f32x4.extract_lane 1 (local.get $dr)))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $K) (i32.const 2))))
        (f32.store (i32.add (local.get $D) (local.get $at)) (f32x4.extract_lane 2 (local.get $ds)))
        (f32.store (i32.add (local.get $Dr) (local.get $at)) (f32x4.extract_lane 2 (local.get $dr)))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $K) (i32.const 2))))
        (f32.store (i32.add (local.get $D) (local.get $at)) (f32x4.extract_lane 3 (local.get $ds)))
        (f32.store (i32.add (local.get $Dr) (local.get $at)) (f32x4.extract_lane 3 (local.get $dr)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $lanes)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
        (local.set $o (i32.shl (local.get $r) (i32.const 2)))
        (local.set $alphaS (f32.load (i32.add (local.get $alpha) (local.get $o))))
        (local.set $betaS (f32.load (i32.add (local.get $beta) (local.get $o))))
        (local.set $ps (f32.load (i32.add (i32.add (local.get $aK) (i32.shl (local.get $plane) (i32.const 1))) (local.get $o))))
        (local.set $dss (f32.sub (f32.mul (local.get $alphaS) (local.get $ps))
          (f32.mul (local.get $betaS) (f32.load (i32.add (i32.add (local.get $aK) (i32.mul (local.get $plane) (i32.const 3))) (local.get $o))))))
        (local.set $dms (f32.add (f32.mul (local.get $alphaS) (f32.load (i32.add (i32.add (local.get $aK) (local.get $plane)) (local.get $o))))
          (f32.mul (local.get $betaS) (local.get $ps))))
        (local.set $css (f32.mul (f32.load (i32.add (local.get $c) (local.get $o))) (local.get $inv)))
        (f32.store (i32.add (local.get $alpha) (local.get $o)) (local.get $dms))
        (f32.store (i32.add (local.get $beta) (local.get $o)) (f32.mul (local.get $dms) (local.get $css)))
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $r) (local.get $K)) (local.get $k)) (i32.const 2)))
        (f32.store (i32.add (local.get $D) (local.get $at)) (local.get $dss))
        (f32.store (i32.add (local.get $Dr) (local.get $at)) (f32.mul (local.get $dss) (local.get $css)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))

  ;; x·y·c for a per-element x, a running y and the scale c = cmax ≥ 1, ordered so that no
  ;; intermediate leaves the range of x, y and the result: (x·c)·y where |x| < 1, else
  ;; (x·y)·c. Returns x' and c' with x·y·c = (x'·y)·c'.
  (func $scaleFirstV (param $x v128) (param $c v128) (result v128 v128)
    (local $small v128)
    (local.set $small (f32x4.lt (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 1))))
    (v128.bitselect (f32x4.mul (local.get $x) (local.get $c)) (local.get $x) (local.get $small))
    (v128.bitselect (f32x4.splat (f32.const 1)) (local.get $c) (local.get $small)))
  (func $scaleFirst (param $x f32) (param $c f32) (result f32 f32)
    (select (f32.mul (local.get $x) (local.get $c)) (local.get $x) (f32.lt (f32.abs (local.get $x)) (f32.const 1)))
    (select (f32.const 1) (local.get $c) (f32.lt (f32.abs (local.get $x)) (f32.const 1))))

  ;; The backward's parameter gradients, from the products P = R·x̂ and S = x̂²ᵀ·D_r of
  ;; src/op/fused/gm-fused.ts (each a sum over the batch divided by cmax):
  ;;   ∂ℓ/∂μ_k = cmax·P_k + Σ_l ∂ℓ/∂w_kl U_kl
  ;;   ∂ℓ/∂σ_k = (σ̂_k ⊙ (2 Σ_l U_kl ⊙ P_{K+kL+l} + S_k))·cmax
  ;;   ∂ℓ/∂U_kl = ∂ℓ/∂w_kl μ_k + (σ̃_k ⊙ P_{K+kL+l})·cmax
  ;; where P's q rows come from ∂ℓ/∂q̃ (= ς·∂ℓ/∂q), S from D = (∂ℓ/∂s)/ŝ, σ̂ = σ·(1/ς)
  ;; (exact) and σ̃ = σ·σ̂ = σ²/ς (see prepare),
  ;; with cmax applied last to the sums (rows near the float32 maximum make cmax as large
  ;; as 2^126, and what it multiplies is then small) and first to σ̃ or σ̂ where those are
  ;; below 1 ($scaleFirst: a small σ would otherwise take the product below float32's
  ;; normal range before cmax brings it back). The sums over l accumulate in the ∂ℓ/∂μ_k
  ;; and ∂ℓ/∂σ_k rows, so each pass streams two rows of U, P and ∂ℓ/∂U (running over l
  ;; innermost makes L strided rows thrash the cache; two rows per pass share their
  ;; loads of σ_k, μ_k and the sums). Figures: benchmarks/README.md.
  ;; P: [K + K·L, d]; S: [d, K]; U: [K, L, d]; μ, σ: [K, d]; ∂ℓ/∂w: [K, L]; cmax: [1]; ς: [K].
  (func (export "paramGrads")
    (param $K i32) (param $L i32) (param $d i32)
    (param $P i32) (param $S i32) (param $U i32) (param $mu i32) (param $sigma i32) (param $gw i32) (param $cMaxAt i32) (param $scale i32)
    (param $gMu i32) (param $gSigma i32) (param $gU i32)
    (local $k i32) (local $l i32) (local $i i32) (local $d4 i32) (local $Pq i32) (local $Pk i32) (local $Sk i32)
    (local $muK i32) (local $sigmaK i32) (local $gMuK i32) (local $gSigmaK i32)
    (local $cMax f32) (local $c v128) (local $g v128) (local $u v128) (local $p v128) (local $s v128)
    (local $gs f32) (local $us f32) (local $ps f32) (local $ss f32)
    (local $o i32) (local $rowBytes i32) (local $g1 v128) (local $u1 v128) (local $p1 v128) (local $m v128)
    (local $gs1 f32) (local $us1 f32) (local $ps1 f32) (local $ms f32) (local $inv f32) (local $invV v128)
    (local $post v128) (local $posts f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $cMax (f32.load (local.get $cMaxAt)))
    (local.set $c (f32x4.splat (local.get $cMax)))
    (local.set $Pq (i32.add (local.get $P) (i32.shl (i32.mul (local.get $K) (local.get $d)) (i32.const 2)))) ;; row K of P
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $muK (i32.add (local.get $mu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $sigmaK (i32.add (local.get $sigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $gMuK (i32.add (local.get $gMu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $gSigmaK (i32.add (local.get $gSigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $inv (f32.div (f32.const 1) (f32.load (i32.add (local.get $scale) (i32.shl (local.get $k) (i32.const 2))))))
      (local.set $invV (f32x4.splat (local.get $inv)))
      ;; ∂ℓ/∂μ_k starts at cmax·P_k, the σ sum at 0.
      (local.set $Pk (i32.add (local.get $P) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $done (loop $initLanes
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (v128.store (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $Pk) (i32.shl (local.get $i) (i32.const 2))))))
        (v128.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2))) (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $initLanes)))
      (block $done (loop $init
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (f32.store (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (local.get $cMax) (f32.load (i32.add (local.get $Pk) (i32.shl (local.get $i) (i32.const 2))))))
        (f32.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $init)))
      ;; Rows l come two at a time (sharing the loads of σ_k, μ_k and the accumulators,
      ;; and σ̃_k), then one at a time if L is odd; the sums over l still add in order.
      (local.set $l (i32.const 0))
      (block $pairsDone (loop $lPairs
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $l) (i32.const 2)) (local.get $L)))
        (local.set $gs (f32.load (local.get $gw)))
        (local.set $gs1 (f32.load (i32.add (local.get $gw) (i32.const 4))))
        (local.set $g (f32x4.splat (local.get $gs)))
        (local.set $g1 (f32x4.splat (local.get $gs1)))
        (local.set $o (i32.const 0))
        (block $done (loop $lanes
          (br_if $done (i32.ge_u (local.get $o) (i32.shl (local.get $d4) (i32.const 2))))
          (local.set $u (v128.load (i32.add (local.get $U) (local.get $o))))
          (local.set $u1 (v128.load (i32.add (i32.add (local.get $U) (local.get $rowBytes)) (local.get $o))))
          (local.set $p (v128.load (i32.add (local.get $Pq) (local.get $o))))
          (local.set $p1 (v128.load (i32.add (i32.add (local.get $Pq) (local.get $rowBytes)) (local.get $o))))
          (local.set $s (v128.load (i32.add (local.get $sigmaK) (local.get $o))))
          (call $scaleFirstV (f32x4.mul (local.get $s) (f32x4.mul (local.get $s) (local.get $invV))) (local.get $c))
          (local.set $post) (local.set $s)
          (local.set $m (v128.load (i32.add (local.get $muK) (local.get $o))))
          (v128.store (i32.add (local.get $gMuK) (local.get $o))
            (f32x4.add (f32x4.add (v128.load (i32.add (local.get $gMuK) (local.get $o))) (f32x4.mul (local.get $g) (local.get $u)))
              (f32x4.mul (local.get $g1) (local.get $u1))))
          (v128.store (i32.add (local.get $gSigmaK) (local.get $o))
            (f32x4.add (f32x4.add (v128.load (i32.add (local.get $gSigmaK) (local.get $o))) (f32x4.mul (local.get $u) (local.get $p)))
              (f32x4.mul (local.get $u1) (local.get $p1))))
          (v128.store (i32.add (local.get $gU) (local.get $o))
            (f32x4.add (f32x4.mul (local.get $g) (local.get $m)) (f32x4.mul (f32x4.mul (local.get $s) (local.get $p)) (local.get $post))))
          (v128.store (i32.add (i32.add (local.get $gU) (local.get $rowBytes)) (local.get $o))
            (f32x4.add (f32x4.mul (local.get $g1) (local.get $m)) (f32x4.mul (f32x4.mul (local.get $s) (local.get $p1)) (local.get $post))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $lanes)))
        (block $done (loop $tail
          (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
          (local.set $us (f32.load (i32.add (local.get $U) (local.get $o))))
          (local.set $us1 (f32.load (i32.add (i32.add (local.get $U) (local.get $rowBytes)) (local.get $o))))
          (local.set $ps (f32.load (i32.add (local.get $Pq) (local.get $o))))
          (local.set $ps1 (f32.load (i32.add (i32.add (local.get $Pq) (local.get $rowBytes)) (local.get $o))))
          (local.set $ss (f32.load (i32.add (local.get $sigmaK) (local.get $o))))
          (call $scaleFirst (f32.mul (local.get $ss) (f32.mul (local.get $ss) (local.get $inv))) (local.get $cMax))
          (local.set $posts) (local.set $ss)
          (local.set $ms (f32.load (i32.add (local.get $muK) (local.get $o))))
          (f32.store (i32.add (local.get $gMuK) (local.get $o))
            (f32.add (f32.add (f32.load (i32.add (local.get $gMuK) (local.get $o))) (f32.mul (local.get $gs) (local.get $us)))
              (f32.mul (local.get $gs1) (local.get $us1))))
          (f32.store (i32.add (local.get $gSigmaK) (local.get $o))
            (f32.add (f32.add (f32.load (i32.add (local.get $gSigmaK) (local.get $o))) (f32.mul (local.get $us) (local.get $ps)))
              (f32.mul (local.get $us1) (local.get $ps1))))
          (f32.store (i32.add (local.get $gU) (local.get $o))
            (f32.add (f32.mul (local.get $gs) (local.get $ms)) (f32.mul (f32.mul (local.get $ss) (local.get $ps)) (local.get $posts))))
          (f32.store (i32.add (i32.add (local.get $gU) (local.get $rowBytes)) (local.get $o))
            (f32.add (f32.mul (local.get $gs1) (local.get $ms)) (f32.mul (f32.mul (local.get $ss) (local.get $ps1)) (local.get $posts))))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (br $tail)))
        (local.set $U (i32.add (local.get $U) (i32.shl (local.get $rowBytes) (i32.const 1))))
        (local.set $Pq (i32.add (local.get $Pq) (i32.shl (local.get $rowBytes) (i32.const 1))))
        (local.set $gU (i32.add (local.get $gU) (i32.shl (local.get $rowBytes) (i32.const 1))))
        (local.set $gw (i32.add (local.get $gw) (i32.const 8)))
        (local.set $l (i32.add (local.get $l) (i32.const 2)))
        (br $lPairs)))
      (block $lDone (loop $ls
        (br_if $lDone (i32.ge_u (local.get $l) (local.get $L)))
        (local.set $gs (f32.load (local.get $gw)))
        (local.set $g (f32x4.splat (local.get $gs)))
        (local.set $i (i32.const 0))
        (block $done (loop $lanes
          (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
          (local.set $u (v128.load (local.get $U)))
          (local.set $p (v128.load (local.get $Pq)))
          (local.set $s (v128.load (i32.add (local.get $sigmaK) (i32.shl (local.get $i) (i32.const 2)))))
          (v128.store (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))
            (f32x4.add (v128.load (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))) (f32x4.mul (local.get $g) (local.get $u))))
          (v128.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))
            (f32x4.add (v128.load (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))) (f32x4.mul (local.get $u) (local.get $p))))
          (call $scaleFirstV (f32x4.mul (local.get $s) (f32x4.mul (local.get $s) (local.get $invV))) (local.get $c))
          (local.set $post) (local.set $s)
          (v128.store (local.get $gU)
            (f32x4.add (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $muK) (i32.shl (local.get $i) (i32.const 2)))))
              (f32x4.mul (f32x4.mul (local.get $s) (local.get $p)) (local.get $post))))
          (local.set $U (i32.add (local.get $U) (i32.const 16)))
          (local.set $Pq (i32.add (local.get $Pq) (i32.const 16)))
          (local.set $gU (i32.add (local.get $gU) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $lanes)))
        (block $done (loop $tail
          (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $us (f32.load (local.get $U)))
          (local.set $ps (f32.load (local.get $Pq)))
          (local.set $ss (f32.load (i32.add (local.get $sigmaK) (i32.shl (local.get $i) (i32.const 2)))))
          (f32.store (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))) (f32.mul (local.get $gs) (local.get $us))))
          (f32.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))) (f32.mul (local.get $us) (local.get $ps))))
          (call $scaleFirst (f32.mul (local.get $ss) (f32.mul (local.get $ss) (local.get $inv))) (local.get $cMax))
          (local.set $posts) (local.set $ss)
          (f32.store (local.get $gU)
            (f32.add (f32.mul (local.get $gs) (f32.load (i32.add (local.get $muK) (i32.shl (local.get $i) (i32.const 2)))))
              (f32.mul (f32.mul (local.get $ss) (local.get $ps)) (local.get $posts))))
          (local.set $U (i32.add (local.get $U) (i32.const 4)))
          (local.set $Pq (i32.add (local.get $Pq) (i32.const 4)))
          (local.set $gU (i32.add (local.get $gU) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $tail)))
        (local.set $gw (i32.add (local.get $gw) (i32.const 4)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $ls)))
      ;; ∂ℓ/∂σ_k from its sum; S is [d, K], so S_k is column k (four rows of S per lane vector).
      (local.set $i (i32.const 0))
      (block $done (loop $finishLanes
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (local.set $Sk (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))
        (local.set $s (f32x4.splat (f32.load (local.get $Sk))))
        (local.set $s (f32x4.replace_lane 1 (local.get $s) (f32.load (i32.add (local.get $Sk) (i32.shl (local.get $K) (i32.const 2))))))
        (local.set $s (f32x4.replace_lane 2 (local.get $s) (f32.load (i32.add (local.get $Sk) (i32.shl (local.get $K) (i32.const 3))))))
        (local.set $s (f32x4.replace_lane 3 (local.get $s) (f32.load (i32.add (local.get $Sk) (i32.mul (local.get $K) (i32.const 12))))))
        (call $scaleFirstV (f32x4.mul (v128.load (i32.add (local.get $sigmaK) (i32.shl (local.get $i) (i32.const 2)))) (local.get $invV)) (local.get $c))
        (local.set $post) (local.set $u) ;; σ̂', and cmax or 1
        (v128.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.mul
            (f32x4.mul (local.get $u)
              (f32x4.add
                (f32x4.mul (f32x4.splat (f32.const 2)) (v128.load (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))))
                (local.get $s)))
            (local.get $post)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $finishLanes)))
      (block $done (loop $finish
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (call $scaleFirst (f32.mul (f32.load (i32.add (local.get $sigmaK) (i32.shl (local.get $i) (i32.const 2)))) (local.get $inv)) (local.get $cMax))
        (local.set $posts) (local.set $us) ;; σ̂', and cmax or 1
        (f32.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul
            (f32.mul (local.get $us)
              (f32.add
                (f32.mul (f32.const 2) (f32.load (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))))
                (f32.load (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))))
            (local.get $posts)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $finish)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))
)
