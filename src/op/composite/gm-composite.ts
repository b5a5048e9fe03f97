/**
 * The GM layer as composite tfjs ops, float32: the path for every backend (webgl,
 * webgpu, tensorflow, and cpu or wasm when asked for), and the forward that autodiff
 * differentiates for the baseline. On cpu and wasm the fused kernels of src/op/fused/gm-fused.ts
 * do the same work in far fewer kernel launches.
 *
 * Forward (reference/closed-form.ts has the math; Chewi, Rigollet & Yan eq. 6), with
 * both x and σ scaled by powers of two (exact) so that no intermediate leaves the float32
 * range unless the quantity it stands for does (docs/MATH.md, section 6):
 *   x̂ = x / c_b              c_b a power of two near max_i |x_bi|; h(x) = c·h(x̂) by
 *                            positive homogeneity
 *   σ̂ = σ / ς_k, σ̃ = σ ⊙ σ̂   ς_k a power of two near max_i |σ_ki|; σ̃ = σ²/ς
 *   m = x̂ μᵀ                 B×K
 *   q̃ = x̂ (U⊙σ̃)ᵀ            B×(K·L): q̃ = q/ς, q_bkl = Σ_i U_kli σ_ki² x̂_bi
 *   ŝ² = x̂² (σ̂²)ᵀ            B×K: ŝ = s/ς
 *   a = ReLU(m) + s·g(−|t|),  b = Φ(t),  t = m/s,  s = ς ŝ     (src/op/normal-f32.ts)
 *   h = c/K · ( a w + Σ_k (b_k ς_k) q̃_k ),  w = U μ + v: K×L
 * Where ŝ ≤ 1e−18 (s = 0: x̂ = 0, σ_k = 0, disjoint supports; or s below 1e−18·ς·c,
 * too small for float32 to see against x's scale and, for large σ, σ's) the exact limits a = ReLU(m),
 * b = H(m) with H(0) = ½ are used. Every unused branch is finite.
 *
 * Backward: the analytic gradients of reference/gradients.ts as matrix products
 * (about the forward's flops again, twice that with ∂ℓ/∂x), in the scaled quantities:
 * φ/ŝ and tφ/ŝ² stay in range where φ/s and tφ/s² would not (σ ≫ 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isGreater, isLess, isLessEqual } from '../comparisons.js';
import { S2_MIN } from '../limits.js';
import { upperTailF32, U_MAX } from '../normal-f32.js';
import { GaussianMixtureLayer } from '../kernel-names.js';
import { rowScales } from '../scales.js';
import { componentScales, lowRankForward, withLowRank } from './low-rank.js';

/** Everything the forward computes that the backward needs. */
interface ForwardParts {
  h: tf.Tensor2D;
  /** B×1 row scales */
  c: tf.Tensor2D;
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  /** φ(t)/ŝ, 0 where degenerate */
  pOverS: tf.Tensor2D;
  /** tφ(t)/ŝ², 0 where degenerate */
  tpOverS2: tf.Tensor2D;
  /** q̃ = q/ς: B×(K·L) */
  q: tf.Tensor2D;
  /** ς: K×1 */
  scale: tf.Tensor2D;
  /** K×L */
  w: tf.Tensor2D;
  /** p̂ = V̂_k x̂: B×K×r, with low-rank factors only */
  pHat?: tf.Tensor3D;
}

/**
 * A·Bᵀ, Aᵀ·B and friends by an explicit transpose and a plain product: tfjs-wasm runs
 * matMul with transpose flags as a naive loop, several times slower (benchmarks/README.md);
 * the copy costs far less than the difference on every backend.
 */
function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** U ⊙ σ̃ broadcast over L, reshaped to (K·L)×d. */
export function steinWeights(U: tf.Tensor3D, sigmaTilde: tf.Tensor2D): tf.Tensor2D {
  const [K, L, d] = U.shape;
  return tf.reshape(tf.mul(U, tf.expandDims(sigmaTilde, 1)), [K * L, d]);
}

