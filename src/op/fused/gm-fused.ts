/**
 * The GM layer on the cpu and wasm backends: the work on B×d, B×K, B×K×L and K×L×d
 * tensors in five kernels that loop over the tensors' memory (src/op/fused/host-memory.ts), and
 * the matrix products by the backend.
 *
 * Why: the composite path (src/op/composite/gm-composite.ts) launches about 250 tfjs kernels per
 * training step, most of them elementwise ops, each paying a dispatch on wasm plus a
 * pass over memory; here the op runs 9 kernels per step, and keeps what its backward
 * reads without copies (src/op/tape.ts). Their loops, over B×d, B×K, B×K×L and K×L×d,
 * are compiled WebAssembly with SIMD (src/op/fused/wasm/gm-loops.wat, run by
 * src/op/fused/wasm-loops.ts), which JavaScript runs several times slower.
 * tfjs-wasm's products pack their right operand anew for every new tensor, so each
 * product here has the smaller operand on the right: x̂ᵀ (d×B) rather than the
 * d×K(L+1) weights, and so on. (Figures: benchmarks/README.md, "Design measurements".)
 *
 * Forward (the math of src/op/composite/gm-composite.ts and reference/closed-form.ts, eq. 6,
 * with x and σ scaled by powers of two as there: docs/MATH.md, section 6):
 *   GMFusedRowScale      c_b = 2^round(log2 max_i |x_bi|); x̂ = x/c, x̂² and both transposed
 *   GMFusedPrepare       ς_k = 2^round(log2 max_i |σ_ki|); A = [μ; U⊙σ̃]: K(L+1)×d with
 *                        σ̃ = σ²/ς, σ̂²ᵀ (σ̂ = σ/ς), w = Uμ + v: K×L
 *   F = A·x̂ᵀ             [mᵀ; q̃ᵀ]: K(L+1)×B, q̃ = q/ς (one packing of x̂ᵀ)
 *   ŝ² = x̂²·σ̂²ᵀ          B×K
 *   with low-rank factors V (r ≥ 1): ς_k covers max|V_k| too (GMFusedPrepareLowRank), and
 *   V's shares of ŝ² and q̃ (src/op/composite/low-rank.ts, tfjs ops) are added to ŝ² and F
 *   GMFusedCombine       a, b, φ/ŝ, tφ/ŝ² (one 4×K×B tensor), and h = c/K Σ_k (a_k w_k + b_k ς_k q̃_k)
 * Backward (shared by μ, σ, U and v; ∂ℓ/∂x lazy, see gradFunc):
 *   GMFusedComponentGrads  [∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ: K(L+1)×B and the same with the columns of
 *                        row b scaled by c_b/cmax, R; D = (∂ℓ/∂s)/ŝ: B×K and the same scaled,
 *                        Dr; ∂ℓ/∂w = ∂ℓ/∂v: K×L; cmax
 *   P = R·x̂              K(L+1)×d: Σ_b of ∂ℓ/∂m x and ∂ℓ/∂q̃ x, divided by cmax
 *   S = x̂²ᵀ·Dr           d×K: Σ_b D x ⊙ x̂, divided by cmax
 *   GMFusedParamGrads    ∂ℓ/∂μ = cmax·P_m + Σ_l ∂ℓ/∂w_l U_l,  ∂ℓ/∂U = ∂ℓ/∂w ⊗ μ + cmax·P_q ⊙ σ̃,
 *                        ∂ℓ/∂σ = cmax·σ̂ ⊙ (2 Σ_l U_l ⊙ P_q,l + S)
 *   ∂ℓ/∂x (only when asked) = [∂ℓ/∂m, ∂ℓ/∂q̃]·A + x̂ ⊙ (D σ̃)
 *   with V: ∂ℓ/∂V, and V's shares of ∂ℓ/∂U and ∂ℓ/∂x, from D, ∂ℓ/∂q̃ and P_q (low-rank.ts)
 * The cmax scaling keeps rows near the float32 maximum finite (see componentGradsKernel).
 * The special functions are computed in float64 and rounded to float32 on store; the
 * compiled loops compute in float32, as tfjs's own ops (and the composite path) do;
 * both within the float32 bound the tests use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SCALE_EXPONENT_RANGE, S2_MIN } from '../limits.js';
import { HOST_BACKENDS, hostMemory, type HostMemory } from './host-memory.js';
import { UPPER_TAIL_CONSTANTS } from '../normal-f32.js';
import {
  GaussianMixtureLayerFused,
  GMFusedCombine,
  GMFusedComponentGrads,
  GMFusedParamGrads,
  GMFusedPrepare,
  GMFusedPrepareLowRank,
  GMFusedRowScale,
} from '../kernel-names.js';
import { inputGradientThroughS } from '../composite/gm-composite.js';
import { addToSteinRows, lowRankForward, steinRowsGradient, withLowRank } from '../composite/low-rank.js';
import { aliasInputs } from '../tape.js';
import { runLoop } from './wasm-loops.js';

type Shapes = Record<string, number[]>;

/** What a fused kernel's body gets: its inputs by name and its outputs, allocated. */
interface KernelIO {
  inputs: Record<string, tf.TensorInfo>;
  outputs: tf.TensorInfo[];
  memory: HostMemory;
  shape: Shapes;
}

