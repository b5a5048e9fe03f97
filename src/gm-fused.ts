/**
 * The GM layer on the cpu and wasm backends: the work on B×K and B×K×L tensors in
 * three JavaScript loops over host memory (src/host-memory.ts), the rest in a few tfjs
 * ops chosen for how tfjs-wasm runs them.
 *
 * Why: the composite path (src/gm-composite.ts) launches about 250 tfjs kernels per
 * training step, most of them tiny elementwise ops on B×K tensors, each costing ~7 µs
 * of dispatch on wasm; here a step launches about 60. And tfjs-wasm's products pack
 * their right operand anew for every new tensor (~5 ns per element), so products are
 * written weights·x̂ᵀ, packing x̂ᵀ (d×B) rather than the d×K(L+1) weights. Measured on
 * 2 cores, B = 64, K = 20: 5.8 ms per step against 7.2 ms composite; at B = 1, 2.1 ms
 * against 6.4 (npm run bench -- speed).
 * Parameter-sized work (K×L×d) stays in tfjs ops: wasm's SIMD loops run it ~5× faster
 * than JavaScript can.
 *
 * Forward (the math of src/gm-composite.ts and reference/closed-form.ts, eq. 6):
 *   c, x̂ = x/c, x̂²          c_b = 2^round(log2 max_i |x_bi|) (GMFusedRowScale)
 *   mᵀ = μ·x̂ᵀ, qᵀ = (U⊙σ²)·x̂ᵀ   K×B and KL×B, one packing of x̂ᵀ
 *   s² = x̂²·σ²ᵀ              B×K
 *   w = Uμ + v               K×L
 *   GMFusedCombine           h = c/K (a w + Σ_k b_k q_k), and a, b, φ/s, tφ/s² (one 4×K×B tensor)
 * Backward (shared by μ, σ, U and v; ∂ℓ/∂x lazy, see gradFunc):
 *   GMFusedComponentGrads    (∂ℓ/∂m)ᵀ: K×B, (∂ℓ/∂q)ᵀ: KL×B, D = (∂ℓ/∂s)/s: B×K, the same
 *                            with rows scaled by c_b/cmax, ∂ℓ/∂w = ∂ℓ/∂v: K×L
 *   Pm = (∂ℓ/∂m)ᵀ·x,  Pq = (∂ℓ/∂q)ᵀ·x,  S = (∂ℓ/∂s/s)ᵀ·(x ⊙ x̂), each as cmax times a
 *   product with x̂ (one packing of x̂ for Pm and Pq)
 *   ∂ℓ/∂μ = Pm + Σ_l ∂ℓ/∂w_l U_l,  ∂ℓ/∂U = ∂ℓ/∂w ⊗ μ + Pq ⊙ σ²,  ∂ℓ/∂σ = σ ⊙ (2 Σ_l U_l ⊙ Pq_l + S)
 *   ∂ℓ/∂x (only when asked) = ∂ℓ/∂m·μ + ∂ℓ/∂q·(U⊙σ²) + x̂ ⊙ (D σ²)
 * The loops compute in float64 and round to float32 on store, so their values are at
 * least as accurate as the composite path's, within the same float32 bound.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SCALE_EXPONENT_RANGE, S_MIN } from './limits.js';
import { HOST_BACKENDS, hostMemory } from './host-memory.js';
import { upperTail, U_MAX } from './normal.js';

type Views = Record<string, Float32Array>;
type Shapes = Record<string, number[]>;

/** One fused loop as a tfjs kernel: named float32 inputs, outputs shaped from them. */
interface FusedKernel {
  name: string;
  inputs: readonly string[];
  outputShapes: (shape: Shapes) => number[][];
  loop: (input: Views, output: Float32Array[], shape: Shapes) => void;
}

const S_MIN2 = S_MIN * S_MIN;

