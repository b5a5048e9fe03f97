/**
 * The training recipe (src/train/train.ts): per-parameter learning rates, frozen
 * marginals, the divergence stop, learning on the synthetic task, resuming, and the
 * accuracy report's plots. The models themselves: models.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize, type AccuracyReport } from '../../benchmarks/accuracy/report.js';
import { componentEvolution, componentFigure, errorCurves } from '../../benchmarks/plots.js';
import { componentPlot, principalPlane, projectComponent } from '../../benchmarks/components.js';
import { useBackend } from '../../src/backend/backend.js';
import { bayesError, xorGaussianMixture } from '../../src/data/synthetic.js';
import { assignWeights, buildModel, readWeights, type Model } from '../../src/train/models.js';
import { GMTrainingError, testError, train, type EpochResult, type Examples, type TrainState } from '../../src/train/train.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const tiny: Examples = {
  x: Float32Array.from([0.5, -1, 1, 0.25, -0.5, 0.75, 0.2, 0.9]),
  labels: Uint8Array.from([0, 1, 1, 0]),
  n: 4,
  d: 2,
};

const values = (v: tf.Variable) => Array.from(v.dataSync());

describe('training recipe', () => {
  it.each([
    ['gm-K2', { kind: 'gm', K: 2 }],
    ['fc-mean-field (m = 4: its rates 4 times 0.1)', { kind: 'fc-mean-field', hidden: 4 }],
  ] as const)('%s: steps σ with learning rate 1 and every other parameter with 0.1, times its rate scale', async (_name, spec) => {
    const model = buildModel(spec, 2, 2, 7);
    const x = tf.tensor2d(tiny.x, [4, 2]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(tiny.labels), 'int32'), 2);
    const vars = model.parameters.map((p) => p.variable);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar, vars);
    const before = vars.map(values);
    await train(model, tiny, tiny, { epochs: 1, batchSize: 4, seed: 1, classes: 2 }); // one step on the whole set
    model.parameters.forEach((p, j) => {
      const rate = (p.group === 'sigma' ? 1 : 0.1) * p.rateScale;
      const g = Array.from(grads[p.variable.name].dataSync());
      values(p.variable).forEach((after, i) => expect(after).toBeCloseTo(before[j][i] - rate * g[i], 5));
    });
    expect(model.parameters.filter((p) => p.group === 'sigma')).toHaveLength(spec.kind === 'gm' ? 1 : 0);
  });

  it('keeps μ and σ fixed in gm-frozen', async () => {
    const model = buildModel({ kind: 'gm-frozen', K: 2 }, 2, 2, 3);
    const [mu, sigma] = [values(model.components!.mu), values(model.components!.sigma)];
    await train(model, tiny, tiny, { epochs: 2, batchSize: 2, seed: 1, classes: 2 });
    expect(values(model.components!.mu)).toEqual(mu);
    expect(values(model.components!.sigma)).toEqual(sigma);
  });

  it('stops a diverging run with a GMTrainingError saying where', async () => {
    const model = buildModel({ kind: 'fc-standard', hidden: 8 }, 2, 2, 1);
    await expect(train(model, tiny, tiny, { epochs: 3, batchSize: 2, seed: 1, classes: 2, lrOther: 1e30 })).rejects.toThrow(GMTrainingError);
    await expect(train(model, tiny, tiny, { epochs: 3, batchSize: 2, seed: 1, classes: 2, lrOther: 1e30 })).rejects.toHaveProperty('name', 'GMTrainingError');
    await expect(train(model, tiny, tiny, { epochs: 3, batchSize: 2, seed: 1, classes: 2, lrOther: 1e30 })).rejects.toThrow(/the loss is (NaN|Infinity) at epoch 1, batch \d+ \(diverged\)/);
  });

  it('a GM network learns the synthetic XOR mixture to near its Bayes error', async () => {
    // r = 3: Bayes error ≈ 3.4 %; a linear classifier cannot beat 50 %. Seeded, so deterministic.
    const r = 3;
    const trainSet = xorGaussianMixture({ d: 10, n: 3000, separation: r, seed: 'train' });
    const testSet = xorGaussianMixture({ d: 10, n: 2000, separation: r, seed: 'test' });
    const model = buildModel({ kind: 'gm', K: 10 }, 10, 2, 1);
    const results = await train(model, trainSet, testSet, { epochs: 8, seed: 1, classes: 2 });
    expect(results).toHaveLength(8);
    expect(results[7].testError).toBeLessThan(bayesError(r) + 0.05);
    model.dispose();
  });
});

describe('test error', () => {
  it('is the fraction of rows whose largest logit is not the label, over batches of 1000 and a partial last one', async () => {
    await useBackend('cpu');
    // logits = x itself, 2,345 rows of 4 classes: the expected count by a plain loop over the rows
    const [n, d] = [2345, 4];
    const z = seedrandom('test-error');
    const x = Float32Array.from({ length: n * d }, () => z());
    const labels = Uint8Array.from({ length: n }, () => Math.floor(z() * d));
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(x.subarray(i * d, i * d + d));
      if (row.indexOf(Math.max(...row)) !== labels[i]) wrong += 1;
    }
    const identity = { logits: (xx: tf.Tensor2D) => xx.clone() } as unknown as Model;
    expect(wrong).toBeGreaterThan(0);
    expect(await testError(identity, { x, labels, n, d })).toBe(wrong / n);
  });
});

describe('an epoch', () => {
  const eight: Examples = { x: Float32Array.from([...tiny.x, ...tiny.x.map((z) => -z)]), labels: Uint8Array.from([0, 1, 1, 0, 1, 0, 0, 1]), n: 8, d: 2 };

  it('reports the mean loss over its batches and its own duration (learning rates 0: the model stays put)', async () => {
    await useBackend('cpu');
    const model = buildModel({ kind: 'gm', K: 2 }, 2, 2, 5);
    // equal batches of 2: the mean of batch means is the mean over all 8, in any order
    const whole = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Int32Array.from(eight.labels), 'int32'), 2), model.logits(tf.tensor2d(eight.x, [8, 2]))).dataSync()[0];
    const started = performance.now();
    const [result] = await train(model, eight, eight, { epochs: 1, batchSize: 2, lrSigma: 0, lrOther: 0, seed: 3, classes: 2 });
    const wall = (performance.now() - started) / 1000;
    expect(Math.abs(result.trainLoss - whole)).toBeLessThanOrEqual(1e-6 * whole); // 8 float32 terms summed two ways: about 2·8·2⁻²⁴ ≈ 1e−6 relative at most
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.seconds).toBeLessThanOrEqual(wall);
  });

  it('shuffles by its seed: each epoch a permutation, seeds differ, and some permutations fix a point (a uniform shuffle, not a cyclic one)', async () => {
    await useBackend('cpu');
    const orders = async (seed: number, epochs: number) => {
      const seen: number[][] = [];
      await train(buildModel({ kind: 'gm', K: 2 }, 2, 2, 5), eight, eight, { epochs, batchSize: 8, lrSigma: 0, lrOther: 0, seed, classes: 2, onEpoch: (_, state) => void seen.push(Array.from(state.order)) });
      return seen;
    };
    const [first, second] = await orders(1, 2);
    const identity = [0, 1, 2, 3, 4, 5, 6, 7];
    expect([...first].sort()).toEqual(identity);
    expect(first).not.toEqual(identity);
    expect(second).not.toEqual(first);
    const bySeed = await Promise.all(Array.from({ length: 20 }, (_, seed) => orders(seed + 10, 1)));
    expect(new Set(bySeed.map(([o]) => o.join())).size).toBeGreaterThan(1);
    // a uniform shuffle of 8 leaves no point fixed with probability ≈ 1/e: all 20 seeds doing so would be ≈ 2e−9
    expect(bySeed.some(([o]) => o.some((value, j) => value === j))).toBe(true);
  });

  it('shuffles as documented (TrainOptions.seed): Fisher–Yates from j = n − 1 down to 1 on the previous order, with alea(String(seed))', async () => {
    await useBackend('cpu');
    const seen: number[][] = [];
    await train(buildModel({ kind: 'gm', K: 2 }, 2, 2, 5), eight, eight, { epochs: 3, batchSize: 8, lrSigma: 0, lrOther: 0, seed: 'fy', classes: 2, onEpoch: (_, state) => void seen.push(Array.from(state.order)) });
    const u = seedrandom.alea('fy');
    const order = [0, 1, 2, 3, 4, 5, 6, 7];
    const expected = [1, 2, 3].map(() => {
      for (let j = order.length - 1; j >= 1; j--) {
        const r = Math.floor(u() * (j + 1));
        [order[j], order[r]] = [order[r], order[j]];
      }
      return [...order];
    });
    expect(seen).toEqual(expected);
  });
});

describe('resuming (TrainState)', () => {
  const set = xorGaussianMixture({ d: 4, n: 50, separation: 2, seed: 'resume' });
  const options = { epochs: 3, batchSize: 8, seed: 'r', classes: 2 };

  it('one epoch, then a new model given its weights and state, runs the rest as one call does', async () => {
    const straight = buildModel({ kind: 'gm', K: 2 }, 4, 2, 9);
    const states: TrainState[] = [];
    const expected = await train(straight, set, set, { ...options, onEpoch: (_, state) => void states.push(state) });
    const first = buildModel({ kind: 'gm', K: 2 }, 4, 2, 9);
    let saved: { state: TrainState; weights: Awaited<ReturnType<typeof readWeights>> } | undefined;
    await train(first, set, set, { ...options, epochs: 1, onEpoch: async (_, state) => void (saved = { state, weights: await readWeights(first) }) });
    const resumed = buildModel({ kind: 'gm', K: 2 }, 4, 2, 1); // another initialisation: the weights must come from the state
    assignWeights(resumed, saved!.weights);
    let last: TrainState | undefined;
    const rest = await train(resumed, set, set, { ...options, resume: saved!.state, onEpoch: (_, state) => void (last = state) });
    expect(last).toEqual(states.at(-1)); // the optimizers' state (SGD's step count), the order and the stream too
    const strip = (rs: EpochResult[]) => rs.map(({ seconds, ...r }) => r);
    expect(strip(rest)).toEqual(strip(expected.slice(1)));
    expect((await readWeights(resumed)).map((w) => Array.from(w.values))).toEqual((await readWeights(straight)).map((w) => Array.from(w.values)));
    [straight, first, resumed].forEach((m) => m.dispose());
  });

  it('leaves no tensor behind when it takes a state each epoch, nor when it resumes from one', async () => {
    const model = buildModel({ kind: 'gm', K: 2 }, 4, 2, 9);
    const before = tf.memory().numTensors;
    let state: TrainState | undefined;
    await train(model, set, set, { ...options, epochs: 2, onEpoch: (_, s) => void (state = s) });
    expect(tf.memory().numTensors).toBe(before);
    await train(model, set, set, { ...options, resume: state! });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a state of another training set, and weights of another model, saying what differs', async () => {
    const model = buildModel({ kind: 'gm', K: 2 }, 4, 2, 9);
    const state: TrainState = { epoch: 1, rng: { c: 1, s0: 0.1, s1: 0.2, s2: 0.3 }, order: new Int32Array(49), optimizers: [[], []] };
    const before = tf.memory().numTensors;
    await expect(train(model, set, set, { ...options, resume: state })).rejects.toThrow(/^resume\.order: expected a state for 50 training examples, got one for 49$/);
    expect(tf.memory().numTensors).toBe(before); // the optimizers made for the call are released
    await expect(train(model, set, set, { ...options, resume: { ...state, order: new Int32Array(50), optimizers: [[]] } })).rejects.toThrow(
      /^resume\.optimizers: expected the state of 2 learning-rate groups, got 1$/,
    );
    const other = buildModel({ kind: 'gm', K: 3 }, 4, 2, 9);
    expect(() => assignWeights(model, readWeightsSync(other))).toThrow(/gm-K2 weights\[0\]: expected shape \[2,4\], got \[3,4\]/);
    [model, other].forEach((m) => m.dispose());
  });
});

const readWeightsSync = (model: Model) => model.parameters.map(({ variable }) => ({ shape: variable.shape, values: Float32Array.from(variable.dataSync()) }));

describe('accuracy report', () => {
  const report: Pick<AccuracyReport, 'runs' | 'bayesError'> = {
    bayesError: { synthetic: 0.1 },
    runs: [1, 2].flatMap((trial) =>
      ['gm-K20', 'fc-standard'].map((model) => ({
        dataset: 'synthetic' as const,
        model,
        trial,
        epochs: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, testError: 0.3 / epoch + 0.01 * trial, seconds: 1 })),
      })),
    ),
  };

  it('summarizes the final test error over trials', () => {
    const rows = summarize(report);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ dataset: 'synthetic', model: 'gm-K20', epochs: 3, trials: 2 });
    expect(rows[0].testError).toBeCloseTo(0.115, 10);
    expect(rows[0].sd).toBeCloseTo(Math.SQRT1_2 * 0.01, 10);
  });

  it('draws the error curves as an SVG without a browser', async () => {
    const svg = await errorCurves(report, 'synthetic');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('synthetic: test error');
    expect(svg).toContain('gm-K20');
  });
});

describe('component evolution (the paper\'s Figure 4)', () => {
  it('finds the principal plane of points spread along known axes', () => {
    // 6 points in R^4 spread along e₂ (widely) and e₄ (less): the plane is {e₂, e₄}.
    const rows = [[0, 3, 0, 1], [0, -3, 0, -1], [0, 3, 0, -1], [0, -3, 0, 1], [0, 0, 0, 0.5], [0, 0, 0, -0.5]]; // uncorrelated
    const { P, explained } = principalPlane(Float32Array.from(rows.flat()), 6, 4);
    expect(Math.abs(P[1 * 2])).toBeCloseTo(1, 6); // first direction ±e₂
    expect(Math.abs(P[3 * 2 + 1])).toBeCloseTo(1, 6); // second ±e₄
    expect(explained).toBeCloseTo(1, 10);
  });

  it('projects N(μ, diag σ²) to the right one-sd ellipse', () => {
    const P = Float64Array.from([1, 0, 0, 1, 0, 0]); // d = 3, plane = {e₁, e₂}
    const e = projectComponent([1, 2, 5], [0.5, 2, 9], P);
    expect([e.cx, e.cy]).toEqual([1, 2]);
    expect(e.a).toBeCloseTo(2, 12);
    expect(e.b).toBeCloseTo(0.5, 12);
    expect(Math.abs(Math.cos(e.angle))).toBeCloseTo(0, 12); // the long axis is e₂
  });

  it('draws ellipses and neurons as an SVG', async () => {
    const K = 2;
    const d = 3;
    const snap = (epoch: number, shift: number) => ({ epoch, mu: Float32Array.from([1 + shift, 0, 0, -1, shift, 0]), sigma: Float32Array.from([0.5, 0.5, 0.1, 0.3, 0.3, 0.1]) });
    const plot = componentPlot([snap(0, 0), snap(1, 0.5)], K, d, { rows: Float32Array.from([2, 0, 0, 0, 0, 3]), m: 2 });
    expect(plot.ellipses).toHaveLength(4);
    // The final μ rows are (1.5, 0, 0) and (−1, 0.5, 0): PC 1 is ±(5, −1, 0)/√26, so the neuron
    // 2e₁ (first row) projects to ±10/√26 on it and the neuron 3e₃ (second row) to 0.
    expect(plot.neurons.map((n) => Math.abs(n.x))).toEqual([expect.closeTo(10 / Math.sqrt(26), 6), expect.closeTo(0, 6)]);
    const svg = await componentEvolution({ ...plot, dataset: 'synthetic', model: 'gm-K2', fcModel: 'fc-standard' });
    const figure = await componentFigure('synthetic', [
      { ...plot, dataset: 'synthetic', model: 'gm-K5' },
      { ...plot, dataset: 'synthetic', model: 'gm-K5-gamma1/256' },
    ]);
    expect(figure.startsWith('<svg')).toBe(true);
    expect(figure).toContain('synthetic: gm-K5-gamma1/256 components over training');
    expect(svg?.startsWith('<svg')).toBe(true);
    expect(svg).toContain('synthetic: gm-K2 components over training');
  });
});

describe('every model of the paper trains', () => {
  it.each([
    [{ kind: 'gm', K: 3 }],
    [{ kind: 'gm', K: 3, r: 2 }],
    [{ kind: 'gm2', K: 2, hidden: 4 }],
    [{ kind: 'gm-frozen', K: 3 }],
    [{ kind: 'fc-standard', hidden: 8 }],
    [{ kind: 'fc-mean-field', hidden: 8 }],
  ] as const)('%o: a finite loss and a test error in [0, 1] after two epochs', async (spec) => {
    const model = buildModel(spec, 2, 2, 5);
    const results = await train(model, tiny, tiny, { epochs: 2, batchSize: 2, seed: 1, classes: 2 });
    for (const r of results) {
      expect(Number.isFinite(r.trainLoss)).toBe(true);
      expect(r.testError).toBeGreaterThanOrEqual(0);
      expect(r.testError).toBeLessThanOrEqual(1);
    }
    model.dispose();
  });
});
