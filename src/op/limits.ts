/**
 * The float32 op's numeric limits, shared by both kernel paths (src/op/fused/gm-fused.ts and
 * src/op/composite/gm-composite.ts) so that they agree on where each regime begins.
 */

/**
 * Below this s = ‖σ_k ⊙ x̂‖, the degenerate-variance limits a = ReLU(m), b = H(m) are
 * used: s² ≥ 1e−36 is still a normal float32, and below it the σ terms are beyond
 * float32's reach.
 */
export const S_MIN = 1e-18;

/** The same threshold on s², which is what both kernels compute and compare. */
export const S2_MIN = S_MIN * S_MIN;

/**
 * Row scales c = 2^e stay normal float32 powers of two: e in [−126, 127] (2^128 would
 * be ∞, 2^−127 subnormal and flushed to 0 on wasm).
 */
export const SCALE_EXPONENT_RANGE = [-126, 127] as const;
