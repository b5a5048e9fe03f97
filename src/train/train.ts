/**
 * The paper's training recipe (Chewi, Rigollet & Yan): SGD with batch 64, learning rate
 * 1 for σ and 0.1 for every other parameter, on softmax cross-entropy; test error after
 * every epoch. Shuffling is seeded. A NaN or infinite loss stops the run with a
 * GMTrainingError saying where. After each epoch the caller gets a {@link TrainState}
 * which, with the model's weights, resumes the run bit-identically.
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { GMValueError } from '../../reference/errors.js';
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
  /**
   * Shuffling seed. Each epoch shuffles the previous order (first 0, 1, …, n − 1) in place
   * by Fisher–Yates: for j from n − 1 down to 1, swap entries j and ⌊u·(j + 1)⌋, u the next
   * draw of seedrandom's alea(String(seed)), one stream for the whole run.
   */
  seed: string | number;
  classes: number;
  /**
   * Continue a run from the state an earlier call passed to onEpoch (the model must hold
   * that epoch's weights): the epochs after state.epoch run as they would have.
   */
  resume?: TrainState;
  /** called after each epoch, with what a resumed run needs besides the model's weights */
  onEpoch?: (result: EpochResult, state: TrainState) => void | Promise<void>;
}

/** Where a run stands after an epoch, besides the model's weights. */
export interface TrainState {
  /** epochs finished */
  epoch: number;
  /** the shuffling generator's state (seedrandom's alea) */
  rng: { c: number; s0: number; s1: number; s2: number };
  /** the example order after the last shuffle: each epoch shuffles the previous order */
  order: Int32Array;
  /**
   * Each optimizer's tfjs weights (getWeights), one list per learning-rate group in the
   * model's parameter order. Plain SGD's is only its iteration count, which no update reads.
   */
  optimizers: { name: string; shape: number[]; values: number[] }[][];
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

type Groups = ReturnType<typeof optimizers>;

/**
 * The examples at `rows` as a batch: inputs [rows, d] and one-hot labels [rows, classes]
 * (int32, as tf.oneHot gives). Copied row by row here rather than gathered from the
 * whole set on the backend: tfjs-wasm's gather from a 60,000-row tensor costs more than
 * the GM step it feeds (benchmarks/README.md), and the set then needs no backend memory.
 */
function batchOf(set: Examples, rows: Int32Array, classes: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Float32Array(rows.length * set.d);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(set.x.subarray(row * set.d, (row + 1) * set.d), i * set.d);
    labels[i] = set.labels[row];
  });
  return { x: tf.tensor2d(x, [rows.length, set.d]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes) as tf.Tensor2D };
}

async function optimizerWeights(groups: Groups): Promise<TrainState['optimizers']> {
  return Promise.all(
    groups.map(async ({ optimizer }) => {
      const named = await optimizer.getWeights();
      const weights = await Promise.all(named.map(async ({ name, tensor }) => ({ name, shape: tensor.shape, values: Array.from(await tensor.data()) })));
      tf.dispose(named.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor)); // made for the call (SGD's iteration count); slots stay
      return weights;
    }),
  );
}

/** Checks a resume state against this run and loads its optimizer weights. */
async function restoreState(state: TrainState, n: number, groups: Groups): Promise<void> {
  if (state.order.length !== n) throw new GMValueError('resume.order', `a state for ${n} training examples`, `one for ${state.order.length}`);
  if (state.optimizers.length !== groups.length) {
    throw new GMValueError('resume.optimizers', `the state of ${groups.length} learning-rate groups`, String(state.optimizers.length));
  }
  for (const [j, { optimizer }] of groups.entries()) {
    const weights = state.optimizers[j].map(({ name, shape, values }) => ({ name, tensor: tf.tensor(values, shape) }));
    await optimizer.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
  }
}

/**
 * Trains the model in place; resolves to the per-epoch results (from resume.epoch + 1
 * on). The batch losses are read once per epoch (one stacked read: a read per batch
 * would stall a GPU's queue), and a non-finite one then names its batch.
 * @throws GMTrainingError when the loss diverges; GMValueError for a resume state of
 *         another training set or recipe.
 */
export async function train(model: Model, trainSet: Examples, testSet: Examples, options: TrainOptions): Promise<EpochResult[]> {
  const { epochs, batchSize = 64, lrSigma = 1, lrOther = 0.1, classes } = options;
  const groups = optimizers(model, lrSigma, lrOther);
  const variables = model.parameters.map((p) => p.variable);
  const { resume } = options;
  const random = resume === undefined ? seedrandom.alea(String(options.seed), { state: true }) : seedrandom.alea('', { state: resume.rng });
  const order = resume === undefined ? Int32Array.from({ length: trainSet.n }, (_, j) => j) : Int32Array.from(resume.order);
  const results: EpochResult[] = [];
  try {
    if (resume !== undefined) await restoreState(resume, trainSet.n, groups);
    for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      for (let j = order.length - 1; j > 0; j--) {
        const r = Math.floor(random() * (j + 1));
        [order[j], order[r]] = [order[r], order[j]];
      }
      const losses: tf.Scalar[] = [];
      for (let start = 0; start < order.length; start += batchSize) {
        losses.push(
          tf.tidy(() => {
            const { x, y } = batchOf(trainSet, order.subarray(start, start + batchSize), classes);
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
      if (options.onEpoch) await options.onEpoch(result, { epoch, rng: random.state() as TrainState['rng'], order: Int32Array.from(order), optimizers: await optimizerWeights(groups) });
    }
  } finally {
    groups.forEach(({ optimizer }) => optimizer.dispose());
  }
  return results;
}
