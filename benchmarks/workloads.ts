/**
 * The timed workloads of the speed suite, each a function that does one unit of work
 * and waits for its result (dataSync on a scalar), so that device backends are timed
 * to completion.
 *
 *   gmForward   h = gmLayer(x): [B, L]
 *   gmStep      one SGD step of softmax cross-entropy on gmLayer(x): forward, the
 *               hand-written backward for μ, σ, U, v, and the update
 *   floor       the matrix products such a step performs and nothing else: forward
 *               x̂·[μ | U⊙σ²]ᵀ (B×d × d×K(L+1)) and x̂²·σ²ᵀ (B×d × d×K); backward
 *               [dm | ∂ℓ/∂q]ᵀ·x (K(L+1)×B × B×d) and (∂ℓ/∂s/s)ᵀ·x² (K×B × B×d),
 *               with explicit transposes as gm-op.ts does them
 *   fcStep      one SGD step of the paper's baseline, a two-layer ReLU network
 *               784 → 1000 → 10, differentiated by tfjs as a user would train it
 */
import * as tf from '@tensorflow/tfjs-core';
import { gmLayer, type GMTensors } from '../src/gm-op.js';

export interface Shape {
  B: number;
  d: number;
  K: number;
  L: number;
}

/** A workload: run() does one unit; dispose() frees its tensors. */
export interface Workload {
  run: () => void;
  dispose: () => void;
}

/** MNIST-like inputs: about a fifth of the pixels lit, values in [0, 1]. */
function pixels(B: number, d: number, seed: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.mul(
      tf.randomUniform([B, d], 0, 1, 'float32', seed),
      tf.cast(tf.less(tf.randomUniform([B, d], 0, 1, 'float32', seed + 1), 0.2), 'float32'),
    ),
  ) as tf.Tensor2D;
}

function labels(B: number, L: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, j) => j % L), 'int32'), L)) as tf.Tensor2D;
}

/** GM parameters at the paper's initialisation (γ = 1/2) as trainable variables. */
function gmParams({ d, K, L }: Shape): GMTensors & { variables: tf.Variable[] } {
  const gamma = 0.5;
  const variables = [
    tf.variable(tf.randomNormal([K, d], 0, gamma, 'float32', 1)),
    tf.variable(tf.fill([K, d], gamma)),
    tf.variable(tf.randomNormal([K, L, d], 0, gamma, 'float32', 2)),
    tf.variable(tf.randomNormal([K, L], 0, gamma, 'float32', 3)),
  ];
  const [mu, sigma, U, v] = variables;
  return { mu, sigma, U, v, variables } as unknown as GMTensors & { variables: tf.Variable[] };
}

function sgdStep(optimizer: tf.Optimizer, loss: () => tf.Scalar): void {
  const value = optimizer.minimize(loss, true);
  value!.dataSync();
  value!.dispose();
}

export function gmForward(shape: Shape): Workload {
  const params = gmParams(shape);
  const x = pixels(shape.B, shape.d, 7);
  return {
    run: () => {
      const h = gmLayer(x, params, { checkValues: false });
      h.dataSync();
      h.dispose();
    },
    dispose: () => tf.dispose([x, ...params.variables]),
  };
}

export function gmStep(shape: Shape): Workload {
  const params = gmParams(shape);
  const x = pixels(shape.B, shape.d, 7);
  const y = labels(shape.B, shape.L);
  const optimizer = tf.train.sgd(0.1);
  return {
    run: () => sgdStep(optimizer, () => tf.losses.softmaxCrossEntropy(y, gmLayer(x, params, { checkValues: false })) as tf.Scalar),
    dispose: () => {
      tf.dispose([x, y, ...params.variables]);
      optimizer.dispose();
    },
  };
}

export function floor({ B, d, K, L }: Shape): Workload {
  const x = pixels(B, d, 7);
  const W = tf.randomNormal([K * (L + 1), d], 0, 1, 'float32', 8); // [μ | U⊙σ²] as stored
  const sigma2 = tf.randomNormal([K, d], 0, 1, 'float32', 9);
  const back = tf.randomNormal([B, K * (L + 1)], 0, 1, 'float32', 10); // [dm | ∂ℓ/∂q]
  const backS = tf.randomNormal([B, K], 0, 1, 'float32', 11);
  return {
    run: () => {
      const out = tf.tidy(() => {
        const x2 = tf.square(x);
        const products = [
          tf.matMul(x, tf.transpose(W)),
          tf.matMul(x2, tf.transpose(sigma2)),
          tf.matMul(tf.transpose(back), x),
          tf.matMul(tf.transpose(backS), x2),
        ];
        return tf.addN(products.map((p) => tf.sum(p))); // one scalar to wait on
      });
      out.dataSync();
      out.dispose();
    },
    dispose: () => tf.dispose([x, W, sigma2, back, backS]),
  };
}

export function fcStep({ B, d, L }: Shape, width = 1000): Workload {
  const x = pixels(B, d, 7);
  const y = labels(B, L);
  const W1 = tf.variable(tf.randomNormal([d, width], 0, 1 / Math.sqrt(d), 'float32', 12));
  const b1 = tf.variable(tf.zeros([width]));
  const W2 = tf.variable(tf.randomNormal([width, L], 0, 1 / Math.sqrt(width), 'float32', 13));
  const b2 = tf.variable(tf.zeros([L]));
  const optimizer = tf.train.sgd(0.1);
  return {
    run: () =>
      sgdStep(optimizer, () => {
        const hidden = tf.relu(tf.add(tf.matMul(x, W1), b1));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hidden, W2), b2)) as tf.Scalar;
      }),
    dispose: () => {
      tf.dispose([x, y, W1, b1, W2, b2]);
      optimizer.dispose();
    },
  };
}

/**
 * The bytes one step allocates at its peak beyond what is already held, and the tensors
 * alive before and after `steps` more steps (a leak shows as a difference).
 */
export async function memoryProfile(shape: Shape, steps: number): Promise<{ stepPeakBytes: number; tensorsBefore: number; tensorsAfter: number; steps: number }> {
  const work = gmStep(shape);
  work.run(); // kernel registration and optimizer slots happen on the first step
  const held = tf.memory().numBytes;
  const info = await tf.profile(() => work.run());
  const tensorsBefore = tf.memory().numTensors;
  for (let j = 0; j < steps; j++) work.run();
  const tensorsAfter = tf.memory().numTensors;
  work.dispose();
  return { stepPeakBytes: info.peakBytes - held, tensorsBefore, tensorsAfter, steps };
}
