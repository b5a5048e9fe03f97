/**
 * The synthetic task of Refinetti, Goldt, Krzakala & Zdeborová, "Classifying
 * high-dimensional Gaussian mixtures: where kernel methods fail and neural networks
 * succeed" (arXiv 2102.11742): an XOR-like mixture of four Gaussian clusters in R^d.
 * Clusters at ±μ carry label 1 and clusters at ±ν label 0, with μ = r·e₁, ν = r·e₂
 * orthogonal, and isotropic noise N(0, I_d). Each sample picks one of the four
 * clusters uniformly. No linear classifier beats chance (the label is even in x);
 * small two-layer networks reach near the Bayes error, lazy and random-feature ones do not.
 *
 * The Bayes classifier predicts 1 exactly when |x₁| > |x₂|, so the Bayes error is
 * P(|X₂| > |X₁|) with X₁ ~ N(r, 1), X₂ ~ N(0, 1); bayesError computes it.
 */
import { normalCdf, normalPdf } from '../../reference/normal.js';
import { normalStream } from '../../reference/random.js';

export interface SyntheticOptions {
  /** input dimension d (≥ 2) */
  d: number;
  /** number of samples */
  n: number;
  /** distance r of each cluster mean from the origin */
  separation: number;
  seed: string | number;
}

export interface SyntheticSet {
  /** n×d, row-major */
  x: Float32Array;
  /** n labels in {0, 1} */
  labels: Uint8Array;
  d: number;
  n: number;
}

/** n samples of the four-cluster XOR mixture, reproducible from the seed. */
export function xorGaussianMixture({ d, n, separation, seed }: SyntheticOptions): SyntheticSet {
  if (!Number.isInteger(d) || d < 2) throw new RangeError(`d: expected an integer ≥ 2, got ${d}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n: expected an integer ≥ 1, got ${n}`);
  const z = normalStream(`xor-mixture-${seed}`);
  const x = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < d; i++) x[j * d + i] = z();
    // Cluster from the sign of two more draws: axis 0 (label 1) or 1 (label 0), sign ±.
    const label = z() > 0 ? 1 : 0;
    const sign = z() > 0 ? 1 : -1;
    x[j * d + (label === 1 ? 0 : 1)] += sign * separation;
    labels[j] = label;
  }
  return { x, labels, d, n };
}

/**
 * Bayes error of the task: P(|X₂| > |X₁|), X₁ ~ N(r, 1), X₂ ~ N(0, 1):
 *   ∫ φ(u − r) · 2Φ(−|u|) du
 * by composite Simpson's rule over u ∈ [r − 12, r + 12] (the tails beyond add < 1e−30),
 * split at the kink u = 0 so that each piece is smooth: error O(h⁴), ~1e−14 here.
 */
export function bayesError(separation: number, points = 20000): number {
  const f = (u: number) => normalPdf(u - separation) * 2 * normalCdf(-Math.abs(u));
  const simpson = (a: number, b: number, n: number) => {
    const h = (b - a) / n; // n even
    let sum = f(a) + f(b);
    for (let j = 1; j < n; j++) sum += (j % 2 === 1 ? 4 : 2) * f(a + j * h);
    return (sum * h) / 3;
  };
  const [lo, hi] = [separation - 12, separation + 12];
  if (lo >= 0 || hi <= 0) return simpson(lo, hi, points);
  return simpson(lo, 0, points) + simpson(0, hi, points);
}