const rowScaleKernel: FusedKernel = {
  name: 'GMFusedRowScale',
  inputs: ['maxAbs'],
  outputShapes: ({ maxAbs: [B] }) => [[B, 1], [B, 1]],
  loop: ({ maxAbs }, [c, cInverse], { maxAbs: [B] }) => {
    const [minExp, maxExp] = SCALE_EXPONENT_RANGE;
    for (let r = 0; r < B; r++) {
      const e = maxAbs[r] > 0 ? Math.min(Math.max(Math.round(Math.log2(maxAbs[r])), minExp), maxExp) : 0;
      c[r] = 2 ** e;
      cInverse[r] = 2 ** -e;
    }
  },
};

/** a, b, φ/s and tφ/s², each K×B, travel as one [4, K, B] tensor: one output to save, not four. */
function splitTerms(terms: Float32Array, size: number): Float32Array[] {
  return [0, 1, 2, 3].map((j) => terms.subarray(j * size, (j + 1) * size));
}

/**
 * h and the per-component terms. Inside, everything is laid out component-major (K×B)
 * so the loops over the batch run along contiguous memory.
 */
const combineKernel: FusedKernel = {
  name: 'GMFusedCombine',
  inputs: ['mT', 'qT', 's2', 'w', 'c'],
  outputShapes: ({ s2: [B, K], w: [, L] }) => [[B, L], [4, K, B]],
  loop: ({ mT, qT, s2, w, c }, [h, terms], { s2: [B, K], w: [, L] }) => {
    const [aT, bT, pOverS, tpOverS2] = splitTerms(terms, K * B);
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < B; r++) {
        const j = k * B + r;
        const m = mT[j];
        const variance = s2[r * K + k];
        if (variance > S_MIN2) {
          const s = Math.sqrt(variance);
          const t = Math.min(Math.max(m / s, -U_MAX), U_MAX);
          const { pdf, Q, loss } = upperTail(Math.abs(t));
          aT[j] = Math.max(m, 0) + s * loss;
          bT[j] = t < 0 ? Q : 1 - Q;
          pOverS[j] = pdf / s;
          tpOverS2[j] = (t * pdf) / variance;
        } else {
          // The exact limits at s = 0: a = ReLU(m), b = H(m) with H(0) = ½.
          aT[j] = Math.max(m, 0);
          bT[j] = m > 0 ? 1 : m < 0 ? 0 : 0.5;
          pOverS[j] = 0;
          tpOverS2[j] = 0;
        }
      }
    }
    const hT = new Float64Array(L * B); // Σ_k a_k w_k + b_k q_k, L×B
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < L; l++) {
        const wkl = w[k * L + l];
        const q = (k * L + l) * B;
        for (let r = 0; r < B; r++) hT[l * B + r] += aT[k * B + r] * wkl + bT[k * B + r] * qT[q + r];
      }
    }
    for (let r = 0; r < B; r++) {
      const scale = c[r] / K;
      for (let l = 0; l < L; l++) h[r * L + l] = hT[l * B + r] * scale;
    }
  },
};

/**
 * What the backward needs from G = ∂ℓ/∂h, in the layouts its products take. The
 * parameter products Σ_b g_b x_b are formed as cmax · Σ_b (g_b c_b/cmax) x̂_b with
 * cmax = max(1, max_b c_b), so no intermediate exceeds the gradient itself (rows near
 * the float32 maximum), while batches of ordinary rows (c ≤ 1) see no rescaling at all;
 * hence the row-scaled copies.
 */
