/** The XOR Gaussian-mixture task of Refinetti et al. (2021) and its Bayes error. */
import { describe, expect, it } from 'vitest';
import { normalCdf, normalPdf } from '../../reference/normal.js';
import { normalStream } from '../../reference/random.js';
import { bayesError, xorGaussianMixture } from '../../src/data/synthetic.js';

describe('xorGaussianMixture', () => {
  it('is reproducible from its seed', () => {
    const a = xorGaussianMixture({ d: 10, n: 50, separation: 2, seed: 1 });
    expect(xorGaussianMixture({ d: 10, n: 50, separation: 2, seed: 1 })).toEqual(a);
    expect(xorGaussianMixture({ d: 10, n: 50, separation: 2, seed: 2 }).x).not.toEqual(a.x);
  });

  it('has balanced labels and its Bayes rule errs at the computed Bayes error', () => {
    // n = 200,000: a proportion's SE is ≤ √(0.25/n) = 1.1e−3; 6 SE bounds fail with
    // probability < 2e−9 each (two checks).
    const n = 200_000;
    const r = 1.5;
    const { x, labels, d } = xorGaussianMixture({ d: 4, n, separation: r, seed: 'bayes' });
    let ones = 0;
    let errors = 0;
    for (let j = 0; j < n; j++) {
      ones += labels[j];
      const predicted = Math.abs(x[j * d]) > Math.abs(x[j * d + 1]) ? 1 : 0;
      errors += predicted === labels[j] ? 0 : 1;
    }
    const se = Math.sqrt(0.25 / n);
    expect(Math.abs(ones / n - 0.5)).toBeLessThan(6 * se);
    expect(Math.abs(errors / n - bayesError(r))).toBeLessThan(6 * se);
  });

  it('Bayes error: ½ without separation, decreasing, and tiny for well-separated clusters', () => {
    expect(bayesError(0)).toBeCloseTo(0.5, 10);
    expect(bayesError(1)).toBeLessThan(bayesError(0.5));
    expect(bayesError(2)).toBeLessThan(bayesError(1));
    expect(bayesError(8)).toBeLessThan(1e-6);
  });

  it('is drawn as documented: d noise draws, then the label and the sign of the shift, row by row', () => {
    const [d, n, r] = [3, 40, 2.5];
    const set = xorGaussianMixture({ d, n, separation: r, seed: 'documented' });
    const z = normalStream('xor-mixture-documented');
    const x = new Float32Array(n * d);
    const labels = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const row = Array.from({ length: d }, () => Math.fround(z())); // stored as float32, then shifted in float32
      labels[j] = z() > 0 ? 1 : 0;
      const axis = labels[j] === 1 ? 0 : 1;
      row[axis] = Math.fround(row[axis] + (z() > 0 ? 1 : -1) * r);
      x.set(row, j * d);
    }
    expect(set).toEqual({ x, labels, d, n });
  });

  it('rejects bad sizes', () => {
    expect(() => xorGaussianMixture({ d: 1, n: 5, separation: 1, seed: 0 })).toThrow(/d: expected an integer ≥ 2, got 1/);
    expect(() => xorGaussianMixture({ d: 2.5, n: 5, separation: 1, seed: 0 })).toThrow(/d: expected an integer ≥ 2, got 2.5/);
    expect(() => xorGaussianMixture({ d: 2, n: 0, separation: 1, seed: 0 })).toThrow(RangeError);
    expect(() => xorGaussianMixture({ d: 2, n: 0, separation: 1, seed: 0 })).toThrow(/^n: expected an integer ≥ 1, got 0$/);
    expect(() => xorGaussianMixture({ d: 2, n: 1.5, separation: 1, seed: 0 })).toThrow(/^n: expected an integer ≥ 1, got 1.5$/);
    expect(xorGaussianMixture({ d: 2, n: 1, separation: 1, seed: 0 }).labels.length).toBe(1);
  });

  /**
   * The same probability by the other variable: P(|X₁| < |X₂|) = ∫ φ(v)·[Φ(|v| − r) − Φ(−|v| − r)] dv,
   * by composite Simpson's rule over v ∈ [0, 40] (the integrand is even in v; its fourth
   * derivative is O(1) and h = 1e−3, so the rule's error is below 1e−12; the cut tail is below 1e−300).
   */
  function bayesErrorByX2(r: number): number {
    const g = (v: number) => 2 * normalPdf(v) * (normalCdf(v - r) - normalCdf(-v - r));
    const n = 40_000;
    const h = 40 / n;
    let sum = g(0) + g(40);
    for (let j = 1; j < n; j++) sum += (j % 2 === 1 ? 4 : 2) * g(j * h);
    return (sum * h) / 3;
  }

  it.each([0.25, 1.5, 4, 8, 11.5, 12, 13])('Bayes error at r = %d agrees with the integral over the other variable', (r) => {
    // both quadratures are good to ~1e−12 absolutely (the docs' O(h⁴)); the values range down to ~1e−16 at r = 13,
    // so the check is absolute 1e−11 plus 1e−8 relative
    const want = bayesErrorByX2(r);
    expect(Math.abs(bayesError(r) - want)).toBeLessThan(1e-11 + 1e-8 * want);
  });
});
