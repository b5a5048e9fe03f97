/**
 * Monte Carlo estimator of the GM layer (Chewi, Rigollet & Yan, eq. 6), an oracle
 * that shares no algebra with the closed form:
 *
 *   h(x) = 1/K Σ_k E_{β ~ N(μ_k, Σ_k)} [ (U_k β + v_k) ReLU(⟨β, x⟩) ],  Σ_k = diag σ_k² + V_kᵀV_k
 *
 * estimated with N draws β = μ_k + σ_k ⊙ ε + V_kᵀω, ε ~ N(0, I_d), ω ~ N(0, I_r) (ε then
 * ω from one normal stream; no ω without V), independently for each component,
 * together with its standard error. Gradients use the reparameterisation (pathwise)
 * estimator: for f(β) = ⟨G, U_k β + v_k⟩ ReLU(⟨β, x⟩), which is Lipschitz in β,
 * ∂/∂μ_k E f = E ∇_β f, ∂/∂σ_k E f = E[∇_β f ⊙ ε] and ∂/∂V_k E f = E[ω ∇_β fᵀ], where
 *
 *   ∇_β f = ReLU(z) U_kᵀ G + ⟨G, U_k β + v_k⟩ 1{z > 0} x,   z = ⟨β, x⟩,
 *   ∂f/∂U_k = ReLU(z) G βᵀ,   ∂f/∂v_k = ReLU(z) G,   ∂f/∂x = ⟨G, U_k β + v_k⟩ 1{z > 0} β.
 *
 * Antithetic sampling averages each draw with its mirror μ_k − σ_k ⊙ ε − V_kᵀω; the pair
 * averages are i.i.d., and the standard error is computed from them.
 *
 * Standard errors: the K components use independent draws, so
 *   SE(ĥ) = 1/K · √(Σ_k SE_k²),
 * where SE_k is the standard error of component k's mean over its N i.i.d. (pair)
 * samples (running-moments.ts; computed without underflow for tiny values).
 *
 * Domain: like any sampler, it sees only events it draws. Where P(z > 0) = Φ(t) is far
 * below 1/N (t ≪ −√(2 ln N)) it returns 0 ± 0 for contributions that are really
 * ~Φ(t); and where the products β_i x_i underflow (entries below ~1e−150) the sign of
 * z is lost. Use the closed form there; use this estimator as an independent check
 * where N·Φ(t) is large.
 */
import { validateInput, validateParams, validateUpstream } from './validate.js';
import { GMValueError } from './errors.js';
import { normalStream } from './random.js';
import { addObservation, emptyMoments, sampleMean, standardError } from './running-moments.js';
import { zeros } from './linalg.js';
import type { GMGradients, GMParams, Matrix, Vector } from './types.js';

export interface MonteCarloOptions {
  /** Draws of β per component, N ≥ 2 (even with antithetic: N/2 mirrored pairs). */
  samples: number;
  /** Seed of the normal stream; the same seed gives the same estimate. */
  seed: string | number;
  /** Average each draw with its mirror μ − σ ⊙ ε − Vᵀω (default false). */
  antithetic?: boolean;
  /** Also estimate the gradients of Σ G ⊙ h (default true). */
  gradients?: boolean;
}

export interface MonteCarloResult {
  /** Estimate of h(x): B×L */
  y: Matrix;
  /** Standard error of each entry of y: B×L */
  stderr: Matrix;
  /** Estimates of ∂ℓ/∂(μ, σ, U, v, x), and V when params has it, ℓ = Σ G ⊙ h (present when gradients were asked for). */
  grad?: GMGradients;
  /** Standard errors of grad, same shapes. */
  gradStderr?: GMGradients;
}

/** Offsets of the pieces of one flattened per-sample observation. */
function layout(B: number, d: number, L: number, r: number, withGradients: boolean) {
  const y = 0;
  const mu = y + B * L;
  const sigma = mu + d;
  const V = sigma + d;
  const U = V + r * d;
  const v = U + L * d;
  const x = v + L;
  return { y, mu, sigma, V, U, v, x, size: withGradients ? x + B * d : mu };
}

function checkSamples(options: MonteCarloOptions): void {
  const { samples, antithetic } = options;
  if (!Number.isInteger(samples) || samples < 2) {
    throw new GMValueError('samples', 'an integer N ≥ 2', String(samples));
  }
  if (antithetic && samples % 2 !== 0) {
    throw new GMValueError('samples', 'an even N with antithetic sampling (N/2 mirrored pairs)', String(samples));
  }
}

/**
 * Adds to `out` (a flat observation, see layout) the values and, if asked, the
 * pathwise gradients of f at one draw β = μ_k + σ_k ⊙ ε + V_kᵀω, multiplied by `weight`.
 */
