/**
 * The fused op on wasm with inputs still held by cpu, U as large as the whole wasm heap:
 * the first code that looks them up moves them into the heap, the check of values (its
 * scan of each input) or else the fused kernels, and U's move grows the heap (which
 * detaches every view of it taken before). Used by the suites of the wasm loops in place
 * and copying (properties/op/fused/wasm-heap-*.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { gmForward } from '../../reference/closed-form.js';
import type { GMParams } from '../../reference/types.js';
import { useBackend } from '../../src/backend/backend.js';
import { gmLayer } from '../../src/op/gm-op.js';
import { expectClose } from './compare.js';
import { FLOAT32_UNIT_ROUNDOFF, forwardTolerance } from './tolerance.js';

/** Asserts that the heap grows during the op and that y is within the float32 bound of the reference. */
export async function expectWithinBoundAsTheHeapGrows(heap: WebAssembly.Memory, checkValues: boolean): Promise<void> {
  const [L, d] = [256, heap.buffer.byteLength / 4 / 256];
  const row = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  const params: GMParams = {
    mu: [row(d, (i) => ((i % 7) - 3) / 1024)],
    sigma: [row(d, (i) => ((i % 5) + 1) / 256)],
    U: [row(L, (l) => row(d, (i) => (((l * 31 + i) % 11) - 5) / 64))],
    v: [row(L, (l) => (l % 3) / 4)],
  };
  const x = [row(d, (i) => ((i % 3) - 1) / 2 + 1 / 8)];
  await useBackend('cpu');
  const [xt, mu, sigma, U, v] = [tf.tensor2d(x), tf.tensor2d(params.mu), tf.tensor2d(params.sigma), tf.tensor3d(params.U), tf.tensor2d(params.v)];
  await useBackend('wasm');
  const before = heap.buffer.byteLength;
  const y = gmLayer(xt, { mu, sigma, U, v }, { kernels: 'fused', checkValues });
  const got = await y.array();
  tf.dispose([xt, mu, sigma, U, v, y]);
  expect(heap.buffer.byteLength).toBeGreaterThan(before);
  expectClose(got, gmForward(params, x), forwardTolerance(params, x, FLOAT32_UNIT_ROUNDOFF), 'y');
}
