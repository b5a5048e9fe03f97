/** `--compare`: regressions and missing ratios fail; `--allow-missing` excuses by id or prefix. */
import { describe, expect, it } from 'vitest';
import { compareRatios, failed } from '../../benchmarks/compare.js';
import type { Ratio } from '../../benchmarks/speed.js';

const ratio = (id: string, value: number, paired = true): Ratio => ({ id, value, numerator: 'a', denominator: 'b', sigma: 0.01, paired });
const baseline = [ratio('wasm/gm-step/K20/B64 ÷ floor', 1.3), ratio('cpu/gm-step/K20/B64 ÷ floor', 1.0), ratio('wasm/x ÷ fc-step', 0.1, false)];

describe('compareRatios', () => {
  it('passes when every paired ratio is present and within the threshold', () => {
    const report = compareRatios([ratio('wasm/gm-step/K20/B64 ÷ floor', 1.35), ratio('cpu/gm-step/K20/B64 ÷ floor', 1.0)], baseline);
    expect(report.missing).toEqual([]);
    expect(failed(report)).toBe(false);
  });

  it('fails on a regression beyond 4σ plus the drift allowance', () => {
    const report = compareRatios([ratio('wasm/gm-step/K20/B64 ÷ floor', 2.0), ratio('cpu/gm-step/K20/B64 ÷ floor', 1.0)], baseline);
    expect(report.rows.find((r) => r.id.startsWith('wasm'))?.regressed).toBe(true);
    expect(failed(report)).toBe(true);
  });

  it('fails when a paired baseline ratio is missing (a run on another backend compares nothing)', () => {
    const report = compareRatios([ratio('wasm/gm-step/K20/B64 ÷ floor', 1.3)], baseline);
    expect(report.missing).toEqual(['cpu/gm-step/K20/B64 ÷ floor']);
    expect(failed(report)).toBe(true);
    expect(failed(compareRatios([], baseline))).toBe(true);
  });

  it('--allow-missing excuses an id or a prefix of ids, and nothing else', () => {
    const current = [ratio('wasm/gm-step/K20/B64 ÷ floor', 1.3)];
    for (const allow of [['cpu'], ['cpu/'], ['cpu/gm-step/K20/B64 ÷ floor']]) {
      const report = compareRatios(current, baseline, allow);
      expect(report.excused).toEqual(['cpu/gm-step/K20/B64 ÷ floor']);
      expect(failed(report)).toBe(false);
    }
    expect(failed(compareRatios(current, baseline, ['cp']))).toBe(true);
    expect(failed(compareRatios(current, baseline, ['wasm']))).toBe(true);
  });
});
