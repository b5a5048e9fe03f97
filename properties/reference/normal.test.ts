/**
 * reference/normal.ts against an independent route (50-digit mpmath values, committed
 * with the script that made them: fixtures/special-functions.py) and against the exact
 * identities, bounds and monotonicity the functions must keep.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { erfc, erfcx, expectedRelu, ldexp, millsRatio, normalCdf, normalPdf, scaledUpperTail, tailExponent, upperTail } from '../../reference/normal.js';

interface NormalRow { t: number; cdf: string; pdf: string; expectedRelu: string; millsRatio?: string }
interface ErfcRow { z: number; erfc: string; erfcx: string }
interface ScaledTailRow { u: number; k: number; pdf: string; Q: string; loss: string }
const table = JSON.parse(readFileSync(new URL('../../fixtures/special-functions.json', import.meta.url), 'utf8')) as {
  passRule: { bound: number };
  firstGate: { normal: NormalRow[]; erfc: ErfcRow[] };
  normal: NormalRow[];
  erfc: ErfcRow[];
  scaledTail: ScaledTailRow[];
};

/** Error in units of the last place of the exact value (subnormals: of the smallest normal). */
function ulps(got: number, exact: number): number {
  if (got === exact) return 0;
  const ulp = Math.max(Math.abs(exact), 2 ** -1022) * 2 ** -52;
  return Math.abs(got - exact) / ulp;
}

// The documented accuracy, the table's own pass rule (fixtures/special-functions.py); the
// measured worst case of each function is in PORTING.md.
const MAX_ULPS = table.passRule.bound;

describe('special functions against 50-digit mpmath values', () => {
  it('pass the first gate: every value within the pass rule', () => {
    expect(MAX_ULPS).toBe(4);
    const bad: string[] = [];
    for (const row of table.firstGate.normal) {
      const got = { cdf: normalCdf(row.t), pdf: normalPdf(row.t), expectedRelu: expectedRelu(row.t), millsRatio: row.t >= 0 ? millsRatio(row.t) : NaN };
      for (const key of ['cdf', 'pdf', 'expectedRelu', 'millsRatio'] as const) {
        const exact = row[key];
        if (exact !== undefined && !(ulps(got[key], Number(exact)) <= MAX_ULPS)) bad.push(`${key}(${row.t})`);
      }
    }
    for (const row of table.firstGate.erfc) {
      if (!(ulps(erfc(row.z), Number(row.erfc)) <= MAX_ULPS)) bad.push(`erfc(${row.z})`);
      if (!(ulps(erfcx(row.z), Number(row.erfcx)) <= MAX_ULPS)) bad.push(`erfcx(${row.z})`);
    }
    expect(table.firstGate.normal.length + table.firstGate.erfc.length).toBeGreaterThanOrEqual(28);
    expect(bad).toEqual([]);
  });

  const inRange = table.normal.filter((row) => Math.abs(row.t) <= 37);
  it.each([
    ['normalCdf', normalCdf, 'cdf'],
    ['normalPdf', normalPdf, 'pdf'],
    ['expectedRelu', expectedRelu, 'expectedRelu'],
  ] as const)('%s is within 4 ulps on t ∈ [−37, 37]', (_name, f, key) => {
    const worst = Math.max(...inRange.map((row) => ulps(f(row.t), Number(row[key]))));
    expect(worst).toBeLessThanOrEqual(MAX_ULPS);
  });

  it('millsRatio below 0 is Φ(−u)/φ(u) = Φ(|u|)/φ(|u|), within 4 ulps of the table on u ∈ [−8, 0)', () => {
    const rows = table.normal.filter((row) => row.t > 0 && row.t <= 8);
    expect(rows.length).toBeGreaterThan(50);
    const worst = Math.max(...rows.map((row) => ulps(millsRatio(-row.t), Number(row.cdf) / Number(row.pdf))));
    expect(worst).toBeLessThanOrEqual(MAX_ULPS + 1); // + 1: the quotient of the two table values is itself rounded
  });

  it('millsRatio is within 4 ulps on u ∈ [0, 37]', () => {
    const rows = inRange.filter((row) => row.millsRatio !== undefined);
    expect(rows.length).toBeGreaterThan(300);
    const worst = Math.max(...rows.map((row) => ulps(millsRatio(row.t), Number(row.millsRatio))));
    expect(worst).toBeLessThanOrEqual(MAX_ULPS);
  });

  it.each([
    ['erfc', erfc, 'erfc'],
    ['erfcx', erfcx, 'erfcx'],
  ] as const)('%s is within 4 ulps on z ∈ [−6, 26]', (_name, f, key) => {
    const worst = Math.max(...table.erfc.map((row) => ulps(f(row.z), Number(row[key]))));
    expect(worst).toBeLessThanOrEqual(MAX_ULPS);
  });

  it('scaledUpperTail: φ(u)·2^k, Q(u)·2^k and g(−u)·2^k within 4 ulps on u ∈ (37, 64)', () => {
    expect(table.scaledTail.length).toBeGreaterThan(300);
    const bad: string[] = [];
    for (const row of table.scaledTail) {
      const got = scaledUpperTail(row.u, row.k);
      for (const key of ['pdf', 'Q', 'loss'] as const) if (!(ulps(got[key], Number(row[key])) <= MAX_ULPS)) bad.push(`${key}(${row.u})·2^${row.k}`);
    }
    expect(bad).toEqual([]);
  });

  it('underflows gracefully beyond |t| = 37 (relative accuracy lost only to subnormals)', () => {
    for (const row of table.normal.filter((r) => Math.abs(r.t) > 37)) {
      // Below 2^-1022 the spacing of doubles is 2^-1074: allow a few of those.
      expect(Math.abs(normalCdf(row.t) - Number(row.cdf))).toBeLessThanOrEqual(Math.max(4 * 2 ** -1074, 1e-15 * Number(row.cdf)));
      expect(Math.abs(expectedRelu(row.t) - Number(row.expectedRelu))).toBeLessThanOrEqual(
        Math.max(4 * 2 ** -1074, 1e-15 * Number(row.expectedRelu)),
      );
    }
  });
});

