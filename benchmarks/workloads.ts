/**
 * The timed workloads of the speed suite, each a function that does one unit of work
 * and waits for its result (an asynchronous read of a scalar: webgpu has no synchronous
 * one in Node), so that device backends are timed to completion.
 *
 *   gmForward   h = gmLayer(x): [B, L]
 *   gmStep      one SGD step of softmax cross-entropy on gmLayer(x): forward, the
 *               hand-written backward for μ, σ, U, v (and V when shape.r ≥ 1, low-rank
 *               covariance factors), and the update; by
 *               default on the op's default kernels (src/op/gm-op.ts), or as asked
 *   floor       the matrix products such a step performs and nothing else, in the
 *               fastest form tfjs-wasm offers (src/op/fused/gm-fused.ts uses the same):
 *               forward [μ; U⊙σ²]·x̂ᵀ (K(L+1)×d × d×B) and x̂²·σ²ᵀ (B×d × d×K);
 *               backward [∂ℓ/∂m, ∂ℓ/∂q]ᵀ·x̂ (K(L+1)×B × B×d) and x̂²ᵀ·D (d×B × B×K);
 *               with the scaling x̂ = x/c and the transposes that feed them. (tfjs-wasm
 *               packs a product's right operand whenever it is a new tensor; x·Wᵀ
 *               orientations pack the d×K(L+1) weights instead and ran 1.3–1.5× slower,
 *               which the floor of earlier runs included.)
 *   fcStep      one SGD step of the paper's baseline, the two-layer ReLU network
 *               784 → 1000 → 10 of the accuracy suite (src/train/models.ts fc-standard,
 *               weights stored [out, in] so that products pack the batch, not the weights)
 *   fcFloor     the matrix products such a step performs and nothing else, in the same
 *               form: forward W₁ᵗ·xᵀ (m×d × d×B) and W₂ᵗ·hᵀ (L×m × m×B); backward
 *               ∂z₂·W₂ᵗ (B×L × L×m), ∂z₂ᵀ·h (L×B × B×m) and ∂z₁ᵀ·x (m×B × B×d); with the
 *               transposes that feed them (the input's gradient is never formed)
 */
import * as tf from '@tensorflow/tfjs-core';
import { gmLayer, type GMTensors, type KernelChoice } from '../src/op/gm-op.js';
import { buildModel } from '../src/train/models.js';

export interface Shape {
  B: number;
  d: number;
  K: number;
  L: number;
  /** rank of the low-rank covariance factors V (default 0: none) */
  r?: number;
}

