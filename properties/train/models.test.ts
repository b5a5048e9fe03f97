/**
 * The paper's models (src/train/models.ts): what each one computes, held against the
 * float64 reference; its initial values and their distributions; its defaults, parameter
 * groups and names; the weights' round trip; and its hand-written dense products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gmForward } from '../../reference/closed-form.js';
import type { GMParams, Matrix, Tensor3 } from '../../reference/types.js';
import { useBackend } from '../../src/backend/backend.js';
import { gmLayer } from '../../src/op/gm-op.js';
import { assignWeights, buildModel, DEFAULT_GAMMA, modelName, parseModelName, readWeights, type Model, type ModelSpec } from '../../src/train/models.js';
import { expectClose } from '../support/compare.js';
import { expectNormal, expectUniform } from '../support/draws.js';
import { FLOAT32_UNIT_ROUNDOFF, forwardTolerance } from '../support/tolerance.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const values = (v: tf.Variable | tf.Tensor) => Array.from(v.dataSync());
const nested = <T = Matrix>(t: tf.Tensor) => t.arraySync() as T;

/** The model's variables by their name's stem (gm_mu, fc_W1t, …), in creation order. */
function variablesOf(model: Model): Record<string, tf.Variable[]> {
  const all = [...model.parameters.map((p) => p.variable), ...(model.components === undefined ? [] : [model.components.mu, model.components.sigma])];
  const byStem: Record<string, tf.Variable[]> = {};
  for (const v of new Set(all)) (byStem[v.name.replace(/_\d+$/, '')] ??= []).push(v);
  for (const list of Object.values(byStem)) list.sort((a, b) => Number(a.name.split('_').pop()) - Number(b.name.split('_').pop()));
  return byStem;
}

/** A GM layer's parameters as the reference takes them. */
const gmParams = (mu: tf.Tensor, sigma: tf.Tensor, U: tf.Tensor, v: tf.Tensor, V?: tf.Tensor): GMParams => ({
  mu: nested(mu),
  sigma: nested(sigma),
  U: nested<Tensor3>(U),
  v: nested(v),
  ...(V !== undefined && { V: nested<Tensor3>(V) }),
});

const input = (B: number, d: number, seed: number) => tf.randomNormal([B, d], 0, 1, 'float32', seed) as tf.Tensor2D;

