/**
 * A runtime without WebAssembly SIMD (WebAssembly.validate refuses the loops' module), as
 * some older browsers are: the fused loops are not supported, nothing tries to compile
 * them, 'auto' runs the composite kernels, 'fused' says why it cannot, and a loop run
 * anyway is an internal error. This file needs a module graph in which
 * src/op/fused/wasm-loops.ts is first imported under the refusal (vitest's isolation;
 * vitest.stryker.config.ts keeps it in a worker of its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
const compile = vi.spyOn(WebAssembly, 'Module');
// Imported after the refusal: wasm-loops.ts reads WebAssembly.validate once, at import.
const { compileWasmLoops, runLoop, wasmLoopsReady, wasmLoopsSupported } = await import('../../../src/op/fused/wasm-loops.js');
const { resolveKernels } = await import('../../../src/op/gm-op.js');
const { GMBackendError, GMInternalError } = await import('../../../src/errors.js');
const { hostMemory } = await import('../../../src/op/fused/host-memory.js');
const { checkAgainstReference, opFor, SMALL_CASE } = await import('../../support/against-reference.js');
compile.mockClear(); // tfjs-layers compiles a small module of its own at import

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  validate.mockRestore();
  compile.mockRestore();
});

it('the loops are not supported, and neither readiness nor compileWasmLoops() compiles them', async () => {
  expect(wasmLoopsSupported).toBe(false);
  expect(wasmLoopsReady()).toBe(false);
  await expect(compileWasmLoops()).resolves.toBe(false);
  expect(compile).not.toHaveBeenCalled();
});

it("'fused' is refused, naming the missing SIMD; 'auto' runs the composite kernels, within the float32 bound of the reference", async () => {
  expect(() => resolveKernels('fused')).toThrow(GMBackendError);
  expect(() => resolveKernels('fused')).toThrow(/'fused' on a runtime without WebAssembly SIMD/);
  expect(resolveKernels('auto')).toBe('composite');
  await checkAgainstReference(opFor('auto'), SMALL_CASE);
});

it('a loop run anyway is an internal error, not a crash in WebAssembly (resolveKernels keeps the fused kernels away)', () => {
  const run = () => runLoop(hostMemory('cpu', tf.backend()), 'rowMaxAbs', [1, 1], [], []);
  expect(run).toThrow(GMInternalError);
  expect(run).toThrow(/the WebAssembly loops: expected a compiled module before any loop runs \(resolveKernels checks\), got none$/);
});
