/**
 * Standard normal special functions in float64: the density φ, the distribution
 * function Φ, the expected ReLU g(t) = E[max(Z + t, 0)] = tΦ(t) + φ(t), the Mills
 * ratio R, and erfc / erfcx.
 *
 * Everything is built on one function of u ≥ 0, {@link upperTail}, that returns
 *   Q(u)    = Φ(−u)                      (upper tail probability)
 *   loss(u) = E[(Z − u)⁺] = g(−u) = φ(u) − uQ(u)   (the normal loss function)
 * without cancellation, by one of two routes:
 *
 *  - u < 0.75: the positive series (Abramowitz & Stegun 26.2.11; Marsaglia 2004)
 *      Φ(−u) = ½ − φ(u) S(u),   S(u) = Σ_{n≥0} u^{2n+1} / (1·3·5···(2n+1)),
 *    whose terms are all positive. Here Q ≥ 0.22 and loss ≥ 0.13, so the two
 *    subtractions amplify rounding by at most 1.2× and 1.3× respectively.
 *
 *  - u ≥ 0.75: the Laplace continued fraction for the Mills ratio (A&S 26.2.14)
 *      R(u) = Φ(−u)/φ(u) = 1/(u + 1/(u + 2/(u + 3/(u + …)))),
 *    evaluated backwards from a fixed depth. Writing r = 1/(u + 2/(u + 3/(…))) for its
 *    tail, R = 1/(u + r) and 1 − uR = rR exactly, so loss(u) = φ(u)(1 − uR) = φ(u) r R
 *    with no subtraction at all (docs/MATH.md, section 4).
 *    The depth 12 + 600/u² was chosen by measurement: the fraction converges to the
 *    last bit by about 250/z² levels, z = u/√2 (≈ 1000 at u = 0.75, 12 for u ≥ 7).
 *
 * e^{−t²/2} is computed from an exact split of t², since rounding t² alone would cost
 * about t²/2 ulps (≈ 700 ulps at t = 37).
 *
 * Accuracy (measured against 50-digit mpmath values in
 * `fixtures/special-functions.json`, see properties/reference/normal.test.ts):
 * φ, Φ, g, R, erfc, erfcx are within a few ulps over t ∈ [−37, 37]
 * (|z| ≤ 26 for erfc), and so are the scaled tail values of {@link scaledUpperTail}
 * over u ∈ (37, 64). Beyond 37 the unscaled results underflow gracefully (to subnormals,
 * then 0); Φ and g are never negative and nondecreasing up to their rounding (a few
 * ulps; there is no jump where the method switches at 0.75). NaN in gives NaN out; ±∞ give
 * the limits (Φ(−∞) = 0, Φ(∞) = 1, g(−∞) = 0, g(∞) = ∞).
 *
 * References:
 *  - M. Abramowitz & I. Stegun, Handbook of Mathematical Functions, 26.2.11, 26.2.14.
 *  - G. Marsaglia, "Evaluating the Normal Distribution", J. Stat. Softw. 11(4), 2004.
 */

/** 1/√(2π) */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π) */
const SQRT_2_OVER_PI = 0.7978845608028654;

/** Below this u the positive series is used, at and above it the continued fraction. */
const SERIES_LIMIT = 0.75;

/**
 * u's leading part hi, a multiple of 2⁻¹⁶: for 0 ≤ u < 64 it has at most 22 significant
 * bits, so hi² is exact, u − hi is exact, and u² = hi² + (u − hi)·(u + hi).
 */
function leadingPart(u: number): number {
  return Math.round(u * 65536) / 65536;
}

/**
 * e^{−c·t²} for c = ½ or 1, to within about 2 ulps, from the exact split of |t| by
 * leadingPart (the second part of t² is tiny).
 */
function expNegSquare(t: number, c: 0.5 | 1): number {
  const a = Math.abs(t);
  if (!(a <= 40)) return Number.isNaN(t) ? NaN : 0; // e^{−800} is 0 in float64
  const hi = leadingPart(a);
  const lo = a - hi; // exact
  return Math.exp(-c * hi * hi) * Math.exp(-c * lo * (a + hi));
}

/**
 * Standard normal density φ(t) = e^{−t²/2}/√(2π).
 * @param t any float64; |t| > 38.5 underflows to subnormals, then 0.
 */
