/**
 * One SGD training step of a GM layer (forward, backward, update) at the paper's MNIST
 * shape, B = 64, d = 784, K = 20, L = 10: the default kernels (fused on cpu and wasm),
 * the composite kernels, and tfjs autodiff through the composite forward, plus the
 * forward alone.
 *
 *   npm run build && node dist/benchmarks/training-step.js [wasm|cpu|tensorflow]
 *
 * The full speed suite (floors, ratios, JSON results) is `npm run bench -- speed`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { BACKENDS, useBackend } from '../src/backend/backend.js';
import { GMBackendError } from '../src/errors.js';
import { gmLayer, gmLayerAutodiff, type GMOpOptions, type GMTensors } from '../src/op/gm-op.js';

const [B, d, K, L] = [64, 784, 20, 10];
const requested = process.argv[2] ?? process.env.GMLAYER_BACKEND ?? 'wasm';
if (process.argv.length > 3 || !(BACKENDS as readonly string[]).includes(requested)) {
  console.error(`bench:step: expected one argument among ${BACKENDS.join(', ')}, got ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}
const report = await useBackend(requested).catch((error: unknown) => {
  if (!(error instanceof GMBackendError)) throw error;
  console.error(`bench:step: ${error.message}`);
  process.exit(2);
});

const gamma = 0.5;
const params = {
  mu: tf.variable(tf.randomNormal([K, d], 0, gamma, 'float32', 1)),
  sigma: tf.variable(tf.fill([K, d], gamma)),
  U: tf.variable(tf.randomNormal([K, L, d], 0, gamma, 'float32', 2)),
  v: tf.variable(tf.randomNormal([K, L], 0, gamma, 'float32', 3)),
} as unknown as GMTensors;
// MNIST-like inputs: about a fifth of the pixels lit, values in [0, 1].
const x = tf.tidy(() => tf.mul(tf.randomUniform([B, d], 0, 1, 'float32', 4), tf.cast(tf.less(tf.randomUniform([B, d], 0, 1, 'float32', 5), 0.2), 'float32'))) as tf.Tensor2D;
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, j) => j % L), 'int32'), L);
const optimizer = tf.train.sgd(0.1);

// Asynchronous reads: webgpu has no synchronous one in Node.
const step = (op: typeof gmLayer, options: GMOpOptions) => async () => {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, op(x, params, options)) as tf.Scalar, true);
  await loss!.data();
  loss!.dispose();
};

// warmupTime 3 s: V8 optimises the wasm code only after the first seconds (benchmarks/speed.ts).
const bench = new Bench({ name: `GM training step on ${report.backend}`, time: 3000, warmupTime: 3000 });
bench
  .add('step, default kernels', step(gmLayer, { checkValues: false }))
  .add('step, default kernels + NaN check', step(gmLayer, { checkValues: true }))
  .add('step, composite kernels', step(gmLayer, { checkValues: false, kernels: 'composite' }))
  .add('step, tfjs autodiff', step(gmLayerAutodiff, { checkValues: false }))
  .add('forward only', async () => {
    const y = gmLayer(x, params, { checkValues: false }); // not inside tidy: tidy would walk the returned array
    await y.data();
    y.dispose();
  });
await bench.run();

console.log(`backend ${report.backend} (${report.package}), B=${B} d=${d} K=${K} L=${L}`);
console.table(
  bench.tasks.map((task) => {
    const r = task.result as unknown as { latency?: { mean: number; p99: number; rme: number }; state?: string };
    const latency = r.latency!;
    return { task: task.name, 'mean ms': latency.mean.toFixed(2), 'p99 ms': latency.p99.toFixed(2), '±rme %': latency.rme.toFixed(1) };
  }),
);
console.log('tensors alive at the end:', tf.memory().numTensors);