/** One fused loop as a tfjs kernel: named float32 inputs, outputs shaped from them. */
interface FusedKernel {
  name: string;
  inputs: readonly string[];
  outputShapes: (shape: Shapes) => number[][];
  body: (io: KernelIO) => void;
}

/** In place: each row's largest |entry| m to 2^round(log2 m), clamped to SCALE_EXPONENT_RANGE; 0 to 1. */
function rowScales(c: Float32Array): void {
  const [minExp, maxExp] = SCALE_EXPONENT_RANGE;
  for (let r = 0; r < c.length; r++) {
    const maxAbs = c[r];
    c[r] = maxAbs > 0 ? 2 ** Math.min(Math.max(Math.round(Math.log2(maxAbs)), minExp), maxExp) : 1;
  }
}

const rowScaleKernel: FusedKernel = {
  name: GMFusedRowScale,
  inputs: ['x'],
  outputShapes: ({ x: [B, d] }) => [[B, 1], [B, d], [B, d], [d, B], [d, B]], // c, x̂, x̂², x̂ᵀ, x̂²ᵀ
  body: (io) => {
    const { inputs, outputs, memory } = io;
    const [B, d] = io.shape.x;
    const [c] = outputs;
    runLoop(memory, 'rowMaxAbs', [B, d], [inputs.x], [c]);
    rowScales(memory.view(c));
    runLoop(memory, 'scaleRows', [B, d], [inputs.x, c], outputs.slice(1));
  },
};

/**
 * ς_k = 2^round(log2 max_i |σ_ki|) (with low-rank factors, the max over V_k's entries too:
 * src/op/composite/low-rank.ts), then A, σ̂²ᵀ and w for it.
 */
function prepare({ inputs: { mu, sigma, U, v, V }, outputs: [A, sigmaHat2T, w, scale, scaleV], memory, shape }: KernelIO): void {
  const [K, , d] = shape.U;
  runLoop(memory, 'rowMaxAbs', [K, d], [sigma], [scale]);
  if (V !== undefined) {
    runLoop(memory, 'rowMaxAbs', [K, shape.V[1] * d], [V], [scaleV]);
    const [ofSigma, ofV] = [memory.view(scale), memory.view(scaleV)];
    for (let k = 0; k < K; k++) ofSigma[k] = Math.max(ofSigma[k], ofV[k]);
  }
  rowScales(memory.view(scale));
  runLoop(memory, 'prepare', shape.U, [mu, sigma, U, v, scale], [A, sigmaHat2T, w]);
}

const prepareShapes = ({ U: [K, L, d] }: Shapes) => [[K * (L + 1), d], [d, K], [K, L], [K, 1]]; // A = [μ; U⊙σ̃], σ̂²ᵀ, w, ς

const prepareKernel: FusedKernel = { name: GMFusedPrepare, inputs: ['mu', 'sigma', 'U', 'v'], outputShapes: prepareShapes, body: prepare };

/** The same with low-rank factors V (r ≥ 1): one more output, V's row maxima, for the caller to dispose. */
const prepareLowRankKernel: FusedKernel = {
  name: GMFusedPrepareLowRank,
  inputs: ['mu', 'sigma', 'U', 'v', 'V'],
  outputShapes: (shape) => [...prepareShapes(shape), [shape.U[0], 1]],
  body: prepare,
};

/**
 * The per-component terms (the special functions, in float64), then h from them (the
 * K×L×B sum), both compiled. Everything is laid out component-major (K×B) so the loops
 * over the batch run along contiguous memory. F = [mᵀ; qᵀ]: row k is m_k, row
 * K + kL + l is q_kl.
 */
