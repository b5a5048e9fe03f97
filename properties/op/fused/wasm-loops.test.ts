/**
 * The compiled loops of src/op/fused/wasm/gm-loops.wat, each against a float32 emulation in
 * JavaScript (Math.fround after every operation, in the loop's documented order), so
 * every output must match exactly; componentTerms, which evaluates the special functions
 * in float64, against upperTailFit (src/op/normal-f32.ts) within one float32 rounding. They run
 * both ways src/op/fused/wasm-loops.ts runs them: in place on tfjs-wasm's memory, and copied
 * through a private memory (cpu). Sizes put d below, at and above the 4-lane width, so
 * both the SIMD bodies and the one-lane tails run (B likewise, for the loops whose lanes
 * run over rows); outputs start as NaN, so an entry a loop forgets to write fails.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { compileBoth, WAT_PATH } from '../../../scripts/wasm.js';
import { hostMemory } from '../../../src/op/fused/host-memory.js';
import { compileSync, compileWasmLoops, runLoop, wasmLoopsReady, type LoopName } from '../../../src/op/fused/wasm-loops.js';
import { GM_LOOPS_SHARED_WASM, GM_LOOPS_WASM } from '../../../src/op/fused/wasm/gm-loops.wasm.js';
import { S2_MIN } from '../../../src/op/limits.js';
import { upperTailFit, UPPER_TAIL_CONSTANTS, U_MAX } from '../../../src/op/normal-f32.js';
import { describeEachHostBackend } from '../../support/backends.js';

const f = Math.fround;

describe('compiling the module', () => {
  it('compiles asynchronously (what useBackend awaits), after which the loops are ready', async () => {
    await expect(compileWasmLoops()).resolves.toBe(true);
    expect(wasmLoopsReady()).toBe(true);
  });

  it('a refused synchronous compile (a browser main thread) gives no module, not an exception', () => {
    const bytes = Uint8Array.from(atob(GM_LOOPS_WASM), (ch) => ch.charCodeAt(0));
    expect(compileSync(bytes)).toBeInstanceOf(WebAssembly.Module);
    const refuse = vi.spyOn(WebAssembly, 'Module').mockImplementation(() => {
      throw new RangeError('WebAssembly.Module(): Buffer size is too large, use WebAssembly.compile');
    });
    try {
      expect(compileSync(bytes)).toBeUndefined();
    } finally {
      refuse.mockRestore();
    }
  });
});

it('the committed modules are src/op/fused/wasm/gm-loops.wat compiled (rerun `npm run wasm` after editing it)', async () => {
  const { unshared, shared } = await compileBoth(readFileSync(WAT_PATH, 'utf8'));
  expect(Buffer.from(unshared).toString('base64')).toBe(GM_LOOPS_WASM);
  expect(Buffer.from(shared).toString('base64')).toBe(GM_LOOPS_SHARED_WASM);
});

/** Runs a loop on tensors made from the inputs; returns each output's values. */
function runOn(name: LoopName, sizes: number[], inputs: [number[], number[]][], outputShapes: number[][]): Float32Array[] {
  const ins = inputs.map(([values, shape]) => tf.tensor(values, shape, 'float32'));
  const outs = outputShapes.map((shape) => tf.fill(shape, NaN));
  runLoop(hostMemory(tf.getBackend(), tf.backend()), name, sizes, ins, outs);
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...ins, ...outs]);
  return values;
}

const values = (n: number) => fc.array(fc.float({ min: -100, max: 100, noNaN: true }).map(f), { minLength: n, maxLength: n });
/** Component scales ς_k = 2^e, as prepareKernel makes them (powers of two with normal reciprocals). */
const scales = (K: number) => fc.array(fc.integer({ min: -20, max: 20 }).map((e) => 2 ** e), { minLength: K, maxLength: K });
const dims = fc.record({ K: fc.integer({ min: 1, max: 3 }), L: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 10 }), B: fc.integer({ min: 1, max: 9 }) });

/** Σ_i t_i as the loops form a dot product: four lane sums over i < n − n mod 4, added pairwise, then the rest in order. */
function laneSum(t: number[]): number {
  const n4 = t.length - (t.length % 4);
  const lanes = [0, 0, 0, 0];
  for (let i = 0; i < n4; i++) lanes[i % 4] = f(lanes[i % 4] + t[i]);
  let sum = f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
  for (let i = n4; i < t.length; i++) sum = f(sum + t[i]);
  return sum;
}

/** The float32 nearest S2_MIN, the threshold on s² that componentTerms takes. */
const S2_MIN_32 = f(S2_MIN);

