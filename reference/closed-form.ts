/**
 * The closed form of the GM layer (Chewi, Rigollet & Yan, eq. 6), in float64.
 *
 * For one input x ∈ R^d and component k, z = ⟨β, x⟩ with β ~ N(μ_k, diag(σ_k²)) is
 * Gaussian with mean m = ⟨μ_k, x⟩ and standard deviation s = ‖σ_k ⊙ x‖₂. With t = m/s:
 *
 *   a_k = E[ReLU(z)]   = mΦ(t) + sφ(t) = ReLU(m) + s·g(−|t|)
 *   b_k = P(z > 0)     = Φ(t)
 *   E[β ReLU(z)]       = μ_k a_k + (σ_k² ⊙ x) b_k                 (Stein's lemma)
 *   h(x) = 1/K Σ_k [ w_k a_k + q_k b_k ],   w_k = U_k μ_k + v_k,   q_k = U_k(σ_k² ⊙ x)
 *
 * Degenerate variance, s = 0 (x = 0, σ_k = 0, or σ_k and x with disjoint supports):
 * the limits are a = ReLU(m), b = H(m), and q_k = 0. H is the Heaviside step with
 * H(0) = ½, the value Φ(m/s) takes at m = 0 for every s > 0; it only enters the
 * gradients (see gradients.ts).
 */
import { dot, matVec, norm2 } from './linalg.js';
import { upperTail } from './normal.js';
import { validateInput, validateParams } from './validate.js';
import type { GMParams, Matrix, Vector } from './types.js';

/** Moments of z = ⟨β, x⟩ for one component and one input row, and the derived a, b. */
export interface ComponentMoments {
  /** m = ⟨μ_k, x⟩ */
  m: number;
  /** s = ‖σ_k ⊙ x‖₂ ≥ 0 */
  s: number;
  /** t = m/s; ±∞ when s = 0 and m ≠ 0, and 0 when s = m = 0 */
  t: number;
  /** a = E[ReLU(z)] */
  a: number;
  /** b = P(z > 0) = Φ(t) */
  b: number;
  /** φ(t), 0 when s = 0 */
  pdf: number;
}

/** Heaviside step with H(0) = ½. */
export function heaviside(m: number): number {
  return m > 0 ? 1 : m < 0 ? 0 : 0.5;
}

/**
 * m, s, t, a, b for component (μ_k, σ_k) at input x (all length d).
 * a is never below ReLU(m) and b lies in [0, 1]; no cancellation anywhere (normal.ts).
 */
export function componentMoments(muK: Vector, sigmaK: Vector, x: Vector): ComponentMoments {
  const m = dot(muK, x);
  const s = norm2(sigmaK.map((sigma, i) => sigma * x[i]));
  if (s === 0) {
    return { m, s, t: m > 0 ? Infinity : m < 0 ? -Infinity : 0, a: Math.max(m, 0), b: heaviside(m), pdf: 0 };
  }
  const t = m / s;
  const tail = upperTail(Math.abs(t)); // Q(|t|) = Φ(−|t|), loss(|t|) = g(−|t|)
  return {
    m,
    s,
    t,
    a: Math.max(m, 0) + s * tail.loss,
    b: t < 0 ? tail.Q : 1 - tail.Q,
    pdf: tail.pdf,
  };
}

/** w_k = U_k μ_k + v_k for every k: K×L. */
export function outputMeans(params: GMParams): Matrix {
  return params.U.map((Uk, k) => matVec(Uk, params.mu[k]).map((value, l) => value + params.v[k][l]));
}

/** q_k = U_k (σ_k² ⊙ x): L. */
export function steinTerm(Uk: Matrix, sigmaK: Vector, x: Vector): Vector {
  return matVec(Uk, sigmaK.map((sigma, i) => sigma * sigma * x[i]));
}

/**
 * The GM layer's output for a batch, by the closed form (eq. 6).
 *
 * @param params μ: K×d, σ: K×d, U: K×L×d, v: K×L (validated).
 * @param x      B×d inputs, B ≥ 0 (validated).
 * @returns      h: B×L.
 * @throws GMShapeError / GMValueError on bad shapes or non-finite entries.
 */
export function gmForward(params: GMParams, x: Matrix): Matrix {
  const dims = validateParams(params);
  validateInput(x, dims);
  const { K, L } = dims;
  const w = outputMeans(params);
  return x.map((xb) => {
    const h = new Array<number>(L).fill(0);
    for (let k = 0; k < K; k++) {
      const { a, b } = componentMoments(params.mu[k], params.sigma[k], xb);
      const q = steinTerm(params.U[k], params.sigma[k], xb);
      for (let l = 0; l < L; l++) h[l] += w[k][l] * a + q[l] * b;
    }
    return h.map((value) => value / K);
  });
}
