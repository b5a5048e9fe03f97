/**
 * checkShapes and checkFinite (src/op/validate.ts): every tensor's field, shape, dtype and
 * liveness in the message; empty dimensions; unknown fields; tensors of another tfjs copy;
 * the first NaN or ±∞ named by its index, empty tensors skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import { GMBackendError } from '../../src/errors.js';
import { DEFERRED_READ_BACKENDS, gmValuesChecked } from '../../src/op/deferred-check.js';
import { checkFinite, checkShapes, type GMTensors } from '../../src/op/validate.js';
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

  /** The error checkShapes throws, for its class, field and message. */
  const thrown = (x: unknown, p: unknown): Error => {
    try {
      checkShapes(x, p as GMTensors);
    } catch (error) {
      return error as Error;
    }
    throw new Error('no error thrown');
  };
  const x = () => tf.zeros([1, 3]);

  it.each([
    ['mu', () => ({ mu: tf.zeros([2]) }), 'params.mu: expected shape [K, d], got shape [2]'],
    ['sigma', () => ({ sigma: tf.zeros([2, 4]) }), 'params.sigma: expected shape [K=2, d=3], got shape [2, 4]'],
    ['sigma', () => ({ sigma: tf.zeros([3, 3]) }), 'params.sigma: expected shape [K=2, d=3], got shape [3, 3]'],
    ['U', () => ({ U: tf.zeros([2, 3]) }), 'params.U: expected shape [K=2, L, d=3], got shape [2, 3]'],
    ['U', () => ({ U: tf.zeros([2, 1, 4]) }), 'params.U: expected shape [K=2, L, d=3], got shape [2, 1, 4]'],
    ['v', () => ({ v: tf.zeros([2, 2]) }), 'params.v: expected shape [K=2, L=1], got shape [2, 2]'],
  ])('names params.%s with the shape it expects and the one it got', (_name, change, message) => {
    const error = thrown(x(), { ...params(), ...change() });
    expect(error).toBeInstanceOf(GMShapeError);
    expect(error.message).toBe(message);
  });

  it('names x with the shape it expects and the one it got', () => {
    expect(thrown(tf.zeros([1, 4]), params()).message).toBe('x: expected shape [B, d=3], got shape [1, 4]');
    expect(thrown(tf.zeros([3]), params()).message).toBe('x: expected shape [B, d=3], got shape [3]');
    expect(checkShapes(tf.zeros([0, 3]), params())).toEqual({ K: 2, d: 3, L: 1, r: 0, B: 0 }); // an empty batch is a batch
  });

  it.each([
    ['K = 0', () => ({ mu: tf.zeros([0, 3]) }), 'params.mu: expected K ≥ 1 components, got K = 0'],
    ['d = 0', () => ({ mu: tf.zeros([2, 0]) }), 'params.mu: expected d ≥ 1 input dimensions, got d = 0'],
    ['L = 0', () => ({ U: tf.zeros([2, 0, 3]), v: tf.zeros([2, 0]) }), 'params.U: expected L ≥ 1 outputs, got L = 0'],
  ])('refuses %s', (_name, change, message) => {
    const error = thrown(x(), { ...params(), ...change() });
    expect(error).toBeInstanceOf(GMShapeError);
    expect(error.message).toBe(message);
  });

  it('refuses a value that is not a tensor, or params that are not an object, describing what came', () => {
    expect(thrown(x(), { ...params(), v: [[0], [0]] })).toBeInstanceOf(GMShapeError);
    expect(thrown(x(), { ...params(), v: [[0], [0]] }).message).toBe('params.v: expected a tf.Tensor of shape [K, L], got an array of length 2');
    expect(thrown(x(), { ...params(), mu: undefined }).message).toBe('params.mu: expected a tf.Tensor of shape [K, d], got undefined');
    expect(thrown(x(), null).message).toBe('params: expected an object with tensors mu, sigma, U, v, got null');
    expect(thrown(x(), 'weights').message).toBe('params: expected an object with tensors mu, sigma, U, v, got "weights"');
    expect(thrown(x(), 'weights')).toBeInstanceOf(GMShapeError);
    expect(thrown(null, params()).message).toBe('x: expected a tf.Tensor of shape [B, d], got null');
    // tensor-shaped but missing one of dataId, shape, dtype: a wrong value, not another tfjs copy
    for (const key of ['dataId', 'shape', 'dtype']) {
      const partial: Record<string, unknown> = { dataId: {}, shape: [1, 3], dtype: 'float32' };
      delete partial[key];
      expect(thrown(partial, params())).toBeInstanceOf(GMShapeError);
    }
    expect(thrown({ dataId: {}, shape: [1, 3], dtype: 'float32' }, params()).message).toMatch(/, got a tensor from another copy of @tensorflow\/tfjs-core$/);
  });

  it('refuses a disposed tensor and a dtype other than float32, naming the field', () => {
    const gone = tf.zeros([2, 3]);
    gone.dispose();
    expect(thrown(x(), { ...params(), sigma: gone })).toBeInstanceOf(GMValueError);
    expect(thrown(x(), { ...params(), sigma: gone }).message).toBe('params.sigma: expected a live tensor, got a disposed tensor');
    expect(thrown(tf.zeros([1, 3], 'int32'), params())).toBeInstanceOf(GMValueError);
    expect(thrown(tf.zeros([1, 3], 'int32'), params()).message).toBe('x: expected dtype float32, got dtype int32');
  });

  /** checkFinite's error: thrown at once, or on webgpu by gmValuesChecked once the deferred read lands. */
  const nonFinite = async (named: Record<string, tf.Tensor>): Promise<Error | undefined> => {
    try {
      checkFinite(named);
      if (DEFERRED_READ_BACKENDS.has(tf.getBackend())) await gmValuesChecked();
    } catch (error) {
      return error as Error;
    }
    return undefined;
  };

  it('checkFinite names the first NaN or ±∞ by its index, and skips empty tensors', async () => {
    const nan = await nonFinite({ x: tf.tensor2d([[0, 1], [2, NaN]]) });
    expect(nan).toBeInstanceOf(GMValueError);
    expect(nan?.message).toBe('x[1][1]: expected a finite number, got NaN');
    expect((await nonFinite({ 'params.mu': tf.zeros([2, 2]), 'params.v': tf.tensor2d([[Infinity]]) }))?.message).toBe('params.v[0][0]: expected a finite number, got Infinity');
    expect(await nonFinite({ x: tf.zeros([0, 3]), mu: tf.ones([2, 3]) })).toBeUndefined();
    expect(await nonFinite({ x: tf.zeros([0, 3]) })).toBeUndefined();
    expect(await nonFinite({})).toBeUndefined();
  });
});
