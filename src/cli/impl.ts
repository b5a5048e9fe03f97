/**
 * What an implementation behind `gmlayer eval --impl NAME` receives and returns.
 */
import type { GMCase } from '../../reference/case.js';

export interface EvalOptions {
  /** Draws of β per component (montecarlo). */
  samples: number;
  /** Seed of the Monte Carlo stream. */
  seed: string;
  /** Mirrored draws (montecarlo). */
  antithetic: boolean;
  /** --backend (tfjs); undefined reads GMLAYER_BACKEND, else 'auto'. */
  backend: string | undefined;
  /** --kernels (tfjs); undefined means 'auto'. */
  kernels: string | undefined;
}

/** An implementation the CLI evaluates a case with: the JSON object it prints. */
export type CliImpl = (c: GMCase, options: EvalOptions) => Promise<Record<string, unknown>>;
