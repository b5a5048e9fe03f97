/** Seeded standard normal draws for the Monte Carlo estimator. */
import seedrandom from 'seedrandom';

/** A stream of independent standard normal draws. */
export type NormalStream = () => number;

/**
 * Standard normal draws from a seeded uniform generator (seedrandom's Alea) by the
 * Box–Muller transform. The same seed gives the same sequence on every platform.
 */
export function normalStream(seed: string | number): NormalStream {
  const uniform = seedrandom.alea(String(seed));
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform())); // 1 − U ∈ (0, 1]: log is finite
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
