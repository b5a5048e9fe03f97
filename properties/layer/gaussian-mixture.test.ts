/**
 * The GaussianMixture tf.layers.Layer: stacking, training, the paper's initialisation,
 * config and save/load round trips, and clear errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, sequential, layers as tfl, type LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { gmForward } from '../../reference/closed-form.js';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import type { GMParams, Matrix, Tensor3 } from '../../reference/types.js';
import { useBackend } from '../../src/backend/backend.js';
import { GaussianMixture, gaussianMixture, type GaussianMixtureArgs } from '../../src/layer/gaussian-mixture.js';
import { checkGMArtifacts, loadGMModel } from '../../src/layer/load.js';
import { describeEachBackend } from '../support/backends.js';
import { DEFERRED_READ_BACKENDS, gmValuesChecked } from '../../src/op/deferred-check.js';
import { expectClose, mapNested, type Nested } from '../support/compare.js';
import { expectNormal } from '../support/draws.js';
import { saveToMemory } from '../support/save.js';
import { FLOAT32_UNIT_ROUNDOFF, forwardTolerance } from '../support/tolerance.js';

function twoLayerModel(seed = 1): LayersModel {
  const model = sequential();
  model.add(gaussianMixture({ inputShape: [784], units: 100, components: 5, seed }));
  model.add(gaussianMixture({ units: 10, components: 5, seed: seed + 10 }));
  return model;
}


describeEachBackend('GaussianMixture layer', (backend) => {
  it('stacks two GM layers 784 → 100 → 10 in tf.sequential and trains with fit()', async () => {
    const model = twoLayerModel();
    expect(model.outputs[0].shape).toEqual([null, 10]);
    const x = tf.randomUniform([32, 784], 0, 1, 'float32', 2);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, j) => j % 10), 'int32'), 10);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
    const weights = async () => Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
    const before = await weights();
    const history = await model.fit(x, labels, { epochs: 2, batchSize: 16, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = await weights();
    // Every weight (μ, σ, U, v of both layers) received a gradient step.
    after.forEach((w, j) => expect(w.some((value, i) => value !== before[j][i])).toBe(true));
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([32, 10]);
  });

  it("initialises as the paper does: μ, U, v ~ N(0, γ²), σ = γ", async () => {
    const layer = new GaussianMixture({ units: 10, components: 20, gamma: 0.5, seed: 3 });
    layer.build([null, 784]);
    const [mu, sigma, U, v] = await Promise.all(layer.getWeights().map(async (w) => Array.from(await w.data())));
    expect(new Set(sigma)).toEqual(new Set([0.5]));
    // n = 15,680, 156,800 and 200 draws (support/draws.ts sizes the bounds).
    expect([mu, U, v].map((w) => w.length)).toEqual([15680, 156800, 200]);
    for (const values of [mu, U, v]) expectNormal(values, 0.5);
  });

  it('rank r ≥ 1 adds V [K, r, d], initialised N(0, γ²/d) and trained by fit(); it saves, loads and checks', async () => {
    const model = sequential();
    model.add(gaussianMixture({ inputShape: [784], units: 10, components: 20, rank: 3, gamma: 0.5, seed: 7 }));
    const layer = model.layers[0] as GaussianMixture;
    const V = layer.getWeights()[4];
    expect(V.shape).toEqual([20, 3, 784]);
    const values = Array.from(await V.data());
    expectNormal(values, 0.5 / Math.sqrt(784)); // 47,040 draws
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.randomUniform([8, 784], 0, 1, 'float32', 3);
    await model.fit(x, tf.randomNormal([8, 10], 0, 1, 'float32', 4), { epochs: 1, batchSize: 8, verbose: 0 });
    const after = Array.from(await layer.getWeights()[4].data());
    expect(after.some((value, i) => value !== values[i])).toBe(true);
    const artifacts = await saveToMemory(model);
    const loaded = await loadGMModel(tf.io.fromMemory(artifacts));
    expect(await (loaded.predict(x) as tf.Tensor).data()).toEqual(await (model.predict(x) as tf.Tensor).data());
    expect((loaded.layers[0] as GaussianMixture).rank).toBe(3);
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
    const entry = (topology.config.layers as { class_name: string; config: Record<string, unknown> }[]).find((l) => l.class_name === 'GaussianMixture')!;
    entry.config.rank = 2;
    expect(() => checkGMArtifacts({ ...artifacts, modelTopology: topology })).toThrow(/\/V: expected shape \[K=20, r=2, d=784\] from the layer config \(components=20, units=10, rank=2\), got shape \[20, 3, 784\]/);
    delete entry.config.rank;
    expect(() => checkGMArtifacts({ ...artifacts, modelTopology: topology })).toThrow(/\/V: expected no low-rank factors, as the layer config has rank 0, got a saved weight of shape \[20, 3, 784\]/);
  });

  it('round-trips through getConfig / fromConfig', () => {
    const layer = new GaussianMixture({ units: 7, components: 3, rank: 2, gamma: 0.25, seed: 9, checkValues: false, name: 'gm' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ units: 7, components: 3, rank: 2, gamma: 0.25, seed: 9, checkValues: false, name: 'gm' });
    expect(new GaussianMixture({ units: 7, components: 3 }).getConfig()).not.toHaveProperty('rank');
    const copy = tf.serialization.SerializationMap.getMap().classNameMap.GaussianMixture[1](GaussianMixture, config) as GaussianMixture;
    expect(copy.getConfig()).toEqual(config);
  });

  it('save / load round trip gives identical outputs (tf.loadLayersModel and loadGMModel)', async () => {
    const model = twoLayerModel(4);
    const x = tf.randomNormal([5, 784], 0, 1, 'float32', 5);
    const want = await (model.predict(x) as tf.Tensor).data();
    const artifacts = await saveToMemory(model);
    const loaded = await loadGMModel(tf.io.fromMemory(artifacts));
    expect(await (loaded.predict(x) as tf.Tensor).data()).toEqual(want);
    expect(loaded.layers[0]).toBeInstanceOf(GaussianMixture);
  });

  it('names the weight and the expected K, d, L when saved weights do not fit the config', async () => {
    const artifacts = await saveToMemory(twoLayerModel(6));
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
    const layers = topology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    const gm = layers.find((l) => l.class_name === 'GaussianMixture')!;
    gm.config.components = 4;
    const broken = { ...artifacts, modelTopology: topology };
    expect(() => checkGMArtifacts(broken)).toThrow(GMShapeError);
    await expect(loadGMModel(tf.io.fromMemory(broken))).rejects.toThrow(
      new RegExp(`${gm.config.name}/mu: expected shape \\[K=4, d=784\\] from the layer config \\(components=4, units=100\\), got shape \\[5, 784\\]`),
    );
  });

  it('rejects bad arguments and non-finite inputs with typed errors', async () => {
    expect(() => new GaussianMixture({ units: 0, components: 2 })).toThrow(/units: expected a positive integer, got 0/);
    expect(() => new GaussianMixture({ units: 2, components: 1.5 })).toThrow(/components: expected a positive integer, got 1.5/);
    expect(() => new GaussianMixture({ units: 2, components: 2, rank: -1 })).toThrow(/rank: expected an integer ≥ 0, got -1/);
    expect(() => new GaussianMixture({ units: 2, components: 2, gamma: -1 })).toThrow(GMValueError);
    expect(() => new GaussianMixture({ units: 2, components: 2, seed: -1 })).toThrow(/seed: expected an integer ≥ 0, got -1/);
    expect(() => new GaussianMixture({ units: 2, components: 2, seed: 0.5 })).toThrow(/seed: expected an integer ≥ 0, got 0.5/);
    expect(() => new GaussianMixture({ units: 2, components: 2, seed: 2 ** 60 })).toThrow(/seed: expected an integer ≥ 0, got 1152921504606847000/);
    const layer = new GaussianMixture({ units: 2, components: 2, seed: 1 });
    const nan = /x\[0\]\[1\]: expected a finite number, got NaN/;
    if (!DEFERRED_READ_BACKENDS.has(backend)) {
      expect(() => layer.apply(tf.tensor2d([[1, NaN, 3]]))).toThrow(nan);
      return;
    }
    // webgpu: reported by gmValuesChecked, or by the next call once the check has landed.
    layer.apply(tf.tensor2d([[1, NaN, 3]]));
    await expect(gmValuesChecked()).rejects.toThrow(nan);
    await gmValuesChecked(); // reported once
    layer.apply(tf.tensor2d([[1, NaN, 3]]));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the read lands meanwhile
    expect(() => layer.apply(tf.tensor2d([[1, 2, 3]]))).toThrow(nan);
  });

  it('refuses γ ≤ 0 or not finite, a build without a known d, and after its build an input of another d', () => {
    expect(() => new GaussianMixture({ units: 2, components: 2, gamma: 0 })).toThrow(/gamma: expected a finite number > 0, got 0/);
    expect(() => new GaussianMixture({ units: 2, components: 2, gamma: Infinity })).toThrow(/gamma: expected a finite number > 0, got Infinity/);
    const unbuilt = new GaussianMixture({ units: 2, components: 2, seed: 1 });
    expect(() => unbuilt.build([null, null])).toThrow(GMValueError);
    expect(() => unbuilt.build([null, null])).toThrow(/: input shape: expected a known last dimension d, got \[null,null\]/);
    const layer = new GaussianMixture({ units: 2, components: 2, seed: 1 });
    layer.apply(tf.zeros([1, 3]));
    expect(() => layer.apply(tf.zeros([1, 4]))).toThrow(/expected axis -1 of input shape to have value 3/);
    expect(layer.computeOutputShape([5, 3])).toEqual([5, 2]);
  });

  it('a build called directly marks the layer built, as tfjs-layers asks of build(): a later apply makes no second set of weights', () => {
    const layer = new GaussianMixture({ units: 2, components: 2, seed: 1 });
    layer.build([null, 3]);
    expect(layer.built).toBe(true);
    layer.apply(tf.zeros([1, 3]));
    expect(layer.weights.map((w) => w.shape)).toEqual([[2, 3], [2, 3], [2, 2, 3], [2, 2]]);
  });

  it('checkValues: false lets a NaN through to the output, unchecked (the default checks)', async () => {
    const layer = new GaussianMixture({ units: 2, components: 2, seed: 1, checkValues: false });
    const y = layer.apply(tf.tensor2d([[1, NaN, 3]])) as tf.Tensor;
    expect(Array.from(await y.data()).some(Number.isNaN)).toBe(true);
  });

  it('a seed fixes every weight, each from its own stream; no seed draws afresh; an initialiser overrides the paper’s', async () => {
    const weights = async (layer: GaussianMixture) => {
      layer.apply(tf.zeros([1, 6]));
      return Promise.all(layer.getWeights().map((w) => w.array()));
    };
    const seeded = await weights(new GaussianMixture({ units: 3, components: 2, rank: 1, seed: 7 }));
    expect(await weights(new GaussianMixture({ units: 3, components: 2, rank: 1, seed: 7 }))).toEqual(seeded);
    const [mu, , U, v, V] = seeded as [number[][], number[][], number[][][], number[][], number[][][]];
    expect(mu[0]).not.toEqual(U[0][0].slice(0, 6)); // not one stream reused
    expect(v[0]).not.toEqual(mu[0].slice(0, 3));
    expect(V).not.toEqual(mu);
    expect(await weights(new GaussianMixture({ units: 3, components: 2 }))).not.toEqual(await weights(new GaussianMixture({ units: 3, components: 2 })));
    // seed 0 fixes them too (tfjs's generators take a seed of 0 for none), μ's as well
    const zero = await weights(new GaussianMixture({ units: 3, components: 2, seed: 0 }));
    expect(await weights(new GaussianMixture({ units: 3, components: 2, seed: 0 }))).toEqual(zero);
    expect(zero[0]).not.toEqual(seeded[0]);
    // each weight's own initialiser replaces the paper's; the others as the paper's, from the same seed
    const names = ['mu', 'sigma', 'U', 'v', 'V'] as const;
    for (const [i, name] of names.entries()) {
      const overridden = await weights(new GaussianMixture({ units: 3, components: 2, rank: 1, seed: 7, [`${name}Initializer`]: initializers.constant({ value: 0.25 }) }));
      expect(overridden[i], name).toEqual(mapNested(seeded[i] as Nested, () => 0.25));
      expect(overridden.filter((_, j) => j !== i), name).toEqual(seeded.filter((_, j) => j !== i));
    }
  });

  it('fit stops at the batch after one with a non-finite input (checked on webgpu after the fact)', async () => {
    const model = sequential();
    model.add(gaussianMixture({ inputShape: [3], units: 2, components: 2, seed: 1 }));
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.tensor2d([[1, NaN, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    await expect(model.fit(x, tf.zeros([4, 2]), { epochs: 2, batchSize: 1, shuffle: false, verbose: 0 })).rejects.toThrow(/x\[0\]\[1\]: expected a finite number, got NaN/);
    // The later batches' checks (their weights are NaN after the first step) are dropped, not reported later.
    await expect(gmValuesChecked()).resolves.toBeUndefined();
  });

  it('works inside a model with other layers (Dense → GM → Dense)', () => {
    const model = sequential();
    model.add(tfl.dense({ inputShape: [6], units: 8 }));
    model.add(gaussianMixture({ units: 4, components: 3, seed: 2 }));
    model.add(tfl.dense({ units: 2 }));
    expect((model.predict(tf.ones([3, 6])) as tf.Tensor).shape).toEqual([3, 2]);
  });
});

describe('GaussianMixture: what it computes, its shapes and its config (one backend: nothing here depends on it)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('computes the GM layer of its own weights: the reference within the float32 bound (†), with and without V, from a tensor or a list of one', async () => {
    for (const rank of [0, 2]) {
      const layer = new GaussianMixture({ units: 3, components: 2, rank, gamma: 0.75, seed: 12 });
      const x = tf.randomNormal([4, 5], 0, 1, 'float32', 13) as tf.Tensor2D;
      const y = layer.apply(x) as tf.Tensor;
      const [mu, sigma, U, v, V] = (await Promise.all(layer.getWeights().map((w) => w.array()))) as [Matrix, Matrix, Tensor3, Matrix, Tensor3?];
      const params: GMParams = { mu, sigma, U, v, ...(V !== undefined && { V }) };
      expect(V === undefined).toBe(rank === 0);
      const X = (await x.array()) as Matrix;
      expectClose((await y.array()) as Matrix, gmForward(params, X), forwardTolerance(params, X, FLOAT32_UNIT_ROUNDOFF), `rank ${rank}`);
      expect(await (layer.call([x]) as tf.Tensor).array()).toEqual(await y.array());
    }
  });

  it('takes input shapes as a list of one, as Keras passes them', () => {
    const layer = new GaussianMixture({ units: 5, components: 3, seed: 1 });
    layer.build([[null, 4]]);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[3, 4], [3, 4], [3, 5, 4], [3, 5]]);
    expect(layer.computeOutputShape([[7, 4]])).toEqual([7, 5]);
    expect(layer.computeOutputShape([null, 4])).toEqual([null, 5]);
  });

  it('refuses, before its build, an input not of rank 2', () => {
    const layer = new GaussianMixture({ units: 2, components: 2, seed: 1 });
    expect(() => layer.apply(tf.zeros([2, 3, 4]))).toThrow(/expected max_ndim=2, found ndim=3/);
    expect(() => layer.apply(tf.zeros([3]))).toThrow(/expected min_ndim=2, found ndim=1/);
  });

  it.each([
    [{ units: '3', components: 2 }, 'units: expected a positive integer, got 3'],
    [{ units: 3, components: undefined }, 'components: expected a positive integer, got undefined'],
    [{ units: 3, components: 2, rank: 1.5 }, 'rank: expected an integer ≥ 0, got 1.5'],
    [{ units: 3, components: 2, gamma: NaN }, 'gamma: expected a finite number > 0, got NaN'],
  ])('refuses %j naming the field', (args, message) => {
    expect(() => new GaussianMixture(args as never)).toThrow(GMValueError);
    expect(() => new GaussianMixture(args as never)).toThrow(message);
  });

  it('saves gamma and checkValues always, rank and seed only when set; the defaults are γ = 1/2 and checks on', () => {
    const config = new GaussianMixture({ units: 3, components: 2, name: 'plain' }).getConfig();
    expect(config).toMatchObject({ units: 3, components: 2, gamma: 0.5, checkValues: true, name: 'plain' });
    expect(config).not.toHaveProperty('seed');
    expect(config).not.toHaveProperty('rank');
    expect(new GaussianMixture({ units: 3, components: 2, rank: 1, seed: 0 }).getConfig()).toMatchObject({ rank: 1, seed: 0 });
  });

  it('σ and V initialisers override the paper’s too; V draws from its own stream (seed + 4)', async () => {
    const weights = async (args: Partial<GaussianMixtureArgs>) => {
      const layer = new GaussianMixture({ units: 3, components: 2, rank: 1, seed: 7, ...args });
      layer.build([null, 6]);
      return Promise.all(layer.getWeights().map((w) => w.array()));
    };
    const paper = await weights({});
    const overridden = await weights({ sigmaInitializer: initializers.constant({ value: 2 }), VInitializer: initializers.constant({ value: -1 }) });
    expect(overridden[1]).toEqual([Array(6).fill(2), Array(6).fill(2)]);
    expect(overridden[4]).toEqual([[Array(6).fill(-1)], [Array(6).fill(-1)]]);
    expect(overridden.slice(0, 1).concat(overridden.slice(2, 4))).toEqual(paper.slice(0, 1).concat(paper.slice(2, 4)));
    // N(0, γ²/d) from seed 11 is N(0, 1) from seed 11 scaled by γ/√d: the stream of seed + 4, no other weight's.
    const unit = (await tf.randomNormal([2, 1, 6], 0, 1, 'float32', 11).array()) as Tensor3;
    expectClose(paper[4] as Tensor3, unit.map((m) => m.map((row) => row.map((z) => (z * 0.5) / Math.sqrt(6)))), 1e-6, 'V');
  });
});
