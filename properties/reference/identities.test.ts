/**
 * The identities the GM layer's math gives (docs/MATH.md, section 7), checked on
 * the float64 reference over generated cases that include the hard regions. Where an
 * identity is exact in floating point (sign flips of σ, scaling by powers of two, σ = 0)
 * the test demands bitwise equality; elsewhere the tolerance is the rounding bound of
 * reference/error-bound.ts for each side.
 */
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { componentMoments, gmForward } from '../../reference/closed-form.js';
import { gmGradients } from '../../reference/gradients.js';
import { normalPdf } from '../../reference/normal.js';
import type { GMParams, Matrix } from '../../reference/types.js';
import { gmCase, hardCase, ordinaryEntries, real } from '../support/arbitraries.js';
import { expectClose } from '../support/compare.js';
import { reluNetwork } from '../support/relu-network.js';
import { addMatrices, forwardTolerance } from '../support/tolerance.js';

const select = (params: GMParams, ks: number[]): GMParams => ({
  mu: ks.map((k) => params.mu[k]),
  sigma: ks.map((k) => params.sigma[k]),
  U: ks.map((k) => params.U[k]),
  v: ks.map((k) => params.v[k]),
  ...(params.V !== undefined && { V: ks.map((k) => params.V![k]) }),
});

describe('identities of the closed form (float64 reference)', () => {
  test.prop([hardCase(), fc.infiniteStream(fc.boolean())])(
    '1. σ sign invariance: h is unchanged and ∂ℓ/∂σ flips sign entry by entry (exactly)',
    (c, flips) => {
      const sign = c.params.sigma.map((row) => row.map(() => (flips.next().value ? -1 : 1)));
      const flipped = { ...c.params, sigma: c.params.sigma.map((row, k) => row.map((s, i) => s * sign[k][i])) };
      const base = gmGradients(c.params, c.x, c.G);
      const other = gmGradients(flipped, c.x, c.G);
      // Tolerance 0: bitwise equal, except that 0 and −0 count as equal.
      expectClose(other.y, base.y, 0, 'y');
      expectClose(other.grad.mu, base.grad.mu, 0, 'grad.mu');
      expectClose(other.grad.U, base.grad.U, 0, 'grad.U');
      expectClose(other.grad.v, base.grad.v, 0, 'grad.v');
      expectClose(other.grad.x, base.grad.x, 0, 'grad.x');
      expectClose(other.grad.sigma, base.grad.sigma.map((row, k) => row.map((g, i) => g * sign[k][i])), 0, 'grad.sigma');
    },
  );

  test.prop([hardCase()])('2. σ = 0 equals the width-K ReLU network exactly', (c) => {
    const zero = { ...c.params, sigma: c.params.sigma.map((row) => row.map(() => 0)) };
    expectClose(gmForward(zero, c.x), reluNetwork(zero, c.x), 0, 'h');
  });

  test.prop([hardCase(), fc.constantFrom(1e-1, 1e-3, 1e-6, 1e-12)])(
    '2. σ → 0: |h − ReLU network| ≤ 1/K Σ_k (|w_k| s_k φ(0) + |q_k|), the rate docs/MATH.md gives',
    (c, scale) => {
      const small = { ...c.params, sigma: c.params.sigma.map((row) => row.map((s) => s * scale)) };
      const h = gmForward(small, c.x);
      const net = reluNetwork(small, c.x);
      const K = small.mu.length;
      // a − ReLU(m) ∈ [0, sφ(0)] and b ∈ [0, 1], so h − net = 1/K Σ (w (a − ReLU m) + q b).
      const bound = c.x.map((xb) =>
        small.v[0].map((_, l) => {
          let sum = 0;
          for (let k = 0; k < K; k++) {
            const { s } = componentMoments(small.mu[k], small.sigma[k], xb);
            const w = small.U[k][l].reduce((acc, u, i) => acc + u * small.mu[k][i], small.v[k][l]);
            const q = small.U[k][l].reduce((acc, u, i) => acc + u * small.sigma[k][i] ** 2 * xb[i], 0);
            sum += Math.abs(w) * s * normalPdf(0) + Math.abs(q);
          }
          return sum / K;
        }),
      );
      expectClose(h, net, addMatrices(bound, addMatrices(forwardTolerance(small, c.x), forwardTolerance(small, c.x))), 'h');
    },
  );

  test.prop([hardCase({ maxK: 1 }), fc.integer({ min: 2, max: 5 })])(
    '3. K identical components equal one component',
    (c, K) => {
      const repeated = select(c.params, new Array(K).fill(0));
      const tol = addMatrices(forwardTolerance(c.params, c.x), forwardTolerance(repeated, c.x));
      expectClose(gmForward(repeated, c.x), gmForward(c.params, c.x), tol, 'h');
    },
  );

  test.prop([hardCase({ maxK: 4 })])('3. a K-mixture is the average of its K single-component layers', (c) => {
    const K = c.params.mu.length;
    const singles = c.params.mu.map((_, k) => gmForward(select(c.params, [k]), c.x));
    const average = c.x.map((_, b) => c.params.v[0].map((_, l) => singles.reduce((acc, h) => acc + h[b][l], 0) / K));
    // Each single has its own bound; their average is within the average of those.
    const singleTol = c.params.mu.map((_, k) => forwardTolerance(select(c.params, [k]), c.x));
    const avgTol = c.x.map((_, b) => c.params.v[0].map((_, l) => singleTol.reduce((acc, t) => acc + t[b][l], 0) / K));
    expectClose(gmForward(c.params, c.x), average, addMatrices(forwardTolerance(c.params, c.x), avgTol), 'h');
  });

  test.prop([hardCase({ maxK: 5, maxR: 2 }), fc.infiniteStream(fc.nat())])('3. permuting components (and their V) changes nothing', (c, rand) => {
    const order = c.params.mu.map((_, k) => k);
    for (let j = order.length - 1; j > 0; j--) {
      const r = rand.next().value % (j + 1);
      [order[j], order[r]] = [order[r], order[j]];
    }
    const permuted = select(c.params, order);
    const tol = addMatrices(forwardTolerance(c.params, c.x), forwardTolerance(permuted, c.x));
    expectClose(gmForward(permuted, c.x), gmForward(c.params, c.x), tol, 'h');
  });

  test.prop([gmCase({}, ordinaryEntries), fc.integer({ min: -30, max: 30 })])(
    '4. positive homogeneity: h(2^j x) = 2^j h(x) exactly (away from underflow)',
    (c, j) => {
      const scaled = c.x.map((xb) => xb.map((xi) => xi * 2 ** j));
      expectClose(gmForward(c.params, scaled), gmForward(c.params, c.x).map((row) => row.map((h) => h * 2 ** j)), 0, 'h');
    },
  );

  test.prop([fc.oneof(hardCase(), hardCase({ maxR: 2 })), real(1e-3, 1e3)])('4. positive homogeneity: h(c·x) = c·h(x) for any c > 0 (with V too)', (c, scale) => {
    const scaled = c.x.map((xb) => xb.map((xi) => xi * scale));
    const tol = addMatrices(
      forwardTolerance(c.params, scaled),
      forwardTolerance(c.params, c.x).map((row) => row.map((t) => t * scale)),
    );
    expectClose(gmForward(c.params, scaled), gmForward(c.params, c.x).map((row) => row.map((h) => h * scale)), tol, 'h');
  });

  test.prop([hardCase()])('5. the odd part is linear: h(x) − h(−x) = 1/K Σ_k [w_k m_k + U_k(σ_k² ⊙ x)]', (c) => {
    const K = c.params.mu.length;
    const minus = c.x.map((xb) => xb.map((xi) => -xi));
    const hMinus = gmForward(c.params, minus);
    const lhs = gmForward(c.params, c.x).map((row, b) => row.map((h, l) => h - hMinus[b][l]));
    const rhs: Matrix = c.x.map((xb) =>
      c.params.v[0].map((_, l) => {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const m = c.params.mu[k].reduce((acc, mu, i) => acc + mu * xb[i], 0);
          const w = c.params.U[k][l].reduce((acc, u, i) => acc + u * c.params.mu[k][i], c.params.v[k][l]);
          const q = c.params.U[k][l].reduce((acc, u, i) => acc + u * c.params.sigma[k][i] ** 2 * xb[i], 0);
          sum += w * m + q;
        }
        return sum / K;
      }),
    );
    // h(x) and h(−x) each carry their own bound; the right side is a plain sum of the
    // same terms (w_k m_k and q_k appear in both magnitudes), so doubling covers it.
    const tol = addMatrices(forwardTolerance(c.params, c.x), forwardTolerance(c.params, minus)).map((row) =>
      row.map((t) => 2 * t),
    );
    expectClose(lhs, rhs, tol, 'h(x) − h(−x)');
  });
});

