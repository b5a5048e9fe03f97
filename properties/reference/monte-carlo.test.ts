/**
 * The Monte Carlo estimator against the closed form: two routes that share no algebra
 * (sampling β and averaging (Uβ + v)ReLU(⟨β, x⟩) versus Stein's lemma and Φ, φ).
 *
 * False-failure budget: every check is a two-sided z-test |MC − exact| ≤ z·SE (+ the
 * closed form's rounding bound, for σ = 0 components where SE = 0). The suite makes at
 * most MAX_CHECKS checks (counted and asserted below); with z = 6.22, Bonferroni gives a
 * total false-failure probability below 2000 · P(|Z| > 6.22) = 2000 · 4.97e−10 < 1e−6 per
 * run of fresh seeds. N is large (≥ 20,000 per component), so the estimated SE is within
 * a percent of the true one, and antithetic pairs keep the summands' skew small.
 * The seeds are fixed, so CI itself is deterministic.
 *
 * The z-test needs the normal approximation, and a sampler sees only the events it
 * draws. So every (row, component) must either be deterministic in sign (s = 0, m ≠ 0)
 * or see both signs of z at least 1000 times: N·min(Φ(t), 1 − Φ(t)) ≥ 1000. Otherwise
 * the rare side's contribution (≈ φ(t)·poly(t), which the closed form includes) goes
 * unseen while the estimated SE can be tiny or exactly 0: with antithetic pairs, f is
 * linear on almost every pair and each pair averages to f(μ) exactly. The tails are
 * checked elsewhere: Φ and g against the mpmath table, the φ(t)/s gradient terms by
 * finite differences, and the exact identities. At s = m = 0 the layer is not
 * differentiable (z ≡ 0): the sampler's 1{z > 0} gives a one-sided derivative, the
 * closed form the symmetric one (checked by finite differences).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gmGradients } from '../../reference/gradients.js';
import { gmMonteCarlo } from '../../reference/monte-carlo.js';
import { normalStream } from '../../reference/random.js';
import type { GMGradients, Matrix } from '../../reference/types.js';
import { componentMoments } from '../../reference/closed-form.js';
import { gmCase, moderateEntries, type GeneratedCase } from '../support/arbitraries.js';
import { forwardTolerance, gradientTolerance } from '../support/tolerance.js';

const Z = 6.22;
const MAX_CHECKS = 2000;
let checks = 0;

type Nested = number | Nested[];
const flat = (value: Nested): number[] => (typeof value === 'number' ? [value] : value.flatMap(flat));

function zCheck(label: string, estimate: Nested, stderr: Nested, exact: Nested, rounding: Nested): void {
  const [e, s, x, r] = [flat(estimate), flat(stderr), flat(exact), flat(rounding)];
  for (let j = 0; j < e.length; j++) {
    checks += 1;
    const allowed = Z * s[j] + r[j];
    if (!(Math.abs(e[j] - x[j]) <= allowed)) {
      throw new Error(`${label}[${j}]: Monte Carlo ${e[j]} ± ${s[j]} vs closed form ${x[j]} (${(Math.abs(e[j] - x[j]) / s[j]).toFixed(2)} SE)`);
    }
  }
}

const gradientParts = (g: GMGradients): [string, Nested][] => [
  ['mu', g.mu],
  ['sigma', g.sigma],
  ['U', g.U],
  ['v', g.v],
  ['x', g.x],
  ...(g.V === undefined ? [] : [['V', g.V] as [string, Nested]]),
];

const SAMPLES = 20_000;
const sampleable = (c: GeneratedCase) =>
  c.x.every((xb) =>
    c.params.mu.every((mu, k) => {
      const { m, s, b } = componentMoments(mu, c.params.sigma[k], xb, c.params.V?.[k]);
      return s === 0 ? m !== 0 : SAMPLES * Math.min(b, 1 - b) >= 1000;
    }),
  );
// Every component random on some row (s > 0): otherwise the sampleable filter favours
// σ = 0 components, whose σ-gradients are 0 ± 0 and check nothing.
const random = (c: GeneratedCase) => c.params.mu.every((mu, k) => c.x.some((xb) => componentMoments(mu, c.params.sigma[k], xb, c.params.V?.[k]).s > 0));
// Twelve fixed cases: zeros, negative σ, sparse pixels (moderate entries); then six with
// low-rank factors V of rank 1 or 2 (β = μ + σ ⊙ ε + Vᵀω).
const draw = (maxR: number, numRuns: number, seed: number) =>
  fc.sample(
    gmCase({ maxK: 3, maxD: 4, maxL: 2, maxB: 2, maxR }, moderateEntries).filter((c) => sampleable(c) && random(c) && (maxR === 0 || c.params.V![0].length > 0)),
    { seed, numRuns, unbiased: true }, // unbiased: fast-check's early samples lean to zeros
  );
const cases: GeneratedCase[] = [...draw(0, 12, 7), ...draw(2, 6, 8)];

describe('Monte Carlo agrees with the closed form', () => {
  it.each(cases.map((c, j) => [j, c] as const))('case %i: y and every gradient within z·SE', (_j, c) => {
    for (const antithetic of [false, true]) {
      const mc = gmMonteCarlo(c.params, c.x, { samples: SAMPLES, seed: `case-${_j}-${antithetic}`, antithetic }, c.G);
      const exact = gmGradients(c.params, c.x, c.G);
      zCheck('y', mc.y, mc.stderr, exact.y, forwardTolerance(c.params, c.x));
      const tolerance = gradientTolerance(c.params, c.x, c.G);
      const stderr = gradientParts(mc.gradStderr!);
      const rounding = gradientParts(tolerance);
      gradientParts(mc.grad!).forEach(([name, estimate], p) =>
        zCheck(`grad.${name}`, estimate, stderr[p][1], gradientParts(exact.grad)[p][1], rounding[p][1]),
      );
    }
  });

  it('checks real σ- and V-gradients: most of them are nonzero', () => {
    const nonzero = cases.flatMap((c) => gmGradients(c.params, c.x, c.G).grad.sigma.flat()).filter((g) => g !== 0).length;
    expect(nonzero).toBeGreaterThan(20);
    const nonzeroV = cases.flatMap((c) => gmGradients(c.params, c.x, c.G).grad.V?.flat(2) ?? []).filter((g) => g !== 0).length;
    expect(nonzeroV).toBeGreaterThan(20);
  });

  it('stays within the false-failure budget', () => {
    expect(checks).toBeGreaterThan(100);
    expect(checks).toBeLessThanOrEqual(MAX_CHECKS);
  });
});

describe('Monte Carlo error', () => {
  const c: GeneratedCase = {
    params: {
      mu: [[0.3, -0.5, 0.8]],
      sigma: [[0.7, -0.4, 0.5]],
      U: [[[1, -0.5, 0.25], [0.2, 0.1, -1]]],
      v: [[0.1, -0.3]],
    },
    x: [[1, 0.5, -0.25]],
    G: [[1, 1]],
  };

  it('shrinks as 1/√N: SE(N)/SE(4N) ≈ 2', () => {
    // The relative SD of an SE estimate from N draws is about √((κ − 1)/(4N)), κ the
    // kurtosis; for κ ≤ 20 and N = 50,000 that is ≤ 1%, so the ratio of two
    // independent estimates lies within 2·(1 ± 0.1) with more than 6 SD to spare.
    const se = (samples: number, seed: string) => gmMonteCarlo(c.params, c.x, { samples, seed, gradients: false }).stderr[0];
    const small = se(50_000, 'a');
    const large = se(200_000, 'b');
    small.forEach((value, l) => {
      expect(value / large[l]).toBeGreaterThan(1.8);
      expect(value / large[l]).toBeLessThan(2.2);
    });
  });

  it('is reproducible from its seed and changes with it', () => {
    const run = (seed: string) => gmMonteCarlo(c.params, c.x, { samples: 100, seed });
    expect(run('s').y).toEqual(run('s').y);
    expect(run('s').y).not.toEqual(run('t').y);
  });

  it('is exact with zero standard error when σ = 0 (β = μ surely)', () => {
    const zero = { ...c.params, sigma: [[0, 0, 0]] };
    const mc = gmMonteCarlo(zero, c.x, { samples: 10, seed: 1 });
    const exact = gmGradients(zero, c.x, c.G);
    expect(flat(mc.stderr as Matrix).every((s) => s === 0)).toBe(true);
    mc.y[0].forEach((value, l) => expect(Math.abs(value - exact.y[0][l])).toBeLessThanOrEqual(1e-15));
  });

  it('rejects a bad sample count with the field named', () => {
    expect(() => gmMonteCarlo(c.params, c.x, { samples: 1, seed: 0 })).toThrow(/samples: expected an integer N ≥ 2, got 1/);
    expect(() => gmMonteCarlo(c.params, c.x, { samples: 11, seed: 0, antithetic: true })).toThrow(/samples: expected an even N with antithetic sampling \(N\/2 mirrored pairs\), got 11/);
  });
});

describe('Monte Carlo estimator, draw by draw', () => {
  // Two components, a zero input row (z ≡ 0: the pathwise gradient's 1{z > 0} drops
  // it), V of rank 1. The estimate is recomputed here from the documented estimator
  // with the same stream (normal.ts's normalStream: per component, per draw, d values
  // of ε then r of ω): plain arithmetic on a few draws, no statistics, so it must agree
  // to rounding (1e−12 relative: a few dozen operations on O(1) values).
  const params = {
    mu: [[0.3, -0.5], [0.1, 0.4]],
    sigma: [[0.7, -0.4], [0.2, 0.9]],
    U: [[[1, -0.5]], [[0.3, 0.8]]],
    v: [[0.1], [-0.2]],
    V: [[[0.5, -0.3]], [[0.2, 0.1]]],
  };
  const x = [[1, 0.5], [0, 0]];
  const G = [[2], [3]];
  const [K, d, L, B] = [2, 2, 1, 2];

  function byHand(samples: number, antithetic: boolean, seed: string) {
    const draw = normalStream(seed);
    const zeros = (n: number) => new Array<number>(n).fill(0);
    const y = x.map(() => zeros(L));
    const grad = { mu: params.mu.map(() => zeros(d)), sigma: params.sigma.map(() => zeros(d)), U: params.U.map(() => [zeros(d)]), v: params.v.map(() => zeros(L)), V: params.V.map(() => [zeros(d)]), x: x.map(() => zeros(d)) };
    const pairs = antithetic ? samples / 2 : samples;
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < pairs; n++) {
        const eps = [draw(), draw()];
        const omega = [draw()];
        for (const sign of antithetic ? [1, -1] : [1]) {
          const weight = 1 / (pairs * K * (antithetic ? 2 : 1));
          const e = eps.map((z) => sign * z);
          const w = omega.map((z) => sign * z);
          const beta = params.mu[k].map((m, i) => m + params.sigma[k][i] * e[i] + params.V[k][0][i] * w[0]);
          const out = params.U[k][0].reduce((acc, u, i) => acc + u * beta[i], params.v[k][0]); // L = 1
          for (let b = 0; b < B; b++) {
            const z = beta[0] * x[b][0] + beta[1] * x[b][1];
            y[b][0] += weight * out * Math.max(z, 0);
            if (z <= 0) continue;
            const g = G[b][0];
            grad.v[k][0] += weight * g * z;
            for (let i = 0; i < d; i++) {
              const dBeta = g * out * x[b][i] + g * z * params.U[k][0][i]; // ∂/∂β_i of g·(Uβ + v)·z
              grad.mu[k][i] += weight * dBeta;
              grad.sigma[k][i] += weight * dBeta * e[i];
              grad.V[k][0][i] += weight * dBeta * w[0];
              grad.U[k][0][i] += weight * g * z * beta[i];
              grad.x[b][i] += weight * g * out * beta[i];
            }
          }
        }
      }
    }
    return { y, grad };
  }

  const close = (got: Nested, want: Nested, label: string) => {
    const [a, b] = [flat(got), flat(want)];
    expect(a.length, label).toBe(b.length);
    a.forEach((value, j) => expect(Math.abs(value - b[j]), `${label}[${j}]`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[j]))));
  };

  it.each([
    [2, false],
    [3, false],
    [4, true],
    [6, true],
  ])('N = %i, antithetic %s: the estimate and every gradient, to rounding', (samples, antithetic) => {
    const mc = gmMonteCarlo(params, x, { samples, seed: 'by hand', antithetic }, G);
    const want = byHand(samples, antithetic, 'by hand');
    close(mc.y, want.y, 'y');
    for (const name of ['mu', 'sigma', 'U', 'v', 'V', 'x'] as const) close(mc.grad![name] as Nested, want.grad[name], `grad.${name}`);
  });

  it('samples without mirroring unless asked, and returns no gradients when told not to', () => {
    const plain = gmMonteCarlo(params, x, { samples: 4, seed: 3 }, G);
    expect(plain.y).toEqual(gmMonteCarlo(params, x, { samples: 4, seed: 3, antithetic: false }, G).y);
    expect(plain.y).not.toEqual(gmMonteCarlo(params, x, { samples: 4, seed: 3, antithetic: true }, G).y);
    const valuesOnly = gmMonteCarlo(params, x, { samples: 4, seed: 3, gradients: false }, G);
    expect(valuesOnly.grad).toBeUndefined();
    expect(valuesOnly.gradStderr).toBeUndefined();
    expect(valuesOnly.y).toEqual(plain.y);
  });
});