function accumulateDraw(
  out: Float64Array,
  at: ReturnType<typeof layout>,
  Uk: Matrix,
  vk: Vector,
  beta: Vector,
  eps: Vector,
  omegaDraw: Vector,
  x: Matrix,
  G: Matrix,
  weight: number,
  withGradients: boolean,
): void {
  const d = beta.length;
  const L = vk.length;
  const omega = Uk.map((row, l) => row.reduce((acc, u, i) => acc + u * beta[i], vk[l])); // U_k β + v_k
  const reluG = new Float64Array(L); // Σ_b ReLU(z_b) G_b
  const gradBeta = new Float64Array(d); // Σ_b ⟨G_b, ω⟩ 1{z_b > 0} x_b, the second part of ∇_β f
  for (let b = 0; b < x.length; b++) {
    const xb = x[b];
    let z = 0;
    for (let i = 0; i < d; i++) z += beta[i] * xb[i];
    const relu = Math.max(z, 0);
    for (let l = 0; l < L; l++) out[at.y + b * L + l] += weight * omega[l] * relu;
    if (!withGradients || z <= 0) continue;
    let gOmega = 0;
    for (let l = 0; l < L; l++) {
      reluG[l] += relu * G[b][l];
      gOmega += G[b][l] * omega[l];
    }
    for (let i = 0; i < d; i++) {
      gradBeta[i] += gOmega * xb[i];
      out[at.x + b * d + i] += weight * gOmega * beta[i];
    }
  }
  if (!withGradients) return;
  for (let l = 0; l < L; l++) {
    out[at.v + l] += weight * reluG[l];
    for (let i = 0; i < d; i++) {
      gradBeta[i] += reluG[l] * Uk[l][i]; // + U_kᵀ Σ_b ReLU(z_b) G_b
      out[at.U + l * d + i] += weight * reluG[l] * beta[i];
    }
  }
  for (let i = 0; i < d; i++) {
    out[at.mu + i] += weight * gradBeta[i];
    out[at.sigma + i] += weight * gradBeta[i] * eps[i];
    for (let j = 0; j < omegaDraw.length; j++) out[at.V + j * d + i] += weight * omegaDraw[j] * gradBeta[i];
  }
}

/**
 * Monte Carlo estimate of h(x) and (optionally) of the gradients of ℓ = Σ G ⊙ h,
 * each with its standard error.
 *
 * @param params   μ: K×d, σ: K×d, U: K×L×d, v: K×L, optionally V: K×r×d.
 * @param x        B×d, B ≥ 0.
 * @param options  samples N per component, seed, antithetic, gradients.
 * @param upstream G: B×L; all ones when omitted.
 * @returns        y, stderr: B×L; grad, gradStderr in the shapes of the arguments.
 * @throws GMShapeError / GMValueError on bad input or a bad sample count.
 */
export function gmMonteCarlo(
  params: GMParams,
  x: Matrix,
  options: MonteCarloOptions,
  upstream?: Matrix,
): MonteCarloResult {
  const dims = validateParams(params);
  const B = validateInput(x, dims);
  checkSamples(options);
  const { K, d, L, r } = dims;
  const G = upstream === undefined ? zeros(B, L).map((row) => row.fill(1)) : validateUpstream(upstream, B, L);
  const withGradients = options.gradients ?? true;
  const antithetic = options.antithetic ?? false;
  const at = layout(B, d, L, r, withGradients);
  const draw = normalStream(options.seed);
  const draws = antithetic ? options.samples / 2 : options.samples;

  // Per component: the mean and standard error of every entry of the observation.
  const perComponent: { mean: Float64Array; stderr: Float64Array }[] = [];
  for (let k = 0; k < K; k++) {
    const moments = emptyMoments(at.size);
    const observation = new Float64Array(at.size);
    const mu = params.mu[k];
    const sigma = params.sigma[k];
    const Vk = params.V?.[k] ?? [];
    for (let n = 0; n < draws; n++) {
      observation.fill(0);
      const eps = Array.from({ length: d }, draw);
      const omega = Array.from({ length: r }, draw);
      // σ ⊙ ε + Vᵀω, the draw's deviation from μ.
      const dev = sigma.map((s, i) => Vk.reduce((acc, row, j) => acc + row[i] * omega[j], s * eps[i]));
      const beta = mu.map((m, i) => m + dev[i]);
      if (antithetic) {
        accumulateDraw(observation, at, params.U[k], params.v[k], beta, eps, omega, x, G, 0.5, withGradients);
        const mirror = mu.map((m, i) => m - dev[i]);
        accumulateDraw(observation, at, params.U[k], params.v[k], mirror, eps.map((e) => -e), omega.map((w) => -w), x, G, 0.5, withGradients);
      } else {
        accumulateDraw(observation, at, params.U[k], params.v[k], beta, eps, omega, x, G, 1, withGradients);
      }
      addObservation(moments, observation);
    }
    perComponent.push({ mean: sampleMean(moments), stderr: standardError(moments) });
  }

  // y and ∂/∂x collect every component (1/K Σ_k; SEs add in quadrature); μ, σ, U, v
  // only their own.
  const mean = new Float64Array(at.size);
  const stderrAll = new Float64Array(at.size);
  for (const [from, to] of [
    [at.y, at.mu],
    [at.x, at.size],
  ]) {
    for (let j = from; j < to; j++) {
      mean[j] = perComponent.reduce((acc, c) => acc + c.mean[j], 0);
      stderrAll[j] = Math.hypot(...perComponent.map((c) => c.stderr[j]));
    }
  }

  const scaled = (values: Float64Array, from: number, rows: number, cols: number) =>
    Array.from({ length: rows }, (_, r) =>
      Array.from(values.subarray(from + r * cols, from + (r + 1) * cols), (z) => z / K),
    );
  const result: MonteCarloResult = {
    y: scaled(mean, at.y, B, L),
    stderr: scaled(stderrAll, at.y, B, L),
  };
  if (withGradients) {
    const collect = (pick: 'mean' | 'stderr', all: Float64Array): GMGradients => ({
      mu: perComponent.map((c) => Array.from(c[pick].subarray(at.mu, at.mu + d), (z) => z / K)),
      sigma: perComponent.map((c) => Array.from(c[pick].subarray(at.sigma, at.sigma + d), (z) => z / K)),
      U: perComponent.map((c) => scaled(c[pick], at.U, L, d)),
      v: perComponent.map((c) => Array.from(c[pick].subarray(at.v, at.v + L), (z) => z / K)),
      x: scaled(all, at.x, B, d),
      ...(params.V !== undefined && { V: perComponent.map((c) => scaled(c[pick], at.V, r, d)) }),
    });
    result.grad = collect('mean', mean);
    result.gradStderr = collect('stderr', stderrAll);
  }
  return result;
}