describe('special-function identities and bounds', () => {
  const t = fc.oneof(
    fc.double({ min: -40, max: 40, noNaN: true }),
    fc.double({ min: -1, max: 1, noNaN: true }),
    fc.constantFrom(0, -0, 0.75, -0.75, 37, -37, 5e-324, -5e-324),
  );

  test.prop([t])('Φ(t) + Φ(−t) = 1 and Φ ∈ [0, 1]', (s) => {
    const p = normalCdf(s);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
    expect(Math.abs(p + normalCdf(-s) - 1)).toBeLessThanOrEqual(2 ** -52); // one rounding of 1 − Q
  });

  test.prop([t])('g(t) − g(−t) = t, g(t) ≥ max(t, 0), g(t) ≤ max(t, 0) + φ(0)', (s) => {
    const g = expectedRelu(s);
    expect(Math.abs(g - expectedRelu(-s) - s)).toBeLessThanOrEqual(2 ** -52 * Math.max(1, Math.abs(s))); // one rounding of t + loss
    expect(g).toBeGreaterThanOrEqual(Math.max(s, 0));
    expect(g).toBeLessThanOrEqual(Math.max(s, 0) + normalPdf(0));
  });

  // Monotone up to rounding: a function accurate to 4 ulps can step back by up to
  // 2×4 ulps between neighbouring arguments (only a correctly rounded one could not).
  const slack = (value: number) => 2 * MAX_ULPS * Math.max(Math.abs(value), 2 ** -1022) * 2 ** -52;

  test.prop([t, t])('Φ and g are nondecreasing; g is convex (g′ = Φ)', (s1, s2) => {
    const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
    expect(normalCdf(lo)).toBeLessThanOrEqual(normalCdf(hi) + slack(normalCdf(hi)));
    expect(expectedRelu(lo)).toBeLessThanOrEqual(expectedRelu(hi) + slack(expectedRelu(hi)));
    // Convexity: the chord lies above the midpoint value, up to the same rounding.
    const mid = expectedRelu((lo + hi) / 2);
    const chord = (expectedRelu(lo) + expectedRelu(hi)) / 2;
    expect(mid).toBeLessThanOrEqual(chord + slack(chord));
  });

  it('has no jump at the series / continued-fraction switch at |t| = 0.75', () => {
    for (const f of [normalCdf, expectedRelu]) {
      let t0 = -0.75 - 64 * 2 ** -53;
      for (let j = 0; j < 128; j++) {
        const t1 = t0 + 2 ** -53;
        expect(f(t1)).toBeGreaterThanOrEqual(f(t0) - slack(f(t0)));
        t0 = t1;
      }
      // Across the walk the value must rise by about φ·Δt (Φ) or Φ·Δt (g), not jump.
      const rise = f(-0.75 + 64 * 2 ** -53) - f(-0.75 - 64 * 2 ** -53);
      expect(Math.abs(rise)).toBeLessThanOrEqual(128 * 2 ** -53 + 2 * slack(f(-0.75)));
    }
  });

  it('handles ±∞ and NaN', () => {
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(expectedRelu(-Infinity)).toBe(0);
    expect(expectedRelu(Infinity)).toBe(Infinity);
    expect(normalPdf(Infinity)).toBe(0);
    expect(normalCdf(NaN)).toBeNaN();
    expect(expectedRelu(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
  });

  test.prop([fc.double({ min: -26, max: 26, noNaN: true })])('erfc(z) + erfc(−z) = 2', (z) => {
    expect(Math.abs(erfc(z) + erfc(-z) - 2)).toBeLessThanOrEqual(2 * 2 ** -52);
  });
});

describe('the scaled tail', () => {
  test.prop([fc.double({ min: 37, max: 64, noNaN: true, minExcluded: true, maxExcluded: true })])('tailExponent keeps φ(u)·2^k in [0.28, 0.57]', (u) => {
    const { pdf, k } = scaledUpperTail(u);
    expect(k).toBe(tailExponent(u));
    expect(pdf).toBeGreaterThanOrEqual(0.28);
    expect(pdf).toBeLessThanOrEqual(0.57);
  });

  test.prop([fc.double({ min: 0, max: 37, noNaN: true })])('k = 0 up to u = 37, and then it is upperTail bit for bit', (u) => {
    expect(tailExponent(u)).toBe(0);
    expect(scaledUpperTail(u)).toEqual({ ...upperTail(u), k: 0 });
  });

  it('is 0 from u = 64 on, where no float64 factor can bring it back', () => {
    expect(tailExponent(64)).toBe(0);
    expect(scaledUpperTail(64)).toMatchObject({ pdf: 0, Q: 0, loss: 0, k: 0 });
    expect(scaledUpperTail(Infinity)).toMatchObject({ pdf: 0, Q: 0, loss: 0, k: 0 });
  });

  it('ldexp steps past 2^±1023 when x and the result are in range but 2^n is not', () => {
    // 2^n alone over- or underflows for |n| > 1023; the steps of 2^±1000 keep every partial product in range.
    expect(ldexp(2 ** -1074, 2000)).toBe(2 ** 926);
    expect(ldexp(2 ** 1023, -2000)).toBe(2 ** -977);
    expect(ldexp(1.5 * 2 ** -1000, 1500)).toBe(1.5 * 2 ** 500);
    expect(ldexp(1.5 * 2 ** 1000, -1500)).toBe(1.5 * 2 ** -500);
  });

  test.prop([fc.double({ min: 1, max: 2, noNaN: true, maxExcluded: true }), fc.integer({ min: -2000, max: 2000 })])(
    'ldexp(x, n) = x·2^n: exact while normal, one rounding to the subnormal grid below',
    (x, n) => {
      const y = ldexp(x, n);
      if (n >= 1024) expect(y).toBe(Infinity);
      else if (n < -1022) {
        // On the grid of 2^−1074: y·2^1074 and x·2^(n+1074) are both exact doubles here.
        if (n + 1074 >= -1) expect(Math.abs(y * 2 ** 1000 * 2 ** 74 - x * 2 ** (n + 1074))).toBeLessThanOrEqual(0.5);
        else expect(y).toBe(0);
      } else {
        expect(y).toBe(x * 2 ** n);
        expect(ldexp(y, -n)).toBe(x);
      }
    },
  );
});
