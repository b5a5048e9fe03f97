/**
 * First-order rounding-error bounds for any implementation of the GM layer.
 *
 * An implementation that works in a floating-point format with unit roundoff u
 * (2⁻⁵³ for float64, 2⁻²⁴ for float32), rounds its inputs to that format, forms dot
 * products by ordinary summation, and evaluates Φ, φ, g to within a few ulps, returns
 * ĥ with
 *
 *     |ĥ − h| ≤ 4·n·u · M + F                                         (†)
 *
 * entry by entry, where n counts the roundings along the longest chain of operations
 * and M is the "magnitude" below: the same formula evaluated with the absolute value of
 * every term, so cancellation between terms is paid for, but nothing else. The factor 4
 * covers the product of up to three rounded factors in each term (γ_n ≈ n·u for a
 * length-n sum; Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
 *
 * How errors propagate through the special functions: t = m/s carries an absolute
 * error of n·u·τ with τ = (Σ_i |μ_i x_i| + |m|)/s, the condition of t. Φ(t) then moves
 * by φ(t)·n·u·τ, and φ(t)/s by (|t|φ(t)/s)·n·u·τ. τ is large only where s is small
 * compared with Σ|μ_i x_i|, where b = Φ(t) is nearly a step; there its multiplier
 * q_k = U_k(σ_k² ⊙ x) is O(s) and the product stays bounded, as it must.
 *
 * F covers underflow: each operation may also add an absolute error up to the smallest
 * normal number λ (with flush-to-zero; 2⁻¹⁰⁷⁵ with gradual underflow), which later
 * products by bounded factors can enlarge. F = 10⁸·λ (2.2e−300 in float64, 1.2e−30 in
 * float32) covers n ≤ 10⁴ operations and factors up to 10⁴, and is far below any value
 * a real bug produces.
 *
 * These bounds are what the fixtures' tolerances, the float64 identity tests and the
 * float32 tfjs tests use; they are worst-case, not statistical.
 */
import { componentMoments } from './closed-form.js';
import { zeros } from './linalg.js';
import type { GMGradients, GMParams, Matrix } from './types.js';

/**
 * The n in (†): the longest chain of roundings. Dot products over d, sums over K
 * components, L outputs and B rows (for gradients), plus 32 for the special functions
 * and the input rounding (a float32 Φ accurate to ~1e-6 is ~16 float32 ulps).
 */
export function operationCount(dims: { K: number; d: number; L: number }, B: number): number {
  return dims.d + dims.K + dims.L + B + 32;
}

/** The factor 4·n·u of (†). */
export function roundingFactor(dims: { K: number; d: number; L: number }, B: number, unitRoundoff: number): number {
  return 4 * operationCount(dims, B) * unitRoundoff;
}

/**
 * The absolute floor F of (†) for a format with the given unit roundoff: 10⁸ times its
 * smallest normal number (float64: 2⁻¹⁰²², float32: 2⁻¹²⁶; other formats are rejected).
 */
export function underflowFloor(unitRoundoff: number): number {
  if (unitRoundoff === 2 ** -53) return 1e8 * 2 ** -1022;
  if (unitRoundoff === 2 ** -24) return 1e8 * 2 ** -126;
  throw new RangeError(`underflowFloor: expected the unit roundoff of float64 (2^-53) or float32 (2^-24), got ${unitRoundoff}`);
}

/** Per-row, per-component magnitudes shared by the forward and backward bounds. */
function componentMagnitudes(params: GMParams, xb: number[], k: number) {
  const mom = componentMoments(params.mu[k], params.sigma[k], xb);
  const d = xb.length;
  let Mm = 0; // Σ_i |μ_ki x_i|
  for (let i = 0; i < d; i++) Mm += Math.abs(params.mu[k][i] * xb[i]);
  // Where φ(t) has underflowed to 0 every term it multiplies vanishes, even if τ or |t|
  // overflowed: 0·∞ is read as 0 (the true product φ(t)·|t|^k is far below any floor).
  const tau = mom.s > 0 && mom.pdf > 0 ? (Mm + Math.abs(mom.m)) / mom.s : 0; // condition of t
  const absT = mom.pdf > 0 ? Math.abs(mom.t) : 0;
  // |a| + its error scale; |b| + its error scale.
  const Ma = 2 * Mm + mom.s + mom.a;
  const Mb = mom.b + mom.pdf * tau;
  return { mom, Mm, tau, absT, Ma, Mb };
}

