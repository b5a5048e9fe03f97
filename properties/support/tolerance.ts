/**
 * Tolerances from reference/error-bound.ts: |ĥ − h| ≤ 4·n·u·M + F entry by entry, for a
 * computation in a format with unit roundoff u (F: the underflow floor).
 */
import { forwardMagnitude, gradientMagnitude, roundingFactor, underflowFloor } from '../../reference/error-bound.js';
import type { GMGradients, GMParams, Matrix } from '../../reference/types.js';

export const FLOAT64_UNIT_ROUNDOFF = 2 ** -53;
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

function dimsOf(params: GMParams) {
  return { K: params.mu.length, d: params.mu[0].length, L: params.v[0].length };
}

/** Bound on the rounding error of each entry of h(x): B×L. */
export function forwardTolerance(params: GMParams, x: Matrix, unitRoundoff = FLOAT64_UNIT_ROUNDOFF): Matrix {
  const factor = roundingFactor(dimsOf(params), x.length, unitRoundoff, 'forward');
  const floor = underflowFloor(unitRoundoff);
  return forwardMagnitude(params, x, factor).map((row) => row.map((m) => factor * m + floor));
}

/** Bound on the rounding error of each gradient entry, in the gradients' shapes. */
export function gradientTolerance(params: GMParams, x: Matrix, G: Matrix, unitRoundoff = FLOAT64_UNIT_ROUNDOFF): GMGradients {
  const factor = roundingFactor(dimsOf(params), x.length, unitRoundoff, 'gradient');
  const floor = underflowFloor(unitRoundoff);
  const M = gradientMagnitude(params, x, G, factor);
  const scale = (a: Matrix) => a.map((row) => row.map((m) => factor * m + floor));
  return { mu: scale(M.mu), sigma: scale(M.sigma), U: M.U.map(scale), v: scale(M.v), x: scale(M.x), ...(M.V !== undefined && { V: M.V.map(scale) }) };
}

/** Entry-wise sum of two same-shaped matrices (tolerances of two computations add). */
export function addMatrices(a: Matrix, b: Matrix): Matrix {
  return a.map((row, i) => row.map((value, j) => value + b[i][j]));
}
