/**
 * `gmlayer eval --impl tfjs [--backend NAME] [--kernels K]`: the case through the tfjs op
 * on the chosen backend and kernels, gradients by the hand-written backward. Loaded only
 * when asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GMCase } from '../../reference/case.js';
import { useBackend } from '../backend/backend.js';
import { gmValuesChecked } from '../op/deferred-check.js';
import { gmLayer, resolveKernels, type KernelChoice } from '../op/gm-op.js';
import type { CliImpl } from './impl.js';

export const runTfjs: CliImpl = async (c: GMCase, options) => {
  const report = await useBackend(options.backend ?? process.env.GMLAYER_BACKEND ?? 'auto');
  const kernels = (options.kernels ?? 'auto') as KernelChoice; // gmLayer checks it
  const tensors = tf.tidy(() => {
    const x = tf.tensor2d(c.x.length === 0 ? [] : c.x, [c.dims.B, c.dims.d]);
    const mu = tf.tensor2d(c.params.mu);
    const sigma = tf.tensor2d(c.params.sigma);
    const U = tf.tensor3d(c.params.U);
    const v = tf.tensor2d(c.params.v);
    const G = tf.tensor2d(c.upstream.length === 0 ? [] : c.upstream, [c.dims.B, c.dims.L]);
    // V goes to the op, which takes rank 0 (the diagonal layer) and refuses low-rank factors.
    const V = c.params.V === undefined ? {} : { V: tf.tensor3d(c.params.V.flat(2), [c.dims.K, c.dims.r, c.dims.d]) };
    const loss = (xx: tf.Tensor, m: tf.Tensor, s: tf.Tensor, u: tf.Tensor, vv: tf.Tensor) =>
      tf.sum(tf.mul(gmLayer(xx as tf.Tensor2D, { mu: m as tf.Tensor2D, sigma: s as tf.Tensor2D, U: u as tf.Tensor3D, v: vv as tf.Tensor2D, ...V }, { kernels }), G));
    const [gx, gmu, gsigma, gU, gv] = tf.grads(loss)([x, mu, sigma, U, v]);
    return [gmLayer(x, { mu, sigma, U, v, ...V }, { kernels }), gmu, gsigma, gU, gv, gx];
  });
  try {
    await gmValuesChecked(); // webgpu checks values after the fact (src/op/deferred-check.ts)
    // Asynchronous reads: webgpu has no synchronous one in Node.
    const [y, mu, sigma, U, v, x] = (await Promise.all(tensors.map((t) => t.array()))) as number[][][];
    return {
      impl: 'tfjs',
      backend: report.backend,
      ...(report.adapter && { adapter: report.adapter }),
      kernels: resolveKernels(kernels),
      y,
      grad: { mu, sigma, U, v, x, ...(c.params.V !== undefined && { V: c.params.V.map(() => []) }) }, // rank 0 here
    };
  } finally {
    tf.dispose(tensors);
  }
};