describe('what each GM model computes', () => {
  it.each([
    ['gm-K3', 0],
    ['gm-K3-r2', 2],
    ['gm-K2-gamma1/4', 0],
  ])('%s: the logits are the GM layer of its μ, σ, U, v (and V) on x, within the float32 bound (†)', (name, r) => {
    const model = buildModel(parseModelName(name)!, 5, 3, 11);
    const vars = variablesOf(model);
    expect(model.components!.mu).toBe(vars.gm_mu[0]);
    expect(model.components!.sigma).toBe(vars.gm_sigma[0]);
    const params = gmParams(vars.gm_mu[0], vars.gm_sigma[0], vars.gm_U[0], vars.gm_v[0], r > 0 ? vars.gm_V[0] : undefined);
    const x = input(4, 5, 1);
    const X = nested(x);
    expectClose(nested(model.logits(x)), gmForward(params, X), forwardTolerance(params, X, FLOAT32_UNIT_ROUNDOFF), name);
    model.dispose();
  });

  it('skips the op\'s input checks (the training loop checks the loss): a NaN input gives NaN logits', () => {
    const model = buildModel({ kind: 'gm', K: 2 }, 2, 2, 1);
    expect(values(model.logits(tf.tensor2d([[NaN, 1]]))).every(Number.isNaN)).toBe(true);
    model.dispose();
  });

  it('gm-frozen computes what gm of the same spec and seed does, with μ, σ (and V) untrainable and out of its parameters', () => {
    for (const r of [0, 2]) {
      const [gm, frozen] = (['gm', 'gm-frozen'] as const).map((kind) => buildModel({ kind, K: 3, r }, 5, 3, 4));
      const x = input(4, 5, 2);
      expect(values(frozen.logits(x))).toEqual(values(gm.logits(x)));
      expect(frozen.components!.mu.trainable || frozen.components!.sigma.trainable).toBe(false);
      expect(frozen.parameters.map((p) => p.variable.name.replace(/_\d+$/, ''))).toEqual(['gm_U', 'gm_v']);
      expect(gm.parameters.map((p) => p.variable.name.replace(/_\d+$/, ''))).toEqual(['gm_mu', 'gm_sigma', ...(r > 0 ? ['gm_V'] : []), 'gm_U', 'gm_v']);
      gm.dispose();
      frozen.dispose();
    }
  });

  it('gm2: the second layer applied to the first, each its own μ, σ, U, v; the components are the first layer\'s', () => {
    const model = buildModel({ kind: 'gm2', K: 2, hidden: 6 }, 5, 3, 8);
    const vars = variablesOf(model);
    const [first, second] = [0, 1].map((j) => ({ mu: vars.gm_mu[j], sigma: vars.gm_sigma[j], U: vars.gm_U[j], v: vars.gm_v[j] }));
    expect(first.U.shape).toEqual([2, 6, 5]);
    expect(second.U.shape).toEqual([2, 3, 6]);
    expect(model.components!.mu).toBe(first.mu);
    expect(model.parameters.map((p) => p.variable.name)).toEqual([first, second].flatMap((layer) => [layer.mu, layer.sigma, layer.U, layer.v].map((v) => v.name)));
    const x = input(4, 5, 3);
    // The first layer by the op itself (held to the reference in properties/op), the
    // second against the reference on that float32 output.
    const hidden = gmLayer(x, first as never);
    const params = gmParams(second.mu, second.sigma, second.U, second.v);
    const H = nested(hidden);
    expectClose(nested(model.logits(x)), gmForward(params, H), forwardTolerance(params, H, FLOAT32_UNIT_ROUNDOFF), 'gm2');
    model.dispose();
  });
});

