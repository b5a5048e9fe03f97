/**
 * wasm with a heap the compiled loops cannot import (a WebAssembly.Instance that refuses
 * it, as a runtime would a memory beyond the module's import limits): the loops copy
 * through a private memory of their own, and the fused op still agrees with the
 * reference, also where moving its inputs in grows the heap: with the values unchecked
 * the fused kernels move them, each before any view. The loops' instances are
 * kept per memory for the process: this file needs a module graph of its own (vitest's
 * isolation; vitest.stryker.config.ts keeps it in a worker of its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import { useBackend } from '../../../src/backend/backend.js';
import { hostMemory } from '../../../src/op/fused/host-memory.js';
import { runsInPlace } from '../../../src/op/fused/wasm-loops.js';
import { expectWithinBoundAsTheHeapGrows } from '../../support/heap-growth.js';

await useBackend('wasm');
const heap = hostMemory('wasm', tf.backend()).heap!.memory;
const Instance = WebAssembly.Instance;
vi.spyOn(WebAssembly, 'Instance').mockImplementation(function (module: WebAssembly.Module, imports?: { env?: { memory?: unknown } }) {
  if (imports?.env?.memory === heap) throw new TypeError('memory import: the heap is refused here');
  return new Instance(module, imports as never);
} as never);

it('the loops copy through their own memory; inputs whose move in grows the heap, values unchecked: the result within the float32 bound', async () => {
  expect(runsInPlace(hostMemory('wasm', tf.backend()))).toBe(false);
  await expectWithinBoundAsTheHeapGrows(heap, false);
});
