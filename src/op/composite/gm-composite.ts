/**
 * The GM layer as composite tfjs ops, float32: the path for every backend (webgl,
 * webgpu, tensorflow, and cpu or wasm when asked for), and the forward that autodiff
 * differentiates for the baseline. On cpu and wasm the fused kernels of src/op/fused/gm-fused.ts
 * do the same work in far fewer kernel launches.
 *
 * Forward (reference/closed-form.ts has the math; Chewi, Rigollet & Yan eq. 6):
 *   x̂ = x / c_b              c_b a power of two near max_i |x_bi|: exact, and keeps
 *                            squares in range; h(x) = c·h(x̂) by positive homogeneity
 *   m = x̂ μᵀ                 B×K
 *   q = x̂ (U⊙σ²)ᵀ            B×(K·L): q_bkl = Σ_i U_kli σ_ki² x̂_bi
 *   s² = x̂² (σ²)ᵀ            B×K
 *   a = ReLU(m) + s·g(−|t|),  b = Φ(t),  t = m/s        (src/op/normal-f32.ts)
 *   h = c/K · ( a w + Σ_k b_k q_k ),  w = U μ + v: K×L
 * Where s ≤ 1e−18 (s = 0: x̂ = 0, σ_k = 0, disjoint supports; or so small that the σ
 * terms are below float32's reach) the exact limits a = ReLU(m), b = H(m) with
 * H(0) = ½ are used. Every unused branch is finite.
 *
 * Backward: the analytic gradients of reference/gradients.ts as matrix products
 * (about the forward's flops again, twice that with ∂ℓ/∂x).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isGreater, isLess, isLessEqual } from '../comparisons.js';
import { SCALE_EXPONENT_RANGE, S2_MIN } from '../limits.js';
import { upperTailF32, U_MAX } from '../normal-f32.js';
import { GaussianMixtureLayer } from '../kernel-names.js';

/** Everything the forward computes that the backward needs. */
interface ForwardParts {
  h: tf.Tensor2D;
  /** B×1 row scales */
  c: tf.Tensor2D;
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  /** φ(t)/s, 0 where degenerate */
  pOverS: tf.Tensor2D;
  /** tφ(t)/s², 0 where degenerate */
  tpOverS2: tf.Tensor2D;
  /** B×(K·L) */
  q: tf.Tensor2D;
  /** K×L */
  w: tf.Tensor2D;
}

/**
 * A·Bᵀ, Aᵀ·B and friends by an explicit transpose and a plain product: tfjs-wasm runs
 * matMul with transpose flags as a naive loop, several times slower (benchmarks/README.md);
 * the copy costs far less than the difference on every backend.
 */
function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * Row scales c_b = 2^round(log2 max_i |x_bi|), 1 for zero rows, the exponent clamped to
 * SCALE_EXPONENT_RANGE (2^128 would be ∞). Gradient-free in effect (round).
 */
function rowScales(x: tf.Tensor2D): tf.Tensor2D {
  const maxAbs = tf.max(tf.abs(x), 1, true);
  const safe = tf.where(isGreater(maxAbs, 0), maxAbs, tf.onesLike(maxAbs));
  const exponent = tf.clipByValue(tf.round(tf.div(tf.log(safe), Math.LN2)), ...SCALE_EXPONENT_RANGE);
  return tf.pow(2, exponent) as tf.Tensor2D;
}

/** U ⊙ σ² broadcast over L, reshaped to (K·L)×d. */
function steinWeights(U: tf.Tensor3D, sigma2: tf.Tensor2D): tf.Tensor2D {
  const [K, L, d] = U.shape;
  return tf.reshape(tf.mul(U, tf.expandDims(sigma2, 1)), [K * L, d]);
}

/** The same, laid out d×(K·L) for x̂·(U⊙σ²)ᵀ: one transposing copy, no concat or slice. */
function steinWeightsT(U: tf.Tensor3D, sigma2: tf.Tensor2D): tf.Tensor2D {
  const [K, L, d] = U.shape;
  return tf.reshape(tf.transpose(tf.mul(U, tf.expandDims(sigma2, 1)), [2, 0, 1]), [d, K * L]);
}