describe('initial values', () => {
  it.each([DEFAULT_GAMMA, 1 / 8])('gm (γ = %d): μ, U, v ~ N(0, γ²) and V ~ N(0, γ²/d), each from its own stream; σ = γ', (gamma) => {
    const d = 64;
    const model = buildModel({ kind: 'gm', r: 3, gamma }, d, 10, 21);
    const vars = variablesOf(model);
    expect(vars.gm_mu[0].shape).toEqual([20, d]); // K defaults to 20
    expect(new Set(values(vars.gm_sigma[0]))).toEqual(new Set([gamma]));
    expectNormal(values(vars.gm_mu[0]), gamma);
    expectNormal(values(vars.gm_U[0]), gamma);
    expectNormal(values(vars.gm_v[0]), gamma);
    expectNormal(values(vars.gm_V[0]), gamma / Math.sqrt(d));
    // Seeds seed, seed + 1, seed + 2: no two draws share a stream.
    const heads = ['gm_mu', 'gm_U', 'gm_v'].map((stem) => values(vars[stem][0]).slice(0, 20));
    expect(new Set(heads.flat()).size).toBe(60);
    model.dispose();
  });

  it('gm2: hidden width 100 by default, and the second layer drawn apart from the first', () => {
    const model = buildModel({ kind: 'gm2', K: 2 }, 4, 3, 5);
    const vars = variablesOf(model);
    expect(vars.gm_U.map((U) => U.shape)).toEqual([[2, 100, 4], [2, 3, 100]]);
    const firstMu = values(vars.gm_mu[0]);
    expect(values(vars.gm_mu[1]).slice(0, 8).some((z) => firstMu.includes(z))).toBe(false);
    model.dispose();
  });

  it('draws each tensor from its own seed, as documented: seed, seed + 1, … (gm2\'s second layer from seed + 10)', () => {
    const seed = 40;
    const draws = (shape: number[], sd: number, offset: number) => values(tf.randomNormal(shape, 0, sd, 'float32', seed + offset));
    const transposed = (t: tf.Tensor) => values(tf.transpose(t));
    const models = [
      buildModel({ kind: 'gm', K: 2, r: 1 }, 3, 2, seed),
      buildModel({ kind: 'gm2', K: 2, hidden: 4 }, 3, 2, seed),
      buildModel({ kind: 'fc-standard', hidden: 4 }, 3, 2, seed),
      buildModel({ kind: 'fc-mean-field', hidden: 4, gamma: 0.25 }, 3, 2, seed),
    ];
    const [gm, gm2, fc, mf] = models.map(variablesOf);
    expect([gm.gm_mu, gm.gm_U, gm.gm_v, gm.gm_V].map(([v]) => values(v))).toEqual([draws([2, 3], 0.5, 0), draws([2, 2, 3], 0.5, 1), draws([2, 2], 0.5, 2), draws([2, 1, 3], 0.5 / Math.sqrt(3), 3)]);
    expect(values(gm2.gm_mu[1])).toEqual(draws([2, 4], 0.5, 10));
    expect(values(fc.fc_W2t[0])).toEqual(transposed(tf.randomUniform([4, 2], -0.5, 0.5, 'float32', seed + 1)));
    expect(values(mf.mf_omegaT[0])).toEqual(transposed(tf.randomNormal([4, 2], 0, 0.25, 'float32', seed + 1)));
    models.forEach((model) => model.dispose());
  });

  it('the same spec and seed give the same weights; another seed others', async () => {
    const weights = async (seed: number) => {
      const model = buildModel({ kind: 'gm', K: 2 }, 3, 2, seed);
      const w = (await readWeights(model)).map((t) => Array.from(t.values));
      model.dispose();
      return w;
    };
    expect(await weights(3)).toEqual(await weights(3));
    expect((await weights(4))[0]).not.toEqual((await weights(3))[0]);
    // seed 0 too: tfjs's normal generators take a seed of 0 for none (src/seeds.ts)
    expect(await weights(0)).toEqual(await weights(0));
  });

  it('fc-standard: 1000 hidden units by default, W ~ U(±1/√fan_in) stored transposed, biases 0', () => {
    const d = 50;
    const model = buildModel({ kind: 'fc-standard' }, d, 10, 6);
    const { fc_W1t: [W1t], fc_b1: [b1], fc_W2t: [W2t], fc_b2: [b2] } = variablesOf(model);
    expect([W1t.shape, b1.shape, W2t.shape, b2.shape]).toEqual([[1000, d], [1000], [10, 1000], [10]]);
    expectUniform(values(W1t), 1 / Math.sqrt(d));
    expectUniform(values(W2t), 1 / Math.sqrt(1000));
    expect(values(b1).concat(values(b2)).every((z) => z === 0)).toBe(true);
    expect(model.parameters.every((p) => p.group === 'other' && p.rateScale === 1)).toBe(true);
    model.dispose();
  });

  it('fc-mean-field: β, ω ~ N(0, γ²) stored transposed, and logits 1/m Σ_j ω_j ReLU(⟨β_j, x⟩) (eq. 1)', () => {
    const model = buildModel({ kind: 'fc-mean-field', hidden: 400, gamma: 0.25 }, 30, 4, 7);
    const { mf_betaT: [betaT], mf_omegaT: [omegaT] } = variablesOf(model);
    expect([betaT.shape, omegaT.shape]).toEqual([[400, 30], [4, 400]]);
    expectNormal(values(betaT), 0.25);
    expectNormal(values(omegaT), 0.25);
    const x = nested(input(3, 30, 4));
    const [beta, omega] = [nested(betaT), nested(omegaT)];
    // In float64, with float32's bound beside it: a dot product of n terms is off by at
    // most n·u·Σ|terms| (u = 2⁻²⁴), the ReLU and the division by m = 400 (a power of two
    // times 25) add one rounding each.
    const u = FLOAT32_UNIT_ROUNDOFF;
    const dots = x.map((row) => beta.map((bj) => bj.reduce((a, bji, i) => a + bji * row[i], 0)));
    const dotBounds = x.map((row) => beta.map((bj) => 31 * u * bj.reduce((a, bji, i) => a + Math.abs(bji * row[i]), 0)));
    const want = dots.map((dj) => omega.map((w) => w.reduce((a, wj, j) => a + wj * Math.max(0, dj[j]), 0) / 400));
    const tolerance = dots.map((dj, b) => omega.map((w) => w.reduce((a, wj, j) => a + Math.abs(wj) * (dotBounds[b][j] + 402 * u * Math.max(0, dj[j])), 0) / 400));
    expectClose(nested(model.logits(tf.tensor2d(x))), want, tolerance, 'mean-field logits');
    model.dispose();
  });
});

