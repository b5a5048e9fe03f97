/**
 * `gmlayer eval --impl tfjs` (src/cli/tfjs-impl.ts): what it reports about the backend
 * and kernels that ran, that it runs the kernels asked for, GMLAYER_BACKEND, an empty
 * batch, and the tensors it releases. Its values on every backend and path are held to
 * the conformance vectors in cli-fixtures.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../reference/case.js';
import { gmGradients } from '../../reference/gradients.js';
import { useBackend } from '../../src/backend/backend.js';
import { runTfjs } from '../../src/cli/tfjs-impl.js';
import { gmLayer } from '../../src/op/gm-op.js';
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

  it('runs the kernels asked for: y and ∂ℓ/∂μ bit for bit those of gmLayer with them, which differ between the paths here', async () => {
    await useBackend('cpu');
    const c = parseCase(inputs);
    const direct = async (kernels: 'fused' | 'composite') => {
      const [x, mu, sigma, U, v, G] = [tf.tensor2d(inputs.x), tf.tensor2d(inputs.params.mu), tf.tensor2d(inputs.params.sigma), tf.tensor3d(inputs.params.U), tf.tensor2d(inputs.params.v), tf.tensor2d(inputs.upstream)];
      const layer = (m: tf.Tensor) => gmLayer(x, { mu: m as tf.Tensor2D, sigma, U, v }, { kernels });
      const [y, gmu] = [layer(mu), tf.grad(layer)(mu, G)];
      const out = { y: await y.array(), mu: await gmu.array() };
      tf.dispose([x, mu, sigma, U, v, G, y, gmu]);
      return out;
    };
    const [fused, composite] = [await direct('fused'), await direct('composite')];
    expect(composite, 'the case tells the two paths apart').not.toEqual(fused);
    for (const [kernels, want] of [['fused', fused], ['composite', composite]] as const) {
      const got = (await runTfjs(c, { ...options, backend: 'cpu', kernels })) as { y: unknown; grad: { mu: unknown } };
      expect({ y: got.y, mu: got.grad.mu }, kernels).toEqual(want);
    }
  });

  it('leaves no tensor behind, with and without V', async () => {
    for (const c of [parseCase(inputs), parseCase({ ...inputs, params: { ...inputs.params, V: [[[0.3, 0.1]], [[-0.2, 0.4]]] } })]) {
      await runTfjs(c, { ...options, backend: 'cpu' }); // kernels registered, backend started
      const before = tf.memory().numTensors;
      await runTfjs(c, { ...options, backend: 'cpu' });
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('takes GMLAYER_BACKEND when --backend is absent, and auto’s choice when both are', async () => {
    process.env.GMLAYER_BACKEND = 'cpu';
    expect(await runTfjs(parseCase(inputs), options)).toMatchObject({ backend: 'cpu' });
    delete process.env.GMLAYER_BACKEND;
    const { backend } = await runTfjs(parseCase(inputs), options);
    expect(backend).toBe((await useBackend('auto')).backend);
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