const componentGradsKernel: FusedKernel = {
  name: 'GMFusedComponentGrads',
  inputs: ['G', 'qT', 'w', 'terms', 'c'],
  outputShapes: ({ terms: [, K, B], w: [, L] }) => [[K, B], [K * L, B], [B, K], [K, B], [K * L, B], [B, K], [K, L], [1]],
  loop: ({ G, qT, w, terms, c }, [dmT, dqT, D, dmTr, dqTr, Dr, gw, cMax], { terms: [, K, B], w: [, L] }) => {
    const [aT, bT, pOverS, tpOverS2] = splitTerms(terms, K * B);
    let max = 1;
    for (let r = 0; r < B; r++) max = Math.max(max, c[r]);
    cMax[0] = max;
    const GT = new Float64Array(L * B); // G/K transposed: h averages over K components
    for (let r = 0; r < B; r++) for (let l = 0; l < L; l++) GT[l * B + r] = G[r * L + l] / K;
    const dA = new Float64Array(B); // ∂ℓ/∂a_k = ⟨G/K, w_k⟩
    const dB = new Float64Array(B); // ∂ℓ/∂b_k = ⟨G/K, q_k⟩
    for (let k = 0; k < K; k++) {
      dA.fill(0);
      dB.fill(0);
      for (let l = 0; l < L; l++) {
        const wkl = w[k * L + l];
        const q = (k * L + l) * B;
        let gwkl = 0; // ∂ℓ/∂w_kl = Σ_b a_bk c_b G_bl/K
        for (let r = 0; r < B; r++) {
          const g = GT[l * B + r];
          dA[r] += g * wkl;
          dB[r] += g * qT[q + r];
          const dq = g * bT[k * B + r]; // ∂ℓ/∂q
          dqT[q + r] = dq;
          dqTr[q + r] = dq * (c[r] / max);
          gwkl += aT[k * B + r] * c[r] * g;
        }
        gw[k * L + l] = gwkl;
      }
      for (let r = 0; r < B; r++) {
        const j = k * B + r;
        const ds = dA[r] * pOverS[j] - dB[r] * tpOverS2[j]; // (∂ℓ/∂s)/s
        const dm = dA[r] * bT[j] + dB[r] * pOverS[j]; // ∂ℓ/∂m
        dmT[j] = dm;
        dmTr[j] = dm * (c[r] / max);
        D[r * K + k] = ds;
        Dr[r * K + k] = ds * (c[r] / max);
      }
    }
  },
};

const KERNELS = [rowScaleKernel, combineKernel, componentGradsKernel];

function fusedKernelFunc(kernel: FusedKernel): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const memory = hostMemory(tf.getBackend(), backend as tf.KernelBackend);
    const tensors = kernel.inputs.map((name) => inputs[name] as tf.TensorInfo);
    const shape: Shapes = Object.fromEntries(tensors.map((t, j) => [kernel.inputs[j], t.shape]));
    tensors.forEach((t) => memory.view(t)); // an input still on another backend moves here now (and may allocate)
    const outputs = kernel.outputShapes(shape).map((s) => memory.alloc(s));
    const views: Views = Object.fromEntries(tensors.map((t, j) => [kernel.inputs[j], memory.view(t)])); // after every allocation
    kernel.loop(views, outputs.map(memory.view), shape);
    return outputs;
  };
}

function run(kernel: FusedKernel, inputs: Record<string, tf.Tensor>): tf.Tensor[] {
  return tf.engine().runKernel(kernel.name, inputs, {}) as tf.Tensor[];
}

type Inputs = { x: tf.Tensor2D; mu: tf.Tensor2D; sigma: tf.Tensor2D; U: tf.Tensor3D; v: tf.Tensor2D };

/** What the forward returns: h, then what the backward needs. */
const FUSED_OUTPUTS = ['h', 'c', 'xh', 'xh2', 'UW', 'qT', 'w', 'terms'] as const;

