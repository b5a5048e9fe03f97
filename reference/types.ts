/**
 * Shapes used throughout the reference. Arrays are plain nested JavaScript arrays in
 * row-major order, so that the code reads like the math: `mu[k][i]` is μ_ki.
 *
 * Notation (Chewi, Rigollet & Yan, arXiv 2508.04883, eq. 5–6):
 *   K  components, d  input dimension, L  output dimension, B  batch size.
 */

export type Vector = number[];
export type Matrix = number[][];
export type Tensor3 = number[][][];

/**
 * The trainable parameters of one GM layer. Component k's covariance is
 * Σ_k = diag(σ_k²) + V_kᵀV_k: diagonal as in the paper when V is absent (rank r = 0).
 */
export interface GMParams {
  /** μ: K×d, the means of the K Gaussian components over β. */
  mu: Matrix;
  /** σ: K×d, per-coordinate standard deviations; only σ² enters, so σ may be negative. */
  sigma: Matrix;
  /** U: K×L×d, the linear part of E[ω | β] = U_k β + v_k. */
  U: Tensor3;
  /** v: K×L, the offset of E[ω | β]. */
  v: Matrix;
  /** V: K×r×d, optional low-rank factors of Σ_k (r ≥ 0; absent means r = 0). */
  V?: Tensor3;
}

export interface GMDims {
  K: number;
  d: number;
  L: number;
}

/** Gradients of a scalar loss ℓ = Σ_{b,l} G_bl h_bl, one array per input, same shapes. */
export interface GMGradients {
  mu: Matrix;
  sigma: Matrix;
  U: Tensor3;
  v: Matrix;
  /** B×d */
  x: Matrix;
  /** K×r×d, present when the parameters have V. */
  V?: Tensor3;
}
