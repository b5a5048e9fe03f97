/**
 * The paper's training recipe (Chewi, Rigollet & Yan): SGD with batch 64, learning rate
 * 1 for σ and 0.1 for every other parameter, on softmax cross-entropy; test error after
 * every epoch. Shuffling is seeded. A NaN or infinite loss stops the run with a
 * GMTrainingError saying where.
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { Model } from './models.js';

/** Training diverged (NaN or ±∞ loss). */
export class GMTrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GMTrainingError';
  }
}

/** A classification set: n×d inputs (already scaled) and n labels in [0, classes). */
export interface Examples {
  x: Float32Array;
  labels: Uint8Array;
  n: number;
  d: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  /** learning rate of σ (default 1) */
  lrSigma?: number;
  /** learning rate of everything else (default 0.1) */
  lrOther?: number;
  /** shuffling seed */
  seed: string | number;
  classes: number;
  /** called after each epoch */
  onEpoch?: (result: EpochResult) => void | Promise<void>;
}

export interface EpochResult {
  epoch: number;
  /** mean training loss over the epoch */
  trainLoss: number;
  /** fraction of test examples misclassified */
  testError: number;
  seconds: number;
}

/** Fraction of examples whose arg-max logit is not their label (batches of 1000). */
export async function testError(model: Model, data: Examples): Promise<number> {
  let wrong = 0;
  for (let start = 0; start < data.n; start += 1000) {
    const end = Math.min(start + 1000, data.n);
    const predicted = tf.tidy(() => tf.argMax(model.logits(tf.tensor2d(data.x.subarray(start * data.d, end * data.d), [end - start, data.d])), 1));
    const values = await predicted.data();
    predicted.dispose();
    for (let j = 0; j < values.length; j++) if (values[j] !== data.labels[start + j]) wrong += 1;
  }
  return wrong / data.n;
}

/** One SGD optimizer per distinct learning rate (σ's group, the rest, scaled groups). */
function optimizers(model: Model, lrSigma: number, lrOther: number) {
  const byRate = new Map<number, string[]>();
  for (const p of model.parameters) {
    const rate = (p.group === 'sigma' ? lrSigma : lrOther) * p.rateScale;
    byRate.set(rate, [...(byRate.get(rate) ?? []), p.variable.name]);
  }
  return [...byRate].map(([rate, names]) => ({ optimizer: tf.train.sgd(rate), names }));
}

/**
 * Trains the model in place; resolves to the per-epoch results. The batch losses are
 * read once per epoch (one stacked read: a read per batch would stall a GPU's queue),
 * and a non-finite one then names its batch.
 */
export async function train(model: Model, trainSet: Examples, testSet: Examples, options: TrainOptions): Promise<EpochResult[]> {
  const { epochs, batchSize = 64, lrSigma = 1, lrOther = 0.1, classes } = options;
  const groups = optimizers(model, lrSigma, lrOther);
  const variables = model.parameters.map((p) => p.variable);
  const random = seedrandom.alea(String(options.seed));
  const order = Array.from({ length: trainSet.n }, (_, j) => j);
  const xAll = tf.tensor2d(trainSet.x, [trainSet.n, trainSet.d]);
  const yAll = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(trainSet.labels), 'int32'), classes));
  const results: EpochResult[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      for (let j = order.length - 1; j > 0; j--) {
        const r = Math.floor(random() * (j + 1));
        [order[j], order[r]] = [order[r], order[j]];
      }
      const losses: tf.Scalar[] = [];
      for (let start = 0; start < order.length; start += batchSize) {
        losses.push(
          tf.tidy(() => {
            const index = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
            const x = tf.gather(xAll, index) as tf.Tensor2D;
            const y = tf.gather(yAll, index);
            const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar, variables);
            for (const { optimizer, names } of groups) optimizer.applyGradients(Object.fromEntries(names.map((name) => [name, grads[name]])));
            return value;
          }),
        );
      }
      const stacked = tf.stack(losses);
      tf.dispose(losses);
      const values = Array.from(await stacked.data());
      stacked.dispose();
      const diverged = values.findIndex((value) => !Number.isFinite(value));
      if (diverged >= 0) {
        throw new GMTrainingError(
          `${model.name}: the loss is ${values[diverged]} at epoch ${epoch}, batch ${diverged + 1} (diverged); lower the learning rates (σ ${lrSigma}, others ${lrOther}) or check the inputs`,
        );
      }
      const lossSum = values.reduce((a, z) => a + z, 0);
      const batches = values.length;
      const result = { epoch, trainLoss: lossSum / batches, testError: await testError(model, testSet), seconds: (performance.now() - started) / 1000 };
      results.push(result);
      await options.onEpoch?.(result);
    }
  } finally {
    tf.dispose([xAll, yAll]);
    groups.forEach(({ optimizer }) => optimizer.dispose());
  }
  return results;
}
