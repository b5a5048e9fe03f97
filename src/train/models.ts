/**
 * The models of the paper's experiments (Chewi, Rigollet & Yan), as plain sets of tfjs
 * variables with a logits function, so that the training loop can give σ its own
 * learning rate.
 *
 *   gm          d → GM(K) → classes: one GM layer whose L outputs are the logits; with
 *               r ≥ 1 (gm-K<K>-r<r>) its covariances are diag(σ_k²) + V_kᵀV_k, V_k: r×d
 *   gm2         d → GM(K) → 100 → GM(K) → classes: two stacked GM layers
 *   gm-frozen   gm with μ and σ fixed at their initial values ("without updating the
 *               marginal distribution over β")
 *   fc-standard d → 1000 → classes ReLU network, U(±1/√fan_in) weights, zero biases
 *               (the usual default initialisation), logits = W₂ᵀ ReLU(W₁ᵀx + b₁) + b₂
 *   fc-mean-field  the mean-field network the GM layer generalises (eq. 1):
 *               logits = 1/m Σ_j ω_j ReLU(⟨β_j, x⟩), β, ω ~ N(0, γ²) entrywise; the 1/m
 *               output scaling needs m-times larger steps to move (the mean-field time
 *               scale), so its learning rate is multiplied by m
 *
 * GM initialisation, as in the paper: μ, U, v ~ N(0, γ²) and σ = γ, γ = 1/2 (a name ending
 * in -gamma1/<n> sets γ = 1/n: Figure 4 compares 1/2 with 1/256).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMValueError } from '../../reference/errors.js';
import { gmLayer } from '../op/gm-op.js';
import { normalSeed } from '../seeds.js';

export const MODEL_KINDS = ['gm', 'gm2', 'gm-frozen', 'fc-standard', 'fc-mean-field'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelSpec {
  kind: ModelKind;
  /** components per GM layer */
  K?: number;
  /** rank of each component's low-rank covariance factor V (gm and gm-frozen; default 0) */
  r?: number;
  /** hidden width: 100 for gm2, 1000 for the FC networks */
  hidden?: number;
  gamma?: number;
}

/** A trainable variable and the learning-rate group it belongs to. */
export interface Parameter {
  variable: tf.Variable;
  /** 'sigma' gets the σ learning rate, 'other' the rest */
  group: 'sigma' | 'other';
  /** multiplies the group's learning rate (the mean-field FC's m) */
  rateScale: number;
}

export interface Model {
  name: string;
  spec: ModelSpec;
  parameters: Parameter[];
  /** logits: [B, classes] */
  logits: (x: tf.Tensor2D) => tf.Tensor2D;
  /** the first GM layer's μ and σ (for the component plots), if any */
  components?: { mu: tf.Variable; sigma: tf.Variable };
  dispose: () => void;
}

/** The initialisation scale γ of the paper's GM models (μ, U, v ~ N(0, γ²), σ = γ). */
export const DEFAULT_GAMMA = 0.5;

/**
 * Human-readable name, e.g. gm-K20, gm-K20-r4, gm2-K20, gm-K5-gamma1/256, fc-standard.
 * A GM model whose γ is not ½ carries it as -gamma1/<n> (γ = 1/n, as the paper's Figure 4
 * writes 1/256); other γ have no name.
 */
export function modelName(spec: ModelSpec): string {
  if (!spec.kind.startsWith('gm')) return spec.kind;
  const gamma = spec.gamma ?? DEFAULT_GAMMA;
  const n = Math.round(1 / gamma);
  if (1 / n !== gamma) throw new GMValueError('gamma', '1/n for an integer n (the form model names carry)', String(gamma));
  return `${spec.kind}-K${spec.K ?? 20}${(spec.r ?? 0) > 0 ? `-r${spec.r}` : ''}${gamma === DEFAULT_GAMMA ? '' : `-gamma1/${n}`}`;
}

/** The forms parseModelName takes, for messages. */
export const MODEL_NAME_FORMS = 'gm-K<K>, gm-K<K>-r<r>, gm2-K<K>, gm-frozen-K<K>, gm-frozen-K<K>-r<r> (each GM form may end in -gamma1/<n> for γ = 1/n), fc-standard, fc-mean-field';

/**
 * The spec a model name stands for (modelName's inverse), e.g. gm-K20-r4 → { kind: 'gm',
 * K: 20, r: 4 }, gm-K5-gamma1/256 → { kind: 'gm', K: 5, gamma: 1/256 }; undefined for a
 * name of no known form. gamma1/2 is the default and its name omits it.
 */