/** The same, laid out d×(K·L) for x̂·(U⊙σ̃)ᵀ: one transposing copy, no concat or slice. */
function steinWeightsT(U: tf.Tensor3D, sigmaTilde: tf.Tensor2D): tf.Tensor2D {
  const [K, L, d] = U.shape;
  return tf.reshape(tf.transpose(tf.mul(U, tf.expandDims(sigmaTilde, 1)), [2, 0, 1]), [d, K * L]);
}

/**
 * x·y·cmax (cmax ≥ 1) ordered so that no intermediate leaves the range of x, y and the
 * result: (x·cmax)·y where |x| < 1, else (x·y)·cmax. Returns [x', c'] with
 * x·y·cmax = (x'·y)·c' elementwise: a small σ would otherwise take σ²·P below float32's
 * normal range before cmax brings it back.
 */
function scaleFirst(x: tf.Tensor2D, cMax: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
  const small = isLess(tf.abs(x), 1);
  return [tf.where(small, tf.mul(x, cMax), x) as tf.Tensor2D, tf.where(small, tf.onesLike(x), tf.mul(tf.onesLike(x), cMax)) as tf.Tensor2D];
}

/**
 * x̂ ⊙ (D·σ̃), the share of ∂ℓ/∂x through s (B×d; D = (∂ℓ/∂s)/ŝ: B×K). D·σ̃ alone can
 * overflow where x̂_bi ≪ 1 brings the product back in range, so D's rows are scaled to a
 * largest entry near 1 by powers of two e_b (exact), and e_b meets whichever factor keeps
 * every intermediate between the factors and the result: x̂·e_b first where e_b ≥ 1,
 * e_b·(D̂σ̃) first where e_b < 1.
 */
export function inputGradientThroughS(xh: tf.Tensor2D, D: tf.Tensor2D, sigmaTilde: tf.Tensor2D): tf.Tensor2D {
  const e = rowScales(D);
  const product = tf.matMul(tf.div(D, e), sigmaTilde);
  return tf.where(tf.greaterEqual(e, 1), tf.mul(tf.mul(xh, e), product), tf.mul(tf.mul(product, e), xh)) as tf.Tensor2D;
}

/** σ̂ = σ/ς and σ̃ = σ ⊙ σ̂ = σ²/ς: both exact scalings or one rounding, never out of range. */
export function scaledSigma(sigma: tf.Tensor2D, scale: tf.Tensor2D): { sigmaHat: tf.Tensor2D; sigmaTilde: tf.Tensor2D } {
  const sigmaHat = tf.div(sigma, scale) as tf.Tensor2D;
  return { sigmaHat, sigmaTilde: tf.mul(sigma, sigmaHat) as tf.Tensor2D };
}

