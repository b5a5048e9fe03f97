/**
 * The float32 op's numeric limits, shared by both kernel paths (src/op/fused/gm-fused.ts and
 * src/op/composite/gm-composite.ts) so that they agree on where each regime begins.
 */

/**
 * Below this ŝ = ‖σ̂_k ⊙ x̂‖ (σ̂ = σ/ς_k, x̂ = x/c_b, both scaled to a largest entry near
 * 1), the degenerate-variance limits a = ReLU(m), b = H(m) are used: ŝ² ≥ 1e−36 is still
 * a normal float32, and below it the σ terms are beyond float32's reach relative to
 * σ's own scale.
 */
export const S_MIN = 1e-18;

/** The same threshold on ŝ², which is what both kernels compute and compare. */
export const S2_MIN = S_MIN * S_MIN;

/**
 * The exponent range of every power-of-two scale: x's row scales c and σ's component
 * scales ς = 2^e, e = round(log2 of the row's largest |entry|) clamped to [−126, 126].
 * The scale and its reciprocal are normal float32 powers of two, so x/c and σ·(1/ς) are
 * exact on every backend. (2^127 would do on wasm and cpu, but WGSL guarantees x/y only
 * for |y| in [2^−126, 2^126], and NVIDIA's GPUs divide by multiplying with a reciprocal
 * flushed to zero: x/2^127 gave 0.) A row's largest entry then scales to at most 4.
 * σ̂ = σ/ς has a largest entry near 1 whether σ is huge (σ², U⊙σ² and tφ/s² stay in
 * range) or tiny (ŝ² stays above the threshold S2_MIN where t = m/s is still moderate,
 * μ being as small); s = ς·ŝ may underflow, so t is formed as (m/ς)/ŝ.
 */
export const SCALE_EXPONENT_RANGE = [-126, 126] as const;