/** A workload: run() does one unit and resolves when its result is read; dispose() frees its tensors. */
export interface Workload {
  run: () => Promise<void>;
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

/** GM parameters at the paper's initialisation (γ = 1/2; V ~ N(0, γ²/d)) as trainable variables. */
function gmParams({ d, K, L, r = 0 }: Shape): GMTensors {
  const gamma = 0.5;
  // Inside tidy: a variable shares its initial value's data, which tidy then releases.
  return tf.tidy(() => ({
    mu: tf.variable(tf.randomNormal([K, d], 0, gamma, 'float32', 1)),
    sigma: tf.variable(tf.fill([K, d], gamma)),
    U: tf.variable(tf.randomNormal([K, L, d], 0, gamma, 'float32', 2)),
    v: tf.variable(tf.randomNormal([K, L], 0, gamma, 'float32', 3)),
    ...(r > 0 && { V: tf.variable(tf.randomNormal([K, r, d], 0, gamma / Math.sqrt(d), 'float32', 4)) }),
  })) as unknown as GMTensors;
}

/** Waits until the device has computed t (backends run kernels in order), then disposes it. */
async function settle(t: tf.Tensor): Promise<void> {
  await t.data();
  t.dispose();
}

function sgdStep(optimizer: tf.Optimizer, loss: () => tf.Scalar): Promise<void> {
  return settle(optimizer.minimize(loss, true)!);
}

export function gmForward(shape: Shape): Workload {
  const params = gmParams(shape);
  const x = pixels(shape.B, shape.d, 7);
  return {
    run: () => settle(gmLayer(x, params, { checkValues: false })),
    dispose: () => tf.dispose([x, ...Object.values(params)]),
  };
}

export function gmStep(shape: Shape, kernels: KernelChoice = 'auto'): Workload {
  const params = gmParams(shape);
  const x = pixels(shape.B, shape.d, 7);
  const y = labels(shape.B, shape.L);
  const optimizer = tf.train.sgd(0.1);
  return {
    run: () => sgdStep(optimizer, () => tf.losses.softmaxCrossEntropy(y, gmLayer(x, params, { checkValues: false, kernels })) as tf.Scalar),
    dispose: () => {
      tf.dispose([x, y, ...Object.values(params)]);
      optimizer.dispose();
    },
  };
}

export function floor({ B, d, K, L }: Shape): Workload {
  const x = pixels(B, d, 7);
  const A = tf.randomNormal([K * (L + 1), d], 0, 1, 'float32', 8); // [μ; U⊙σ²]
  const sigma2T = tf.randomNormal([d, K], 0, 1, 'float32', 10);
  const R = tf.randomNormal([K * (L + 1), B], 0, 1, 'float32', 11); // [∂ℓ/∂m, ∂ℓ/∂q]ᵀ
  const D = tf.randomNormal([B, K], 0, 1, 'float32', 13);
  const scale = tf.ones([B, 1]);
  return {
    run: () => {
      const out = tf.tidy(() => {
        // Every right operand is a new tensor each step, as in a training step (x̂ is new
        // data, σ²ᵀ and D follow σ and G): tfjs-wasm packs a right operand once per
        // tensor, so a constant one would skip that cost.
        const xh = tf.mul(x, scale);
        const x2 = tf.square(xh);
        tf.matMul(A, tf.transpose(xh));
        tf.matMul(x2, tf.clone(sigma2T));
        tf.matMul(R, xh);
        // A scalar to wait on: backends run kernels in order, so the last one's sum waits for all.
        return tf.sum(tf.matMul(tf.transpose(x2), tf.clone(D)));
      });
      return settle(out);
    },
    dispose: () => tf.dispose([x, A, sigma2T, R, D, scale]),
  };
}

export function fcStep({ B, d, L }: Shape, width = 1000): Workload {
  const x = pixels(B, d, 7);
  const y = labels(B, L);
  // The accuracy suite's fc-standard model itself (src/train/models.ts): its products
  // differentiate through explicit transposes, as the GM op's do.
  const model = buildModel({ kind: 'fc-standard', hidden: width }, d, L, 12);
  const optimizer = tf.train.sgd(0.1);
  return {
    run: () => sgdStep(optimizer, () => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar),
    dispose: () => {
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    },
  };
}

export function fcFloor({ B, d, L }: Shape, width = 1000): Workload {
  const x = pixels(B, d, 7);
  const W1t = tf.randomNormal([width, d], 0, 1, 'float32', 14);
  const W2t = tf.randomNormal([L, width], 0, 1, 'float32', 15);
  const dz2 = tf.randomNormal([B, L], 0, 1, 'float32', 16);
  return {
    run: () => {
      const out = tf.tidy(() => {
        // New right operands each step, as in training (x is new data; h, ∂z₁ follow it).
        const h = tf.transpose(tf.matMul(W1t, tf.transpose(tf.clone(x)))) as tf.Tensor2D;
        tf.matMul(W2t, tf.transpose(h));
        const dz1 = tf.matMul(tf.clone(dz2), W2t);
        tf.matMul(tf.transpose(dz2), h);
        return tf.sum(tf.matMul(tf.transpose(dz1), tf.clone(x)));
      });
      return settle(out);
    },
    dispose: () => tf.dispose([x, W1t, W2t, dz2]),
  };
}

/**
 * The bytes one step allocates at its peak beyond what is already held, and the tensors
 * alive before and after `steps` more steps (a leak shows as a difference).
 */
export async function memoryProfile(shape: Shape, steps: number): Promise<{ stepPeakBytes: number; tensorsBefore: number; tensorsAfter: number; steps: number }> {
  const work = gmStep(shape);
  await work.run(); // kernel registration and optimizer slots happen on the first step
  const held = tf.memory().numBytes;
  const info = await tf.profile(() => work.run());
  const tensorsBefore = tf.memory().numTensors;
  for (let j = 0; j < steps; j++) await work.run();
  const tensorsAfter = tf.memory().numTensors;
  work.dispose();
  return { stepPeakBytes: info.peakBytes - held, tensorsBefore, tensorsAfter, steps };
}