describe('weights', () => {
  it('readWeights copies the values in parameter order; assignWeights sets them', async () => {
    const model = buildModel({ kind: 'gm', K: 2, r: 1 }, 3, 2, 1);
    const read = await readWeights(model);
    expect(read.map((w) => w.shape)).toEqual(model.parameters.map((p) => p.variable.shape));
    read.forEach((w, j) => expect(Array.from(w.values)).toEqual(values(model.parameters[j].variable)));
    const doubled = read.map(({ shape, values: v }) => ({ shape, values: v.map((z) => 2 * z) }));
    assignWeights(model, doubled);
    model.parameters.forEach((p, j) => expect(values(p.variable)).toEqual(Array.from(doubled[j].values)));
    expect(Array.from(read[0].values)).not.toEqual(Array.from(doubled[0].values)); // a copy, not a view
    model.dispose();
  });

  it('assignWeights refuses another count of tensors, and values that do not fill the shape, leaving no tensor behind', async () => {
    const model = buildModel({ kind: 'gm', K: 2 }, 3, 2, 1);
    const read = await readWeights(model);
    expect(() => assignWeights(model, read.slice(1))).toThrow('gm-K2 weights: expected 4 tensors, got 3');
    const short = read.map((w, j) => (j === 2 ? { shape: w.shape, values: w.values.slice(1) } : w));
    const before = tf.memory().numTensors;
    expect(() => assignWeights(model, short)).toThrow('gm-K2 weights[2]: expected shape [2,2,3], got [2,2,3] with 11 values');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('gives every variable a name of its own, across models', () => {
    const [a, b] = [1, 2].map(() => buildModel({ kind: 'gm', K: 2 }, 3, 2, 1));
    const names = [a, b].flatMap((m) => m.parameters.map((p) => p.variable.name));
    expect(new Set(names).size).toBe(names.length);
    a.dispose();
    b.dispose();
  });
});

describe('the FC networks\' products', () => {
  it.each(['fc-standard', 'fc-mean-field'])('%s: the transposed-weight products and their hand-written gradients match tfjs autodiff of the plain formula', (name) => {
    const model = buildModel({ ...parseModelName(name)!, hidden: 8 }, 4, 3, 5);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    const vars = model.parameters.map((p) => p.variable);
    // The plain formula: x·W1tᵀ by a transpose flag, differentiated by tfjs.
    const plain = (W: tf.Tensor[]) => {
      const [Wa, ...rest] = W as tf.Tensor2D[];
      if (name === 'fc-standard') {
        const [b1, W2, b2] = rest;
        return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, Wa, false, true), b1)) as tf.Tensor2D, W2, false, true), b2) as tf.Tensor2D;
      }
      return tf.div(tf.matMul(tf.relu(tf.matMul(x, Wa, false, true)) as tf.Tensor2D, rest[0], false, true), 8) as tf.Tensor2D;
    };
    const loss = (logits: () => tf.Tensor2D) => () => tf.losses.softmaxCrossEntropy(y, logits()) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss(() => model.logits(x)), vars);
    const expected = tf.grads((...W: tf.Tensor[]) => loss(() => plain(W))())(vars);
    expect(value.dataSync()[0]).toBeCloseTo(loss(() => plain(vars))().dataSync()[0], 5);
    // Each entry sums at most 8 float32 products of O(1) terms: both routes within ~1e−6 of exact.
    vars.forEach((v, j) => {
      const [a, b] = [grads[v.name].dataSync(), expected[j].dataSync()];
      a.forEach((g, i) => expect(Math.abs(g - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i]))));
    });
    model.dispose();
  });

  it('gives the mean-field network m times the learning rate (the mean-field time scale); m is 1000 by default', () => {
    for (const [hidden, m] of [[8, 8], [undefined, 1000]]) {
      const model = buildModel({ kind: 'fc-mean-field', ...(hidden !== undefined && { hidden }) }, 2, 2, 5);
      expect(model.parameters.map((p) => [p.variable.shape, p.rateScale])).toEqual([[[m, 2], m], [[2, m], m]]);
      model.dispose();
    }
  });
});

