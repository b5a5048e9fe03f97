/**
 * The tfjs op held against the float64 reference: a case as float32 holds it, the op's
 * output and every gradient of Σ G ⊙ y read back, and the comparison within the float32
 * rounding bound (†) of reference/error-bound.ts (properties/op/gm-op.test.ts explains
 * the tolerance). Shared by the op's suites and the threaded wasm backend's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gmGradients } from '../../reference/gradients.js';
import type { GMGradients, GMParams, Matrix } from '../../reference/types.js';
import { gmLayer, type GMTensors, type KernelChoice } from '../../src/op/gm-op.js';
import type { GeneratedCase } from './arbitraries.js';
import { expectClose } from './compare.js';
import { readArrays } from './read.js';
import { FLOAT32_UNIT_ROUNDOFF, forwardTolerance, gradientTolerance } from './tolerance.js';

/** A small ordinary case (K = 1, d = 2, L = 1, B = 1), exact in float32: for suites about which path runs rather than its values. */
export const SMALL_CASE: GeneratedCase = { params: { mu: [[0.5, -1]], sigma: [[1, 0.25]], U: [[[1, 2]]], v: [[0.1]] }, x: [[1, 2]], G: [[1]] };

/** Each entry rounded to float32. */
export const fround = (m: Matrix) => m.map((row) => row.map(Math.fround));

/** The case as float32 would hold it. */
export function toFloat32(c: GeneratedCase): GeneratedCase {
  const p = c.params;
  const V = p.V === undefined ? {} : { V: p.V.map(fround) };
  return { params: { mu: fround(p.mu), sigma: fround(p.sigma), U: p.U.map(fround), v: fround(p.v), ...V }, x: fround(c.x), G: fround(c.G) };
}

/** The parameters as tfjs tensors. */
export const tensors = (p: GMParams): GMTensors => ({
  mu: tf.tensor2d(p.mu),
  sigma: tf.tensor2d(p.sigma),
  U: tf.tensor3d(p.U),
  v: tf.tensor2d(p.v),
  ...(p.V !== undefined && { V: tf.tensor3d(p.V.flat(2), [p.mu.length, p.V[0].length, p.mu[0].length]) }),
});

/** The layer under test: gmLayer on some kernel path, or autodiff through the composite forward. */
export type Op = (x: tf.Tensor2D, params: GMTensors) => tf.Tensor2D;
export const opFor = (kernels: KernelChoice): Op => (x, params) => gmLayer(x, params, { kernels });

/** y and the gradients of Σ G ⊙ y through the given op, as nested arrays (read asynchronously: support/read.ts). */
export async function evaluate(op: Op, c: GeneratedCase): Promise<{ y: Matrix; grad: GMGradients }> {
  const lowRank = (c.params.V?.[0]?.length ?? 0) > 0; // rank 0: nothing to differentiate in V
  const got = await readArrays((): Record<string, tf.Tensor> => {
    const p = tensors(c.params);
    const x = tf.tensor2d(c.x);
    const G = tf.tensor2d(c.G);
    const loss = (xx: tf.Tensor, mu: tf.Tensor, sigma: tf.Tensor, U: tf.Tensor, v: tf.Tensor, V?: tf.Tensor) =>
      tf.sum(tf.mul(op(xx as tf.Tensor2D, { mu, sigma, U, v, ...((V ?? p.V) !== undefined && { V: V ?? p.V }) } as GMTensors), G));
    const [gx, gmu, gsigma, gU, gv, gV] = tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)(lowRank ? [x, p.mu, p.sigma, p.U, p.v, p.V!] : [x, p.mu, p.sigma, p.U, p.v]);
    return { y: op(x, p), mu: gmu, sigma: gsigma, U: gU, v: gv, x: gx, ...(gV !== undefined && { V: gV }) };
  });
  const V = c.params.V === undefined ? {} : { V: (got.V as Matrix[] | undefined) ?? c.params.V.map(() => []) };
  return { y: got.y as Matrix, grad: { mu: got.mu as Matrix, sigma: got.sigma as Matrix, U: got.U as Matrix[], v: got.v as Matrix, x: got.x as Matrix, ...V } };
}

export function expectGradientsClose(got: GMGradients, want: GMGradients, tol: GMGradients, label: string): void {
  expectClose(got.mu, want.mu, tol.mu, `${label} grad.mu`);
  expectClose(got.sigma, want.sigma, tol.sigma, `${label} grad.sigma`);
  expectClose(got.U, want.U, tol.U, `${label} grad.U`);
  expectClose(got.v, want.v, tol.v, `${label} grad.v`);
  expectClose(got.x, want.x, tol.x, `${label} grad.x`);
  if (want.V !== undefined) expectClose(got.V!, want.V, tol.V!, `${label} grad.V`);
}

/** tfjs result vs the reference on the same float32 inputs, within the float32 bound. */
export async function checkAgainstReference(op: Op, c32: GeneratedCase): Promise<void> {
  const got = await evaluate(op, c32);
  const want = gmGradients(c32.params, c32.x, c32.G);
  expectClose(got.y, want.y, forwardTolerance(c32.params, c32.x, FLOAT32_UNIT_ROUNDOFF), 'y');
  expectGradientsClose(got.grad, want.grad, gradientTolerance(c32.params, c32.x, c32.G, FLOAT32_UNIT_ROUNDOFF), '');
}
