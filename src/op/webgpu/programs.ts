/**
 * The WGSL programs of the WebGPU kernels (src/op/webgpu/gm-webgpu.ts), in the form
 * tfjs-backend-webgpu runs (its WebGPUProgram interface, 4.x): one output per program,
 * inputs bound by `variableNames` as flat float32 arrays, sizes as uniforms (so that one
 * compiled pipeline serves every shape), one invocation per output entry (per (k, b)
 * for the terms, which writes four).
 *
 * Layouts are those of the fused host loops (src/op/fused/gm-fused.ts): F = [mᵀ; q̃ᵀ] is
 * [K + K·L, B] (row k is m_k, row K + kL + l is q̃_kl), terms is [4, K, B] (a, b, φ/ŝ,
 * tφ/ŝ²), ŝ² is [B, K], w is [K, L], c is [B, 1], ς is [K, 1], G is [B, L].
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMInternalError } from '../../errors.js';
import { GM_TERMS_WGSL } from './wgsl-normal.js';

/** The fields of tfjs-backend-webgpu's WebGPUProgram that these programs set. */
interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode: () => string;
  /** Invocations (gmlayer's own field, passed as the uniform count). */
  count: number;
}

/** tfjs-backend-webgpu's WebGPUBackend, as far as running a program goes. */
interface ProgramRunner {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], dtype: 'float32', uniforms: { type: 'int32'; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP = 64;

/**
 * A program of `count` invocations (index 0 … count − 1) writing `outputShape`, with K,
 * L, B and count as uniforms numK, numL, numB, count.
 */
function program(name: string, outputShape: number[], count: number, variableNames: string[], body: string): Program {
  return {
    outputShape,
    shaderKey: `gmlayer_${name}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(count / WORKGROUP), 1, 1], // tfjs reshapes it past the per-dimension limit
    variableNames,
    workgroupSize: [WORKGROUP, 1, 1],
    size: false,
    uniforms: 'numK : i32, numL : i32, numB : i32, count : i32,',
    count,
    getUserCode: () => `
${GM_TERMS_WGSL}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let K = uniforms.numK;
  let L = uniforms.numL;
  let B = uniforms.numB;
  ${body}
}
`,
  };
}

/** Runs a program on the active webgpu backend; the result is a tensor of the current scope. */
function run(p: Program, inputs: tf.Tensor[], K: number, L: number, B: number): tf.Tensor {
  const backend = tf.backend() as unknown as Partial<ProgramRunner>;
  if (typeof backend.runWebGPUProgram !== 'function') {
    throw new GMInternalError('the WebGPU kernels', 'the webgpu backend of @tensorflow/tfjs-backend-webgpu 4.x', `backend ${tf.getBackend()}`);
  }
  const uniforms = [K, L, B, p.count].map((n) => ({ type: 'int32' as const, data: [n] })); // one entry per scalar: tfjs aligns a 4-array as a vec4
  return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(p, inputs, 'float32', uniforms));
}

/** terms [4, K, B] from F, ŝ² and ς: one invocation per (k, b), writing all four planes. */
export function terms(F: tf.Tensor, s2: tf.Tensor, scale: tf.Tensor, K: number, B: number): tf.Tensor3D {
  const body = `
  let k = index / B;
  let b = index - k * B;
  let r = gmTerms(F[index], S2[b * K + k], Scale[k]);
  let plane = K * B;
  result[index] = r.a;
  result[index + plane] = r.b;
  result[index + 2 * plane] = r.pOverS;
  result[index + 3 * plane] = r.tpOverS2;`;
  return run(program('terms', [4, K, B], K * B, ['F', 'S2', 'Scale'], body), [F, s2, scale], K, 0, B) as tf.Tensor3D;
}

/**
 * h [B, L] = c/K · Σ_k (a_k w_k + (b_k ς_k) q̃_k), accumulated over k in order in float32,
 * with c/K split into f↓ = min(c, 1)/K on the terms and c↑ = max(c, 1) on the sum, as
 * mixOutputs of the wasm loops.
 */
export function mix(F: tf.Tensor, T: tf.Tensor, w: tf.Tensor, c: tf.Tensor, scale: tf.Tensor, K: number, L: number, B: number): tf.Tensor2D {
  const body = `
  let b = index / L;
  let l = index - b * L;
  let low = min(C[b], 1.0) / f32(K);
  var acc = 0.0;
  for (var k = 0; k < K; k = k + 1) {
    let kb = k * B + b;
    acc = acc + ((Terms[kb] * low) * W[k * L + l] + ((Terms[K * B + kb] * Scale[k]) * low) * F[(K + k * L + l) * B + b]);
  }
  result[index] = acc * max(C[b], 1.0);`;
  return run(program('mix', [B, L], B * L, ['F', 'Terms', 'W', 'C', 'Scale'], body), [F, T, w, c, scale], K, L, B) as tf.Tensor2D;
}

/** α_kb = Σ_l g_bl w_kl and β_kb = Σ_l g_bl q̃_klb with g = G/K, summed over l in order (WGSL). */
const ALPHA_BETA = `
  var alpha = 0.0;
  var beta = 0.0;
  for (var l = 0; l < L; l = l + 1) {
    let g = G[b * L + l] / f32(K);
    alpha = alpha + g * W[k * L + l];
    beta = beta + g * F[(K + k * L + l) * B + b];
  }`;

/**
 * [∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ: [K + K·L, B], rows in F's order (componentGrads of the wasm loops):
 *   ∂ℓ/∂m_kb = α b + β φ/ŝ,   ∂ℓ/∂q̃_klb = g_bl (b_kb ς_k).
 */
export function componentGrads(G: tf.Tensor, F: tf.Tensor, w: tf.Tensor, T: tf.Tensor, scale: tf.Tensor, K: number, L: number, B: number): tf.Tensor2D {
  const body = `
  let row = index / B;
  let b = index - row * B;
  if (row < K) {
    let k = row;
    ${ALPHA_BETA}
    result[index] = alpha * Terms[K * B + k * B + b] + beta * Terms[2 * K * B + k * B + b];
  } else {
    let k = (row - K) / L;
    let l = row - K - k * L;
    result[index] = (G[b * L + l] / f32(K)) * (Terms[K * B + k * B + b] * Scale[k]);
  }`;
  return run(program('componentGrads', [K * (L + 1), B], K * (L + 1) * B, ['G', 'F', 'W', 'Terms', 'Scale'], body), [G, F, w, T, scale], K, L, B) as tf.Tensor2D;
}

/** D = (∂ℓ/∂s)/ŝ = α φ/ŝ − β tφ/ŝ²: [B, K]. */
export function sGrads(G: tf.Tensor, F: tf.Tensor, w: tf.Tensor, T: tf.Tensor, K: number, L: number, B: number): tf.Tensor2D {
  const body = `
  let b = index / K;
  let k = index - b * K;
  ${ALPHA_BETA}
  result[index] = alpha * Terms[2 * K * B + k * B + b] - beta * Terms[3 * K * B + k * B + b];`;
  return run(program('sGrads', [B, K], B * K, ['G', 'F', 'W', 'Terms'], body), [G, F, w, T], K, L, B) as tf.Tensor2D;
}