export function forwardParts(x: tf.Tensor2D, mu: tf.Tensor2D, sigma: tf.Tensor2D, U: tf.Tensor3D, v: tf.Tensor2D, V?: tf.Tensor3D): ForwardParts {
  const B = x.shape[0];
  const [K, L] = [mu.shape[0], v.shape[1]];
  const c = rowScales(x);
  const xh = tf.div(x, c) as tf.Tensor2D;
  const lowRank = V !== undefined && V.shape[1] > 0 ? V : undefined; // rank 0 is the diagonal layer
  const scale = componentScales(sigma, lowRank);
  const scaleRow = tf.reshape(scale, [1, K]);
  const { sigmaHat, sigmaTilde } = scaledSigma(sigma, scale);
  // Two products rather than one on [μ | U⊙σ̃]: slicing the columns of a fused result
  // costs more (strided copies) than the second product's overhead.
  const m = matMulT(xh, mu, false, true);
  let q = tf.matMul(xh, steinWeightsT(U, sigmaTilde)) as tf.Tensor2D; // q̃_bkl = Σ_i U_kli σ̃_ki x̂_bi
  let s2 = matMulT(tf.square(xh) as tf.Tensor2D, tf.square(sigmaHat) as tf.Tensor2D, false, true); // ŝ²
  const extra = lowRank === undefined ? undefined : lowRankForward(xh, U, lowRank, scale);
  if (extra !== undefined) {
    q = tf.add(q, extra.q) as tf.Tensor2D;
    s2 = tf.add(s2, extra.s2) as tf.Tensor2D;
  }

  const degenerate = isLessEqual(s2, S2_MIN);
  const sHat = tf.sqrt(tf.where(degenerate, tf.onesLike(s2), s2)); // 1 where degenerate: finite everywhere
  const s = tf.mul(sHat, scaleRow); // s = ς ŝ: may underflow for tiny σ, so t is formed without it
  // t = (m/ς)/ŝ: m/ς is exact or overflows to ±∞ (then |t| clips), never 0/0; |t| ≥ 20
  // behaves as 20: φ, Q, loss are 0.
  const t = tf.clipByValue(tf.div(tf.div(m, scaleRow), sHat), -U_MAX, U_MAX);
  const { pdf, Q, loss } = upperTailF32(tf.abs(t));
  const reluM = tf.relu(m);
  // H(m) with H(0) = ½, from exact comparisons: tf.sign on wasm returns 0 for |m| ≤ ~1e−7.
  const zeros = tf.zerosLike(m);
  const heaviside = tf.where(isGreater(m, 0), tf.onesLike(m), tf.where(isLess(m, 0), zeros, tf.fill(m.shape, 0.5)));
  const a = tf.where(degenerate, reluM, tf.add(reluM, tf.mul(s, loss))) as tf.Tensor2D;
  const b = tf.where(degenerate, heaviside, tf.where(isLess(t, 0), Q, tf.sub(1, Q))) as tf.Tensor2D;
  const pOverS = tf.where(degenerate, zeros, tf.div(pdf, sHat)) as tf.Tensor2D;
  const tpOverS2 = tf.where(degenerate, zeros, tf.div(tf.mul(t, pdf), tf.where(degenerate, tf.onesLike(s2), s2))) as tf.Tensor2D;

  const w = tf.add(tf.squeeze(tf.matMul(U, tf.expandDims(mu, 2)), [2]), v) as tf.Tensor2D; // U_k μ_k + v_k
  // c/K = f↓·c↑ with f↓ = min(c, 1)/K and c↑ = max(c, 1): a tiny row's scale and the mean's
  // 1/K meet a and bς before they meet w, q̃ or one another, a huge row's scale after the
  // sum (docs/MATH.md, section 6); powers of two, so h(2^j x) = 2^j h(x) stays exact.
  const [low, high] = [tf.div(tf.minimum(c, 1), K), tf.maximum(c, 1)];
  const bScaled = tf.mul(tf.mul(b, scaleRow), low); // b ς f↓: the scale goes onto b, never onto q̃
  const steinSum = tf.sum(tf.mul(tf.reshape(q, [B, K, L]), tf.expandDims(bScaled, 2)), 1); // Σ_k b_k q_k
  const h = tf.mul(tf.add(tf.matMul(tf.mul(a, low), w), steinSum), high) as tf.Tensor2D;
  return { h, c, a, b, pOverS, tpOverS2, q, w, scale, ...(extra !== undefined && { pHat: extra.pHat }) };
}

const INTERMEDIATES = ['c', 'a', 'b', 'pOverS', 'tpOverS2', 'q', 'w', 'scale'] as const;

/**
 * The forward: h, then what the backward reads (src/op/tape.ts hands those to the tape):
 * clones of x, μ, σ and U, then c, a, b, φ/ŝ, tφ/ŝ², q̃, w and ς, and with low-rank
 * factors (r ≥ 1) a clone of V and p̂. Clones, not aliases (src/op/tape.ts): the
 * backward's ∂ℓ/∂x takes μ as a product's right operand, which the forward also did, reshaped.
 */
