/**
 * Running rounding-error bounds for any implementation of the GM layer.
 *
 * An implementation that works in a floating-point format with unit roundoff u
 * (2⁻⁵³ for float64, 2⁻²⁴ for float32), rounds its inputs to that format, forms dot
 * products by ordinary summation, and evaluates Φ, φ, g to within a few ulps, returns
 * ĥ with
 *
 *     |ĥ − h| ≤ 4·n·u · M + F                                         (†)
 *
 * entry by entry, where n counts the roundings along the longest chain of operations
 * and M is the "magnitude" below: a running error analysis of the same formulas, in
 * which each intermediate X carries a value bound V(X) ≥ |X| and an error scale
 * E(X) ≥ |δX|/γ, with E(XY) = E(X)|Ŷ| + |X|E(Y), |Ŷ| ≤ |Y| + γE(Y), and each rounded
 * sum adding Σ|terms|. So cancellation between terms is paid for, but nothing else.
 * Divisions by s follow docs/MATH.md §8: first order where ŝ stays within s/2 of s,
 * the quotients' ranges where it may not (low rank only). The factor 4
 * covers the product of up to three rounded factors in each term (γ_n ≈ n·u for a
 * length-n sum; Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
 *
 * How errors propagate through the special functions: the rounded m̂ and ŝ put t̂ = m̂/ŝ
 * somewhere in an interval I around t (tInterval; its width is about 2γτ with
 * τ = (Σ_i |μ_i x_i| + |t|E(s))/s, the condition of t). By the mean value theorem,
 * a = mΦ(t) + sφ(t) then moves by at most sup_I Φ·|δm| + sup_I φ·|δs|, and b = Φ(t) by
 * sup_I φ·|t̂ − t| (never more than 1). So a's error follows Φ(t)·Σ|μ_i x_i| + φ(t)·s
 * into the left tail, where both are tiny, and stays a bound where t is ill-conditioned
 * (I wide, the suprema reach Φ ≤ 1 and φ ≤ φ(0)). M therefore depends on γ: the same
 * case has one magnitude per format.
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
import { componentMoments, covarianceTimes, lowRankProjection, outputMeans, type ComponentMoments } from './closed-form.js';
import { dot, matTVec, matVec, zeros } from './linalg.js';
import { ldexp, normalCdf, normalPdf, scaledUpperTail, tailExponent } from './normal.js';
import type { GMGradients, GMParams, Matrix } from './types.js';

/**
 * The n in (†): the longest chain of roundings. The forward pass sums over d (m, s,
 * w_k, q_k) and K; gradients also sum over L (⟨G, w_k⟩, U_kᵀG) and B (parameter
 * gradients). 32 more cover the special functions and the input rounding (a float32 Φ
 * accurate to ~1e−6 is ~16 float32 ulps).
 */
export function operationCount(dims: { K: number; d: number; L: number }, B: number, pass: 'forward' | 'gradient'): number {
  return dims.d + dims.K + 32 + (pass === 'gradient' ? dims.L + B : 0);
}

