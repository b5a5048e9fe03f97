/** checkShapes (src/op/validate.ts): shapes, unknown fields, tensors of another tfjs copy. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { GMShapeError } from '../../reference/errors.js';
import { GMBackendError } from '../../src/errors.js';
import { checkShapes, type GMTensors } from '../../src/op/validate.js';
import { describeEachBackend } from '../support/backends.js';

describeEachBackend('checkShapes', () => {
  const params = () => ({ mu: tf.zeros([2, 3]), sigma: tf.zeros([2, 3]), U: tf.zeros([2, 1, 3]), v: tf.zeros([2, 1]) }) as GMTensors;

  it('refuses an unknown parameter, naming it and the known ones', () => {
    const p = { ...params(), W: tf.zeros([2, 0, 3]) } as unknown as GMTensors;
    expect(() => checkShapes(tf.zeros([1, 3]), p)).toThrow(GMShapeError);
    expect(() => checkShapes(tf.zeros([1, 3]), p)).toThrow('params.W: expected one of the fields mu, sigma, U, v, V, got an unknown field');
  });

  it('takes V of any rank r ≥ 0 and names V, the expected and the actual shape when it does not fit', () => {
    const withV = (V: unknown) => ({ ...params(), V }) as unknown as GMTensors;
    expect(checkShapes(tf.zeros([1, 3]), withV(tf.zeros([2, 0, 3])))).toEqual({ K: 2, d: 3, L: 1, r: 0, B: 1 });
    expect(checkShapes(tf.zeros([1, 3]), withV(tf.zeros([2, 4, 3])))).toEqual({ K: 2, d: 3, L: 1, r: 4, B: 1 });
    expect(() => checkShapes(tf.zeros([1, 3]), withV(tf.zeros([1, 1, 3])))).toThrow(GMShapeError);
    expect(() => checkShapes(tf.zeros([1, 3]), withV(tf.zeros([1, 1, 3])))).toThrow('params.V: expected shape [K=2, r, d=3], got shape [1, 1, 3]');
    expect(() => checkShapes(tf.zeros([1, 3]), withV(tf.zeros([2, 3])))).toThrow('params.V: expected shape [K=2, r, d=3], got shape [2, 3]');
  });


  it('tells a tensor of another tfjs copy from a wrong value', () => {
    const x = tf.zeros([1, 3]);
    // What a second copy of tfjs-core hands over: a tensor-shaped object of another class.
    const foreign = { dataId: {}, shape: [1, 3], dtype: 'float32', rank: 2 };
    expect(() => checkShapes(foreign, params())).toThrow(GMBackendError);
    expect(() => checkShapes(foreign, params())).toThrow(/x: expected a tf\.Tensor of the @tensorflow\/tfjs-core that gmlayer imports .*one copy of tfjs/);
    expect(() => checkShapes([[0, 0, 0]], params())).toThrow(GMShapeError);
    expect(checkShapes(x, params())).toEqual({ K: 2, d: 3, L: 1, r: 0, B: 1 });
  });
});
