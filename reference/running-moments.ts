/**
 * Running mean and variance of a vector-valued sample, by Welford's update, which
 * does not lose the variance to cancellation when the mean is much larger than the
 * spread (as Σy² − (Σy)²/N does).
 */
export interface RunningMoments {
  count: number;
  mean: Float64Array;
  /** Σ (y − mean)² per entry */
  m2: Float64Array;
}

export function emptyMoments(size: number): RunningMoments {
  return { count: 0, mean: new Float64Array(size), m2: new Float64Array(size) };
}

/** Adds one observation y (same length as the accumulator). */
export function addObservation(acc: RunningMoments, y: Float64Array): void {
  acc.count += 1;
  const n = acc.count;
  for (let j = 0; j < y.length; j++) {
    const delta = y[j] - acc.mean[j];
    acc.mean[j] += delta / n;
    acc.m2[j] += delta * (y[j] - acc.mean[j]);
  }
}

/** Variance of the mean, s²/N with the unbiased s², per entry (needs N ≥ 2). */
export function varianceOfMean(acc: RunningMoments): Float64Array {
  const n = acc.count;
  return acc.m2.map((m2) => m2 / (n - 1) / n);
}
