/**
 * The low-rank plus diagonal covariance Σ_k = diag(σ_k²) + V_kᵀV_k of the reference
 * (reference/closed-form.ts, reference/gradients.ts): what must not change h, each from
 * an independent argument about the distribution N(μ_k, Σ_k) that only Σ_k matters:
 *   - no V, V of rank 0 and V = 0 are the diagonal layer, exactly;
 *   - V_k → Q V_k for an orthogonal Q (r×r) keeps V_kᵀV_k, so h (within the float64 bound);
 *   - flipping the sign of a row of V_k keeps h exactly, and flips that row's gradient;
 *   - a coordinate's variance may move between σ_ki² and a row c·e_i of V_k;
 *   - s = 0 through V_k x = 0 (and σ_k ⊙ x = 0) gives the limits, with finite gradients.
 * Finite differences (gradients.test.ts), Monte Carlo (monte-carlo.test.ts) and the
 * homogeneity and permutation identities (identities.test.ts) cover V as well.
 */
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { gmForward } from '../../reference/closed-form.js';
import { gmGradients } from '../../reference/gradients.js';
import type { GMParams, Matrix } from '../../reference/types.js';
import { gmCase, hardCase, real, type GeneratedCase } from '../support/arbitraries.js';
import { expectClose } from '../support/compare.js';
import { addMatrices, forwardTolerance } from '../support/tolerance.js';

const withV = (c: GeneratedCase, V: Matrix[]): GeneratedCase => ({ ...c, params: { ...c.params, V } });
const lowRank = hardCase({ maxK: 3, maxD: 5, maxR: 3 });

/** A random r×r orthogonal matrix: the product of Givens rotations by the given angles. */
function orthogonal(r: number, angles: number[]): Matrix {
  let Q: Matrix = Array.from({ length: r }, (_, i) => Array.from({ length: r }, (_, j) => (i === j ? 1 : 0)));
  let n = 0;
  for (let i = 0; i < r; i++) {
    for (let j = i + 1; j < r; j++) {
      const [c, s] = [Math.cos(angles[n % angles.length]), Math.sin(angles[n % angles.length])];
      n += 1;
      Q = Q.map((row) => row.map((value, col) => (col === i ? c * row[i] - s * row[j] : col === j ? s * row[i] + c * row[j] : value)));
    }
  }
  return Q;
}

const times = (Q: Matrix, V: Matrix): Matrix => Q.map((row) => V[0].map((_, i) => row.reduce((acc, q, j) => acc + q * V[j][i], 0)));

describe('low-rank plus diagonal covariance (float64 reference)', () => {
  test.prop([hardCase(), fc.integer({ min: 1, max: 3 })])('no V, V of rank 0 and V = 0 give the diagonal layer exactly', (c, r) => {
    const d = c.params.mu[0].length;
    const diagonal = gmGradients(c.params, c.x, c.G);
    const rank0 = gmGradients(withV(c, c.params.mu.map(() => [])).params, c.x, c.G);
    const zero = gmGradients(withV(c, c.params.mu.map(() => Array.from({ length: r }, () => new Array<number>(d).fill(0)))).params, c.x, c.G);
    for (const other of [rank0, zero]) {
      expectClose(other.y, diagonal.y, 0, 'y');
      for (const key of ['mu', 'sigma', 'U', 'v', 'x'] as const) expectClose(other.grad[key], diagonal.grad[key], 0, `grad.${key}`);
    }
    expect(rank0.grad.V).toEqual(c.params.mu.map(() => []));
    expect(zero.grad.V!.flat(2).every(Number.isFinite)).toBe(true);
  });

  test.prop([lowRank, fc.array(real(-Math.PI, Math.PI), { minLength: 3, maxLength: 3 })])('h is invariant under V_k → Q V_k for orthogonal Q', (c, angles) => {
    const V = c.params.V!;
    const rotated = withV(c, V.map((Vk) => (Vk.length === 0 ? Vk : times(orthogonal(Vk.length, angles), Vk))));
    // Q changes the roundings of V x and Vᵀ(Vx) only: both layers within their float64 bounds.
    const tolerance = addMatrices(forwardTolerance(c.params, c.x), forwardTolerance(rotated.params, c.x));
    expectClose(gmForward(rotated.params, c.x), gmForward(c.params, c.x), tolerance, 'h');
  });

  test.prop([lowRank, fc.infiniteStream(fc.boolean())])('flipping rows of V keeps h exactly and flips their gradients', (c, flips) => {
    const signs = c.params.V!.map((Vk) => Vk.map(() => (flips.next().value ? -1 : 1)));
    const flipped = withV(c, c.params.V!.map((Vk, k) => Vk.map((row, j) => row.map((value) => signs[k][j] * value))));
    const [base, other] = [gmGradients(c.params, c.x, c.G), gmGradients(flipped.params, c.x, c.G)];
    expectClose(other.y, base.y, 0, 'y');
    expectClose(other.grad.mu, base.grad.mu, 0, 'grad.mu');
    expectClose(other.grad.V!, base.grad.V!.map((Vk, k) => Vk.map((row, j) => row.map((g) => signs[k][j] * g))), 0, 'grad.V');
  });

  test.prop([gmCase({ maxK: 2, maxD: 4 }), fc.nat(), real(0, 1)])('a coordinate’s variance may move between σ² and a row of V', (c, pick, share) => {
    const d = c.params.mu[0].length;
    const i = pick % d;
    // σ_ki² = (1 − share)·σ_ki² + share·σ_ki², the second part as the row √share·|σ_ki|·e_i of V_k.
    const moved: GMParams = {
      ...c.params,
      sigma: c.params.sigma.map((row) => row.map((s, j) => (j === i ? Math.sqrt(1 - share) * s : s))),
      V: c.params.sigma.map((row) => [row.map((s, j) => (j === i ? Math.sqrt(share) * Math.abs(s) : 0))]),
    };
    // The square roots and their squares round: the moved layer's σ² and VᵀV differ from σ² by a few ulps.
    const tolerance = addMatrices(forwardTolerance(c.params, c.x), forwardTolerance(moved, c.x)).map((row) => row.map((t) => 4 * t));
    expectClose(gmForward(moved, c.x), gmForward(c.params, c.x), tolerance, 'h');
  });

  test.prop([gmCase({ maxK: 2, maxD: 4, maxR: 2 })])('s = 0 through V x = 0 and σ ⊙ x = 0: a = ReLU(m), b = H(m), finite gradients', (c) => {
    // x supported on coordinate 0 only; σ_k and V_k zero there.
    const x = c.x.map((xb) => xb.map((value, i) => (i === 0 ? value : 0)));
    const params: GMParams = {
      ...c.params,
      sigma: c.params.sigma.map((row) => row.map((s, i) => (i === 0 ? 0 : s))),
      V: c.params.V!.map((Vk) => Vk.map((row) => row.map((v, i) => (i === 0 ? 0 : v)))),
    };
    const { y, grad } = gmGradients(params, x, c.G);
    const relu = gmGradients({ ...params, sigma: params.sigma.map((row) => row.map(() => 0)), V: undefined }, x, c.G);
    expectClose(y, relu.y, 0, 'y'); // the width-K ReLU network: Σ_k x = 0, so q_k = 0 too
    for (const value of [...grad.mu.flat(), ...grad.sigma.flat(), ...grad.x.flat(), ...grad.V!.flat(2)]) expect(Number.isFinite(value)).toBe(true);
  });
});
