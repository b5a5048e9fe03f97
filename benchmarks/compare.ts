/**
 * `--compare BASELINE.json`: the change of every paired ratio figure (GM step ÷ its
 * matrix-product floor) against a baseline run, and whether it is a regression.
 *
 * Ratios, not times, are compared: both terms run on the same machine in the same run,
 * so machine speed cancels and a baseline from one machine class serves its peers.
 * Paired ratios are measured in alternating back-to-back rounds (speed.ts), so the
 * machine's drift cancels too; the ratios of tinybench means (÷ FC step) do not have
 * that property and are shown, not judged.
 *
 * Noise threshold from the runs' own variance: each paired ratio carries σ, the
 * standard error of its logarithm from the spread of its rounds. A ratio regresses when
 *   log(current/baseline) > 4·√(σ_current² + σ_baseline²) + DRIFT,
 * with DRIFT covering what the rounds cannot see (the state a process starts in):
 * see benchmarks/README.md for the back-to-back runs that set it.
 */
import type { Ratio } from './speed.js';

/** Largest log-difference of a paired ratio seen between quick runs of an unchanged tree: 0.176 (B = 256, K = 20). */
export const DRIFT = 0.2;

export interface Comparison {
  id: string;
  baseline: number;
  current: number;
  changePercent: number;
  thresholdPercent: number;
  regressed: boolean;
}

export function compareRatios(current: Ratio[], baseline: Ratio[]): { rows: Comparison[]; missing: string[] } {
  const rows: Comparison[] = [];
  const missing: string[] = [];
  for (const base of baseline.filter((r) => r.paired)) {
    const now = current.find((r) => r.id === base.id);
    if (!now) {
      missing.push(base.id);
      continue;
    }
    const logChange = Math.log(now.value / base.value);
    const threshold = 4 * Math.hypot(now.sigma, base.sigma) + DRIFT;
    rows.push({
      id: base.id,
      baseline: base.value,
      current: now.value,
      changePercent: 100 * (now.value / base.value - 1),
      thresholdPercent: 100 * (Math.exp(threshold) - 1),
      regressed: logChange > threshold,
    });
  }
  return { rows, missing };
}

export function printComparison(rows: Comparison[], missing: string[], baselinePath: string): void {
  console.log(`\nCompared with ${baselinePath} (ratios; higher is slower)`);
  console.table(
    rows.map((r) => ({
      ratio: r.id,
      baseline: r.baseline.toFixed(3),
      current: r.current.toFixed(3),
      'change %': (r.changePercent >= 0 ? '+' : '') + r.changePercent.toFixed(1),
      'threshold %': '+' + r.thresholdPercent.toFixed(1),
      verdict: r.regressed ? 'REGRESSED' : 'ok',
    })),
  );
  if (missing.length > 0) console.log(`not in this run (skipped): ${missing.join(', ')}`);
}