export function forwardParts(x: tf.Tensor2D, mu: tf.Tensor2D, sigma: tf.Tensor2D, U: tf.Tensor3D, v: tf.Tensor2D): ForwardParts {
  const B = x.shape[0];
  const [K, L] = [mu.shape[0], v.shape[1]];
  const c = rowScales(x);
  const xh = tf.div(x, c) as tf.Tensor2D;
  const sigma2 = tf.square(sigma) as tf.Tensor2D;
  // Two products rather than one on [μ | U⊙σ²]: slicing the columns of a fused result
  // costs more (strided copies) than the second product's overhead.
  const m = matMulT(xh, mu, false, true);
  const q = tf.matMul(xh, steinWeightsT(U, sigma2)) as tf.Tensor2D; // q_bkl = Σ_i U_kli σ_ki² x̂_bi
  const s2 = matMulT(tf.square(xh) as tf.Tensor2D, sigma2, false, true);

  const degenerate = isLessEqual(s2, S2_MIN);
  const s = tf.sqrt(tf.where(degenerate, tf.onesLike(s2), s2)); // 1 where degenerate: finite everywhere
  const t = tf.clipByValue(tf.div(m, s), -U_MAX, U_MAX); // |t| ≥ 20 behaves as 20: φ, Q, loss are 0
  const { pdf, Q, loss } = upperTailF32(tf.abs(t));
  const reluM = tf.relu(m);
  // H(m) with H(0) = ½, from exact comparisons: tf.sign on wasm returns 0 for |m| ≤ ~1e−7.
  const zeros = tf.zerosLike(m);
  const heaviside = tf.where(isGreater(m, 0), tf.onesLike(m), tf.where(isLess(m, 0), zeros, tf.fill(m.shape, 0.5)));
  const a = tf.where(degenerate, reluM, tf.add(reluM, tf.mul(s, loss))) as tf.Tensor2D;
  const b = tf.where(degenerate, heaviside, tf.where(isLess(t, 0), Q, tf.sub(1, Q))) as tf.Tensor2D;
  const pOverS = tf.where(degenerate, zeros, tf.div(pdf, s)) as tf.Tensor2D;
  const tpOverS2 = tf.where(degenerate, zeros, tf.div(tf.mul(t, pdf), tf.square(s))) as tf.Tensor2D;

  const w = tf.add(tf.squeeze(tf.matMul(U, tf.expandDims(mu, 2)), [2]), v) as tf.Tensor2D; // U_k μ_k + v_k
  const steinSum = tf.sum(tf.mul(tf.reshape(q, [B, K, L]), tf.expandDims(b, 2)), 1); // Σ_k b_k q_k
  const h = tf.mul(tf.add(tf.matMul(a, w), steinSum), tf.div(c, K)) as tf.Tensor2D;
  return { h, c, a, b, pOverS, tpOverS2, q, w };
}

const INTERMEDIATES = ['c', 'a', 'b', 'pOverS', 'tpOverS2', 'q', 'w'] as const;

/**
 * The forward: h, then what the backward reads (src/op/tape.ts hands those to the tape):
 * clones of x, μ, σ and U, then c, a, b, φ/s, tφ/s², q and w. Clones, not aliases
 * (src/op/tape.ts): the backward's ∂ℓ/∂x takes μ as a product's right operand, which the
 * forward also did, reshaped.
 */