describe('6. bounds and monotonicity of a = E[ReLU(z)] and b = P(z > 0)', () => {
  // With d = 1, μ = m, σ = s, x = 1 the moments are m and |s| exactly.
  const moments = (m: number, s: number) => componentMoments([m], [s], [1]);
  const mArb = fc.oneof(real(-50, 50), real(-1, 1), fc.constantFrom(0, -0, 1e-300, -1e-300));
  const sArb = fc.oneof(real(0, 10), fc.constantFrom(0, 1e-300, 1e-20, 5e-324));
  const ulp = (value: number) => 8 * 2 ** -52 * Math.max(Math.abs(value), 2 ** -1022); // twice the 4-ulp accuracy

  test.prop([mArb, sArb])('ReLU(m) ≤ a ≤ ReLU(m) + sφ(0) (Jensen), b ∈ [0, 1]', (m, s) => {
    const { a, b } = moments(m, s);
    expect(a).toBeGreaterThanOrEqual(Math.max(m, 0));
    expect(a).toBeLessThanOrEqual(Math.max(m, 0) + Math.abs(s) * normalPdf(0) + ulp(a));
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThanOrEqual(1);
  });

  it('t = m/s, and at s = 0 its documented limits: ±∞ for m ≠ 0, 0 at m = 0', () => {
    expect(moments(3, 2).t).toBe(1.5);
    expect([moments(2, 0).t, moments(-1e-300, 0).t, moments(0, 0).t]).toEqual([Infinity, -Infinity, 0]);
  });

  test.prop([mArb, mArb, sArb])('a and b are nondecreasing in m (up to their rounding)', (m1, m2, s) => {
    const [lo, hi] = m1 <= m2 ? [m1, m2] : [m2, m1];
    const A = moments(lo, s);
    const Bm = moments(hi, s);
    expect(A.a).toBeLessThanOrEqual(Bm.a + ulp(Bm.a));
    expect(A.b).toBeLessThanOrEqual(Bm.b + ulp(Bm.b));
  });
});

describe('no NaN or ±∞ for finite inputs', () => {
  test.prop([hardCase({ maxK: 4, maxD: 8 })])('outputs and every gradient are finite on the hard regions', (c) => {
    const { y, grad } = gmGradients(c.params, c.x, c.G);
    for (const value of [y, grad.mu, grad.sigma, grad.U, grad.v, grad.x].flat(3)) {
      expect(Number.isFinite(value)).toBe(true);
    }
  });
});