/** The spacing of float32 numbers at |x| (the subnormal spacing near 0). */
function ulp32(x: number): number {
  const e = Math.floor(Math.log2(Math.abs(x)));
  return Number.isFinite(e) ? 2 ** Math.max(e - 23, -149) : 2 ** -149;
}

/**
 * a, b, φ/ŝ and tφ/ŝ² for one m, ŝ² and scale ς (s = ŝ·ς), by upperTailFit in float64
 * (the loop's definition), rounded to float32.
 */
function termsByUpperTail(m: number, variance: number, scale = 1): number[] {
  if (!(variance > S2_MIN)) return [Math.max(m, 0), m > 0 ? 1 : m < 0 ? 0 : 0.5, 0, 0].map(f); // the limits at s = 0
  const sHat = Math.sqrt(variance);
  const s = sHat * scale;
  const t = Math.min(Math.max(m / s, -U_MAX), U_MAX);
  const { pdf, Q, loss } = upperTailFit(Math.abs(t));
  return [Math.max(m, 0) + s * loss, t < 0 ? Q : 1 - Q, pdf / sHat, (t * pdf) / variance].map(f);
}

describeEachHostBackend('compiled loops', () => {
  test.prop([dims.chain(({ B, d }) => fc.tuple(fc.constant({ B, d }), values(B * d)))], { numRuns: 30 })('rowMaxAbs: max_i |x_bi|', ([{ B, d }, x]) => {
    const [maxAbs] = runOn('rowMaxAbs', [B, d], [[x, [B, d]]], [[B]]);
    for (let b = 0; b < B; b++) expect(maxAbs[b]).toBe(Math.max(...x.slice(b * d, (b + 1) * d).map(Math.abs)));
  });

  test.prop([dims.chain(({ B, d }) => fc.tuple(fc.constant({ B, d }), values(B * d), fc.array(fc.integer({ min: -20, max: 20 }), { minLength: B, maxLength: B })))], { numRuns: 30 })(
    'scaleRows: x̂ = x/c, x̂², and both transposed',
    ([{ B, d }, x, exponents]) => {
      const c = exponents.map((e) => 2 ** e);
      const [xh, xh2, xhT, xh2T] = runOn('scaleRows', [B, d], [[x, [B, d]], [c, [B]]], [[B, d], [B, d], [d, B], [d, B]]);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < d; i++) {
          const y = f(x[b * d + i] / c[b]);
          expect([xh[b * d + i], xhT[i * B + b]]).toEqual([y, y]);
          expect([xh2[b * d + i], xh2T[i * B + b]]).toEqual([f(y * y), f(y * y)]);
        }
      }
    },
  );

  test.prop([dims.chain(({ K, L, d }) => fc.tuple(fc.constant({ K, L, d }), values(K * d), values(K * d), values(K * L * d), values(K * L), scales(K)))], { numRuns: 30 })(
    'prepare: A = [μ; U⊙σ̃] with σ̃ = σ·(σ/ς), σ̂²ᵀ and w = Uμ + v',
    ([{ K, L, d }, mu, sigma, U, v, scale]) => {
      const [A, sigma2T, w] = runOn('prepare', [K, L, d], [[mu, [K, d]], [sigma, [K, d]], [U, [K, L, d]], [v, [K, L]], [scale, [K]]], [[K * (L + 1), d], [d, K], [K, L]]);
      expect(Array.from(A.subarray(0, K * d))).toEqual(mu);
      for (let k = 0; k < K; k++) {
        const row = (a: number[], r: number) => a.slice(r * d, (r + 1) * d);
        const hat = (i: number) => f(sigma[k * d + i] * f(1 / scale[k])); // exact: ς is a power of two
        for (let i = 0; i < d; i++) expect(sigma2T[i * K + k]).toBe(f(hat(i) ** 2));
        for (let l = 0; l < L; l++) {
          const kl = k * L + l;
          for (let i = 0; i < d; i++) expect(A[(K + kl) * d + i]).toBe(f(U[kl * d + i] * f(sigma[k * d + i] * hat(i))));
          expect(w[kl]).toBe(f(laneSum(row(U, kl).map((u, i) => f(u * mu[k * d + i]))) + v[kl]));
        }
      }
    },
  );

  it('componentTerms: upperTailFit on a grid of t = m/s over [−25, 25] (direct form, continued fraction, clamp), within one float32 rounding', () => {
    // s = 1 and s = 2⁻⁸; K = 2 components, and an odd B so that the last row runs alone.
    const grid = Array.from({ length: 5001 }, (_, j) => f(-25 + j / 100));
    const [K, B] = [2, grid.length];
    const m = [...grid, ...grid.map((t) => f(t / 256))];
    const variances = grid.flatMap(() => [1, 2 ** -16]);
    const [terms] = runOn('componentTerms', [K, B, S2_MIN, ...UPPER_TAIL_CONSTANTS], [[m, [K, B]], [variances, [B, K]], [[1, 1], [K]]], [[4, K, B]]);
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < B; r++) {
        termsByUpperTail(m[k * B + r], variances[r * K + k]).forEach((value, plane) => {
          const got = terms[(plane * K + k) * B + r];
          if (!(Math.abs(got - value) <= ulp32(value))) throw new Error(`plane ${plane}, t = ${grid[r]}, k = ${k}: got ${got}, want ${value}`);
        });
      }
    }
  });

  test.prop(
    [
      dims.chain(({ K, B }) =>
        fc.tuple(
          fc.constant({ K, B }),
          fc.array(fc.oneof(fc.float({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, -0, f(1e-30), f(-1e-30))).map(f), { minLength: K * B, maxLength: K * B }),
          // s²: 0, at or below S2_MIN (the limits), or ordinary, so that t = m/s spans the
          // direct form, the continued fraction (|t| ≥ 5) and the clamp (|t| > 20).
          fc.array(fc.oneof(fc.constantFrom(0, S2_MIN_32), fc.float({ min: 0, max: S2_MIN_32, noNaN: true }), fc.float({ min: f(1e-8), max: 1e6, noNaN: true })).map(f), { minLength: B * K, maxLength: B * K }),
          scales(K),
        ),
      ),
    ],
    { numRuns: 60 },
  )('componentTerms: upperTailFit in float64 with s = ŝ·ς, within one float32 rounding', ([{ K, B }, m, variances, scale]) => {
    const [terms] = runOn('componentTerms', [K, B, S2_MIN, ...UPPER_TAIL_CONSTANTS], [[m, [K, B]], [variances, [B, K]], [scale, [K]]], [[4, K, B]]);
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < B; r++) {
        const want = termsByUpperTail(m[k * B + r], variances[r * K + k], scale[k]);
        want.forEach((value, plane) => {
          const got = terms[(plane * K + k) * B + r];
          if (!(Math.abs(got - value) <= ulp32(value))) throw new Error(`plane ${plane}, k = ${k}, b = ${r} (m = ${m[k * B + r]}, s² = ${variances[r * K + k]}): got ${got}, want ${value}`);
        });
      }
    }
  });

  test.prop([dims.chain(({ K, L, B }) => fc.tuple(fc.constant({ K, L, B }), values(K * (L + 1) * B), values(4 * K * B), values(K * L), fc.array(fc.integer({ min: -20, max: 20 }), { minLength: B, maxLength: B }), scales(K)))], { numRuns: 30 })(
    'mixOutputs: h = c↑ Σ_k ((a_k f↓) w_k + ((b_k ς_k) f↓) q̃_k), f↓ = min(c, 1)/K, c↑ = max(c, 1)',
    ([{ K, L, B }, F, terms, w, exponents, scale]) => {
      const c = exponents.map((e) => 2 ** e);
      const [h] = runOn('mixOutputs', [K, L, B], [[F, [K * (L + 1), B]], [terms, [4, K, B]], [w, [K, L]], [c, [B]], [scale, [K]]], [[B, L]]);
      for (let r = 0; r < B; r++) {
        const [low, high] = [f(Math.min(c[r], 1) / K), Math.max(c[r], 1)];
        for (let l = 0; l < L; l++) {
          let acc = 0;
          for (let k = 0; k < K; k++) {
            acc = f(acc + f(f(f(terms[k * B + r] * low) * w[k * L + l]) + f(f(f(terms[(K + k) * B + r] * scale[k]) * low) * F[(K + k * L + l) * B + r])));
          }
          expect(h[r * L + l]).toBe(f(acc * high));
        }
      }
    },
  );

  test.prop(
    [
      dims.chain(({ K, L, B }) =>
        fc.tuple(fc.constant({ K, L, B }), values(B * L), values(K * (L + 1) * B), values(K * L), values(4 * K * B), fc.array(fc.integer({ min: -20, max: 20 }), { minLength: B, maxLength: B }), scales(K)),
      ),
    ],
    { numRuns: 30 },
  )('componentGrads: ∂ℓ/∂[m, q̃]ᵀ, R, D, Dr, ∂ℓ/∂w and cmax from G', ([{ K, L, B }, G, F, w, terms, exponents, scale]) => {
    const c = exponents.map((e) => 2 ** e);
    const [dMQT, R, D, Dr, gw, [cMax]] = runOn(
      'componentGrads',
      [K, L, B],
      [[G, [B, L]], [F, [K * (L + 1), B]], [w, [K, L]], [terms, [4, K, B]], [c, [B]], [scale, [K]]],
      [[K * (L + 1), B], [K * (L + 1), B], [B, K], [B, K], [K, L], [1]],
    );
    expect(cMax).toBe(Math.max(1, ...c));
    const scaled = c.map((cr) => f(cr * f(1 / cMax))); // c_b/cmax
    const term = (plane: number, k: number, r: number) => terms[(plane * K + k) * B + r]; // planes a, b, φ/ŝ, tφ/ŝ²
    for (let k = 0; k < K; k++) {
      const alpha = new Array<number>(B).fill(0);
      const beta = new Array<number>(B).fill(0);
      for (let l = 0; l < L; l++) {
        const col = K + k * L + l;
        const gwTerms: number[] = [];
        for (let r = 0; r < B; r++) {
          const g = f(G[r * L + l] / K);
          alpha[r] = f(alpha[r] + f(g * w[k * L + l]));
          beta[r] = f(beta[r] + f(g * F[col * B + r]));
          const dq = f(g * f(term(1, k, r) * scale[k]));
          expect([dMQT[col * B + r], R[col * B + r]]).toEqual([dq, f(dq * scaled[r])]);
          gwTerms.push(f(f(term(0, k, r) * scaled[r]) * g)); // (a·r)·g, summed, then ·cmax
        }
        expect(gw[k * L + l]).toBe(f(laneSum(gwTerms) * cMax));
      }
      for (let r = 0; r < B; r++) {
        const ds = f(f(alpha[r] * term(2, k, r)) - f(beta[r] * term(3, k, r)));
        const dm = f(f(alpha[r] * term(1, k, r)) + f(beta[r] * term(2, k, r)));
        expect([dMQT[k * B + r], R[k * B + r], D[r * K + k], Dr[r * K + k]]).toEqual([dm, f(dm * scaled[r]), ds, f(ds * scaled[r])]);
      }
    }
  });

  test.prop(
    [
      dims.chain(({ K, L, d }) =>
        fc.tuple(fc.constant({ K, L, d }), values(K * (L + 1) * d), values(d * K), values(K * L * d), values(K * d), values(K * d), values(K * L), fc.integer({ min: 0, max: 20 }), scales(K)),
      ),
    ],
    { numRuns: 30 },
  )('paramGrads: ∂ℓ/∂μ, ∂ℓ/∂σ (through σ̂), ∂ℓ/∂U (through σ̃) from P and S', ([{ K, L, d }, P, S, U, mu, sigma, gw, e, scale]) => {
    const cMax = 2 ** e;
    const [gMu, gSigma, gU] = runOn(
      'paramGrads',
      [K, L, d],
      [[P, [K * (L + 1), d]], [S, [d, K]], [U, [K, L, d]], [mu, [K, d]], [sigma, [K, d]], [gw, [K, L]], [[cMax], [1]], [scale, [K]]],
      [[K, d], [K, d], [K, L, d]],
    );
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < d; i++) {
        const s = sigma[k * d + i];
        const hat = f(s * f(1 / scale[k])); // σ̂, exact
        // x·y·cmax as the loop orders it: (x·cmax)·y where |x| < 1, else (x·y)·cmax.
        const ordered = (x: number, y: number) => (Math.abs(x) < 1 ? f(f(f(x * cMax) * y) * 1) : f(f(x * y) * cMax));
        const tilde = f(s * hat);
        let accMu = f(cMax * P[k * d + i]);
        let accSigma = 0;
        for (let l = 0; l < L; l++) {
          const kl = k * L + l;
          const [u, p, g] = [U[kl * d + i], P[(K + kl) * d + i], gw[kl]];
          accMu = f(accMu + f(g * u));
          accSigma = f(accSigma + f(u * p));
          expect(gU[kl * d + i]).toBe(f(f(g * mu[k * d + i]) + ordered(tilde, p)));
        }
        expect(gMu[k * d + i]).toBe(accMu);
        expect(gSigma[k * d + i]).toBe(ordered(hat, f(f(2 * accSigma) + S[i * K + k])));
      }
    }
  });
});