export function normalPdf(t: number): number {
  return INV_SQRT_2PI * expNegSquare(t, 0.5);
}

/** Positive series S(u) = Σ u^{2n+1}/(2n+1)!!, used for u < 0.75 (about 20 terms). */
function positiveSeries(u: number): number {
  let term = u;
  let sum = u;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (u * u) / (2 * n + 1);
    sum += term;
  }
  return sum;
}

/**
 * Laplace continued fraction at u ≥ 0.75: R(u) and its tail r, with 1 − uR = rR.
 */
function laplaceFraction(u: number): { R: number; r: number } {
  const depth = Math.ceil(12 + 600 / (u * u));
  let T = u; // the fraction below level `depth` is replaced by u: it no longer matters
  for (let n = depth; n >= 2; n--) T = u + n / T;
  const r = 1 / T;
  return { R: 1 / (u + r), r };
}

/** ln 2 = LN2_HI + LN2_LO with LN2_HI of 32 significant bits, so k·LN2_HI is exact for k < 2²¹ (the split of fdlibm's exp). */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/**
 * Beyond this u the tail values leave float64's normal range (φ(37) ≈ 2.1e−298,
 * g(−37) ≈ 1.5e−301, g(−37.5) ≈ 1.2e−309), while products with large factors (s, U, x)
 * can still be ordinary numbers: there the tail is carried scaled by 2^k.
 */
export const SCALED_TAIL_FROM = 37;

/** At and above this u every tail value times any float64 (below 2¹⁰²⁴) is below 2⁻¹⁰⁷⁵: 0. */
const TAIL_ZERO_FROM = 64;

/**
 * The power of two that keeps the tail at u normal: k = 0 for u ≤ 37 (and for u ≥ 64 or
 * NaN, where nothing is left to keep), else k ≈ u²/(2 ln 2), so that φ(u)·2^k ∈ [0.28, 0.57].
 */
export function tailExponent(u: number): number {
  if (!(u > SCALED_TAIL_FROM && u < TAIL_ZERO_FROM)) return 0;
  const hi = leadingPart(u);
  return Math.round((hi * hi) / 2 / Math.LN2);
}

/**
 * x·2^n for an integer n, rounded once unless the result is subnormal (then at most
 * one more rounding of a subnormal: below 2⁻¹⁰⁷⁴ in absolute terms). 2^n itself is out of
 * range for |n| > 1023, so the factor is applied in steps of at most 2^±1000.
 */
export function ldexp(x: number, n: number): number {
  let y = x;
  let rest = n;
  while (rest > 1000) (y *= 2 ** 1000), (rest -= 1000);
  while (rest < -1000) (y *= 2 ** -1000), (rest += 1000);
  return y * 2 ** rest;
}

/**
 * e^{−u²/2}·2^k for u ∈ [0, 64) and an integer k ≥ 0 with the result below 2¹⁰²⁴.
 * u = hi + lo by leadingPart (hi² exact), and 2^k folded into the exponent by an
 * exact reduction: hi²/2 (a multiple of 2⁻³³ below 2¹¹) minus k·LN2_HI (a multiple of
 * 2⁻³² below 2¹²) is exact, so no intermediate underflows and the result is within a
 * few ulps wherever it is normal.
 */
function scaledExpNegHalfSquare(u: number, k: number): number {
  const hi = leadingPart(u);
  const lo = u - hi; // exact
  const reduced = (hi * hi) / 2 - k * LN2_HI; // exact
  return Math.exp(k * LN2_LO - reduced) * Math.exp(-0.5 * lo * (u + hi));
}

/** The quantities every other function here is built from, for u ≥ 0. */
export interface UpperTail {
  /** φ(u) */
  pdf: number;
  /** Q(u) = Φ(−u) = 1 − Φ(u) */
  Q: number;
  /** E[(Z − u)⁺] = φ(u) − uQ(u) = g(−u), the normal loss function */
  loss: number;
  /** Mills ratio R(u) = Q(u)/φ(u) */
  R: number;
}

/**
 * Upper-tail quantities at u ≥ 0 (see the module comment for the method).
 * @param u ≥ 0, or +∞ (all zero but pdf 0 too), or NaN (all NaN).
 */
