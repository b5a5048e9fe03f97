/**
 * Powers of two that bring a tensor's rows to a largest entry near 1: the exact scalings
 * behind the float32 plan (docs/MATH.md, section 6), for x's rows (c) and σ's rows (ς).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SCALE_EXPONENT_RANGE } from './limits.js';
import { rowScales as webgpuRowScales } from './webgpu/programs.js';

/**
 * Row scales 2^round(log2 max_i |x_ri|), 1 for zero rows, the exponent clamped to
 * SCALE_EXPONENT_RANGE: [R, C] → [R, 1]; on webgpu one WGSL program. Computed inside
 * tf.customGrad with a zero gradient: the scales are piecewise constant, and autodiff
 * through log at a flushed subnormal would give 0·∞ = NaN.
 */
export function rowScales(x: tf.Tensor2D): tf.Tensor2D {
  const scales = (t: tf.Tensor2D) => {
    if (tf.getBackend() === 'webgpu') return webgpuRowScales(t, SCALE_EXPONENT_RANGE); // one dispatch
    const maxAbs = tf.max(tf.abs(t), 1, true);
    const safe = tf.where(tf.greater(maxAbs, 0), maxAbs, tf.onesLike(maxAbs));
    const exponent = tf.clipByValue(tf.round(tf.div(tf.log(safe), Math.LN2)), ...SCALE_EXPONENT_RANGE);
    return tf.pow(2, exponent) as tf.Tensor2D;
  };
  return tf.customGrad((t) => ({ value: scales(t as tf.Tensor2D), gradFunc: () => tf.zerosLike(t as tf.Tensor) }))(x) as tf.Tensor2D;
}
