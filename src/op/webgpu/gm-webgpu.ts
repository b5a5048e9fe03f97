/**
 * The GM layer on the webgpu backend, fused: the plan of the host-memory path
 * (src/op/fused/gm-fused.ts) with its loops, the power-of-two scalings and the parameter
 * gradients as WGSL programs (src/op/webgpu/programs.ts), and the matrix products and the
 * rest as tfjs ops on the GPU. On a hardware GPU a step's time follows its number of
 * dispatches, not its arithmetic (benchmarks/README.md): hence few, larger programs.
 *
 * Forward (docs/MATH.md, section 6; x and σ scaled by powers of two; WGSL marks a program):
 *   c = 2^round(log2 max|x_b|) (WGSL), x̂ = x/c;  ς_k = 2^round(log2 max|σ_k|) (WGSL),
 *   σ̂ = σ/ς, σ̃ = σ²/ς;  A = [μ; U⊙σ̃]: K(L+1)×d (WGSL),  σ̂² (WGSL),  w = Uμ + v (WGSL)
 *   F = A·x̂ᵀ = [mᵀ; q̃ᵀ]: K(L+1)×B,  ŝ² = x̂²·σ̂²ᵀ: B×K
 *   terms (WGSL)  a, b, φ/ŝ, tφ/ŝ²: [4, K, B]
 *   mix (WGSL)    h = c/K Σ_k (a_k w_k + b_k ς_k q̃_k)
 * Backward (G = ∂ℓ/∂h; cmax = max(1, max_b c_b) (WGSL), r = c/cmax):
 *   componentGrads (WGSL)  [∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ⊙r: K(L+1)×B;  sGrads (WGSL)  D⊙r, D = (∂ℓ/∂s)/ŝ: B×K
 *   ∂ℓ/∂v = ∂ℓ/∂w = cmax·(a⊙r)·G/K (WGSL);  P = ([∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ⊙r)·x̂;  S = (D⊙r)ᵀ·x̂²
 *   (WGSL, one program each)  ∂ℓ/∂μ = cmax·P_m + Σ_l ∂ℓ/∂w_l U_l,  ∂ℓ/∂U = ∂ℓ/∂w ⊗ μ + cmax·P_q ⊙ σ̃,
 *   ∂ℓ/∂σ = cmax·σ̂ ⊙ (2 Σ_l U_l ⊙ P_q,l + S);  ∂ℓ/∂x = [∂ℓ/∂m, ∂ℓ/∂q̃]·A + x̂ ⊙ (D σ̃)  (lazy,
 *   from the unscaled [∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ and D)
 * with cmax applied first or last as on the other paths (scaleFirst). Low-rank factors V
 * (r ≥ 1) as on the host's fused path: ς covers V, V's shares of ŝ² and q̃ are added to
 * ŝ² and F, and V's backward takes D and ∂ℓ/∂q̃ (src/op/composite/low-rank.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputGradientThroughS, scaledSigma } from '../composite/gm-composite.js';
import { addToSteinRows, componentScales, lowRankForward, steinRowsGradient, withLowRank } from '../composite/low-rank.js';
import { GaussianMixtureLayerWebGPU } from '../kernel-names.js';
import { rowScales } from '../scales.js';
import {
  componentGrads,
  largestScale,
  mix,
  outputWeights,
  outputWeightsGradient,
  parameterGradientPrograms,
  sGrads,
  sigmaHatSquared,
  steinMatrix,
  terms,
} from './programs.js';

type Inputs = { x: tf.Tensor2D; mu: tf.Tensor2D; sigma: tf.Tensor2D; U: tf.Tensor3D; v: tf.Tensor2D; V?: tf.Tensor3D };

/**
 * The forward: h, then what the backward reads (src/op/tape.ts hands those to the tape):
 * clones of μ, σ and U (∂ℓ/∂x takes A as a product's operand; clones as on the composite
 * path), then c, x̂, x̂², F, w, the terms and ς, and with low-rank factors (r ≥ 1) a clone
 * of V and p̂ (src/op/composite/low-rank.ts adds V's share to ŝ² and q̃).
 */
