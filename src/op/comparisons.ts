/**
 * Comparisons for `tf.where` conditions that autodiff can pass through.
 *
 * tfjs registers no gradient for Less, LessEqual or Greater, yet backprop visits them
 * when a `where` condition depends on a watched tensor. Running the comparison inside
 * tf.customGrad (whose forward is not recorded) with a zero gradient cuts that path.
 */
import * as tf from '@tensorflow/tfjs-core';

function gradientFree(compare: (a: tf.Tensor, b: number) => tf.Tensor): (a: tf.Tensor, b: number) => tf.Tensor {
  return (a, b) => tf.customGrad((x) => ({ value: compare(x as tf.Tensor, b), gradFunc: () => tf.zerosLike(x as tf.Tensor) }))(a);
}

/** a < b, elementwise (bool), with no gradient. */
export const isLess = gradientFree((a, b) => tf.less(a, b));
/** a ≤ b, elementwise (bool), with no gradient. */
export const isLessEqual = gradientFree((a, b) => tf.lessEqual(a, b));
/** a > b, elementwise (bool), with no gradient. */
export const isGreater = gradientFree((a, b) => tf.greater(a, b));
