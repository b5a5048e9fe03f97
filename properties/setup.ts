/**
 * Every property suite runs from a fixed seed so that CI is deterministic; a failure
 * prints the seed and path to replay it. Set FC_SEED to explore other seeds locally
 * (FC_SEED=random draws a fresh one per run).
 */
import fc from 'fast-check';

const fromEnv = process.env.FC_SEED;
fc.configureGlobal({
  ...(fromEnv === 'random' ? {} : { seed: fromEnv === undefined ? 20261123 : Number(fromEnv) }),
  numRuns: Number(process.env.FC_NUM_RUNS ?? 100),
});
