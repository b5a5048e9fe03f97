/**
 * Standard normal special functions on tfjs tensors, in float32, built from exp, mul,
 * add and div so that every backend runs them (tfjs has no erfc, erfcx or ndtr, and
 * ½(1 + erf(t/√2)) is off by 4 % at t = −5 in float32).
 *
 * Everything is a function of u = |t| ≥ 0 (see reference/normal.ts for the math):
 *
 *   Q(u)    = Φ(−u) = φ(u) R(u),   R(u) = √(π/2) erfcx(u/√2)   (the Mills ratio)
 *   loss(u) = g(−u) = φ(u)(1 − uR(u))                           (the normal loss function)
 *
 * erfcx(z) = y·exp(P(y)), y = 1/(1 + z/2), with the Chebyshev-type fit of Press et al.,
 * Numerical Recipes (2nd ed., §6.2, erfcc): fractional error below 1.2e−7 for z ≥ 0
 * (1.07e−7 measured against reference/normal.ts on [0, 100]).
 *
 * 1 − uR(u) cancels as u grows (it is ≈ 1/u²), so from u = 5 on it is taken from the
 * continued fraction 1 − uR = rR, r = 1/(u + 2/(u + 3/(u + …))), cut at depth 8
 * (relative error 1.7e−7 for u ≥ 5). Below 5 the direct form amplifies the fit's error
 * by at most 13 (1.4e−6 measured).
 *
 * The same formulas come twice here: on tensors (upperTailF32, every backend) and on one
 * number (upperTailFit, in float64). The fused kernels of src/op/fused/gm-fused.ts run upperTailFit's
 * arithmetic compiled, two lanes at a time (componentTerms in src/op/fused/wasm/gm-loops.wat, held
 * to upperTailFit by properties/op/fused/wasm-loops.test.ts), and round the results to float32
 * on store; the fit's 1.2e−7 then dominates.
 *
 * Accuracy of the tensor form in float32 (properties/op/normal-f32.test.ts checks both
 * forms against the float64 reference): Φ(t) and g(t) within ~1e−5 relative for |t| ≤ 13 (dominated by rounding
 * u²/2 inside exp), φ(t) likewise; beyond |t| ≈ 13.5 the tails underflow to 0 and
 * g(t) → max(t, 0). Every result is finite and nonnegative for every finite input,
 * and both branches of every `where` stay finite, so autodiff through these functions
 * cannot be poisoned by 0·NaN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isLess } from './comparisons.js';

/** Numerical Recipes' erfcc coefficients, P(y) = Σ_j NR[j] y^j. */
const NR = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_HALF_PI = 1.2533141373155003;
/** From here on, 1 − uR comes from the continued fraction. */
const FRACTION_START = 5;
const FRACTION_DEPTH = 8;
/** φ(20) is 0 in float32: clamping u here keeps every intermediate finite. */
export const U_MAX = 20;

/**
 * The constants of upperTailFit, in the order the compiled loop componentTerms
 * (src/op/fused/wasm/gm-loops.wat) takes them: U_MAX, FRACTION_START, FRACTION_DEPTH,
 * 1/√(2π), √(π/2), then the fit's coefficients NR[0..9].
 */
export const UPPER_TAIL_CONSTANTS: readonly number[] = [U_MAX, FRACTION_START, FRACTION_DEPTH, INV_SQRT_2PI, SQRT_HALF_PI, ...NR];

export interface TailTensors {
  /** φ(u) */
  pdf: tf.Tensor;
  /** Q(u) = Φ(−u) */
  Q: tf.Tensor;
  /** E[(Z − u)⁺] = g(−u) */
  loss: tf.Tensor;
}

/** P(y) by Horner's rule. */
function horner(y: tf.Tensor): tf.Tensor {
  let p = tf.scalar(NR[NR.length - 1]) as tf.Tensor;
  for (let j = NR.length - 2; j >= 0; j--) p = tf.add(NR[j], tf.mul(y, p));
  return p;
}

/**
 * φ(u), Φ(−u) and g(−u) for u ≥ 0, elementwise, any shape.
 * @param u nonnegative float32 tensor (values above 20 are treated as 20: all three are 0 there).
 */
export function upperTailF32(u: tf.Tensor): TailTensors {
  const uc = tf.minimum(u, U_MAX);
  const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(uc))));
  const y = tf.div(1, tf.add(1, tf.mul(uc, 0.5 * Math.SQRT1_2))); // z = u/√2, y = 1/(1 + z/2)
  const R = tf.mul(SQRT_HALF_PI, tf.mul(y, tf.exp(horner(y))));
  const Q = tf.mul(pdf, R);
  // Direct form below FRACTION_START; continued fraction at and above (on u clamped up to it).
  const direct = tf.mul(pdf, tf.sub(1, tf.mul(uc, R)));
  const uf = tf.maximum(uc, FRACTION_START);
  let T: tf.Tensor = uf;
  for (let n = FRACTION_DEPTH; n >= 2; n--) T = tf.add(uf, tf.div(n, T));
  const fraction = tf.mul(pdf, tf.div(R, T)); // φ·r·R with r = 1/T
  const loss = tf.where(isLess(uc, FRACTION_START), direct, fraction);
  return { pdf, Q, loss };
}

/**
 * φ(u), Φ(−u) and g(−u) for one u ≥ 0, in float64 arithmetic by the formulas above
 * (relative error ≤ 1.2e−7 from the fit, ≤ 13× that for g below u = 5).
 * @param u nonnegative (values above 20 are treated as 20).
 */
export function upperTailFit(u: number): { pdf: number; Q: number; loss: number } {
  const uc = Math.min(u, U_MAX);
  const pdf = INV_SQRT_2PI * Math.exp(-0.5 * uc * uc);
  const y = 1 / (1 + uc * 0.5 * Math.SQRT1_2);
  let p = NR[NR.length - 1];
  for (let j = NR.length - 2; j >= 0; j--) p = NR[j] + y * p;
  const R = SQRT_HALF_PI * y * Math.exp(p);
  if (uc < FRACTION_START) return { pdf, Q: pdf * R, loss: pdf * (1 - uc * R) };
  let T = uc;
  for (let n = FRACTION_DEPTH; n >= 2; n--) T = uc + n / T;
  return { pdf, Q: pdf * R, loss: (pdf * R) / T };
}

/** Φ(t), elementwise: Q(−t) for t < 0, else 1 − Q(t). */
export function normalCdfF32(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { Q } = upperTailF32(tf.abs(t));
    return tf.where(isLess(t, 0), Q, tf.sub(1, Q));
  });
}

/** φ(t), elementwise. */
export function normalPdfF32(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => upperTailF32(tf.abs(t)).pdf);
}

/** g(t) = E[max(Z + t, 0)] = max(t, 0) + g(−|t|), elementwise. */
export function expectedReluF32(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.relu(t), upperTailF32(tf.abs(t)).loss));
}
