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
 *
 * A paired ratio of the baseline that this run lacks fails the comparison too (a run on
 * another backend must not pass by comparing nothing), unless `--allow-missing` names
 * it: an id, or a prefix of ids such as `cpu` (every `cpu/…` ratio).
 */
import type { Ratio } from './speed.js';

/** Covers the largest log-difference of a paired ratio between quick runs of an unchanged tree (benchmarks/README.md). */
export const DRIFT = 0.2;

export interface Comparison {
  id: string;
  baseline: number;
  current: number;
  changePercent: number;
  thresholdPercent: number;
  regressed: boolean;
}

export interface ComparisonReport {
  rows: Comparison[];
  /** Baseline ratios absent from this run and not allowed to be: each fails the comparison. */
  missing: string[];
  /** Baseline ratios absent from this run that `--allow-missing` excused. */
  excused: string[];
}

/** Whether an `--allow-missing` entry names this ratio id: the id itself or a `/`-prefix of it. */
function names(entry: string, id: string): boolean {
  return id === entry || id.startsWith(entry.endsWith('/') ? entry : `${entry}/`);
}

/**
 * Every paired ratio of the baseline against this run's.
 * @param allowMissing  ids or id prefixes (e.g. `cpu`) that may be absent from this run.
 */
export function compareRatios(current: Ratio[], baseline: Ratio[], allowMissing: readonly string[] = []): ComparisonReport {
  const rows: Comparison[] = [];
  const missing: string[] = [];
  const excused: string[] = [];
  for (const base of baseline.filter((r) => r.paired)) {
    const now = current.find((r) => r.id === base.id);
    if (!now) {
      (allowMissing.some((entry) => names(entry, base.id)) ? excused : missing).push(base.id);
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
  return { rows, missing, excused };
}

/** True when the comparison fails: a regression, or a baseline ratio missing without leave. */
export function failed(report: ComparisonReport): boolean {
  return report.missing.length > 0 || report.rows.some((r) => r.regressed);
}

export function printComparison({ rows, missing, excused }: ComparisonReport, baselinePath: string): void {
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
  if (excused.length > 0) console.log(`not in this run, allowed by --allow-missing: ${excused.join(', ')}`);
  if (missing.length > 0) console.log(`MISSING from this run (fails; --allow-missing ID|PREFIX excuses): ${missing.join(', ')}`);
}
