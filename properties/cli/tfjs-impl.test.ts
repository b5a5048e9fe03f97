/**
 * `gmlayer eval --impl tfjs` (src/cli/tfjs-impl.ts): what it reports about the backend
 * and kernels that ran, GMLAYER_BACKEND, an empty batch, and the tensors it releases. Its values on every backend
 * and path are held to the conformance vectors in cli-fixtures.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../reference/case.js';
import { gmGradients } from '../../reference/gradients.js';
import { runTfjs } from '../../src/cli/tfjs-impl.js';
import { restoreAfterEach } from '../support/env.js';

const inputs = {
  params: { mu: [[0.5, -1], [0.2, 0.3]], sigma: [[0.4, -0.2], [0, 0]], U: [[[1, 2]], [[0.5, -0.5]]], v: [[0.1], [-0.2]] },
  x: [[1, 2], [0, 0], [-1, 0.5]],
  upstream: [[1], [2], [-1]],
};
const options = { samples: 2, seed: '0', antithetic: false, backend: undefined, kernels: undefined };
restoreAfterEach('GMLAYER_BACKEND');

describe('--impl tfjs', () => {
  it('reports the backend and the kernels that ran: wasm with its threads, cpu without; auto kernels resolved', async () => {
    const c = parseCase(inputs);
    const wasm = await runTfjs(c, { ...options, backend: 'wasm' });
    expect(wasm).toMatchObject({ impl: 'tfjs', backend: 'wasm', threads: 1, kernels: 'fused' });
    const cpu = await runTfjs(c, { ...options, backend: 'cpu', kernels: 'composite' });
    expect(cpu).toMatchObject({ impl: 'tfjs', backend: 'cpu', kernels: 'composite' });
    expect(Object.keys(cpu)).toEqual(['impl', 'backend', 'kernels', 'y', 'grad']);
    expect(Object.keys(cpu.grad as object)).toEqual(['mu', 'sigma', 'U', 'v', 'x']);
  });

  it('leaves no tensor behind, with and without V', async () => {
    for (const c of [parseCase(inputs), parseCase({ ...inputs, params: { ...inputs.params, V: [[[0.3, 0.1]], [[-0.2, 0.4]]] } })]) {
      await runTfjs(c, { ...options, backend: 'cpu' }); // kernels registered, backend started
      const before = tf.memory().numTensors;
      await runTfjs(c, { ...options, backend: 'cpu' });
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('takes GMLAYER_BACKEND when --backend is absent', async () => {
    process.env.GMLAYER_BACKEND = 'cpu';
    expect(await runTfjs(parseCase(inputs), options)).toMatchObject({ backend: 'cpu' });
  });

  it('takes an empty batch: no outputs, no ∂ℓ/∂x rows, zero parameter gradients', async () => {
    const c = parseCase({ params: inputs.params, x: [] });
    const out = (await runTfjs(c, { ...options, backend: 'cpu' })) as { y: unknown; grad: Record<string, unknown> };
    const want = gmGradients(c.params, c.x, c.upstream);
    expect(want.y).toEqual([]);
    expect(out.y).toEqual([]);
    expect(out.grad).toEqual(want.grad);
  });
});