/** The factor 4·n·u of (†). */
export function roundingFactor(
  dims: { K: number; d: number; L: number },
  B: number,
  unitRoundoff: number,
  pass: 'forward' | 'gradient',
): number {
  return 4 * operationCount(dims, B, pass) * unitRoundoff;
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

/**
 * Where t̂ = m̂/ŝ can lie: m̂ ∈ [m − γE(m), m + γE(m)], ŝ ∈ [s − γE(s), s + γE(s)] ∩ [0, ∞),
 * and the division's own rounding (relative γ). ŝ = 0 stands for the s = 0 branch, whose
 * a = ReLU(m̂), b = H(m̂) are the limits t̂ → ±∞ (t̂ = 0 at m̂ = 0). lo ≤ t ≤ hi.
 */
export function tInterval(m: number, s: number, Em: number, Es: number, gamma: number): { lo: number; hi: number } {
  const [mLo, mHi] = [m - gamma * Em, m + gamma * Em];
  const [sLo, sHi] = [s - gamma * Es, s + gamma * Es];
  // The division's own rounding widens a finite end by γ relative.
  const widen = (end: number, side: -1 | 1) => (Number.isFinite(end) ? end + side * gamma * Math.abs(end) : end);
  if (sLo > 0) {
    return { lo: widen(Math.min(mLo / sLo, mLo / sHi), -1), hi: widen(Math.max(mHi / sLo, mHi / sHi), 1) };
  }
  // ŝ may be 0: t̂ reaches ±∞ on the side of m̂'s sign (m̂/0 with m̂ = 0 is the branch's 0).
  const lo = mLo > 0 ? (sHi > 0 ? mLo / sHi : Infinity) : mLo < 0 ? -Infinity : 0;
  const hi = mHi < 0 ? (sHi > 0 ? mHi / sHi : -Infinity) : mHi > 0 ? Infinity : 0;
  return { lo: widen(lo, -1), hi: widen(hi, 1) };
}

/** u·φ(u) for u ≥ 0, 0 at u = ∞. */
const uPdf = (u: number) => (u === Infinity ? 0 : u * normalPdf(u));
/** |1 − u²|·φ(u) for u ≥ 0, 0 at u = ∞. */
const curvature = (u: number) => (u === Infinity ? 0 : Math.abs(1 - u * u) * normalPdf(u));

/**
 * Suprema over t ∈ [lo, hi] of Φ(t), φ(t), |t|φ(t) and |1 − t²|φ(t): the derivatives of
 * a (in m and s), b, φ(t) and tφ(t), so that by the mean value theorem every change of t
 * within the interval moves each by at most sup·|Δt|. φ is largest where |t| is smallest;
 * uφ(u) rises to its peak at u = 1 and falls after; |1 − u²|φ(u) falls from u = 0, rises
 * on [1, √3] and falls after: each supremum is at an end of |t|'s range or at a peak inside.
 */
export function intervalSuprema(lo: number, hi: number): { Phi: number; pdf: number; tPdf: number; curvature: number } {
  const uMin = lo > 0 ? lo : hi < 0 ? -hi : 0;
  const uMax = Math.max(Math.abs(lo), Math.abs(hi));
  const inside = (u: number) => uMin <= u && u <= uMax;
  return {
    Phi: normalCdf(hi),
    pdf: normalPdf(uMin),
    tPdf: inside(1) ? uPdf(1) : Math.max(uPdf(uMin), uPdf(uMax)),
    curvature: Math.max(curvature(uMin), curvature(uMax), inside(Math.sqrt(3)) ? curvature(Math.sqrt(3)) : 0),
  };
}

/**
 * |X̂| ≤ |X| + γE(X): the computed factor's size, the second factor of the product rule
 * |X̂Ŷ − XY| ≤ γE(X)|Ŷ| + |X|γE(Y). Replacing |Ŷ| by |Y| (first order) drops γ²E(X)E(Y),
 * which is not small where an error scale is a factor's whole range, as E(b) and E(φ)
 * are where t is ill conditioned: b = 0 exactly while b̂ = ½.
 */
const hat = (value: number, error: number, gamma: number) => value + gamma * error;

/** min(slope·spread, cap), where a zero slope or cap means no change at all (never 0·∞). */
const change = (slope: number, spread: number, cap: number) => (slope === 0 || cap === 0 ? 0 : Math.min(slope * spread, cap));

/**
 * Values and error scales of the per-(row, component) quantities: |X| ≤ V and
 * |δX| ≤ γ·E, with γ the factor 4·n·u that multiplies M. Errors propagate through
 * products and sums: E(XY) = E(X)|Ŷ| + |X|E(Y) ({@link hat}), and a rounded sum adds the
 * sum of its terms' |values|. Through the special functions they propagate by the mean value
 * theorem over every t̂ the rounded m̂ and ŝ allow (tInterval), so the bound follows Φ(t)
 * and φ(t) into the tails yet stays valid where t is ill-conditioned (docs/MATH.md, §8).
 */
function componentErrors(params: GMParams, xb: number[], k: number, gamma: number) {
  const Vk = params.V?.[k];
  const mom = componentMoments(params.mu[k], params.sigma[k], xb, Vk);
  let Em = 0; // Σ_i |μ_ki x_i|: the error scale of m
  for (let i = 0; i < xb.length; i++) Em += Math.abs(params.mu[k][i] * xb[i]);
  const cov = covarianceErrors(params.sigma[k], Vk, xb);
  // s is a root of a sum of squares: relative error γ from its own roundings, E(s) = s,
  // plus what the errors of p = V_k x carry in (|p̂_j − p_j| ≤ γP_j): at most their norm
  // (a norm is 1-Lipschitz), and at most Σ_j |p_j|P_j/s + γ‖P‖²/(2s) (√(s² + ε) ≤
  // s + ε/(2s)), the first-order term and the rest, which dominates where p cancels.
  // Both through ratios to s, never a square that may leave float64's range where E(s)
  // does not: M scales with x as the layer does.
  const normP = Math.hypot(...cov.P);
  const carried = (s: number) => Math.min(normP, cov.p.reduce((acc, pj, j) => acc + (Math.abs(pj) / s) * cov.P[j], 0) + (gamma * normP * (normP / s)) / 2);
  const Es = mom.s > 0 ? mom.s + carried(mom.s) : normP;
  const { lo, hi } = tInterval(mom.m, mom.s, Em, Es, gamma);
  // |t̂ − t|: ∞ where t is infinite or the interval is unbounded (then only the caps hold).
  const spread = Number.isFinite(mom.t) ? Math.max(hi - mom.t, mom.t - lo) : lo === hi ? 0 : Infinity;
  const absT = Number.isFinite(mom.t) ? Math.abs(mom.t) : 0; // multiplies φ(t), which is 0 where t = ±∞
  const uMin = lo > 0 ? lo : hi < 0 ? -hi : 0;
  const scale = tailExponent(uMin);
  const parts =
    scale === 0 ? [ordinaryPart(mom, Em, Es, absT, intervalSuprema(lo, hi), spread, gamma)] : tailParts(mom, Em, Es, absT, uMin, scale, spread, gamma);
  return { mom, absT, cov, Es, parts };
}

/**
 * One part of a component's values and error scales at scale 2^k, like
 * ComponentMoments.parts: every magnitude term is linear in these, so each part is
 * summed at its own scale and scaled down once.
 */
interface ErrorPart {
  k: number;
  a: number;
  b: number;
  pdf: number;
  /** E(a): sup Φ·E(m) + sup φ·E(s) (mean value theorem in (m, s)) + own rounding */
  Ea: number;
  /** E(b): |Φ(t̂) − Φ(t)| ≤ min(sup φ·|t̂ − t|, the Φ-range of I), + own rounding */
  Eb: number;
  /** E(φ(t)): both values lie in [0, sup φ] */
  Epdf: number;
  /** E(tφ(t)): both values lie in [−sup|t|φ, sup|t|φ] */
  EtPdf: number;
  /** sup_I φ and sup_I |t|φ: bounds of the computed φ(t̂), |t̂|φ(t̂), also where the exact ones are the s = 0 branch's 0 */
  pdfSup: number;
  tPdfSup: number;
}

/** The single part where the interval reaches |t| ≤ 37: the values as they are. */
function ordinaryPart(mom: ComponentMoments, Em: number, Es: number, absT: number, sup: ReturnType<typeof intervalSuprema>, spread: number, gamma: number): ErrorPart {
  return {
    k: 0,
    a: mom.a,
    b: mom.b,
    pdf: mom.pdf,
    Ea: sup.Phi * Em + sup.pdf * Es + mom.a,
    Eb: change(sup.pdf, spread, 1) / gamma + mom.b,
    Epdf: change(sup.tPdf, spread, sup.pdf) / gamma + mom.pdf,
    EtPdf: change(sup.curvature, spread, 2 * sup.tPdf) / gamma + absT * mom.pdf,
    pdfSup: sup.pdf,
    tPdfSup: sup.tPdf,
  };
}

/**
 * The parts where the whole interval lies beyond |t| = 37 on one side (uMin = its end
 * nearest 0): the tail values at scale 2^k, k = tailExponent(uMin), with the suprema at
 * uMin (φ, uφ(u) and |1 − u²|φ(u) all decrease beyond √3). In the left tail a, b and φ
 * are all tail values; in the right tail a ≈ m and b ≈ 1 form an ordinary part.
 */
function tailParts(mom: ComponentMoments, Em: number, Es: number, absT: number, uMin: number, k: number, spread: number, gamma: number): ErrorPart[] {
  const near = scaledUpperTail(uMin, k);
  const at = scaledUpperTail(Math.abs(mom.t), k);
  const pdfSup = near.pdf;
  const tPdfSup = uMin * near.pdf;
  const curvatureSup = (uMin * uMin - 1) * near.pdf;
  // Φ(t̂) and Φ(t) differ by at most the Φ-range of I: Φ(hi) = Q(uMin) on the left,
  // 1 − Φ(lo) = Q(uMin) on the right.
  const tail = {
    k,
    pdf: at.pdf,
    pdfSup,
    tPdfSup,
    Eb: change(pdfSup, spread, near.Q) / gamma,
    Epdf: change(tPdfSup, spread, pdfSup) / gamma + at.pdf,
    EtPdf: change(curvatureSup, spread, 2 * tPdfSup) / gamma + absT * at.pdf,
  };
  if (mom.t < 0) {
    const a = mom.s * at.loss;
    return [{ ...tail, a, b: at.Q, Ea: near.Q * Em + pdfSup * Es + a, Eb: tail.Eb + at.Q }];
  }
  return [
    { k: 0, a: mom.a, b: mom.b, pdf: 0, Ea: Em + mom.a, Eb: mom.b, Epdf: 0, EtPdf: 0, pdfSup: 0, tPdfSup: 0 },
    { ...tail, a: 0, b: 0, Ea: pdfSup * Es },
  ];
}

/**
 * Σ_k x = σ_k² ⊙ x + V_kᵀp with p = V_k x, and error scales: E(p_j) = P_j = Σ_i |V_kji x_i|,
 * E((Σ_k x)_i) = |σ_ki² x_i| + Σ_j |V_kji|(|p_j| + P_j).
 */
function covarianceErrors(sigmaK: number[], Vk: Matrix | undefined, xb: number[]) {
  const p = lowRankProjection(Vk, xb);
  const P = (Vk ?? []).map((row) => row.reduce((acc, v, i) => acc + Math.abs(v * xb[i]), 0));
  const y = covarianceTimes(sigmaK, Vk, xb, p);
  const Ey = sigmaK.map((sk, i) => (Vk ?? []).reduce((acc, row, j) => acc + Math.abs(row[i]) * (Math.abs(p[j]) + P[j]), Math.abs(sk * sk * xb[i])));
  return { p, P, y, Ey };
}

/** Σ_i |U_kli| |y_i| for each l: the error scale (and bound) of U_k y. */
function absMatVec(Uk: Matrix, y: number[]): number[] {
  return Uk.map((row) => row.reduce((acc, u, i) => acc + Math.abs(u * y[i]), 0));
}

/**
 * Σ_l |G_l| Σ_i |U_kli| (|σ_ki| + Σ_j |V_kji|) ≥ |e|/s, e = ⟨G, U_k Σ_k x⟩: each
 * (Σ_k x)_i = σ_ki (σ_ki x_i) + Σ_j V_kji p_j, and |σ_ki x_i|, |p_j| ≤ s. It bounds the
 * computed ê/ŝ too (up to its own roundings), however ŝ errs: the op forms σx/s and p/s.
 */
function quotientRange(params: GMParams, k: number, absG: number[]): number {
  const Vk = params.V?.[k] ?? [];
  const spread = params.sigma[k].map((sk, i) => Vk.reduce((acc, row) => acc + Math.abs(row[i]), Math.abs(sk)));
  return absG.reduce((acc, g, l) => acc + g * params.U[k][l].reduce((sum, u, i) => sum + Math.abs(u) * spread[i], 0), 0);
}

/** E(w_kl) = Σ_i |U_kli μ_ki| + |v_kl|, the error scale of w_k = U_k μ_k + v_k. */
function outputMeanErrors(params: GMParams): Matrix {
  return params.U.map((Uk, k) => absMatVec(Uk, params.mu[k]).map((value, l) => value + Math.abs(params.v[k][l])));
}

/**
 * Magnitude M of each output h_bl for (†): B×L.
 *   M_bl = 1/K Σ_k [ E(w_kl)|â| + |w_kl|E(a) + E(q_bkl) b̂ + |q_bkl| E(b) ]
 * with |X̂| ≤ |X| + γE(X) ({@link hat}).
 *
 * @param gamma the factor 4·n·u that will multiply M ({@link roundingFactor}); M depends
 *              on it because t's uncertainty does (the larger γ, the wider the interval).
 */
export function forwardMagnitude(params: GMParams, x: Matrix, gamma: number): Matrix {
  const K = params.mu.length;
  const Ew = outputMeanErrors(params);
  const w = outputMeans(params);
  return x.map((xb) => {
    const out = new Array<number>(params.v[0].length).fill(0);
    for (let k = 0; k < K; k++) {
      const { parts, cov } = componentErrors(params, xb, k, gamma);
      const q = matVec(params.U[k], cov.y);
      const Eq = absMatVec(params.U[k], cov.Ey);
      for (const { k: scale, a, b, Ea, Eb } of parts) {
        for (let l = 0; l < out.length; l++) {
          out[l] += ldexp((Ew[k][l] * hat(a, Ea, gamma) + Math.abs(w[k][l]) * Ea + Eq[l] * hat(b, Eb, gamma) + Math.abs(q[l]) * Eb) / K, -scale);
        }
      }
    }
    return out;
  });
}

/**
 * Magnitude of each gradient entry of ℓ = Σ G ⊙ h for (†), in the shapes of the
 * gradients: the backward formulas of gradients.ts with every product and sum replaced
 * by its error scale (value magnitudes included for the sums' own rounding).
 * @param gamma as for {@link forwardMagnitude}.
 */
export function gradientMagnitude(params: GMParams, x: Matrix, G: Matrix, gamma: number): GMGradients {
  const K = params.mu.length;
  const d = params.mu[0].length;
  const L = params.v[0].length;
  const Ew = outputMeanErrors(params);
  const w = outputMeans(params);
  const out: GMGradients = {
    mu: zeros(K, d),
    sigma: zeros(K, d),
    U: Array.from({ length: K }, () => zeros(L, d)),
    v: zeros(K, L),
    x: zeros(x.length, d),
    ...(params.V !== undefined && { V: params.V.map((Vk) => zeros(Vk.length, d)) }),
  };
  x.forEach((xb, b) => {
    const Gb = G[b];
    const absG = Gb.map(Math.abs);
    for (let k = 0; k < K; k++) {
      const { mom, absT, parts, cov, Es } = componentErrors(params, xb, k, gamma);
      const { s } = mom;
      const Uk = params.U[k];
      const q = matVec(Uk, cov.y);
      const Eq = absMatVec(Uk, cov.Ey);
      // c = ⟨G, w_k⟩, e = ⟨G, q⟩ and their error scales.
      const c = Math.abs(dot(Gb, w[k]));
      const Ec = absG.reduce((acc, g, l) => acc + g * Ew[k][l], 0);
      const e = Math.abs(dot(Gb, q));
      const Ee = absG.reduce((acc, g, l) => acc + g * Eq[l], 0);
      // U_kᵀG: value and error scale.
      const UtG = matTVec(Uk, Gb).map(Math.abs);
      const EUtG = matTVec(Uk.map((row) => row.map(Math.abs)), absG);
      const over = s > 0 ? 1 / s : 0;
      // 1/ŝ = (1/s)(1 + θ) with |θ| ≤ γ·rel, rel = r/(1 − γr) and r = E(s)/s < 1/(2γ).
      // Where γE(s) ≥ s/2 (only with V, where p = V_k x cancels; s = 0 with p̂ ≠ 0
      // included) ŝ may be near 0 or far from s: the terms divided by ŝ are bounded by
      // their ranges instead (lowerS).
      const lowerS = Es > 0 && gamma * Es >= s / 2;
      const rel = lowerS ? 0 : (Es * over) / (1 - gamma * Es * over);
      const growth = hat(1, rel, gamma); // |1/ŝ| = growth/s
      // e/s and E(e)/s, of degree 0 in x: formed before a φ-sized factor meets them, so that
      // no product underflows where the term it feeds does not.
      const [eOver, EeOver] = [e * over, Ee * over];
      const cHat = hat(c, Ec, gamma);
      const eRange = lowerS ? 2 * quotientRange(params, k, absG) : 0; // ≥ |ê/ŝ| (2 covers the computed values' own roundings); read only where lowerS
      for (const { k: scale, a, b: bk, pdf, Ea, Eb, Epdf, EtPdf, pdfSup, tPdfSup } of parts) {
        const down = (value: number) => ldexp(value, -scale);
        const [aHat, bHat, pdfHat, tPdfHat] = [hat(a, Ea, gamma), hat(bk, Eb, gamma), hat(pdf, Epdf, gamma), hat(absT * pdf, EtPdf, gamma)];
        // ∂ℓ/∂m = (cΦ + eφ/s)/K and ∂ℓ/∂s = (cφ − e·tφ/s)/K: value V and error E (division
        // by s adds the relative error rel, about 1 for the diagonal layer). Where s is
        // ill conditioned, |computed − exact| ≤ |computed| + |exact|, the computed ones
        // bounded through |ê/ŝ| ≤ eRange and t̂ ∈ I; the exact δs terms are 0 at s = 0
        // (section 10), where the computed ŝ may be positive.
        const Vdm = (c * bk + eOver * pdf) / K;
        const Vds = s > 0 ? (c * pdf + eOver * absT * pdf) / K : 0;
        const Edm = lowerS
          ? ((cHat * bHat + eRange * pdfSup) / K + Vdm) / gamma
          : (Ec * bHat + c * Eb + (EeOver * pdfHat + eOver * Epdf) * growth + eOver * pdf * rel) / K + Vdm;
        const Eds = lowerS
          ? ((cHat * pdfSup + eRange * tPdfSup) / K + Vds) / gamma
          : s > 0
            ? (Ec * pdfHat + c * Epdf + (EeOver * tPdfHat + eOver * EtPdf) * growth + eOver * absT * pdf * rel) / K + Vds
            : 0;
        for (let l = 0; l < L; l++) {
          const gl = absG[l] / K;
          out.v[k][l] += down(gl * (Ea + a));
          for (let i = 0; i < d; i++) {
            const mu = Math.abs(params.mu[k][i]);
            // E(a·μ_i) + a|μ_i| (the sum's own rounding) + E(b·y_i) = E(b)|y_i| + b̂·E(y_i).
            out.U[k][l][i] += down(gl * ((Ea + a) * mu + Eb * Math.abs(cov.y[i]) + bHat * cov.Ey[i]));
          }
        }
        const EdQ = UtG.map((g, i) => (EUtG[i] * bHat + g * (Eb + bk)) / K); // E(∂ℓ/∂(Σx)) incl. its value
        // E(∂ℓ/∂s · u) for a ratio u = z/s with |u|, |û| ≤ 1: E(∂ℓ/∂s)|û| + V(∂ℓ/∂s)E(u),
        // E(u) = E(z)|1/ŝ| + |u|·rel.
        const Eratio = (u: number, EzOverS: number) => EzOverS * (1 + gamma * rel) + u * rel;
        const Eunit = (u: number, EzOverS: number) =>
          lowerS ? Eds : s > 0 ? Eds * hat(u, Eratio(u, EzOverS), gamma) + Vds * Eratio(u, EzOverS) : 0;
        for (let i = 0; i < d; i++) {
          const sk = Math.abs(params.sigma[k][i]);
          const xi = Math.abs(xb[i]);
          const unit = s > 0 ? (sk * xi) / s : 0; // σx/s, E(σx) = |σx|
          const EdsUnit = Eunit(unit, unit);
          out.mu[k][i] += down((EUtG[i] * aHat + UtG[i] * (Ea + a)) / K + Edm * xi);
          out.sigma[k][i] += down(2 * sk * xi * EdQ[i] + EdsUnit * xi);
          out.x[b][i] += down(Edm * Math.abs(params.mu[k][i]) + EdsUnit * sk + sk * sk * EdQ[i]);
        }
        const Vk = params.V?.[k];
        if (Vk !== undefined) lowRankMagnitude(Vk, xb, cov, EdQ, s, Eunit, gamma, down, out.V![k], out.x[b]);
      }
    }
  });
  return out;
}

/**
 * The low-rank terms of gradientMagnitude for one (row, component), the error scales of
 * gradients.ts's lowRankGradients: with u_j = p_j/s (|u_j| ≤ 1), E(p_j) = P_j and
 * E(∂ℓ/∂s·u_j) from `Eunit` (gradientMagnitude),
 *   ∂ℓ/∂V_kji = p_j δ_i + (V_k δ)_j x_i + ∂ℓ/∂s u_j x_i:
 *       (|p_j| + (1 + γ)P_j)E(δ_i) + (Σ_i' |V_kji'| E(δ_i'))|x_i| + E(∂ℓ/∂s·u_j)|x_i|
 *   (E(δ_i) bounds |δ_i| too, so P_j·|δ̂_i| ≤ (1 + γ)P_j·E(δ_i))
 *   ∂ℓ/∂x_i += Σ_j V_kji ((V_k δ)_j + ∂ℓ/∂s u_j):  Σ_j |V_kji| (Σ_i' |V_kji'| E(δ_i') + E(∂ℓ/∂s·u_j))
 */
function lowRankMagnitude(
  Vk: Matrix,
  xb: number[],
  cov: { p: number[]; P: number[] },
  EdQ: number[],
  s: number,
  Eunit: (u: number, EzOverS: number) => number,
  gamma: number,
  down: (value: number) => number,
  outV: Matrix,
  outX: number[],
): void {
  Vk.forEach((row, j) => {
    const pj = Math.abs(cov.p[j]);
    const EVdq = row.reduce((acc, v, i) => acc + Math.abs(v) * EdQ[i], 0);
    const Eu = s > 0 ? Eunit(pj / s, cov.P[j] / s) : Eunit(0, 0);
    for (let i = 0; i < xb.length; i++) {
      const xi = Math.abs(xb[i]);
      outV[j][i] += down((pj + (1 + gamma) * cov.P[j]) * EdQ[i] + EVdq * xi + Eu * xi);
      outX[i] += down(Math.abs(row[i]) * (EVdq + Eu));
    }
  });
}
