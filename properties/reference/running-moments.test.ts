/**
 * reference/running-moments.ts against the two-pass formulas, in float64: the mean
 * Σy/N and the standard error √(Σ(y − ȳ)²/(N − 1)/N), entry by entry, including
 * entries whose squares would underflow or overflow without the power-of-two units.
 * Expected values are computed here by the textbook two-pass route (independent of
 * Welford's update); tolerances are a few float64 roundings of the values compared.
 */
import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { addObservation, emptyMoments, sampleMean, standardError } from '../../reference/running-moments.js';

/** Two-pass mean and standard error of one entry's sample. */
function twoPass(sample: number[]): { mean: number; se: number } {
  const n = sample.length;
  const mean = sample.reduce((a, y) => a + y, 0) / n;
  const ss = sample.reduce((a, y) => a + (y - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

function accumulate(rows: number[][]) {
  const acc = emptyMoments(rows[0].length);
  for (const row of rows) addObservation(acc, Float64Array.from(row));
  return { mean: sampleMean(acc), se: standardError(acc) };
}

describe('running moments', () => {
  it('N = 2 and N = 4 by hand: the unbiased variance (N − 1), and the squared deviations from the running mean', () => {
    // [1, 3]: mean 2, s² = 2, SE = √(2/2) = 1.  [1, 2, 3, 4]: mean 2.5, s² = 5/3, SE = √(5/12).
    const { mean, se } = accumulate([[1, 1], [3, 2], [0, 3], [0, 4]].slice(0, 2));
    expect([mean[0], se[0]]).toEqual([2, 1]);
    const four = accumulate([[1], [2], [3], [4]]);
    expect(four.mean[0]).toBe(2.5);
    expect(Math.abs(four.se[0] - Math.sqrt(5 / 12))).toBeLessThanOrEqual(4 * 2 ** -53);
  });

  const entry = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: -1e-200, max: 1e-200, noNaN: true }), fc.double({ min: -1e200, max: 1e200, noNaN: true }));
  test.prop([fc.integer({ min: 2, max: 30 }).chain((n) => fc.array(fc.tuple(entry, entry, fc.constant(1e-300)), { minLength: n, maxLength: n }))])(
    'mean and standard error equal the two-pass values, entry by entry, at any magnitude',
    (rows) => {
      const got = accumulate(rows);
      rows[0].forEach((_, j) => {
        const column = rows.map((row) => row[j]);
        // Scaled to the column's largest magnitude so that the two-pass squares stay in range.
        const scale = Math.max(...column.map(Math.abs)) || 1;
        const want = twoPass(column.map((y) => y / scale));
        // Welford and two-pass each round O(N) times: each within 4N·2⁻⁵³ of the true
        // values, relative to the sample's magnitudes (mean and spread), so within 8N·2⁻⁵³
        // of each other.
        const tol = 8 * column.length * 2 ** -53;
        expect(Math.abs(got.mean[j] / scale - want.mean)).toBeLessThanOrEqual(tol * (Math.abs(want.mean) + want.se * Math.sqrt(column.length)) + 1e-300);
        expect(Math.abs(got.se[j] / scale - want.se)).toBeLessThanOrEqual(tol * (want.se + Math.abs(want.mean)) + 1e-300);
      });
    },
  );
});