function kernelFunc({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo[] {
  const { x, mu, sigma, U, v, V } = inputs as unknown as { x: tf.Tensor2D; mu: tf.Tensor2D; sigma: tf.Tensor2D; U: tf.Tensor3D; v: tf.Tensor2D; V?: tf.Tensor3D };
  return tf.tidy(() => {
    const { h, pHat, ...parts } = forwardParts(x, mu, sigma, U, v, V);
    const lowRank = pHat === undefined ? [] : [tf.clone(V!), pHat];
    return [h, ...[x, mu, sigma, U].map((t) => tf.clone(t)), ...INTERMEDIATES.map((name) => parts[name]), ...lowRank];
  });
}

/**
 * The analytic backward (reference/gradients.ts) as matrix products; the products
 * are formed here, and each input's closure only combines them. The per-component
 * quantities (a, b, φ/s, …) were computed at x̂ = x/c; the gradients of h(x) = c·ĥ(x̂)
 * are then
 *   parameters:  c·∂ĥ/∂θ(x̂), formed as cmax·Σ_b (g_b c_b/cmax) x̂_b and cmax·Σ_b (a c_b/cmax) G_b;
 *   input:       ∂ĥ/∂x̂(x̂), since ∇h is homogeneous of degree 0.
 * So c never multiplies G: no underflow for tiny rows, no overflow for huge ones.
 * Likewise for σ's scale: with ∂ℓ/∂q̃ = ς·∂ℓ/∂q = G b ς/K and D = (∂ℓ/∂s)/ŝ,
 *   ∂ℓ/∂σ = σ̂ ⊙ (2 Σ_l U ⊙ Pq + S),  ∂ℓ/∂U ∋ σ̃ ⊙ Pq,  ∂ℓ/∂x ∋ (∂ℓ/∂q̃)(U⊙σ̃) + x̂ ⊙ D σ̃
 * with Pq = (∂ℓ/∂q̃)ᵀ x̂ and S = Dᵀ x̂² (docs/MATH.md, section 6).
 */
function gradFunc(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const G = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor2D;
  const [x, mu, sigma, U, c, a, b, pOverS, tpOverS2, q, w, scale, V, pHat] = saved as [
    tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
    tf.Tensor3D | undefined, tf.Tensor3D | undefined,
  ];
  const [B, d] = x.shape;
  const [K, L] = [mu.shape[0], w.shape[1]];
  const xh = tf.div(x, c) as tf.Tensor2D;
  const { sigmaHat, sigmaTilde } = scaledSigma(sigma, scale);
  const Gk = tf.div(G, K) as tf.Tensor2D; // ℓ = Σ G ⊙ h and h averages over K components
  const dA = matMulT(Gk, w, false, true); // ∂ℓ/∂a: B×K
  const dB = tf.sum(tf.mul(tf.reshape(q, [B, K, L]), tf.expandDims(Gk, 1)), 2); // ∂ℓ/∂b / ς: B×K
  const dm = tf.add(tf.mul(dA, b), tf.mul(dB, pOverS)); // ∂ℓ/∂m
  const dsOverS = tf.sub(tf.mul(dA, pOverS), tf.mul(dB, tpOverS2)); // D = (∂ℓ/∂s)/ŝ
  const bScaled = tf.mul(b, tf.reshape(scale, [1, K]));
  const Gq = tf.reshape(tf.mul(tf.expandDims(Gk, 1), tf.expandDims(bScaled, 2)), [B, K * L]) as tf.Tensor2D; // ∂ℓ/∂q̃
  // Σ_b g_b x_b as cmax · Σ_b (g_b c_b/cmax) x̂_b, cmax = max(1, max_b c_b): no
  // intermediate exceeds the gradient itself, even for rows near the float32 maximum,
  // and batches of ordinary rows (c ≤ 1) see no rescaling. ∂ℓ/∂w likewise: a·c alone
  // overflows for large rows, G·a for large G, where (a·c/cmax)·G does not.
  const cMax = tf.maximum(tf.max(c), 1);
  const r = tf.div(c, cMax);
  const gw = tf.mul(matMulT(tf.mul(a, r) as tf.Tensor2D, Gk, true, false), cMax) as tf.Tensor2D; // ∂ℓ/∂w = ∂ℓ/∂v: K×L
  const Pm = matMulT(tf.mul(dm, r) as tf.Tensor2D, xh, true, false); // dmᵀ x / cmax: K×d
  const Pq = tf.reshape(matMulT(tf.mul(Gq, r) as tf.Tensor2D, xh, true, false), [K, L, d]); // (∂ℓ/∂q̃)ᵀ x / cmax
  const S = matMulT(tf.mul(dsOverS, r) as tf.Tensor2D, tf.square(xh) as tf.Tensor2D, true, false); // Dᵀ (x ⊙ x̂) / cmax
  const diagonal = {
    ...parameterGradients({ mu, U, sigmaHat, sigmaTilde, gw, Pm, Pq, S, cMax }),
    x: () => {
      const viaM = tf.matMul(dm, mu);
      const viaQ = tf.matMul(Gq, steinWeights(U, sigmaTilde));
      return tf.addN([viaM, viaQ, inputGradientThroughS(xh, dsOverS as tf.Tensor2D, sigmaTilde)]);
    },
  };
  if (V === undefined || pHat === undefined) return diagonal;
  return withLowRank(diagonal, { V, U, scale, xh, pHat, Gq, D: dsOverS as tf.Tensor2D, r: r as tf.Tensor2D, Pq: Pq as tf.Tensor3D, cMax });
}

/** The batch sums of the backward, and what the parameter gradients are formed from. */
interface BatchSums {
  mu: tf.Tensor2D;
  U: tf.Tensor3D;
  sigmaHat: tf.Tensor2D;
  sigmaTilde: tf.Tensor2D;
  /** ∂ℓ/∂w = ∂ℓ/∂v: K×L */
  gw: tf.Tensor2D;
  /** dmᵀ x̂ ⊙ (c/cmax): K×d */
  Pm: tf.Tensor;
  /** (∂ℓ/∂q̃)ᵀ x̂ ⊙ (c/cmax): K×L×d */
  Pq: tf.Tensor;
  /** Dᵀ x̂² ⊙ (c/cmax): K×d */
  S: tf.Tensor;
  cMax: tf.Tensor;
}

/**
 * The gradients of v, μ, U and σ from the batch sums (docs/MATH.md, sections 5 and 6),
 * as the lazy closures a gradFunc returns (the WebGPU kernel has them as WGSL programs,
 * src/op/webgpu/programs.ts).
 */
function parameterGradients({ mu, U, sigmaHat, sigmaTilde, gw, Pm, Pq, S, cMax }: BatchSums): Record<'v' | 'mu' | 'U' | 'sigma', () => tf.Tensor> {
  return {
    v: () => gw,
    mu: () => tf.add(tf.mul(Pm, cMax), tf.squeeze(tf.matMul(tf.expandDims(gw, 1), U), [1])),
    U: () => {
      const [first, last] = scaleFirst(sigmaTilde, cMax);
      return tf.add(tf.mul(tf.expandDims(gw, 2), tf.expandDims(mu, 1)), tf.mul(tf.mul(Pq, tf.expandDims(first, 1)), tf.expandDims(last, 1)));
    },
    sigma: () => {
      const [first, last] = scaleFirst(sigmaHat, cMax);
      return tf.mul(tf.mul(first, tf.add(tf.mul(2, tf.sum(tf.mul(U, Pq), 1)), S)), last);
    },
  };
}

/** The composite GM kernel: registered by src/op/gm-op.ts for whichever backend runs it. */
export const compositeKernel = {
  kernelName: GaussianMixtureLayer,
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  gradFunc: gradFunc as tf.GradFunc,
};
