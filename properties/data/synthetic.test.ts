/** The XOR Gaussian-mixture task of Refinetti et al. (2021) and its Bayes error. */
import { describe, expect, it } from 'vitest';
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

  it('rejects bad sizes', () => {
    expect(() => xorGaussianMixture({ d: 1, n: 5, separation: 1, seed: 0 })).toThrow(/d: expected an integer ≥ 2, got 1/);
  });
});