const combineKernel: FusedKernel = {
  name: GMFusedCombine,
  inputs: ['F', 's2', 'w', 'c', 'scale'],
  outputShapes: ({ s2: [B, K], w: [, L] }) => [[B, L], [4, K, B]], // h; a, b, φ/ŝ and tφ/ŝ², each K×B
  body: ({ inputs: { F, s2, w, c, scale }, outputs: [h, terms], memory, shape }) => {
    const [B, K] = shape.s2;
    runLoop(memory, 'componentTerms', [K, B, S2_MIN, ...UPPER_TAIL_CONSTANTS], [F, s2, scale], [terms]);
    runLoop(memory, 'mixOutputs', [K, shape.w[1], B], [F, terms, w, c, scale], [h]);
  },
};

/**
 * What the backward needs from G = ∂ℓ/∂h, in the layouts its products take. The
 * parameter products Σ_b g_b x_b are formed as cmax · Σ_b (g_b c_b/cmax) x̂_b with
 * cmax = max(1, max_b c_b), so no intermediate exceeds the gradient itself (rows near
 * the float32 maximum), while batches of ordinary rows (c ≤ 1) see no rescaling at all;
 * hence the row-scaled copies R and Dr. Rows of ∂ℓ/∂[m, q]ᵀ and of R follow F's
 * order: k, then K + kL + l.
 */
const componentGradsKernel: FusedKernel = {
  name: GMFusedComponentGrads,
  inputs: ['G', 'F', 'w', 'terms', 'c', 'scale'],
  outputShapes: ({ terms: [, K, B], w: [, L] }) => [[K * (L + 1), B], [K * (L + 1), B], [B, K], [B, K], [K, L], [1]],
  body: ({ inputs: { G, F, w, terms, c, scale }, outputs, memory, shape }) =>
    runLoop(memory, 'componentGrads', [shape.terms[1], shape.w[1], shape.terms[2]], [G, F, w, terms, c, scale], outputs),
};

const paramGradsKernel: FusedKernel = {
  name: GMFusedParamGrads,
  inputs: ['P', 'S', 'U', 'mu', 'sigma', 'gw', 'cMax', 'scale'],
  outputShapes: ({ U: [K, L, d] }) => [[K, d], [K, d], [K, L, d]], // ∂ℓ/∂μ, ∂ℓ/∂σ, ∂ℓ/∂U
  body: ({ inputs: { P, S, U, mu, sigma, gw, cMax, scale }, outputs, memory, shape }) =>
    runLoop(memory, 'paramGrads', shape.U, [P, S, U, mu, sigma, gw, cMax, scale], outputs),
};

const KERNELS = [rowScaleKernel, prepareKernel, prepareLowRankKernel, combineKernel, componentGradsKernel, paramGradsKernel];

function fusedKernelFunc(kernel: FusedKernel): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const memory = hostMemory(tf.getBackend(), backend as tf.KernelBackend);
    const named = Object.fromEntries(kernel.inputs.map((name) => [name, inputs[name] as tf.TensorInfo]));
    const shape: Shapes = Object.fromEntries(kernel.inputs.map((name) => [name, named[name].shape]));
    Object.values(named).forEach((t) => memory.view(t)); // an input still on another backend moves here now (and may allocate)
    const outputs = kernel.outputShapes(shape).map((s) => memory.alloc(s));
    kernel.body({ inputs: named, outputs, memory, shape }); // views are taken inside, after every allocation
    return outputs;
  };
}

function run(kernel: FusedKernel, inputs: Record<string, tf.Tensor>): tf.Tensor[] {
  return tf.engine().runKernel(kernel.name, inputs, {}) as tf.Tensor[];
}

type Inputs = { x: tf.Tensor2D; mu: tf.Tensor2D; sigma: tf.Tensor2D; U: tf.Tensor3D; v: tf.Tensor2D; V?: tf.Tensor3D };

/** A, σ̂²ᵀ, w and ς (ς over σ and V alike). */
function prepared(mu: tf.Tensor2D, sigma: tf.Tensor2D, U: tf.Tensor3D, v: tf.Tensor2D, V?: tf.Tensor3D): tf.Tensor[] {
  if (V === undefined) return run(prepareKernel, { mu, sigma, U, v });
  const outputs = run(prepareLowRankKernel, { mu, sigma, U, v, V });
  tf.dispose(outputs.pop()!); // V's row maxima, merged into ς already
  return outputs;
}