export function parseModelName(name: string): ModelSpec | undefined {
  if (name === 'fc-standard' || name === 'fc-mean-field') return { kind: name };
  const match = /^(gm|gm2|gm-frozen)-K([1-9]\d*)(?:-r([1-9]\d*))?(?:-gamma1\/([1-9]\d*))?$/.exec(name);
  if (match === null || (match[1] === 'gm2' && match[3] !== undefined)) return undefined;
  const gamma = match[4] === undefined ? DEFAULT_GAMMA : 1 / Number(match[4]);
  return {
    kind: match[1] as ModelKind,
    K: Number(match[2]),
    ...(match[3] !== undefined && { r: Number(match[3]) }),
    ...(gamma !== DEFAULT_GAMMA && { gamma }),
  };
}

/**
 * x·Wᵀ for x [B, n] and weights stored transposed, Wt [m, n], formed as (Wt·xᵀ)ᵀ: tfjs-wasm
 * hands a product to XNNPACK, which packs the right operand anew for every new tensor,
 * so the small xᵀ is packed rather than the m×n weights, and no product runs with a
 * transpose flag (a naive loop there). The gradients take the same care: ∂Wt = dzᵀ·x,
 * ∂x = dz·Wt. Measured in benchmarks/README.md ("FC step").
 */
const dense = tf.customGrad((x, Wt, save) => {
  (save as (tensors: tf.Tensor[]) => void)([x as tf.Tensor, Wt as tf.Tensor]);
  return {
    value: tf.transpose(tf.matMul(Wt as tf.Tensor2D, tf.transpose(x as tf.Tensor2D))) as tf.Tensor2D,
    gradFunc: (dz, saved) => {
      const [xs, Ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dz as tf.Tensor2D, Ws), tf.matMul(tf.transpose(dz as tf.Tensor2D), xs)];
    },
  };
}) as (x: tf.Tensor2D, Wt: tf.Tensor2D) => tf.Tensor2D;

/**
 * dense for an input that is data (the first layer): x is no input of the op, so its
 * gradient dz·Wt, a product as large as the forward one, is never formed.
 */
const denseOnData = (x: tf.Tensor2D, Wt: tf.Tensor2D): tf.Tensor2D =>
  (
    tf.customGrad((W, save) => {
      (save as (tensors: tf.Tensor[]) => void)([W as tf.Tensor]);
      return {
        value: tf.transpose(tf.matMul(W as tf.Tensor2D, tf.transpose(x))) as tf.Tensor2D,
        gradFunc: (dz) => tf.matMul(tf.transpose(dz as tf.Tensor2D), x),
      };
    }) as (W: tf.Tensor2D) => tf.Tensor2D
  )(Wt);

/** A variable where an op wants a rank-2 tensor. */
const t2 = (v: tf.Variable) => v as unknown as tf.Tensor2D;

let counter = 0;
const unique = (name: string) => `${name}_${++counter}`;

/** A variable from an initial value made inside a tidy, which frees the value's own tensor. */
const variable = (init: () => tf.Tensor, trainable: boolean, name: string): tf.Variable => tf.tidy(() => tf.variable(init(), trainable, unique(name)));

/**
 * One GM layer's variables. With rank r ≥ 1, V [K, r, d] is initialised N(0, γ²/d) as the
 * GaussianMixture layer does (src/layer/gaussian-mixture.ts), trained with the learning
 * rate of μ, U and v (σ's rate of 1 made the synthetic task's test error worse:
 * benchmarks/README.md), and frozen with σ in gm-frozen.
 */
function gmParameters(d: number, L: number, K: number, r: number, gamma: number, seed: number, trainMarginal: boolean) {
  const mu = variable(() => tf.randomNormal([K, d], 0, gamma, 'float32', normalSeed(seed)), trainMarginal, 'gm_mu');
  const sigma = variable(() => tf.fill([K, d], gamma), trainMarginal, 'gm_sigma');
  const U = variable(() => tf.randomNormal([K, L, d], 0, gamma, 'float32', normalSeed(seed + 1)), true, 'gm_U');
  const v = variable(() => tf.randomNormal([K, L], 0, gamma, 'float32', normalSeed(seed + 2)), true, 'gm_v');
  const V = r > 0 ? variable(() => tf.randomNormal([K, r, d], 0, gamma / Math.sqrt(d), 'float32', normalSeed(seed + 3)), trainMarginal, 'gm_V') : undefined;
  const parameters: Parameter[] = [
    ...(trainMarginal ? [{ variable: mu, group: 'other' as const, rateScale: 1 }, { variable: sigma, group: 'sigma' as const, rateScale: 1 }] : []),
    ...(trainMarginal && V !== undefined ? [{ variable: V, group: 'other' as const, rateScale: 1 }] : []),
    { variable: U, group: 'other', rateScale: 1 },
    { variable: v, group: 'other', rateScale: 1 },
  ];
  const apply = (x: tf.Tensor2D) =>
    gmLayer(
      x,
      { mu: mu as unknown as tf.Tensor2D, sigma: sigma as unknown as tf.Tensor2D, U: U as unknown as tf.Tensor3D, v: v as unknown as tf.Tensor2D, ...(V !== undefined && { V: V as unknown as tf.Tensor3D }) },
      { checkValues: false },
    );
  return { parameters, apply, mu, sigma, all: [mu, sigma, U, v, ...(V === undefined ? [] : [V])] };
}