describe('models release what they allocate', () => {
  it.each(['gm-K3', 'gm-K3-r2', 'gm2-K2', 'gm-frozen-K3', 'gm-frozen-K3-r2', 'fc-standard', 'fc-mean-field'])('%s: buildModel then dispose leaves no tensor', (name) => {
    const before = tf.memory().numTensors;
    buildModel({ ...parseModelName(name)!, hidden: 8 }, 4, 2, 1).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('model names', () => {
  it.each(['gm-K20', 'gm-K20-r4', 'gm-K20-r16', 'gm2-K20', 'gm-frozen-K5', 'gm-frozen-K20-r1', 'gm-K5-gamma1/256', 'gm-K20-r4-gamma1/3', 'gm2-K5-gamma1/49', 'fc-standard', 'fc-mean-field'])('%s round-trips through parseModelName and modelName', (name) => {
    expect(modelName(parseModelName(name)!)).toBe(name);
  });
  it.each(['gm', 'gm-K0', 'gm-K20-r0', 'gm2-K20-r2', 'fc', 'gm-K20-r', 'GM-K20', 'gm-K5-gamma0.5', 'gm-K5-gamma1/0', 'gm-K5-gamma256', 'fc-standard-gamma1/4', 'xgm-K5', 'gm-K5x'])('%s is no model name', (name) => {
    expect(parseModelName(name)).toBeUndefined();
  });
  it('-gamma1/<n> sets γ = 1/n; γ = 1/2, the default, is written without it; other γ have no name', () => {
    expect(parseModelName('gm-K5-gamma1/256')).toEqual({ kind: 'gm', K: 5, gamma: 1 / 256 });
    expect(parseModelName('gm-frozen-K7-r3')).toEqual({ kind: 'gm-frozen', K: 7, r: 3 });
    expect(modelName(parseModelName('gm-K5-gamma1/2')!)).toBe('gm-K5');
    expect(modelName({ kind: 'gm' })).toBe('gm-K20');
    expect(modelName({ kind: 'gm', K: 4, r: 0 })).toBe('gm-K4');
    expect(() => modelName({ kind: 'gm', K: 5, gamma: 0.3 })).toThrow('gamma: expected 1/n for an integer n (the form model names carry), got 0.3');
  });
  it('gm-K<K>-r<r> has V [K, r, d] trained with the rate of μ, U and v, frozen in gm-frozen', () => {
    const spec = parseModelName('gm-K3-r2') as ModelSpec;
    const model = buildModel(spec, 4, 2, 1);
    const isV = (p: { variable: tf.Variable }) => p.variable.name.startsWith('gm_V');
    const V = model.parameters.find(isV)!;
    expect(V.variable.shape).toEqual([3, 2, 4]);
    expect(V.group).toBe('other');
    model.dispose();
    const frozen = buildModel({ kind: 'gm-frozen', K: 3, r: 2 }, 4, 2, 1);
    expect(frozen.parameters.some(isV)).toBe(false);
    frozen.dispose();
  });

  it('groups σ apart: σ gets the σ rate, every other GM parameter the other; all at scale 1', () => {
    const model = buildModel({ kind: 'gm', K: 2, r: 1 }, 3, 2, 1);
    expect(model.parameters.map((p) => [p.variable.name.replace(/_\d+$/, ''), p.group, p.rateScale])).toEqual([
      ['gm_mu', 'other', 1],
      ['gm_sigma', 'sigma', 1],
      ['gm_V', 'other', 1],
      ['gm_U', 'other', 1],
      ['gm_v', 'other', 1],
    ]);
    model.dispose();
  });
});
