;; The GM layer's parameter-sized and input-sized loops (K×L×d and B×d), in WebAssembly
;; with 128-bit SIMD, for the fused kernels of src/gm-fused.ts. tfjs-wasm runs each
;; elementwise op as its own kernel over whole tensors; these loops do what took eleven
;; such ops (and their launches) in two passes over U, and the row scaling in one pass
;; over x. The math is src/gm-fused.ts's module comment; reference/closed-form.ts has
;; it in float64.
;;
;; Conventions
;; - All tensors are row-major float32; every pointer is a byte address in the imported
;;   memory: tfjs-wasm's own heap (no copies), or a private memory the caller copies
;;   into (src/wasm-loops.ts).
;; - Parameters: the sizes, then the input pointers, then the output pointers.
;; - Each loop over i runs 4 lanes at a time (f32x4) up to d4 = d − d mod 4, then one
;;   lane at a time to d; the two bodies compute the same float32 operations in the same
;;   order, so a value does not depend on where its column falls.
;; - Compiled by `npm run wasm` (wabt's wat2wasm) into src/wasm/gm-loops.wasm.ts;
;;   properties/tfjs/wasm-loops.test.ts checks the committed bytes match this text.
(module
  (import "env" "memory" (memory 0))

  ;; maxAbs[b] = max_i |x[b, i]|.  x: [B, d]; maxAbs: [B].
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
        (local.set $acc (f32x4.max (local.get $acc) (f32x4.abs (v128.load (local.get $x)))))
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
  (func (export "scaleRows")
    (param $B i32) (param $d i32) (param $x i32) (param $c i32)
    (param $xh i32) (param $xh2 i32) (param $xhT i32) (param $xh2T i32)
    (local $b i32) (local $i i32) (local $d4 i32) (local $stride i32) (local $T i32) (local $T2 i32)
    (local $r f32) (local $rv v128) (local $y v128) (local $y2 v128) (local $ys f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $stride (i32.shl (local.get $B) (i32.const 2))) ;; bytes between x̂ᵀ[i, b] and x̂ᵀ[i + 1, b]
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $B)))
      ;; 1/c_b = 2^−e is exact, and so is x·2^−e wherever x/c_b is representable.
      (local.set $r (f32.div (f32.const 1) (f32.load (i32.add (local.get $c) (i32.shl (local.get $b) (i32.const 2))))))
      (local.set $rv (f32x4.splat (local.get $r)))
      (local.set $T (i32.add (local.get $xhT) (i32.shl (local.get $b) (i32.const 2))))
      (local.set $T2 (i32.add (local.get $xh2T) (i32.shl (local.get $b) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $done (loop $lanes
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (local.set $y (f32x4.mul (v128.load (local.get $x)) (local.get $rv)))
        (local.set $y2 (f32x4.mul (local.get $y) (local.get $y)))
        (v128.store (local.get $xh) (local.get $y))
        (v128.store (local.get $xh2) (local.get $y2))
        (f32.store (local.get $T) (f32x4.extract_lane 0 (local.get $y)))
        (f32.store (local.get $T2) (f32x4.extract_lane 0 (local.get $y2)))
        (local.set $T (i32.add (local.get $T) (local.get $stride)))
        (local.set $T2 (i32.add (local.get $T2) (local.get $stride)))
        (f32.store (local.get $T) (f32x4.extract_lane 1 (local.get $y)))
        (f32.store (local.get $T2) (f32x4.extract_lane 1 (local.get $y2)))
        (local.set $T (i32.add (local.get $T) (local.get $stride)))
        (local.set $T2 (i32.add (local.get $T2) (local.get $stride)))
        (f32.store (local.get $T) (f32x4.extract_lane 2 (local.get $y)))
        (f32.store (local.get $T2) (f32x4.extract_lane 2 (local.get $y2)))
        (local.set $T (i32.add (local.get $T) (local.get $stride)))
        (local.set $T2 (i32.add (local.get $T2) (local.get $stride)))
        (f32.store (local.get $T) (f32x4.extract_lane 3 (local.get $y)))
        (f32.store (local.get $T2) (f32x4.extract_lane 3 (local.get $y2)))
        (local.set $T (i32.add (local.get $T) (local.get $stride)))
        (local.set $T2 (i32.add (local.get $T2) (local.get $stride)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $xh (i32.add (local.get $xh) (i32.const 16)))
        (local.set $xh2 (i32.add (local.get $xh2) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $lanes)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $ys (f32.mul (f32.load (local.get $x)) (local.get $r)))
        (f32.store (local.get $xh) (local.get $ys))
        (f32.store (local.get $T) (local.get $ys))
        (local.set $ys (f32.mul (local.get $ys) (local.get $ys)))
        (f32.store (local.get $xh2) (local.get $ys))
        (f32.store (local.get $T2) (local.get $ys))
        (local.set $T (i32.add (local.get $T) (local.get $stride)))
        (local.set $T2 (i32.add (local.get $T2) (local.get $stride)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $xh (i32.add (local.get $xh) (i32.const 4)))
        (local.set $xh2 (i32.add (local.get $xh2) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; The forward's parameter work:
  ;;   A = [μ; U ⊙ σ²]: [K + K·L, d], rows k, then K + k·L + l (the left operand of one product)
  ;;   σ²ᵀ: [d, K]
  ;;   w = U μ + v: [K, L], w_kl = Σ_i U_kli μ_ki + v_kl (four partial sums, then added pairwise)
  ;; μ, σ: [K, d]; U: [K, L, d]; v: [K, L].
  (func (export "prepare")
    (param $K i32) (param $L i32) (param $d i32)
    (param $mu i32) (param $sigma i32) (param $U i32) (param $v i32)
    (param $A i32) (param $sigma2T i32) (param $w i32)
    (local $k i32) (local $l i32) (local $i i32) (local $d4 i32)
    (local $muK i32) (local $sigmaK i32) (local $mp i32) (local $sp i32) (local $out i32) (local $T i32)
    (local $u v128) (local $dot v128) (local $us f32) (local $dots f32) (local $s f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $out (i32.add (local.get $A) (i32.shl (i32.mul (local.get $K) (local.get $d)) (i32.const 2)))) ;; row K of A
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $muK (i32.add (local.get $mu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $sigmaK (i32.add (local.get $sigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      ;; A row k = μ_k, and σ²ᵀ column k.
      (memory.copy (i32.add (local.get $A) (i32.sub (local.get $muK) (local.get $mu))) (local.get $muK) (i32.shl (local.get $d) (i32.const 2)))
      (local.set $sp (local.get $sigmaK))
      (local.set $T (i32.add (local.get $sigma2T) (i32.shl (local.get $k) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $done (loop $col
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $s (f32.load (local.get $sp)))
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
          (v128.store (local.get $out)
            (f32x4.mul (local.get $u) (f32x4.mul (v128.load (local.get $sp)) (v128.load (local.get $sp)))))
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
          (f32.store (local.get $out) (f32.mul (local.get $us) (f32.mul (local.get $s) (local.get $s))))
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

  ;; h = c/K · Σ_k (a_k w_k + b_k q_k), per row b and output l, accumulated in float32 over
  ;; k in order: acc ← acc + (a_bk w_kl + b_bk q_klb), then h_bl = acc · (c_b/K). Lanes
  ;; run over 4 rows b at a time.
  ;; F: [K + K·L, B] (rows K + kL + l are q_kl); terms: [4, K, B] (a, then b); w: [K, L];
  ;; c: [B]; h: [B, L].
  (func (export "mixOutputs")
    (param $K i32) (param $L i32) (param $B i32)
    (param $F i32) (param $terms i32) (param $w i32) (param $c i32) (param $h i32)
    (local $l i32) (local $k i32) (local $r i32) (local $B4 i32) (local $row i32) (local $a i32) (local $bT i32) (local $q i32)
    (local $acc v128) (local $accs f32) (local $wkl f32) (local $Kf f32) (local $out i32)
    (local.set $B4 (i32.and (local.get $B) (i32.const -4)))
    (local.set $row (i32.shl (local.get $B) (i32.const 2))) ;; bytes per row of B
    (local.set $Kf (f32.convert_i32_u (local.get $K)))
    (block $lDone (loop $ls
      (br_if $lDone (i32.ge_u (local.get $l) (local.get $L)))
      (local.set $r (i32.const 0))
      (block $done (loop $lanes
        (br_if $done (i32.ge_u (local.get $r) (local.get $B4)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $kDone (loop $ks
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $a (i32.add (local.get $terms) (i32.add (i32.mul (local.get $k) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $bT (i32.add (local.get $a) (i32.mul (local.get $K) (local.get $row))))
          (local.set $q (i32.add (local.get $F) (i32.add (i32.mul (i32.add (local.get $K) (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l))) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.add
              (f32x4.mul (v128.load (local.get $a)) (f32x4.splat (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2))))))
              (f32x4.mul (v128.load (local.get $bT)) (v128.load (local.get $q))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        ;; h[r + j, l] for the four lanes j.
        (local.set $out (i32.add (local.get $h) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $L)) (local.get $l)) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 0 (local.get $acc))
          (f32.div (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (local.get $Kf))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 1 (local.get $acc))
          (f32.div (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))) (local.get $Kf))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 2 (local.get $acc))
          (f32.div (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 2)) (i32.const 2)))) (local.get $Kf))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $L) (i32.const 2))))
        (f32.store (local.get $out) (f32.mul (f32x4.extract_lane 3 (local.get $acc))
          (f32.div (f32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $r) (i32.const 3)) (i32.const 2)))) (local.get $Kf))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $lanes)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
        (local.set $accs (f32.const 0))
        (local.set $k (i32.const 0))
        (block $kDone (loop $ks
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $a (i32.add (local.get $terms) (i32.add (i32.mul (local.get $k) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $bT (i32.add (local.get $a) (i32.mul (local.get $K) (local.get $row))))
          (local.set $q (i32.add (local.get $F) (i32.add (i32.mul (i32.add (local.get $K) (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l))) (local.get $row)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $wkl (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $L)) (local.get $l)) (i32.const 2)))))
          (local.set $accs (f32.add (local.get $accs)
            (f32.add (f32.mul (f32.load (local.get $a)) (local.get $wkl)) (f32.mul (f32.load (local.get $bT)) (f32.load (local.get $q))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        (f32.store (i32.add (local.get $h) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $L)) (local.get $l)) (i32.const 2)))
          (f32.mul (local.get $accs) (f32.div (f32.load (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 2)))) (local.get $Kf))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $ls))))

  ;; The backward's parameter gradients, from the products P = R·x̂ and S = x̂²ᵀ·D_r of
  ;; src/gm-fused.ts (each a sum over the batch divided by cmax):
  ;;   ∂ℓ/∂μ_k = cmax·P_k + Σ_l ∂ℓ/∂w_kl U_kl
  ;;   ∂ℓ/∂σ_k = (σ_k ⊙ (2 Σ_l U_kl ⊙ P_{K+kL+l} + S_k))·cmax
  ;;   ∂ℓ/∂U_kl = ∂ℓ/∂w_kl μ_k + (σ_k² ⊙ P_{K+kL+l})·cmax
  ;; with cmax applied last: rows near the float32 maximum make cmax as large as 2^127,
  ;; and what it multiplies is then small. The sums over l accumulate in the ∂ℓ/∂μ_k
  ;; and ∂ℓ/∂σ_k rows, so each pass streams one row of U, P and ∂ℓ/∂U (2× faster than
  ;; running over l innermost, whose ten strided rows thrash the cache).
  ;; P: [K + K·L, d]; S: [d, K]; U: [K, L, d]; μ, σ: [K, d]; ∂ℓ/∂w: [K, L]; cmax: [1].
  (func (export "paramGrads")
    (param $K i32) (param $L i32) (param $d i32)
    (param $P i32) (param $S i32) (param $U i32) (param $mu i32) (param $sigma i32) (param $gw i32) (param $cMaxAt i32)
    (param $gMu i32) (param $gSigma i32) (param $gU i32)
    (local $k i32) (local $l i32) (local $i i32) (local $d4 i32) (local $Pq i32)
    (local $muK i32) (local $sigmaK i32) (local $gMuK i32) (local $gSigmaK i32)
    (local $cMax f32) (local $c v128) (local $g v128) (local $u v128) (local $p v128) (local $s v128)
    (local $gs f32) (local $us f32) (local $ps f32) (local $ss f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $cMax (f32.load (local.get $cMaxAt)))
    (local.set $c (f32x4.splat (local.get $cMax)))
    (local.set $Pq (i32.add (local.get $P) (i32.shl (i32.mul (local.get $K) (local.get $d)) (i32.const 2)))) ;; row K of P
    (block $kDone (loop $ks
      (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $muK (i32.add (local.get $mu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $sigmaK (i32.add (local.get $sigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $gMuK (i32.add (local.get $gMu) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      (local.set $gSigmaK (i32.add (local.get $gSigma) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 2))))
      ;; ∂ℓ/∂μ_k starts at cmax·P_k, the σ sum at 0.
      (local.set $i (i32.const 0))
      (block $done (loop $init
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (f32.store (i32.add (local.get $gMuK) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (local.get $cMax) (f32.load (i32.add (local.get $P) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $d)) (local.get $i)) (i32.const 2))))))
        (f32.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $init)))
      (local.set $l (i32.const 0))
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
          (v128.store (local.get $gU)
            (f32x4.add (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $muK) (i32.shl (local.get $i) (i32.const 2)))))
              (f32x4.mul (f32x4.mul (f32x4.mul (local.get $s) (local.get $s)) (local.get $p)) (local.get $c))))
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
          (f32.store (local.get $gU)
            (f32.add (f32.mul (local.get $gs) (f32.load (i32.add (local.get $muK) (i32.shl (local.get $i) (i32.const 2)))))
              (f32.mul (f32.mul (f32.mul (local.get $ss) (local.get $ss)) (local.get $ps)) (local.get $cMax))))
          (local.set $U (i32.add (local.get $U) (i32.const 4)))
          (local.set $Pq (i32.add (local.get $Pq) (i32.const 4)))
          (local.set $gU (i32.add (local.get $gU) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $tail)))
        (local.set $gw (i32.add (local.get $gw) (i32.const 4)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $ls)))
      ;; ∂ℓ/∂σ_k from its sum; S is [d, K], so S_k is column k.
      (local.set $i (i32.const 0))
      (block $done (loop $finish
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (f32.store (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul
            (f32.mul (f32.load (i32.add (local.get $sigmaK) (i32.shl (local.get $i) (i32.const 2))))
              (f32.add
                (f32.mul (f32.const 2) (f32.load (i32.add (local.get $gSigmaK) (i32.shl (local.get $i) (i32.const 2)))))
                (f32.load (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))))
            (local.get $cMax)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $finish)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))
)