/**
 * Builds a model for inputs of dimension d and the given number of classes.
 * @param seed initialisation seed (each tensor gets seed, seed + 1, …).
 */
export function buildModel(spec: ModelSpec, d: number, classes: number, seed: number): Model {
  const gamma = spec.gamma ?? DEFAULT_GAMMA;
  const K = spec.K ?? 20;
  const r = spec.r ?? 0;
  const name = modelName(spec);
  switch (spec.kind) {
    case 'gm':
    case 'gm-frozen': {
      const layer = gmParameters(d, classes, K, r, gamma, seed, spec.kind === 'gm');
      return { name, spec, parameters: layer.parameters, logits: layer.apply, components: { mu: layer.mu, sigma: layer.sigma }, dispose: () => tf.dispose(layer.all) };
    }
    case 'gm2': {
      const hidden = spec.hidden ?? 100;
      const first = gmParameters(d, hidden, K, 0, gamma, seed, true);
      const second = gmParameters(hidden, classes, K, 0, gamma, seed + 10, true);
      return {
        name,
        spec,
        parameters: [...first.parameters, ...second.parameters],
        logits: (x) => second.apply(first.apply(x)),
        components: { mu: first.mu, sigma: first.sigma },
        dispose: () => tf.dispose([...first.all, ...second.all]),
      };
    }
    case 'fc-standard': {
      const m = spec.hidden ?? 1000;
      // Weights stored transposed ([out, in], see dense); initialised as the [in, out]
      // draws transposed, so the initial values are those of the usual layout.
      const W1t = variable(() => tf.transpose(tf.randomUniform([d, m], -1 / Math.sqrt(d), 1 / Math.sqrt(d), 'float32', seed)), true, 'fc_W1t');
      const b1 = variable(() => tf.zeros([m]), true, 'fc_b1');
      const W2t = variable(() => tf.transpose(tf.randomUniform([m, classes], -1 / Math.sqrt(m), 1 / Math.sqrt(m), 'float32', seed + 1)), true, 'fc_W2t');
      const b2 = variable(() => tf.zeros([classes]), true, 'fc_b2');
      return {
        name,
        spec,
        parameters: [W1t, b1, W2t, b2].map((variable) => ({ variable, group: 'other' as const, rateScale: 1 })),
        logits: (x) => tf.add(dense(tf.relu(tf.add(denseOnData(x, t2(W1t)), b1)) as tf.Tensor2D, t2(W2t)), b2) as tf.Tensor2D,
        dispose: () => tf.dispose([W1t, b1, W2t, b2]),
      };
    }
    case 'fc-mean-field': {
      const m = spec.hidden ?? 1000;
      const betaT = variable(() => tf.transpose(tf.randomNormal([d, m], 0, gamma, 'float32', normalSeed(seed))), true, 'mf_betaT');
      const omegaT = variable(() => tf.transpose(tf.randomNormal([m, classes], 0, gamma, 'float32', normalSeed(seed + 1))), true, 'mf_omegaT');
      return {
        name,
        spec,
        parameters: [betaT, omegaT].map((variable) => ({ variable, group: 'other' as const, rateScale: m })),
        logits: (x) => tf.div(dense(tf.relu(denseOnData(x, t2(betaT))) as tf.Tensor2D, t2(omegaT)), m) as tf.Tensor2D,
        dispose: () => tf.dispose([betaT, omegaT]),
      };
    }
  }
}

/** The trainable weights' values, in parameter order (a checkpoint's content). */
export async function readWeights(model: Model): Promise<{ shape: number[]; values: Float32Array }[]> {
  return Promise.all(model.parameters.map(async ({ variable }) => ({ shape: variable.shape, values: Float32Array.from(await variable.data()) })));
}

/**
 * Sets the trainable weights to values readWeights gave for a model of the same spec.
 * @throws GMValueError naming the parameter whose count or shape differs.
 */
export function assignWeights(model: Model, weights: { shape: number[]; values: Float32Array }[]): void {
  if (weights.length !== model.parameters.length) throw new GMValueError(`${model.name} weights`, `${model.parameters.length} tensors`, String(weights.length));
  model.parameters.forEach(({ variable }, j) => {
    const { shape, values } = weights[j];
    const size = shape.reduce((a, n) => a * n, 1);
    if (shape.join() !== variable.shape.join() || values.length !== size) {
      throw new GMValueError(`${model.name} weights[${j}]`, `shape [${variable.shape}]`, `[${shape}] with ${values.length} values`);
    }
    tf.tidy(() => variable.assign(tf.tensor(values, shape)));
  });
}
