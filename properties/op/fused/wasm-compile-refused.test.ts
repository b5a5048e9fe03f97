/**
 * A runtime that refuses synchronous WebAssembly compiles (a browser's main thread, for a
 * module this size) with a backend chosen without useBackend, so that nothing compiled the
 * loops first: 'auto' runs the composite kernels, 'fused' says why it cannot, and once
 * compileWasmLoops() has compiled them asynchronously 'auto' runs the fused ones. This
 * file needs a module graph in which nothing has compiled the loops yet (vitest's
 * isolation; vitest.stryker.config.ts keeps it in a worker of its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GMBackendError } from '../../../src/errors.js';
import { compileWasmLoops, wasmLoopsReady } from '../../../src/op/fused/wasm-loops.js';
import { gmLayer, resolveKernels } from '../../../src/op/gm-op.js';
import { checkAgainstReference, opFor, SMALL_CASE, tensors } from '../../support/against-reference.js';

const refuse = vi.spyOn(WebAssembly, 'Module');
beforeAll(async () => {
  refuse.mockImplementation(() => {
    throw new RangeError('WebAssembly.Module(): Buffer size is too large, use WebAssembly.compile');
  });
  await tf.setBackend('cpu');
});
afterAll(() => refuse.mockRestore());

it('before any compile: not ready, asking once and not again', () => {
  expect(wasmLoopsReady()).toBe(false);
  expect(wasmLoopsReady()).toBe(false);
  expect(refuse).toHaveBeenCalledTimes(1); // a refusal is remembered
});

it("'auto' runs the composite kernels, with the same result as asking for them", async () => {
  expect(resolveKernels('auto')).toBe('composite');
  const params = tensors(SMALL_CASE.params);
  const x = tf.tensor2d(SMALL_CASE.x);
  expect(await gmLayer(x, params).data()).toEqual(await gmLayer(x, params, { kernels: 'composite' }).data());
});

it("'fused' is refused, saying to compile first", () => {
  expect(() => resolveKernels('fused')).toThrow(GMBackendError);
  expect(() => resolveKernels('fused')).toThrow(/'fused' on a runtime that refuses synchronous WebAssembly compiles \(await useBackend\(\) or compileWasmLoops\(\) first\)/);
});

it("after compileWasmLoops() (asynchronous, no synchronous compile), 'auto' runs the fused kernels, within the float32 bound of the reference", async () => {
  await expect(compileWasmLoops()).resolves.toBe(true);
  expect(wasmLoopsReady()).toBe(true);
  expect(resolveKernels('auto')).toBe('fused');
  await checkAgainstReference(opFor('auto'), SMALL_CASE);
  // The async compile needed no synchronous one: the only refusal is the first test's, if
  // it ran (Stryker runs alone the tests that cover a mutant).
  expect(refuse.mock.calls.length).toBeLessThanOrEqual(1);
});
