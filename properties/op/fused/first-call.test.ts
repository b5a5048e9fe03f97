/**
 * A process whose first GM call takes the fused path: that call registers the host loops
 * the fused kernel runs (src/op/gm-op.ts registers them on the fused path's first use).
 * Every other suite makes some composite or webgpu call first, which registers them too,
 * so this file needs a module graph of its own (vitest's isolation;
 * vitest.stryker.config.ts keeps it in a worker of its own).
 */
import { expect, it } from 'vitest';
import { useBackend } from '../../../src/backend/backend.js';
import { resolveKernels } from '../../../src/op/gm-op.js';
import { checkAgainstReference, opFor, SMALL_CASE } from '../../support/against-reference.js';

it('the first GM call of a process, on the fused path, runs forward and backward within the float32 bound of the reference', async () => {
  await useBackend('cpu');
  expect(resolveKernels('fused')).toBe('fused');
  await checkAgainstReference(opFor('fused'), SMALL_CASE);
});
