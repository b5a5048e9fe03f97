/**
 * The closed form of the GM layer (Chewi, Rigollet & Yan, eq. 6), in float64.
 *
 * For one input x ∈ R^d and component k, z = ⟨β, x⟩ with β ~ N(μ_k, Σ_k),
 * Σ_k = diag(σ_k²) + V_kᵀV_k (V_k: r×d, absent for the paper's diagonal layer), is
 * Gaussian with mean m = ⟨μ_k, x⟩ and standard deviation s = √(xᵀΣ_k x) =
 * ‖(σ_k ⊙ x, V_k x)‖₂. With t = m/s:
 *
 *   a_k = E[ReLU(z)]   = mΦ(t) + sφ(t) = ReLU(m) + s·g(−|t|)
 *   b_k = P(z > 0)     = Φ(t)
 *   E[β ReLU(z)]       = μ_k a_k + (Σ_k x) b_k                    (Stein's lemma)
 *   h(x) = 1/K Σ_k [ w_k a_k + q_k b_k ],   w_k = U_k μ_k + v_k,   q_k = U_k Σ_k x
 *
 * with Σ_k x = σ_k² ⊙ x + V_kᵀ(V_k x). Degenerate variance, s = 0 (x = 0, or σ_k ⊙ x = 0
 * and V_k x = 0): the limits are a = ReLU(m), b = H(m), and q_k = 0 (Σ_k x = 0 there). H is the Heaviside step with
 * H(0) = ½, the value Φ(m/s) takes at m = 0 for every s > 0; it only enters the
 * gradients (see gradients.ts).
 */
import { dot, matVec, norm2 } from './linalg.js';
import { ldexp, scaledUpperTail } from './normal.js';
import { validateInput, validateParams } from './validate.js';
import type { GMParams, Matrix, Vector } from './types.js';

/** Moments of z = ⟨β, x⟩ for one component and one input row, and the derived a, b. */
export interface ComponentMoments {
  /** m = ⟨μ_k, x⟩ */
  m: number;
  /** s = ‖(σ_k ⊙ x, V_k x)‖₂ ≥ 0 */
  s: number;
  /** t = m/s; ±∞ when s = 0 and m ≠ 0, and 0 when s = m = 0 */
  t: number;
  /** a = E[ReLU(z)] */
  a: number;
  /** b = P(z > 0) = Φ(t) */
  b: number;
  /** φ(t), 0 when s = 0 */
  pdf: number;
  /**
   * a, b and φ(t) as a sum of parts a = Σ ldexp(part.a, −part.k) (likewise b, φ): one part
   * with k = 0 and the values above, except beyond |t| = 37, where the tail values leave
   * the normal range and are carried scaled by 2^k (normal.ts, scaledUpperTail). The
   * layer's terms are linear in (a, b, φ), so each part's terms are formed at its own
   * scale and scaled down once: products with large s, U or x stay exact.
   */
  parts: MomentPart[];
}

/** One part of a component's (a, b, φ(t)), scaled by 2^k. */
export interface MomentPart {
  k: number;
  a: number;
  b: number;
  pdf: number;
}

/** Heaviside step with H(0) = ½. */
export function heaviside(m: number): number {
  return m > 0 ? 1 : m < 0 ? 0 : 0.5;
}

/** V_k x: r entries (none without V). */
export function lowRankProjection(Vk: Matrix | undefined, x: Vector): Vector {
  return Vk === undefined ? [] : matVec(Vk, x);
}

/**
 * m, s, t, a, b for component (μ_k, σ_k, V_k) at input x (all length d; V_k: r×d, or
 * undefined for r = 0). a is never below ReLU(m) and b lies in [0, 1]; no cancellation
 * anywhere (normal.ts).
 */
export function componentMoments(muK: Vector, sigmaK: Vector, x: Vector, Vk?: Matrix): ComponentMoments {
  const m = dot(muK, x);
  const s = norm2([...sigmaK.map((sigma, i) => sigma * x[i]), ...lowRankProjection(Vk, x)]);
  if (s === 0) {
    const [a, b] = [Math.max(m, 0), heaviside(m)];
    return { m, s, t: m > 0 ? Infinity : m < 0 ? -Infinity : 0, a, b, pdf: 0, parts: [{ k: 0, a, b, pdf: 0 }] };
  }
  const t = m / s;
  const tail = scaledUpperTail(Math.abs(t)); // Q(|t|) = Φ(−|t|), loss(|t|) = g(−|t|), times 2^k
  const { k } = tail;
  const sLoss = s * tail.loss;
  if (k === 0) {
    const [a, b] = [Math.max(m, 0) + sLoss, t < 0 ? tail.Q : 1 - tail.Q];
    return { m, s, t, a, b, pdf: tail.pdf, parts: [{ k, a, b, pdf: tail.pdf }] };
  }
  const pdf = ldexp(tail.pdf, -k);
  if (t < 0) {
    // a = s·g(−|t|), b = Q(|t|) and φ(t) are all tail values.
    return { m, s, t, a: ldexp(sLoss, -k), b: ldexp(tail.Q, -k), pdf, parts: [{ k, a: sLoss, b: tail.Q, pdf: tail.pdf }] };
  }
  // a = m + s·g(−t) ≈ m and b = 1 − Q(t) ≈ 1 are ordinary; only φ(t) is a tail value.
  const [a, b] = [m + ldexp(sLoss, -k), 1 - ldexp(tail.Q, -k)];
  return { m, s, t, a, b, pdf, parts: [{ k: 0, a, b, pdf: 0 }, { k, a: 0, b: 0, pdf: tail.pdf }] };
}

/** w_k = U_k μ_k + v_k for every k: K×L. */
export function outputMeans(params: GMParams): Matrix {
  return params.U.map((Uk, k) => matVec(Uk, params.mu[k]).map((value, l) => value + params.v[k][l]));
}

/** Σ_k x = σ_k² ⊙ x + V_kᵀ(V_k x): d, from V_k x (lowRankProjection). */
export function covarianceTimes(sigmaK: Vector, Vk: Matrix | undefined, x: Vector, Vx: Vector): Vector {
  const out = sigmaK.map((sigma, i) => sigma * sigma * x[i]);
  return Vk === undefined || Vk.length === 0 ? out : out.map((value, i) => value + Vk.reduce((acc, row, j) => acc + row[i] * Vx[j], 0));
}

/** q_k = U_k Σ_k x: L. */
export function steinTerm(Uk: Matrix, sigmaK: Vector, x: Vector, Vk?: Matrix): Vector {
  return matVec(Uk, covarianceTimes(sigmaK, Vk, x, lowRankProjection(Vk, x)));
}

/**
 * The GM layer's output for a batch, by the closed form (eq. 6).
 *
 * @param params μ: K×d, σ: K×d, U: K×L×d, v: K×L, optionally V: K×r×d (validated).
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
      const Vk = params.V?.[k];
      const { parts } = componentMoments(params.mu[k], params.sigma[k], xb, Vk);
      const q = steinTerm(params.U[k], params.sigma[k], xb, Vk);
      for (const part of parts) for (let l = 0; l < L; l++) h[l] += ldexp(w[k][l] * part.a + q[l] * part.b, -part.k);
    }
    return h.map((value) => value / K);
  });
}
