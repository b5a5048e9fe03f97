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
import { checkAgainstReference, opFor } from '../../support/against-reference.js';
import type { GeneratedCase } from '../../support/arbitraries.js';

const CASE: GeneratedCase = { params: { mu: [[0.5, -1]], sigma: [[1, 0.25]], U: [[[1, 2]]], v: [[0.1]] }, x: [[1, 2]], G: [[1]] };

it('the first GM call of a process, on the fused path, runs forward and backward within the float32 bound of the reference', async () => {
  await useBackend('cpu');
  expect(resolveKernels('fused')).toBe('fused');
  await checkAgainstReference(opFor('fused'), CASE);
});