export function upperTail(u: number): UpperTail {
  const pdf = normalPdf(u);
  if (u < SERIES_LIMIT) {
    const Q = 0.5 - pdf * positiveSeries(u);
    return { pdf, Q, loss: pdf - u * Q, R: Q / pdf };
  }
  const { R, r } = laplaceFraction(u);
  return { pdf, Q: pdf * R, loss: pdf * r * R, R };
}

/** {@link upperTail}'s values scaled by 2^k (R, a ratio, unscaled), and k. */
export interface ScaledUpperTail extends UpperTail {
  k: number;
}

/**
 * Upper-tail quantities at u ≥ 0 scaled by 2^k: pdf = φ(u)·2^k, Q = Q(u)·2^k,
 * loss = loss(u)·2^k, so that they stay normal numbers beyond u = 37, where the unscaled
 * ones underflow. k defaults to {@link tailExponent}(u); with k = 0 this is upperTail(u)
 * bit for bit. A given k must not make φ(u)·2^k overflow (k ≤ tailExponent(u) + 1 is safe).
 */
export function scaledUpperTail(u: number, k = tailExponent(u)): ScaledUpperTail {
  if (k === 0) return { ...upperTail(u), k };
  const { R, r } = laplaceFraction(u);
  const pdf = u < TAIL_ZERO_FROM ? INV_SQRT_2PI * scaledExpNegHalfSquare(u, k) : 0;
  return { pdf, Q: pdf * R, loss: pdf * r * R, R, k };
}

/**
 * Standard normal distribution function Φ(t) = P(Z ≤ t).
 *
 * For t < 0 it is computed as the tail Q(−t) (never as ½(1 + erf(t/√2)), which
 * cancels); for t ≥ 0 as 1 − Q(t), accurate in absolute terms.
 * @returns a value in [0, 1], nondecreasing in t; Φ(0) = ½ exactly.
 */
export function normalCdf(t: number): number {
  return t < 0 ? upperTail(-t).Q : 1 - upperTail(t).Q;
}

/**
 * Expected ReLU of a shifted standard normal:
 *   g(t) = E[max(Z + t, 0)] = tΦ(t) + φ(t).
 *
 * Uses g(t) − g(−t) = t, so only the left branch g(−u) = loss(u) is ever evaluated:
 *   g(t) = max(t, 0) + loss(|t|).
 * @returns a positive value (0 only after underflow, t < −38), increasing in t, g(t) ≥ max(t, 0).
 */
export function expectedRelu(t: number): number {
  return t < 0 ? upperTail(-t).loss : t + upperTail(t).loss;
}

/**
 * Mills ratio R(u) = Φ(−u)/φ(u) = (1 − Φ(u))/φ(u).
 * For u < 0 this is 1/φ(u) − R(−u), which overflows to ∞ below u ≈ −38.
 */
export function millsRatio(u: number): number {
  return u >= 0 ? upperTail(u).R : 1 / normalPdf(u) - upperTail(-u).R;
}

/**
 * Scaled complementary error function erfcx(z) = e^{z²} erfc(z).
 *
 * erfcx(z) = √(2/π) R(√2 z) (R's condition number is below 1, so rounding √2 z costs
 * under an ulp); for z < 0, erfcx(z) = 2e^{z²} − erfcx(−z), which overflows below z ≈ −26.6.
 */
export function erfcx(z: number): number {
  if (z >= 0) return SQRT_2_OVER_PI * upperTail(Math.SQRT2 * z).R;
  return 2 / expNegSquare(z, 1) - SQRT_2_OVER_PI * upperTail(-Math.SQRT2 * z).R;
}

/**
 * Complementary error function erfc(z) = 1 − erf(z) = 2Φ(−√2 z).
 *
 * Computed as e^{−z²} · erfcx(z) with e^{−z²} from an exact split of z², so it keeps
 * full relative accuracy in the tail (erfc(26) ≈ 5.7e−296). erfc(z) = 2 − erfc(−z) for z < 0.
 */
export function erfc(z: number): number {
  if (z < 0) return 2 - erfc(-z);
  return expNegSquare(z, 1) * SQRT_2_OVER_PI * upperTail(Math.SQRT2 * z).R;
}
