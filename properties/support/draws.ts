/**
 * Seeded random draws held to their distribution: 6-standard-error bounds on the sample
 * mean and SD, which correct draws fail with probability below 2e−9 each (and, seeded,
 * pass or fail reproducibly).
 */
import { expect } from 'vitest';

/** Sample mean and SD of a list. */
function moments(list: number[]): { mean: number; sd: number } {
  const mean = list.reduce((a, z) => a + z, 0) / list.length;
  return { mean, sd: Math.sqrt(list.reduce((a, z) => a + (z - mean) ** 2, 0) / (list.length - 1)) };
}

/** n draws of N(0, sd²): the sample SD has relative standard error 1/√(2n), the mean sd/√n. */
export function expectNormal(list: number[], sd: number): void {
  const got = moments(list);
  expect(Math.abs(got.sd / sd - 1)).toBeLessThan(6 / Math.sqrt(2 * list.length));
  expect(Math.abs(got.mean)).toBeLessThan((6 * sd) / Math.sqrt(list.length));
}

/**
 * n draws of U(−w, w): every draw inside, and the SD w/√3. For the uniform (kurtosis
 * 9/5) the sample variance has relative standard error √(0.8/n), so the SD √(0.2/n).
 */
export function expectUniform(list: number[], w: number): void {
  expect(list.every((z) => Math.abs(z) <= w)).toBe(true);
  const got = moments(list);
  expect(Math.abs(got.sd / (w / Math.sqrt(3)) - 1)).toBeLessThan(6 * Math.sqrt(0.2 / list.length));
  expect(Math.abs(got.mean)).toBeLessThan((6 * w) / Math.sqrt(3 * list.length));
}
