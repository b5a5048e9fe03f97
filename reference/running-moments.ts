/**
 * Running mean and standard error of a vector-valued sample, entry by entry.
 *
 * Welford's update avoids losing the variance to cancellation when the mean is much
 * larger than the spread (as Σy² − (Σy)²/N does). Each entry is also kept in units of
 * a power of two no smaller than the largest |y| seen, so that squares neither
 * underflow (values below 1e−154 would otherwise report a standard error of 0) nor
 * overflow; rescaling by a power of two is exact.
 */
export interface RunningMoments {
  count: number;
  /** Per entry: the power of two the other fields are measured in (0 until a nonzero value). */
  scale: Float64Array;
  /** Mean, in units of scale */
  mean: Float64Array;
  /** Σ (y − mean)², in units of scale² */
  m2: Float64Array;
}

export function emptyMoments(size: number): RunningMoments {
  return { count: 0, scale: new Float64Array(size), mean: new Float64Array(size), m2: new Float64Array(size) };
}

/** Adds one observation y (same length as the accumulator). */
export function addObservation(acc: RunningMoments, y: Float64Array): void {
  acc.count += 1;
  const n = acc.count;
  for (let j = 0; j < y.length; j++) {
    const magnitude = Math.abs(y[j]);
    if (magnitude > acc.scale[j]) {
      const scale = 2 ** Math.ceil(Math.log2(magnitude));
      const ratio = acc.scale[j] / scale;
      acc.mean[j] *= ratio;
      acc.m2[j] *= ratio * ratio;
      acc.scale[j] = scale;
    }
    const yj = acc.scale[j] === 0 ? 0 : y[j] / acc.scale[j];
    const delta = yj - acc.mean[j];
    acc.mean[j] += delta / n;
    acc.m2[j] += delta * (yj - acc.mean[j]);
  }
}

/** The sample mean of each entry. */
export function sampleMean(acc: RunningMoments): Float64Array {
  return acc.mean.map((mean, j) => mean * acc.scale[j]);
}

/** Standard error of each mean, √(s²/N) with the unbiased s² (needs N ≥ 2). */
export function standardError(acc: RunningMoments): Float64Array {
  const n = acc.count;
  return acc.m2.map((m2, j) => Math.sqrt(m2 / (n - 1) / n) * acc.scale[j]);
}