function forward({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo[] {
  const { x, mu, sigma, U, v } = inputs as unknown as Inputs;
  return tf.tidy(() => {
    const [K, L, d] = U.shape;
    const [c, cInverse] = run(rowScaleKernel, { maxAbs: tf.max(tf.abs(x), 1) });
    const xh = tf.mul(x, cInverse); // exact: c is a power of two
    const xh2 = tf.square(xh);
    const xhT = tf.transpose(xh);
    const sigma2 = tf.square(sigma);
    const UW = tf.reshape(tf.mul(U, tf.expandDims(sigma2, 1)), [K * L, d]); // U⊙σ²: KL×d
    // Products as weights·x̂ᵀ: tfjs-wasm packs the right operand anew whenever it is a new
    // tensor, and x̂ᵀ (d×B) is the smaller one; both products reuse one packing.
    const mT = tf.matMul(mu, xhT);
    const qT = tf.matMul(UW, xhT);
    const s2 = tf.matMul(xh2, tf.transpose(sigma2));
    const w = tf.add(tf.sum(tf.mul(U, tf.expandDims(mu, 1)), 2), v); // U_k μ_k + v_k
    const [h, terms] = run(combineKernel, { mT, qT, s2, w, c });
    return [h, c, xh, xh2, UW, qT, w, terms];
  });
}

/**
 * Σ_l Y_kl: [K, L, d] → [K, d], as L × an average pool over the L rows. tfjs-wasm's
 * Sum over a middle axis transposes first and runs about 3× slower (measured 160–220
 * µs against 60 at K = 20, L = 10, d = 784); the pool adds ≤ 2 roundings per entry.
 */
function sumOverL(Y: tf.Tensor): tf.Tensor2D {
  const [K, L, d] = Y.shape as [number, number, number];
  return tf.mul(tf.reshape(tf.avgPool(tf.reshape(Y, [K, L, 1, d]) as tf.Tensor4D, [L, 1], [L, 1], 'valid'), [K, d]), L);
}

/**
 * The backward. tfjs runs each input's closure inside its own tidy, so work shared
 * between closures cannot be memoised there (it would be disposed after the first);
 * what μ, σ, U and v share is computed here, in the backward pass's own scope, which
 * tfjs clears once backprop ends. ∂ℓ/∂x alone stays lazy: a first layer never pays for
 * it. (A layer whose μ, σ, U and v are all frozen still pays for the rest.)
 */
function gradFunc(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const G = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor2D;
  const [, mu, sigma, U, c, xh, xh2, UW, qT, w, terms] = saved;
  const [K, L, d] = U.shape as [number, number, number];
  const [dmT, dqT, D, dmTr, dqTr, Dr, gw, cMax] = run(componentGradsKernel, { G, qT, w, terms, c });
  // One tidy per gradient: each frees its K×L×d intermediates before the next starts.
  const [gMu, gSigma, gU] = tf.tidy(() => {
    const gwB = tf.expandDims(gw, 2);
    const Pq = tf.reshape(tf.matMul(dqTr, xh), [K, L, d]); // (∂ℓ/∂q)ᵀ x / cmax
    return [
      tf.tidy(() => tf.add(tf.mul(tf.matMul(dmTr, xh), cMax), sumOverL(tf.mul(gwB, U)))), // reuses x̂'s packing
      tf.tidy(() => {
        const S = tf.transpose(tf.matMul(tf.transpose(xh2), Dr)); // Σ_b (∂ℓ/∂s/s)_bk x_bi x̂_bi / cmax: K×d
        return tf.mul(tf.mul(sigma, tf.add(tf.mul(2, sumOverL(tf.mul(U, Pq))), S)), cMax);
      }),
      tf.tidy(() => tf.add(tf.mul(gwB, tf.expandDims(mu, 1)), tf.mul(tf.mul(Pq, tf.expandDims(tf.square(sigma), 1)), cMax))),
    ];
  });
  return {
    v: () => gw,
    mu: () => gMu,
    sigma: () => gSigma,
    U: () => gU,
    x: () => {
      const viaMQ = tf.add(tf.matMul(tf.transpose(mu), dmT), tf.matMul(tf.transpose(UW), dqT)); // d×B
      return tf.add(tf.transpose(viaMQ), tf.mul(xh, tf.matMul(D, tf.square(sigma))));
    },
  };
}

let loopsRegistered = false;

/** Registers the fused loops for cpu and wasm (once). */
export function registerFusedLoops(): void {
  if (loopsRegistered) return;
  for (const backendName of HOST_BACKENDS) {
    for (const kernel of KERNELS) tf.registerKernel({ kernelName: kernel.name, backendName, kernelFunc: fusedKernelFunc(kernel) });
  }
  loopsRegistered = true;
}

/** The fused GM kernel: registered by src/gm-op.ts, on cpu and wasm only. */
export const fusedKernel = {
  kernelName: 'GaussianMixtureLayerFused',
  kernelFunc: forward as unknown as tf.KernelFunc,
  gradFunc: gradFunc as tf.GradFunc,
  outputs: FUSED_OUTPUTS,
};
