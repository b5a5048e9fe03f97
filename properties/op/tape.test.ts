/**
 * How the GM kernels keep what their backward reads (src/op/tape.ts), on every backend
 * and kernel path: nothing outlives its use, whether the forward runs outside gradient
 * recording, inside it but off the path to the loss, or on it; inputs kept as aliases
 * survive the caller disposing the originals; and an unexpected tape is refused.
 * Counts are taken both from tfjs (tensors) and from the backend (data buffers), since
 * an alias shares its original's buffer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';
import { GMInternalError } from '../../src/errors.js';
import { gmValuesChecked } from '../../src/op/deferred-check.js';
import { gmLayer, type GMTensors } from '../../src/op/gm-op.js';
import { handToTape } from '../../src/op/tape.js';
import { GaussianMixtureLayerFused } from '../../src/op/kernel-names.js';
import { describeEachPath } from '../support/backends.js';

/** Tensors tracked by tfjs and data buffers held by the backend. */
const held = () => ({ tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() });

describeEachPath('what a GM kernel keeps for its backward', (_backend, kernels) => {
  const setup = () => ({
    x: tf.tensor2d([[0.5, -1, 2], [0, 0.25, 0]]),
    params: {
      mu: tf.tensor2d([[0.3, -0.2, 0.1], [0.1, 0.4, -0.3]]),
      sigma: tf.tensor2d([[0.5, -0.4, 0.2], [0.3, 0.1, 0]]),
      U: tf.tensor3d([[[1, 2, 3]], [[-1, 0.5, 2]]]),
      v: tf.tensor2d([[0.5], [-0.25]]),
    } as GMTensors,
  });

  it('outside gradient recording: only h remains', async () => {
    const { x, params } = setup();
    const before = held();
    const h = gmLayer(x, params, { kernels });
    await gmValuesChecked(); // on webgpu, the deferred check holds two small tensors until its read lands
    expect(held()).toEqual({ tensors: before.tensors + 1, buffers: before.buffers + 1 });
    h.dispose();
    tf.dispose([x, ...Object.values(params)]);
  });

  it('recorded but off the path to the loss: released when the gradient computation ends', async () => {
    const { x, params } = setup();
    const a = tf.scalar(2);
    const before = held();
    const g = tf.grad((t: tf.Tensor) => {
      gmLayer(x, params, { kernels }); // recorded on the tape, never backpropagated
      return tf.square(t);
    })(a);
    expect((await g.data())[0]).toBe(4);
    g.dispose();
    await gmValuesChecked();
    expect(held()).toEqual(before);
    tf.dispose([x, a, ...Object.values(params)]);
  });

  it('on the path: released after the backward, and the same gradients when the caller disposes the inputs in between', async () => {
    const { x, params } = setup();
    const loss = (disposeInputs: boolean) => (mu: tf.Tensor, U: tf.Tensor) => {
      // Fresh tensors made inside f, as a previous layer's output would be.
      const inputs = { ...params, mu: tf.mul(mu, 1), U: tf.mul(U, 1) } as GMTensors;
      const h = gmLayer(x, inputs, { kernels });
      if (disposeInputs) tf.dispose([inputs.mu, inputs.U]);
      return tf.sum(tf.square(h));
    };
    const before = held();
    const kept = tf.grads(loss(false))([params.mu, params.U]);
    const disposed = tf.grads(loss(true))([params.mu, params.U]);
    for (const [j, g] of kept.entries()) expect(Array.from(await disposed[j].data())).toEqual(Array.from(await g.data()));
    tf.dispose([...kept, ...disposed]);
    await gmValuesChecked();
    expect(held()).toEqual(before);
    tf.dispose([x, ...Object.values(params)]);
  });
});

describe('handToTape (on cpu: it reads only the tape)', () => {
  beforeAll(() => useBackend('cpu'));

  it.each([
    ['an empty tape (no node at all)', (t: tf.Tensor) => [t], 'nothing'],
    ['a last node of that name whose first output is not h', (t: tf.Tensor) => {
        tf.neg(t); // Neg saves nothing for its backward
        return [tf.scalar(5)];
      }, 'Neg'],
    ['a last node that already saved tensors for its own backward', (t: tf.Tensor) => [tf.exp(t)], 'Exp'],
  ])('handToTape refuses %s', (_name, run, seen) => {
    const a = tf.scalar(1);
    tf.grad((t: tf.Tensor) => {
      const outputs = run(t);
      const kernel = seen === 'nothing' ? 'Add' : seen;
      expect(() => handToTape(kernel, outputs)).toThrow(new RegExp(`the tfjs gradient tape: expected a last node for ${kernel} with h as its first output and no saved tensors \\(tfjs-core 4\\.x\\), got a node for ${seen} `));
      return tf.add(t, 0);
    })(a).dispose();
    a.dispose();
  });

  it('handToTape refuses a tape whose last node is not the kernel it is told of', () => {
    const a = tf.scalar(1);
    tf.grad((t: tf.Tensor) => {
      const y = tf.add(t, 1); // the last node is Add
      const extra = tf.clone(t);
      expect(() => handToTape(GaussianMixtureLayerFused, [y, extra])).toThrow(GMInternalError);
      expect(extra.isDisposed).toBe(true);
      return y;
    })(a).dispose();
    a.dispose();
  });
});
