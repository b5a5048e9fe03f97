/**
 * `gmlayer eval --impl tfjs [--backend NAME] [--kernels K]`: the case through the tfjs op
 * on the chosen backend and kernels, gradients by the hand-written backward. Loaded only
 * when asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GMCase } from '../../reference/case.js';
import { useBackend } from '../backend/backend.js';
import { gmValuesChecked } from '../op/deferred-check.js';
import { gmLayer, resolveKernels, type GMTensors, type KernelChoice } from '../op/gm-op.js';
import type { CliImpl } from './impl.js';

export const runTfjs: CliImpl = async (c: GMCase, options) => {
  const report = await useBackend(options.backend ?? process.env.GMLAYER_BACKEND ?? 'auto');
  const kernels = (options.kernels ?? 'auto') as KernelChoice; // gmLayer checks it
  const tensors = tf.tidy(() => {
    const x = tf.tensor2d(c.x, [c.dims.B, c.dims.d]);
    const mu = tf.tensor2d(c.params.mu);
    const sigma = tf.tensor2d(c.params.sigma);
    const U = tf.tensor3d(c.params.U);
    const v = tf.tensor2d(c.params.v);
    const G = tf.tensor2d(c.upstream, [c.dims.B, c.dims.L]);
    const V = c.params.V === undefined ? undefined : tf.tensor3d(c.params.V.flat(2), [c.dims.K, c.dims.r, c.dims.d]);
    const lowRank = c.dims.r > 0; // rank 0 (V as K empty lists) is the diagonal layer: nothing to differentiate
    const params = (m: tf.Tensor, s: tf.Tensor, u: tf.Tensor, vv: tf.Tensor, VV?: tf.Tensor) =>
      ({ mu: m, sigma: s, U: u, v: vv, ...(VV !== undefined && { V: VV }) }) as GMTensors;
    const layer = (xx: tf.Tensor, m: tf.Tensor, s: tf.Tensor, u: tf.Tensor, vv: tf.Tensor, VV?: tf.Tensor) =>
      gmLayer(xx as tf.Tensor2D, params(m, s, u, vv, VV ?? V), { kernels });
    // The gradients of Σ G ⊙ h as the vector-Jacobian product with dy = G: no sum over the
    // batch, which tfjs-webgpu cannot take when the batch is empty.
    const grads = tf.grads(layer as (...args: tf.Tensor[]) => tf.Tensor)(lowRank ? [x, mu, sigma, U, v, V!] : [x, mu, sigma, U, v], G);
    const [gx, gmu, gsigma, gU, gv, gV] = grads;
    return [gmLayer(x, params(mu, sigma, U, v, V), { kernels }), gmu, gsigma, gU, gv, gx, ...(gV === undefined ? [] : [gV])];
  });
  try {
    await gmValuesChecked(); // webgpu checks values after the fact (src/op/deferred-check.ts)
    // Asynchronous reads: webgpu has no synchronous one in Node.
    const [y, mu, sigma, U, v, x, gV] = (await Promise.all(tensors.map((t) => t.array()))) as number[][][];
    const V = c.params.V === undefined ? {} : { V: gV ?? c.params.V.map(() => []) };
    return {
      impl: 'tfjs',
      backend: report.backend,
      ...(report.adapter && { adapter: report.adapter }),
      ...(report.threads !== undefined && { threads: report.threads }),
      kernels: resolveKernels(kernels),
      y,
      grad: { mu, sigma, U, v, x, ...V },
    };
  } finally {
    tf.dispose(tensors);
  }
};