function forward({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo[] {
  const { x, mu, sigma, U, v, V } = inputs as unknown as Inputs;
  const [B] = x.shape;
  const [K, L] = [mu.shape[0], v.shape[1]];
  return tf.tidy(() => {
    const c = rowScales(x);
    const xh = tf.div(x, c) as tf.Tensor2D;
    const x2 = tf.square(xh) as tf.Tensor2D;
    const scale = componentScales(sigma, V);
    let F = tf.matMul(steinMatrix(mu, sigma, U, scale), xh, false, true) as tf.Tensor2D;
    let s2 = tf.matMul(x2, sigmaHatSquared(sigma, scale), false, true);
    const extra = V === undefined ? undefined : lowRankForward(xh, U, V, scale);
    if (extra !== undefined) {
      F = addToSteinRows(F, extra.q, K);
      s2 = tf.add(s2, extra.s2);
    }
    const w = outputWeights(mu, U, v);
    const T = terms(F, s2, scale, K, B);
    const h = mix(F, T, w, c, scale, K, L, B);
    const lowRank = extra === undefined ? [] : [tf.clone(V!), extra.pHat];
    return [h, ...[mu, sigma, U].map((t) => tf.clone(t)), c, xh, x2, F, w, T, scale, ...lowRank];
  });
}

function gradFunc(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const G = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor2D;
  const [mu, sigma, U, c, xh, x2, F, w, T, scale, V, pHat] = saved as [
    tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor3D | undefined, tf.Tensor3D | undefined,
  ];
  const [B, d] = xh.shape;
  const [K, L] = [mu.shape[0], w.shape[1]];
  const cMax = largestScale(c);
  const ratios = { c, cMax };
  const P = tf.matMul(componentGrads(G, F, w, T, scale, K, L, B, ratios), xh) as tf.Tensor2D; // K(L+1)×d, divided by cmax
  const S = tf.matMul(sGrads(G, F, w, T, K, L, B, ratios), x2, true, false) as tf.Tensor2D; // K×d, divided by cmax
  const gw = outputWeightsGradient(T, c, G, cMax, K, L, B); // ∂ℓ/∂w = ∂ℓ/∂v: K×L
  // ∂ℓ/∂x and V's gradients take the sums without r. tfjs runs each closure in a tidy of
  // its own, so ∂ℓ/∂x forms them there: a first layer, which needs no ∂ℓ/∂x, never pays.
  const unscaled = () => ({ dMQT: componentGrads(G, F, w, T, scale, K, L, B), D: sGrads(G, F, w, T, K, L, B) });
  const diagonal = {
    v: () => gw,
    ...parameterGradientPrograms(P, S, gw, mu, U, sigma, scale, cMax),
    x: () => {
      const { dMQT, D } = unscaled();
      const { sigmaTilde } = scaledSigma(sigma, scale);
      return tf.add(tf.matMul(dMQT, steinMatrix(mu, sigma, U, scale), true, false), inputGradientThroughS(xh, D, sigmaTilde));
    },
  };
  if (V === undefined || pHat === undefined) return diagonal;
  const { dMQT, D } = unscaled();
  const Pq = tf.reshape(tf.slice(P, [K, 0], [K * L, d]), [K, L, d]) as tf.Tensor3D;
  return withLowRank(diagonal, { V, U, scale, xh, pHat, Gq: steinRowsGradient(dMQT, K), D, r: tf.div(c, cMax) as tf.Tensor2D, Pq, cMax });
}

/** The WebGPU GM kernel: registered by src/op/gm-op.ts, on webgpu only. */
export const webgpuKernel = {
  kernelName: GaussianMixtureLayerWebGPU,
  kernelFunc: forward as unknown as tf.KernelFunc,
  gradFunc: gradFunc as tf.GradFunc,
};