function kernelFunc({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo[] {
  const { x, mu, sigma, U, v } = inputs as unknown as { x: tf.Tensor2D; mu: tf.Tensor2D; sigma: tf.Tensor2D; U: tf.Tensor3D; v: tf.Tensor2D };
  return tf.tidy(() => {
    const { h, ...parts } = forwardParts(x, mu, sigma, U, v);
    return [h, ...[x, mu, sigma, U].map((t) => tf.clone(t)), ...INTERMEDIATES.map((name) => parts[name])];
  });
}

/**
 * The analytic backward (reference/gradients.ts) as matrix products; the products
 * are formed here, and each input's closure only combines them. The per-component
 * quantities (a, b, φ/s, …) were computed at x̂ = x/c; the gradients of h(x) = c·ĥ(x̂)
 * are then
 *   parameters:  c·∂ĥ/∂θ(x̂), formed as cmax·Σ_b (g_b c_b/cmax) x̂_b and with a·c;
 *   input:       ∂ĥ/∂x̂(x̂), since ∇h is homogeneous of degree 0.
 * So c never multiplies G: no underflow for tiny rows, no overflow for huge ones.
 */
function gradFunc(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const G = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor2D;
  const [x, mu, sigma, U, c, a, b, pOverS, tpOverS2, q, w] = saved as [
    tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
  ];
  const [B, d] = x.shape;
  const [K, L] = [mu.shape[0], w.shape[1]];
  const xh = tf.div(x, c) as tf.Tensor2D;
  const sigma2 = tf.square(sigma) as tf.Tensor2D;
  const Gk = tf.div(G, K) as tf.Tensor2D; // ℓ = Σ G ⊙ h and h averages over K components
  const dA = matMulT(Gk, w, false, true); // ∂ℓ/∂a: B×K
  const dB = tf.sum(tf.mul(tf.reshape(q, [B, K, L]), tf.expandDims(Gk, 1)), 2); // ∂ℓ/∂b: B×K
  const dm = tf.add(tf.mul(dA, b), tf.mul(dB, pOverS)); // ∂ℓ/∂m
  const dsOverS = tf.sub(tf.mul(dA, pOverS), tf.mul(dB, tpOverS2)); // (∂ℓ/∂s)/s
  const Gq = tf.reshape(tf.mul(tf.expandDims(Gk, 1), tf.expandDims(b, 2)), [B, K * L]) as tf.Tensor2D; // ∂ℓ/∂q
  const gw = matMulT(tf.mul(a, c) as tf.Tensor2D, Gk, true, false); // ∂ℓ/∂w = ∂ℓ/∂v: K×L
  // Σ_b g_b x_b as cmax · Σ_b (g_b c_b/cmax) x̂_b, cmax = max(1, max_b c_b): no
  // intermediate exceeds the gradient itself, even for rows near the float32 maximum,
  // and batches of ordinary rows (c ≤ 1) see no rescaling.
  const cMax = tf.maximum(tf.max(c), 1);
  const r = tf.div(c, cMax);
  const Pm = matMulT(tf.mul(dm, r) as tf.Tensor2D, xh, true, false); // dmᵀ x / cmax: K×d
  const Pq = tf.reshape(matMulT(tf.mul(Gq, r) as tf.Tensor2D, xh, true, false), [K, L, d]); // (∂ℓ/∂q)ᵀ x / cmax
  const S = matMulT(tf.mul(dsOverS, r) as tf.Tensor2D, tf.square(xh) as tf.Tensor2D, true, false); // (∂ℓ/∂s/s)ᵀ (x ⊙ x̂) / cmax
  return {
    v: () => gw,
    mu: () => tf.add(tf.mul(Pm, cMax), tf.squeeze(tf.matMul(tf.expandDims(gw, 1), U), [1])),
    U: () => tf.add(tf.mul(tf.expandDims(gw, 2), tf.expandDims(mu, 1)), tf.mul(tf.mul(Pq, tf.expandDims(sigma2, 1)), cMax)),
    sigma: () => tf.mul(tf.mul(sigma, tf.add(tf.mul(2, tf.sum(tf.mul(U, Pq), 1)), S)), cMax),
    x: () => {
      const viaM = tf.matMul(dm, mu);
      const viaQ = tf.matMul(Gq, steinWeights(U, sigma2));
      return tf.addN([viaM, viaQ, tf.mul(xh, tf.matMul(dsOverS, sigma2))]);
    },
  };
}

/** The composite GM kernel: registered by src/op/gm-op.ts for whichever backend runs it. */
export const compositeKernel = {
  kernelName: GaussianMixtureLayer,
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  gradFunc: gradFunc as tf.GradFunc,
};