/** Σ_i |U_kli| |y_i| for each l: the magnitude of U_k y. */
function absMatVec(Uk: Matrix, y: number[]): number[] {
  return Uk.map((row) => row.reduce((acc, u, i) => acc + Math.abs(u * y[i]), 0));
}

/** M_kl = Σ_i |U_kli μ_ki| + |v_kl|, the magnitude of w_k = U_k μ_k + v_k. */
function outputMeanMagnitudes(params: GMParams): Matrix {
  return params.U.map((Uk, k) => absMatVec(Uk, params.mu[k]).map((value, l) => value + Math.abs(params.v[k][l])));
}

/**
 * Magnitude M of each output h_bl for (†): B×L.
 *   M_bl = 1/K Σ_k [ Mw_kl (|a| + Ma) + Mq_bkl (b + Mb) ]
 * with Mw, Mq the magnitudes of w_k and q_k, and Ma, Mb the error scales of a and b.
 */
export function forwardMagnitude(params: GMParams, x: Matrix): Matrix {
  const K = params.mu.length;
  const Mw = outputMeanMagnitudes(params);
  return x.map((xb) => {
    const out = new Array<number>(params.v[0].length).fill(0);
    for (let k = 0; k < K; k++) {
      const { mom, Ma, Mb } = componentMagnitudes(params, xb, k);
      const Mq = absMatVec(params.U[k], params.sigma[k].map((s, i) => s * s * xb[i]));
      for (let l = 0; l < out.length; l++) out[l] += (Mw[k][l] * (mom.a + Ma) + Mq[l] * (mom.b + Mb)) / K;
    }
    return out;
  });
}

/**
 * Magnitude of each gradient entry of ℓ = Σ G ⊙ h for (†), in the shapes of the
 * gradients: the backward formulas of gradients.ts with every term in absolute value
 * and the error scales of a, b, ∂ℓ/∂m and ∂ℓ/∂s in place of the values.
 */
export function gradientMagnitude(params: GMParams, x: Matrix, G: Matrix): GMGradients {
  const K = params.mu.length;
  const d = params.mu[0].length;
  const L = params.v[0].length;
  const Mw = outputMeanMagnitudes(params);
  const out: GMGradients = {
    mu: zeros(K, d),
    sigma: zeros(K, d),
    U: Array.from({ length: K }, () => zeros(L, d)),
    v: zeros(K, L),
    x: zeros(x.length, d),
  };
  x.forEach((xb, b) => {
    const absG = G[b].map(Math.abs);
    for (let k = 0; k < K; k++) {
      const { mom, tau, absT, Ma, Mb } = componentMagnitudes(params, xb, k);
      const absSigma2x = params.sigma[k].map((s, i) => s * s * Math.abs(xb[i]));
      const Mq = absMatVec(params.U[k], absSigma2x);
      const MdA = absG.reduce((acc, g, l) => acc + g * Mw[k][l], 0) / K;
      const MdBOverS = mom.s > 0 ? absG.reduce((acc, g, l) => acc + g * Mq[l], 0) / K / mom.s : 0;
      const pdf = mom.pdf;
      // Error scales of ∂ℓ/∂m = dA Φ + dB φ/s and ∂ℓ/∂s = dA φ − dB tφ/s.
      const Mdm = MdA * Mb + MdBOverS * pdf * (2 + absT * tau);
      const Mds = MdA * pdf * (1 + absT * tau) + MdBOverS * pdf * (2 * absT + Math.abs(1 - absT * absT) * tau);
      const UtG = params.U[k][0].map((_, i) => params.U[k].reduce((acc, row, l) => acc + Math.abs(row[i]) * absG[l], 0));
      for (let l = 0; l < L; l++) {
        const gl = absG[l] / K;
        out.v[k][l] += gl * (mom.a + Ma);
        for (let i = 0; i < d; i++) {
          out.U[k][l][i] += gl * ((mom.a + Ma) * Math.abs(params.mu[k][i]) + (mom.b + Mb) * absSigma2x[i]);
        }
      }
      for (let i = 0; i < d; i++) {
        const s = Math.abs(params.sigma[k][i]);
        const xi = Math.abs(xb[i]);
        const unit = mom.s > 0 ? (s * xi) / mom.s : 0;
        const dQ = (UtG[i] * (mom.b + Mb)) / K;
        out.mu[k][i] += (UtG[i] * (mom.a + Ma)) / K + Mdm * xi;
        out.sigma[k][i] += 2 * s * xi * dQ + Mds * unit * xi;
        out.x[b][i] += Mdm * Math.abs(params.mu[k][i]) + Mds * unit * s + s * s * dQ;
      }
    }
  });
  return out;
}
