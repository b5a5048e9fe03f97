/**
 * The reference's exact gradients (reference/gradients.ts) against central finite
 * differences of its forward pass, entry by entry, for μ, σ, U, v, x and (for cases
 * with low-rank factors) V.
 */
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { gmForward } from '../../reference/closed-form.js';
import { gmGradients } from '../../reference/gradients.js';
import { componentMoments } from '../../reference/closed-form.js';
import { forwardMagnitude, roundingFactor } from '../../reference/error-bound.js';
import type { GMParams, Matrix } from '../../reference/types.js';
import { gmCase, separatedEntries, type GeneratedCase } from '../support/arbitraries.js';

const H = 1e-4;

function loss(params: GMParams, x: Matrix, G: Matrix): number {
  return gmForward(params, x).reduce((acc, row, b) => acc + row.reduce((s, h, l) => s + h * G[b][l], 0), 0);
}

/** Every (name, get-the-array) pair whose entries we perturb. */
function slots(c: { params: GMParams; x: Matrix }): [string, number[]][] {
  const out: [string, number[]][] = [];
  c.params.mu.forEach((row, k) => out.push([`mu[${k}]`, row]));
  c.params.sigma.forEach((row, k) => out.push([`sigma[${k}]`, row]));
  c.params.U.forEach((Uk, k) => Uk.forEach((row, l) => out.push([`U[${k}][${l}]`, row])));
  c.params.v.forEach((row, k) => out.push([`v[${k}]`, row]));
  c.x.forEach((row, b) => out.push([`x[${b}]`, row]));
  c.params.V?.forEach((Vk, k) => Vk.forEach((row, j) => out.push([`V[${k}][${j}]`, row])));
  return out;
}

/** Central difference of ℓ in one entry with step h (the step actually taken, after rounding). */
function centralDifference(c: GeneratedCase, row: number[], i: number, h: number): number {
  const original = row[i];
  row[i] = original + h;
  const up = loss(c.params, c.x, c.G);
  const hUp = row[i];
  row[i] = original - h;
  const down = loss(c.params, c.x, c.G);
  const hDown = row[i];
  row[i] = original;
  return (up - down) / (hUp - hDown);
}

/**
 * Cases on which ℓ is smooth enough for differences: σ, V and x entries are 0 or at
 * least 0.2 in size, and s = 0 or s ≥ 0.04 (V x can cancel, so this is filtered). Where
 * s = 0 we require x = 0 (h is then exactly odd-plus-even, so central differences are
 * exact) or |m| > 0.01 ≫ H, so that no step crosses the kink of ReLU(m): at s = m = 0
 * with x ≠ 0 the layer is not differentiable and central differences are only O(H)
 * accurate.
 */
const smooth = (maxR: number) =>
  gmCase({ maxK: 3, maxD: 5, maxL: 3, maxB: 3, maxR }, separatedEntries).filter((c) =>
    c.x.every((xb) =>
      c.params.mu.every((_, k) => {
        const { m, s } = componentMoments(c.params.mu[k], c.params.sigma[k], xb, c.params.V?.[k]);
        return s >= 0.04 || (s === 0 && (xb.every((xi) => xi === 0) || Math.abs(m) > 0.01));
      }),
    ),
  );

describe('exact gradients vs central finite differences', () => {
  test.prop([fc.oneof(smooth(0), smooth(2))])('∂ℓ/∂μ, σ, U, v, x (and V) agree with Richardson-extrapolated central differences', (c) => {
    const { grad } = gmGradients(c.params, c.x, c.G);
    const B = c.x.length;
    const dims = { K: c.params.mu.length, d: c.params.mu[0].length, L: c.params.v[0].length };
    // Rounding error of one evaluation of ℓ: E = 4nu·Σ|G| M (reference/error-bound.ts).
    const gamma = roundingFactor(dims, B, 2 ** -53, 'forward');
    const E = gamma * forwardMagnitude(c.params, c.x, gamma).reduce((acc, row, b) => acc + row.reduce((s, m, l) => s + Math.abs(c.G[b][l]) * m, 0), 0);
    const analytic: Record<string, number[]> = {};
    grad.mu.forEach((row, k) => (analytic[`mu[${k}]`] = row));
    grad.sigma.forEach((row, k) => (analytic[`sigma[${k}]`] = row));
    grad.U.forEach((Uk, k) => Uk.forEach((row, l) => (analytic[`U[${k}][${l}]`] = row)));
    grad.v.forEach((row, k) => (analytic[`v[${k}]`] = row));
    grad.x.forEach((row, b) => (analytic[`x[${b}]`] = row));
    grad.V?.forEach((Vk, k) => Vk.forEach((row, j) => (analytic[`V[${k}][${j}]`] = row)));
    for (const [name, row] of slots(c)) {
      for (let i = 0; i < row.length; i++) {
        // Richardson: (4D(h/2) − D(h))/3 cancels the h² term of the central difference.
        const numeric = (4 * centralDifference(c, row, i, H / 2) - centralDifference(c, row, i, H)) / 3;
        // Tolerance: rounding E/h per difference, 3E/h after the combination (h/2 steps
        // weigh 4·2/3); truncation O(h⁴ f⁽⁵⁾) ≤ 1e−16·(2/0.04)⁵·|ℓ| scale ≈ 3e−8 of the
        // term magnitudes with s ≥ 0.04, so 1e−7 relative to |g| + 1 covers it.
        const tolerance = (3 * E) / H + 1e-7 * (1 + Math.abs(analytic[name][i]));
        const error = Math.abs(numeric - analytic[name][i]);
        if (!(error <= tolerance)) {
          throw new Error(`${name}[${i}]: analytic ${analytic[name][i]}, numeric ${numeric}, tolerance ${tolerance}`);
        }
      }
    }
  });

  test.prop([gmCase({ maxK: 3, maxD: 4, maxL: 2, maxB: 2 }, separatedEntries)])(
    'at x = 0 the gradient is the symmetric derivative: ∂h/∂x = ½·1/K Σ_k (w_k μ_kᵀ + U_k diag σ_k²)',
    (c) => {
      const x = [c.x[0].map(() => 0)];
      const G = [c.G[0]];
      const { grad, y } = gmGradients(c.params, x, G);
      expect(y[0].every((value) => value === 0)).toBe(true);
      const fd = c.x[0].map((_, i) => centralDifference({ params: c.params, x, G }, x[0], i, H));
      // h is positively homogeneous, so the central difference at 0 is exact up to rounding.
      fd.forEach((value, i) => expect(Math.abs(value - grad.x[0][i])).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(value))));
    },
  );
});

describe('gradients where s = 0 stay finite', () => {
  test.prop([gmCase({ maxK: 3, maxD: 4 }, { ...separatedEntries, sigma: fc.constant(0) })])(
    'σ = 0 everywhere: σ-gradient is 0 and the rest is the ReLU network’s gradient',
    (c) => {
      const { grad } = gmGradients(c.params, c.x, c.G);
      for (const row of grad.sigma) for (const value of row) expect(value).toBe(0);
      for (const row of grad.x) for (const value of row) expect(Number.isFinite(value)).toBe(true);
    },
  );
});

describe('the upstream gradient G', () => {
  // Documented default: the gradient of ℓ = Σ h, so G of all ones, bit for bit (the same arithmetic).
  test.prop([gmCase({ maxR: 1 })])('omitted, it is all ones: the gradient of Σ h', (c) => {
    const ones = c.x.map(() => c.params.v[0].map(() => 1));
    expect(gmGradients(c.params, c.x)).toEqual(gmGradients(c.params, c.x, ones));
  });
});
