/**
 * The two scans behind checkFinite (src/op/validate.ts) agree on every backend present:
 * the host-memory scan used on cpu and wasm, and the tfjs reductions used elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { GMShapeError } from '../../reference/errors.js';
import { GMBackendError } from '../../src/errors.js';
import { HOST_BACKENDS } from '../../src/op/fused/host-memory.js';
import { checkShapes, scanDevice, scanHost, type GMTensors } from '../../src/op/validate.js';
import { describeEachBackend } from '../support/backends.js';

const special = fc.constantFrom(NaN, Infinity, -Infinity);

describeEachBackend('non-finite scans', (backend) => {
  const scans = [['device', scanDevice] as const, ...((HOST_BACKENDS as readonly string[]).includes(backend) ? [['host', (e: [string, tf.Tensor][]) => scanHost(e, backend)] as const] : [])];

  test.prop([fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 }), fc.option(fc.tuple(fc.nat(), special)), fc.nat(2)], { numRuns: 40 })(
    'find the first NaN or ±∞ of the first tensor that has one, or nothing',
    (finite, injected, which) => {
      const arrays = [0, 1, 2].map(() => [...finite]);
      if (injected !== null) arrays[which][injected[0] % finite.length] = injected[1];
      const tensors = arrays.map((a) => tf.tensor1d(a));
      const entries = tensors.map((t, j) => [`t${j}`, t] as [string, tf.Tensor]);
      for (const [, scan] of scans) {
        const found = scan(entries);
        if (injected === null) expect(found).toBeUndefined();
        else expect(found).toMatchObject({ field: `t${which}`, at: injected[0] % finite.length, value: injected[1] });
      }
      tf.dispose(tensors);
    },
  );

  it('scan in place: no tensors are left behind', () => {
    const t = tf.tensor2d([[1, 2], [3, NaN]]);
    const before = tf.memory().numTensors;
    for (const [, scan] of scans) expect(scan([['t', t]])).toMatchObject({ at: 3 });
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

describeEachBackend('checkShapes', () => {
  const params = () => ({ mu: tf.zeros([2, 3]), sigma: tf.zeros([2, 3]), U: tf.zeros([2, 1, 3]), v: tf.zeros([2, 1]) }) as GMTensors;

  it('refuses an unknown parameter, naming it and the known ones', () => {
    const p = { ...params(), V: tf.zeros([2, 0, 3]) } as unknown as GMTensors;
    expect(() => checkShapes(tf.zeros([1, 3]), p)).toThrow(GMShapeError);
    expect(() => checkShapes(tf.zeros([1, 3]), p)).toThrow('params.V: expected one of the fields mu, sigma, U, v, got an unknown field');
  });

  it('tells a tensor of another tfjs copy from a wrong value', () => {
    const x = tf.zeros([1, 3]);
    // What a second copy of tfjs-core hands over: a tensor-shaped object of another class.
    const foreign = { dataId: {}, shape: [1, 3], dtype: 'float32', rank: 2 };
    expect(() => checkShapes(foreign, params())).toThrow(GMBackendError);
    expect(() => checkShapes(foreign, params())).toThrow(/x: expected a tf\.Tensor of the @tensorflow\/tfjs-core that gmlayer imports .*one copy of tfjs/);
    expect(() => checkShapes([[0, 0, 0]], params())).toThrow(GMShapeError);
    expect(checkShapes(x, params())).toEqual({ K: 2, d: 3, L: 1, B: 1 });
  });
});
