/**
 * rowScales (src/op/scales.ts) on every backend: 2^round(log2 max_i |x_ri|) computed in
 * float64 here, 1 for a zero row, the exponent clamped to SCALE_EXPONENT_RANGE; and no
 * gradient through it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { SCALE_EXPONENT_RANGE } from '../../src/op/limits.js';
import { rowScales } from '../../src/op/scales.js';
import { describeEachBackend } from '../support/backends.js';

/** The scale of one row, in float64. */
function expected(row: number[]): number {
  const maxAbs = Math.max(...row.map(Math.abs));
  if (maxAbs === 0) return 1;
  const [lo, hi] = SCALE_EXPONENT_RANGE;
  return 2 ** Math.min(hi, Math.max(lo, Math.round(Math.log2(maxAbs))));
}

describeEachBackend('rowScales', () => {
  it('is the power of two nearest each row’s largest magnitude (a negative one included), 1 for a zero row', async () => {
    // log2 of each row's largest magnitude sits well inside a rounding interval (no ties within float32's error)
    const rows = [
      [0.1, -3, 2], // 3 → 2^2
      [100, 1e-3, -0.5], // 100 → 2^7
      [0, 0, 0],
      [-1e-6, 2e-7, 0], // 1e−6 → 2^−20
      [3e38, -1, 1], // 2^128, beyond the clamp: 2^126
    ];
    const got = (await rowScales(tf.tensor2d(rows)).array()) as number[][];
    expect(got).toEqual(rows.map((row) => [expected(row)]));
  });

  it('passes no gradient', async () => {
    const x = tf.tensor2d([[0.3, -2], [5, 1]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(rowScales(t as tf.Tensor2D), t)))(x);
    // d/dx Σ_r c_r·Σ_i x_ri with c constant: c_r in every entry of row r
    expect(await g.array()).toEqual([[2, 2], [4, 4]]);
  });
});
