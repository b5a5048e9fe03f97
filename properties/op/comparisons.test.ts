/** The gradient-free comparisons (src/op/comparisons.ts): their values, and autodiff through a `where` they decide. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { isGreater, isLess, isLessEqual } from '../../src/op/comparisons.js';
import { describeEachBackend } from '../support/backends.js';

describeEachBackend('comparisons', () => {
  it('compare elementwise', async () => {
    const a = tf.tensor1d([-1, 0, 2]);
    expect(Array.from(await isLess(a, 0).data())).toEqual([1, 0, 0]);
    expect(Array.from(await isLessEqual(a, 0).data())).toEqual([1, 1, 0]);
    expect(Array.from(await isGreater(a, 0).data())).toEqual([0, 0, 1]);
  });

  it.each([
    ['isLess', isLess],
    ['isLessEqual', isLessEqual],
    ['isGreater', isGreater],
  ])('%s lets autodiff through a where it decides, adding nothing', async (_name, compare) => {
    const x = tf.tensor1d([-1, 0.5, 2]);
    // where(c, 3x, x²): the gradient is 3 where c holds and 2x elsewhere, the condition adding nothing
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.where(compare(t, 0.75), tf.mul(t, 3), tf.square(t))))(x);
    const c = Array.from(await compare(x, 0.75).data());
    expect(Array.from(await g.data())).toEqual([-1, 0.5, 2].map((v, j) => (c[j] ? 3 : 2 * v)));
  });
});
