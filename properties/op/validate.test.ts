/**
 * The two scans behind checkFinite (src/op/validate.ts) agree on every backend present:
 * the host-memory scan used on cpu and wasm, and the tfjs reductions used elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { HOST_BACKENDS } from '../../src/op/fused/host-memory.js';
import { scanDevice, scanHost } from '../../src/op/validate.js';
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
