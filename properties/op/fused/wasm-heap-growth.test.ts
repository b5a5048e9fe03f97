/**
 * The loops in place on the wasm heap, with inputs still on cpu whose move into the heap
 * grows it, moved by the check of values (the default): the op agrees with the reference
 * (tfjs-wasm's own view of a tensor reads the heap before the lookup that moves the tensor
 * and grows the heap; gmlayer's wasm view looks it up first). The heap starts at its initial
 * size only in a module graph of its own (vitest's isolation; vitest.stryker.config.ts
 * keeps it in a worker of its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { useBackend } from '../../../src/backend/backend.js';
import { hostMemory } from '../../../src/op/fused/host-memory.js';
import { runsInPlace } from '../../../src/op/fused/wasm-loops.js';
import { expectWithinBoundAsTheHeapGrows } from '../../support/heap-growth.js';

it('inputs on cpu whose move in grows the heap, values checked: the result within the float32 bound', async () => {
  await useBackend('wasm');
  const memory = hostMemory('wasm', tf.backend());
  expect(runsInPlace(memory)).toBe(true);
  await expectWithinBoundAsTheHeapGrows(memory.heap!.memory, true);
});
