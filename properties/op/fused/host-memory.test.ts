/**
 * src/op/fused/host-memory.ts: views of tensors' float32 storage on cpu and wasm, the
 * wasm heap the compiled loops work in place on (none on cpu: they copy through a
 * private memory there), and its internal errors where the fused path's invariants fail.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { useBackend } from '../../../src/backend/backend.js';
import { GMInternalError } from '../../../src/errors.js';
import { hostMemory } from '../../../src/op/fused/host-memory.js';
import { runsInPlace } from '../../../src/op/fused/wasm-loops.js';
import { describeEachHostBackend } from '../../support/backends.js';

describeEachHostBackend('host memory', (backend) => {
  it('views a tensor’s storage without a copy, and allocates float32 tensors of a shape', async () => {
    await useBackend(backend as 'cpu' | 'wasm');
    const memory = hostMemory(backend, tf.backend());
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    const view = memory.view(t);
    expect(Array.from(view)).toEqual([1, 2, 3, 4]);
    view[0] = 9; // the same storage: a write shows in the tensor
    expect(await t.data()).toEqual(new Float32Array([9, 2, 3, 4]));
    const out = memory.alloc([3, 1]);
    expect(out).toMatchObject({ shape: [3, 1], dtype: 'float32' });
    expect(memory.view(out)).toHaveLength(3);
    tf.backend().disposeData(out.dataId);
    t.dispose();
  });

  it(`the loops ${backend === 'wasm' ? 'run in place on the backend’s heap' : 'copy through a private memory (no heap to reach)'}`, async () => {
    await useBackend(backend as 'cpu' | 'wasm');
    const memory = hostMemory(backend, tf.backend());
    expect(memory.heap === undefined).toBe(backend === 'cpu');
    expect(runsInPlace(memory)).toBe(backend === 'wasm');
  });
});

it('on cpu a tensor without float32 storage is an internal error (validate admits float32 only)', async () => {
  await useBackend('cpu');
  const t = tf.tensor1d([1, 2], 'int32');
  try {
    expect(() => hostMemory('cpu', tf.backend()).view(t)).toThrow(GMInternalError);
    expect(() => hostMemory('cpu', tf.backend()).view(t)).toThrow(/host memory on cpu: expected float32 storage .*, got \[object Int32Array\]/);
  } finally {
    t.dispose();
  }
});

it('another backend is an internal error naming it (the fused kernels run on cpu and wasm only)', async () => {
  await useBackend('cpu');
  expect(() => hostMemory('webgl', tf.backend())).toThrow(GMInternalError);
  expect(() => hostMemory('webgl', tf.backend())).toThrow(/host memory: expected one of the backends cpu, wasm .*, got backend webgl/);
});
