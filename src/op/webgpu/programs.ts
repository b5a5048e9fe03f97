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
 *
 * On a hardware GPU a step's time follows its number of dispatches more than their work
 * (benchmarks/README.md), so work that tfjs would spread over several ops is one program.
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

/**
 * Row scales 2^round(log2 max_i |x_ri|), 1 for a zero row, the exponent clamped to
 * [lo, hi]: [R, C] → [R, 1], one invocation per row (src/op/scales.ts's rowScales in one
 * dispatch instead of about ten tfjs ops). With the largest |x_ri| = f·2^E, f ∈ [½, 1)
 * (WGSL's frexp, exact): round(log2 max) = E where f > √½, else E − 1; √½ lies strictly
 * between two float32 values, the larger of which is 0x3f3504f4. ldexp(1, e) is exact.
 * The bounds are constants of the shader (one pipeline per range).
 */
export function rowScales(x: tf.Tensor2D, [lo, hi]: readonly [number, number]): tf.Tensor2D {
  const [R, C] = x.shape;
  if (R === 0 || C === 0) return tf.ones([R, 1]);
  const body = `
  let columns = K;
  var largest = 0.0;
  for (var i = 0; i < columns; i = i + 1) {
    largest = max(largest, abs(X[index * columns + i]));
  }
  var e = 0;
  if (largest > 0.0) {
    let parts = frexp(largest);
    e = parts.exp;
    if (parts.fract < bitcast<f32>(0x3f3504f4u)) {
      e = e - 1;
    }
  }
  result[index] = ldexp(1.0, clamp(e, ${lo}, ${hi}));`;
  return run(program(`rowScales_${lo}_${hi}`, [R, 1], R, ['X'], body), [x], C, 0, 0) as tf.Tensor2D;
}

/**
 * scaleFirst of the other paths, in WGSL: cmax meets z first where |z| < 1 (a small σ̃ or
 * σ̂ would otherwise take the product below the normal range before cmax lifts it),
 * last otherwise (rows near the float32 maximum make cmax large).
 */
const SCALE_FIRST = `
fn scaleFirst(z : f32, cMax : f32) -> vec2<f32> {
  if (abs(z) < 1.0) {
    return vec2<f32>(z * cMax, 1.0);
  }
  return vec2<f32>(z, cMax);
}`;

/** A parameter-gradient program: K and L as sizes, d in the third size's place. */
function paramProgram(name: string, outputShape: number[], count: number, variableNames: string[], body: string): Program {
  const p = program(name, outputShape, count, variableNames, `let d = B;\n${body}`);
  const userCode = p.getUserCode;
  return { ...p, getUserCode: () => `${SCALE_FIRST}\n${userCode()}` };
}

/**
 * The parameter gradients from the batch sums P = [Pm; Pq] (K + K·L rows of d, divided
 * by cmax) and S (K×d), as parameterGradients of the composite path computes them, one
 * program each (where tfjs ops took about ten dispatches each):
 *   ∂ℓ/∂μ_k = cmax·Pm_k + Σ_l ∂ℓ/∂w_kl U_kl
 *   ∂ℓ/∂U_kl = ∂ℓ/∂w_kl μ_k + (Pq_kl ⊙ first(σ̃_k))·last(σ̃_k)
 *   ∂ℓ/∂σ_k = (first(σ̂_k) ⊙ (2 Σ_l U_kl ⊙ Pq_kl + S_k))·last(σ̂_k)
 * with (first, last) = scaleFirst(·, cmax); sums over l in order.
 */
export function parameterGradientPrograms(P: tf.Tensor2D, S: tf.Tensor2D, gw: tf.Tensor2D, mu: tf.Tensor2D, U: tf.Tensor3D, sigmaHat: tf.Tensor2D, sigmaTilde: tf.Tensor2D, cMax: tf.Tensor): Record<'mu' | 'U' | 'sigma', () => tf.Tensor> {
  const [K, L, d] = U.shape;
  return {
    mu: () => {
      const body = `
  let k = index / d;
  let i = index - k * d;
  var acc = P[index] * CMax[0];
  for (var l = 0; l < L; l = l + 1) {
    acc = acc + GW[k * L + l] * U[(k * L + l) * d + i];
  }
  result[index] = acc;`;
      return run(paramProgram('gradMu', [K, d], K * d, ['P', 'GW', 'U', 'CMax'], body), [P, gw, U, cMax], K, L, d);
    },
    U: () => {
      const body = `
  let kl = index / d;
  let i = index - kl * d;
  let k = kl / L;
  let f = scaleFirst(SigmaTilde[k * d + i], CMax[0]);
  result[index] = GW[kl] * Mu[k * d + i] + (P[(K + kl) * d + i] * f.x) * f.y;`;
      return run(paramProgram('gradU', [K, L, d], K * L * d, ['P', 'GW', 'Mu', 'SigmaTilde', 'CMax'], body), [P, gw, mu, sigmaTilde, cMax], K, L, d);
    },
    sigma: () => {
      const body = `
  let k = index / d;
  let i = index - k * d;
  var sum = 0.0;
  for (var l = 0; l < L; l = l + 1) {
    let row = k * L + l;
    sum = sum + U[row * d + i] * P[(K + row) * d + i];
  }
  let f = scaleFirst(SigmaHat[index], CMax[0]);
  result[index] = (f.x * (2.0 * sum + S[index])) * f.y;`;
      return run(paramProgram('gradSigma', [K, d], K * d, ['P', 'U', 'S', 'SigmaHat', 'CMax'], body), [P, U, S, sigmaHat, cMax], K, L, d);
    },
  };
}
