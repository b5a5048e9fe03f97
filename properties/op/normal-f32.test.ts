/**
 * The float32 special functions (src/op/normal-f32.ts) against the float64 reference, on every
 * backend present, with relative tolerances derived from their construction:
 *   Φ(−u), φ(u): 1.2e−7 (the erfcx fit) + (u²/2 + 16)·2⁻²⁴ (the rounded argument of
 *                exp, whose absolute error becomes relative, and ~16 other roundings);
 *   g(−u):       the direct form 1 − uR amplifies R's relative error (fit + ~6 roundings)
 *                by uR/(1 − uR) ≤ 13 below u = 5, plus φ's term; the continued fraction
 *                above 5 is better (1.7e−7 + roundings).
 * Measured worst cases on wasm and cpu: Φ 4.1e−6 (t = −11.7), φ 3.9e−6, g 6.8e−6 (t = −4.4).
 * On webgpu, exp is WGSL's, whose accuracy the WGSL spec bounds only by 3 + 2|x| ULP
 * (section "Floating Point Accuracy"): at x = −u²/2 that adds (3 + u²)·2⁻²³ relative.
 *
 * The scalar form (upperTailFit, float64 arithmetic, used by the fused kernels) keeps only
 * the construction errors: Φ(−u) 1.2e−7 (the fit); g(−u) 13 × 1.2e−7 below u = 5 and
 * 1.7e−7 + 1.2e−7 above; φ(u) exact up to 1e−13 (u²/2 rounded in float64, u ≤ 20).
 * Measured: φ 1.4e−14, Φ(−u) 1.04e−7 (u = 6.7), g(−u) 1.44e−6 (u = 3.9).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectedRelu, normalCdf, normalPdf } from '../../reference/normal.js';
import { expectedReluF32, normalCdfF32, normalPdfF32, upperTailFit } from '../../src/op/normal-f32.js';
import { describeEachBackend } from '../support/backends.js';
import { readFlat } from '../support/read.js';

const U32 = 2 ** -24;
type Tolerance = (t: number) => number;

/** The tolerances on a backend: its exp's own error comes on top on webgpu (see above). */
function tolerances(backend: string): { cdf: Tolerance; relu: Tolerance } {
  const wgslExp = (u: number) => (backend === 'webgpu' ? (3 + u * u) * 2 * U32 : 0);
  const expTerm = (u: number) => (u * u / 2 + 16) * U32 + wgslExp(u);
  return {
    cdf: (t) => 1.2e-7 + expTerm(Math.abs(t)),
    relu: (t) => 13 * (1.2e-7 + 6 * U32) + expTerm(Math.abs(t)),
  };
}

// Every float32 t on a 1e−3 grid in [−14, 14], and the switch points.
const grid: number[] = [];
for (let j = -14000; j <= 14000; j++) grid.push(Math.fround(j / 1000));
grid.push(Math.fround(4.999999), 5, Math.fround(5.000001), -5, 0, -0);

describeEachBackend('float32 special functions', (backend) => {
  const { cdf: cdfTolerance, relu: reluTolerance } = tolerances(backend);
  const run = (f: (t: tf.Tensor) => tf.Tensor) => readFlat(() => f(tf.tensor1d(grid)));

  it.each([
    ['Φ', normalCdfF32, normalCdf, 'cdf'],
    ['φ', normalPdfF32, normalPdf, 'cdf'],
    ['g', expectedReluF32, expectedRelu, 'relu'],
  ] as const)('%s is within its derived relative tolerance wherever float32 can hold it', async (_name, f32, f64, kind) => {
    const tolerance = kind === 'cdf' ? cdfTolerance : reluTolerance;
    const got = await run(f32);
    grid.forEach((t, i) => {
      const want = f64(t);
      if (want < 1e-37) {
        // Below float32's normal range: only ask for a tiny, nonnegative value.
        expect(got[i]).toBeGreaterThanOrEqual(0);
        expect(got[i]).toBeLessThanOrEqual(2e-37);
      } else if (!(Math.abs(got[i] - want) <= tolerance(t) * want)) {
        throw new Error(`t = ${t}: got ${got[i]}, want ${want} (relative error ${Math.abs(got[i] - want) / want}, tolerance ${tolerance(t)})`);
      }
    });
  });

  it('is finite, nonnegative and bounded for huge, tiny and extreme arguments', async () => {
    const extreme = [3.4e38, -3.4e38, 1e20, -1e20, 1e-45, -1e-45, 20, -20, 40, -40];
    const [P, G, D] = await Promise.all([normalCdfF32, expectedReluF32, normalPdfF32].map((f) => readFlat(() => f(tf.tensor1d(extreme)))));
    extreme.forEach((t, i) => {
      expect(P[i]).toBeGreaterThanOrEqual(0);
      expect(P[i]).toBeLessThanOrEqual(1);
      expect(D[i]).toBeGreaterThanOrEqual(0);
      expect(G[i]).toBeGreaterThanOrEqual(Math.max(Math.fround(t), 0));
      expect(Number.isFinite(G[i])).toBe(true);
    });
  });

  it('Φ and g are nondecreasing on the grid (up to their tolerance)', async () => {
    const [P, G] = [await run(normalCdfF32), await run(expectedReluF32)];
    for (let i = 1; i < 28001; i++) {
      expect(P[i]).toBeGreaterThanOrEqual(P[i - 1] * (1 - 2 * cdfTolerance(grid[i])));
      expect(G[i]).toBeGreaterThanOrEqual(G[i - 1] * (1 - 2 * reluTolerance(grid[i])));
    }
  });
});

describe('scalar special functions (float64 arithmetic)', () => {
  // Every u on a 1e−3 grid in [0, 20] (upperTailFit treats u > 20 as 20), and the switch point.
  const us: number[] = [];
  for (let j = 0; j <= 20000; j++) us.push(j / 1000);
  us.push(5 - 1e-12, 5 + 1e-12);
  const relative = (got: number, want: number) => Math.abs(got - want) / want;

  it('φ(u), Φ(−u) and g(−u) are within their construction error', () => {
    for (const u of us) {
      const { pdf, Q, loss } = upperTailFit(u);
      const checks: [string, number, number, number][] = [
        ['φ', pdf, normalPdf(u), 1e-13],
        ['Φ(−u)', Q, normalCdf(-u), 1.2e-7 + 1e-13],
        ['g(−u)', loss, expectedRelu(-u), u < 5 ? 13 * 1.2e-7 : 1.7e-7 + 1.2e-7 + 1e-13],
      ];
      for (const [name, got, want, tolerance] of checks) {
        if (!(relative(got, want) <= tolerance)) throw new Error(`${name} at u = ${u}: got ${got}, want ${want} (relative error ${relative(got, want)}, tolerance ${tolerance})`);
      }
    }
  });

  it('treats u above 20 as 20', () => {
    expect(upperTailFit(25)).toEqual(upperTailFit(20));
  });
});