/**
 * The forward: h, then what the backward reads (src/op/tape.ts hands those to the tape):
 * μ, σ, U and v as aliases (no copies; no product in the backward takes them as its
 * right operand, see aliasInputs), and c, x̂, x̂²ᵀ, F, w, the terms and ς; with low-rank
 * factors (r ≥ 1) clones of V and U and p̂ (src/op/composite/low-rank.ts adds V's share
 * to ŝ² and q̃). Not x: x̂ and c stand for it.
 */
function forward({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo[] {
  const { x, mu, sigma, U, v, V } = inputs as unknown as Inputs;
  const K = mu.shape[0];
  const [h, ...intermediates] = tf.tidy(() => {
    const [c, xh, xh2, xhT, xh2T] = run(rowScaleKernel, { x });
    const [A, sigmaHat2T, w, scale] = prepared(mu, sigma, U, v, V);
    let F = tf.matMul(A, xhT) as tf.Tensor2D;
    let s2 = tf.matMul(xh2, sigmaHat2T);
    const extra = V === undefined ? undefined : lowRankForward(xh as tf.Tensor2D, U, V, scale as tf.Tensor2D);
    if (extra !== undefined) {
      F = addToSteinRows(F, extra.q, K);
      s2 = tf.add(s2, extra.s2);
    }
    const [h, terms] = run(combineKernel, { F, s2, w, c, scale });
    // Clones: V and U are products' right operands in the low-rank backward (see aliasInputs).
    const lowRank = extra === undefined ? [] : [tf.clone(V!), extra.pHat, tf.clone(U)];
    return [h, c, xh, xh2T, F, w, terms, scale, ...lowRank];
  });
  const [c, xh, xh2T, F, w, terms, scale, ...lowRank] = intermediates;
  return [h, ...aliasInputs(inputs, ['mu', 'sigma', 'U', 'v'], backend), c, xh, xh2T, F, w, terms, scale, ...lowRank];
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
  const [mu, sigma, U, v, c, xh, xh2T, F, w, terms, scale, V, pHat, UClone] = saved as [
    tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor, tf.Tensor2D,
    tf.Tensor3D | undefined, tf.Tensor3D | undefined, tf.Tensor3D | undefined,
  ];
  const [dMQT, R, D, Dr, gw, cMax] = run(componentGradsKernel, { G, F, w, terms, c, scale });
  const P = tf.matMul(R, xh);
  const [gMu, gSigma, gU] = tf.tidy(() => run(paramGradsKernel, { P, S: tf.matMul(xh2T, Dr), U, mu, sigma, gw, cMax, scale }));
  tf.dispose([R, Dr]);
  const diagonal = {
    v: () => gw,
    mu: () => gMu,
    sigma: () => gSigma,
    U: () => gU,
    x: () => {
      // ([∂ℓ/∂m, ∂ℓ/∂q̃]·A)ᵀ = Aᵀ·[∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ, so that the product packs the K(L+1)×B
      // operand rather than the K(L+1)×d A: ∂ℓ/∂x in about half the time.
      const [A] = prepared(mu, sigma, U, v, V);
      const sigmaTilde = tf.mul(sigma, tf.div(sigma, scale)) as tf.Tensor2D; // σ²/ς, as prepare forms it
      return tf.add(tf.transpose(tf.matMul(tf.transpose(A), dMQT)), inputGradientThroughS(xh, D as tf.Tensor2D, sigmaTilde));
    },
  };
  if (V === undefined || pHat === undefined || UClone === undefined) {
    tf.dispose([P, cMax]);
    return diagonal;
  }
  const [K, L, d] = U.shape;
  const Pq = tf.reshape(tf.slice(P, [K, 0], [K * L, d]), [K, L, d]) as tf.Tensor3D;
  return withLowRank(diagonal, { V, U: UClone, scale, xh, pHat, Gq: steinRowsGradient(dMQT as tf.Tensor2D, K), D: D as tf.Tensor2D, r: tf.div(c, cMax) as tf.Tensor2D, Pq, cMax });
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

/** The fused GM kernel: registered by src/op/gm-op.ts, on cpu and wasm only. */
export const fusedKernel = {
  kernelName: GaussianMixtureLayerFused,
  kernelFunc: forward as unknown as tf.KernelFunc,
  gradFunc: gradFunc as tf.GradFunc,
};
