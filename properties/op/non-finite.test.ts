/**
 * The scans behind checkValues (src/op/non-finite.ts) agree on every backend present: the
 * host-memory scan of cpu and wasm, the device reduction read at once (every backend
 * that reads synchronously) and read later (every backend; the only one on webgpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { HOST_BACKENDS } from '../../src/op/fused/host-memory.js';
import { DEFERRED_READ_BACKENDS } from '../../src/op/deferred-check.js';
import { GMInternalError } from '../../src/errors.js';
import { firstNonFiniteOf, nonFiniteError, scanDevice, scanDeviceAsync, scanHost, type NonFinite } from '../../src/op/non-finite.js';
import { describeEachBackend } from '../support/backends.js';

const special = fc.constantFrom(NaN, Infinity, -Infinity);
type Scan = (entries: [string, tf.Tensor][]) => Promise<NonFinite | undefined>;

function scansOn(backend: string): [string, Scan][] {
  return [
    ['device, read later', scanDeviceAsync],
    ...(DEFERRED_READ_BACKENDS.has(backend) ? [] : [['device, read at once', async (e) => scanDevice(e)] as [string, Scan]]),
    ...((HOST_BACKENDS as readonly string[]).includes(backend) ? [['host', async (e) => scanHost(e, backend)] as [string, Scan]] : []),
  ];
}

describeEachBackend('non-finite scans', (backend) => {
  const scans = scansOn(backend);

  test.prop([fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 }), fc.option(fc.tuple(fc.nat(), special)), fc.nat(2)], { numRuns: 40 })(
    'find the first NaN or ±∞ of the first tensor that has one, or nothing',
    async (finite, injected, which) => {
      const arrays = [0, 1, 2].map(() => [...finite]);
      if (injected !== null) {
        const at = injected[0] % finite.length;
        arrays[which][at] = injected[1];
        if (at < finite.length - 1) arrays[which][finite.length - 1] = NaN; // a later one, not to be named instead
      }
      const tensors = arrays.map((a) => tf.tensor1d(a));
      const entries = tensors.map((t, j) => [`t${j}`, t] as [string, tf.Tensor]);
      for (const [name, scan] of scans) {
        const found = await scan(entries);
        if (injected === null) expect(found, name).toBeUndefined();
        else expect(found, name).toMatchObject({ field: `t${which}`, at: injected[0] % finite.length, value: injected[1] });
      }
      tf.dispose(tensors);
    },
  );

  it('scan in place: no tensors are left behind', async () => {
    const t = tf.tensor2d([[1, 2], [3, NaN]]);
    const before = tf.memory().numTensors;
    for (const [name, scan] of scans) expect(await scan([['t', t]]), name).toMatchObject({ at: 3, shape: [2, 2] });
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

it('the error names the entry by its indices, the expected and the value', () => {
  const error = nonFiniteError({ field: 'params.U', shape: [2, 3, 4], at: 1 * 12 + 2 * 4 + 3, value: -Infinity });
  expect(error.message).toBe('params.U[1][2][3]: expected a finite number, got -Infinity');
});

it('reads the summary back: the first tensor with an index, and an internal error where the device left it inconsistent', () => {
  const entries: [string, tf.Tensor][] = [['x', tf.zeros([2, 3])], ['mu', tf.zeros([5])]];
  expect(firstNonFiniteOf(entries, [-1, -1], [0, 0])).toBeUndefined();
  expect(firstNonFiniteOf(entries, [-1, 4], [0, -Infinity])).toEqual({ field: 'mu', shape: [5], at: 4, value: -Infinity });
  expect(firstNonFiniteOf(entries, [5, 4], [NaN, 0])).toEqual({ field: 'x', shape: [2, 3], at: 5, value: NaN });
  // an unwritten summary (a command buffer the device rejected): a finite value, or an index past the tensor
  expect(() => firstNonFiniteOf(entries, [-1, 2], [0, 0.5])).toThrow(GMInternalError);
  expect(() => firstNonFiniteOf(entries, [-1, 5], [0, NaN])).toThrow(/the non-finite check on the device: expected a NaN or ±∞ at the index it reports, got mu at flat index 5 holding NaN/);
  tf.dispose(entries.map(([, t]) => t));
});
