/**
 * The GM layer as a TensorFlow.js op, float32, with a hand-written backward pass:
 * h(x) = 1/K Σ_k [ (U_k μ_k + v_k) a_k + U_k (σ_k² ⊙ x) b_k ]  (Chewi, Rigollet & Yan,
 * eq. 6; reference/closed-form.ts has the math).
 *
 * Two implementations of the same closed form, chosen per call (GMOpOptions.kernels):
 *   fused      cpu and wasm: the elementwise work in a few loops over the backend's
 *              memory, matrix products by the backend (src/op/fused/gm-fused.ts);
 *              webgpu: the same plan with the loops as WGSL programs
 *              (src/op/webgpu/gm-webgpu.ts). The default on these three.
 *   composite  every backend: plain tfjs ops (src/op/composite/gm-composite.ts). The default elsewhere
 *              (tensorflow, webgl), where host loops would mean copies.
 * Both register their backward as a kernel gradient, so each input's gradient is
 * computed only when something needs it: a first layer never pays for ∂ℓ/∂x. Both
 * return h followed by what their backward reads, which gmLayer hands to tfjs's tape
 * without copies (src/op/tape.ts).
 *
 * gmLayerAutodiff runs the composite forward as plain tfjs ops and lets tfjs
 * differentiate it: the slow baseline, kept for tests and benchmarks. It differentiates
 * a = ReLU(m) + s·g(−|t|) term by term with tfjs's subgradients of ReLU and |·| at 0, so
 * where m = 0 it returns ∂a/∂m = 0 instead of Φ(0) = ½ (also where s > 0, a smooth
 * point); gmLayer is exact there. Its chain rule also multiplies by the row scale c
 * before dividing by it, so gradients of rows with tiny max |x_b| can underflow to 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import './tfjs-gradients.js';
import { describeValue, GMValueError } from '../../reference/errors.js';
import { checkTfjsVersion } from '../backend/tfjs-version.js';
import { GMBackendError } from '../errors.js';
import { compositeKernel, forwardParts } from './composite/gm-composite.js';
import { fusedKernel, registerFusedLoops } from './fused/gm-fused.js';
import { HOST_BACKENDS } from './fused/host-memory.js';
import { handToTape } from './tape.js';
import { wasmLoopsReady, wasmLoopsSupported } from './fused/wasm-loops.js';
import { checkFinite, checkShapes, type GMTensors } from './validate.js';
import { webgpuKernel } from './webgpu/gm-webgpu.js';

export type { GMTensors } from './validate.js';

checkTfjsVersion('@tensorflow/tfjs-core', tf.version_core);

/** Which implementation runs: see the module comment. */
export const KERNEL_CHOICES = ['auto', 'fused', 'composite'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

export interface GMOpOptions {
  /**
   * Check x and the parameters for NaN and ±∞ (default true): a scan of their memory on
   * cpu and wasm, one reduction and a read back on tensorflow; a non-finite entry throws
   * GMValueError naming it, before anything is computed. On webgpu, which cannot read
   * synchronously, the reduction's read is deferred: the GMValueError comes from the
   * next gmLayer call after it lands, or from `await gmValuesChecked()`
   * (src/op/deferred-check.ts says what that guarantees).
   */
  checkValues?: boolean;
  /**
   * 'auto' (default): fused on cpu, wasm and webgpu, composite elsewhere. 'fused' throws
   * GMBackendError on other backends. Both agree within the float32 bound.
   */
  kernels?: KernelChoice;
}

/** Checks the inputs; returns the rank r of the low-rank factors (0 without V). */
function checkInputs(x: tf.Tensor2D, params: GMTensors, options: GMOpOptions): number {
  if (!KERNEL_CHOICES.includes(options.kernels ?? 'auto')) {
    throw new GMValueError('options.kernels', KERNEL_CHOICES.map((k) => `'${k}'`).join(' or '), describeValue(options.kernels));
  }
  const { r } = checkShapes(x, params);
  if (options.checkValues ?? true) {
    checkFinite({ x, 'params.mu': params.mu, 'params.sigma': params.sigma, 'params.U': params.U, 'params.v': params.v, ...(r > 0 && { 'params.V': params.V! }) });
  }
  return r;
}

/** Backends with a fused path: the host loops (cpu, wasm) or the WGSL programs (webgpu). */
export const FUSED_BACKENDS = [...HOST_BACKENDS, 'webgpu'] as const;

/**
 * The implementation a choice runs on the active backend. 'auto' takes the fused
 * kernels on cpu and wasm, where they were faster than the composite at every batch size
 * measured (benchmarks/README.md), and on webgpu.
 * @throws GMBackendError for 'fused' on a backend without a fused path (tensorflow,
 *         webgl), on cpu or wasm in a runtime without WebAssembly SIMD (which the fused
 *         loops need), or where the loops are not compiled yet and a synchronous compile is refused.
 */
export function resolveKernels(choice: KernelChoice = 'auto'): 'fused' | 'composite' {
  const backendName = tf.getBackend();
  const onHost = (HOST_BACKENDS as readonly string[]).includes(backendName);
  const fused = backendName === 'webgpu' || (onHost && wasmLoopsReady());
  if (choice === 'fused' && !fused) {
    const where = !onHost
      ? `backend ${backendName}`
      : wasmLoopsSupported
        ? 'a runtime that refuses synchronous WebAssembly compiles (await useBackend() or compileWasmLoops() first)'
        : 'a runtime without WebAssembly SIMD';
    throw new GMBackendError('options.kernels', `'fused' only on backend ${FUSED_BACKENDS.join(', ')} (cpu and wasm with WebAssembly SIMD; or 'auto', 'composite')`, `'fused' on ${where}`);
  }
  if (choice === 'auto') return fused ? 'fused' : 'composite';
  return choice;
}

/**
 * A GM kernel: its forward, which returns h and then every tensor its backward reads
 * (in the order gradFunc's `saved` lists them), and that backward.
 */
interface GMKernel {
  kernelName: string;
  kernelFunc: tf.KernelFunc;
  gradFunc: tf.GradFunc;
}

/**
 * Registers a GM kernel for a backend (once per backend) and its gradient (once). tfjs
 * is told to save nothing: gmLayer hands the forward's outputs after h to the tape
 * (src/op/tape.ts).
 */
function register(kernel: GMKernel, backendName: string): void {
  if (tf.getKernel(kernel.kernelName, backendName) === undefined) {
    tf.registerKernel({ kernelName: kernel.kernelName, backendName, kernelFunc: kernel.kernelFunc });
  }
  if (tf.getGradient(kernel.kernelName) === undefined) {
    tf.registerGradient({ kernelName: kernel.kernelName, gradFunc: kernel.gradFunc });
  }
}

/** The kernel to run for this choice, registered on first use. */
function kernelFor(choice: KernelChoice): string {
  const onGpu = tf.getBackend() === 'webgpu';
  const kernel = resolveKernels(choice) === 'composite' ? compositeKernel : onGpu ? webgpuKernel : fusedKernel;
  if (kernel === fusedKernel) registerFusedLoops();
  register(kernel, tf.getBackend());
  return kernel.kernelName;
}

/**
 * The GM layer's output by the closed form, with the hand-written backward.
 *
 * @param x       [B, d] float32 inputs.
 * @param params  μ: [K, d], σ: [K, d], U: [K, L, d], v: [K, L], and optionally V: [K, r, d]
 *                (low-rank factors, Σ_k = diag(σ_k²) + V_kᵀV_k), float32.
 * @returns       h: [B, L].
 * @throws GMShapeError for a wrong type, rank, shape or mismatched K, d, L;
 *         GMValueError for a wrong dtype, a disposed tensor, or (with checkValues) NaN or ±∞.
 */
export function gmLayer(x: tf.Tensor2D, params: GMTensors, options: GMOpOptions = {}): tf.Tensor2D {
  const rank = checkInputs(x, params, options);
  const kernel = kernelFor(options.kernels ?? 'auto');
  if (x.shape[0] === 0) return emptyBatch(x, params);
  const { mu, sigma, U, v, V } = params;
  const inputs: tf.NamedTensorMap = rank > 0 ? { x, mu, sigma, U, v, V: V! } : { x, mu, sigma, U, v }; // rank 0 is the diagonal layer
  return handToTape(kernel, tf.engine().runKernel(kernel, inputs, {}) as tf.Tensor[]) as tf.Tensor2D;
}

/**
 * h for B = 0: an empty [0, L] whose gradients are zeros of every input's shape, given by
 * tf.customGrad rather than computed. No kernel sees the empty batch: the fused loops
 * divide by B, and tfjs-webgpu rejects a program bound to an empty buffer (Dawn
 * invalidates the whole command buffer, later reads included) and fails on reductions
 * over empty tensors.
 */
function emptyBatch(x: tf.Tensor2D, params: GMTensors): tf.Tensor2D {
  const inputs = [x, params.mu, params.sigma, params.U, params.v, ...(params.V === undefined || params.V.size === 0 ? [] : [params.V])];
  const L = params.v.shape[1];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, -1) as tf.Tensor[]; // the last argument is tfjs's save function
    return { value: tf.zeros([0, L]), gradFunc: () => tensors.map((t) => tf.zerosLike(t)) };
  });
  return f(...inputs) as tf.Tensor2D;
}

/** The composite forward as plain tfjs ops, differentiated by tfjs: the slow baseline. */
export function gmLayerAutodiff(x: tf.Tensor2D, params: GMTensors, options: GMOpOptions = {}): tf.Tensor2D {
  checkInputs(x, params, options);
  return tf.tidy(() => forwardParts(x, params.mu, params.sigma, params.U, params.v, params.V).h);
}
