/**
 * reference/error-bound.ts: the bound (†) holds where its derivation says it must (for
 * the rounding of the inputs themselves, on cases built to be hard for it: tails to
 * |t| = 45, s at or near 0, rows scaled far from 1) and its pieces are what they claim:
 * the interval holds every t̂ the rounded m̂, ŝ allow, and the suprema are suprema.
 */
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { forwardMagnitude, gradientMagnitude, intervalSuprema, operationCount, roundingFactor, tInterval, underflowFloor } from '../../reference/error-bound.js';
import { gmGradients } from '../../reference/gradients.js';
import { normalCdf, normalPdf, tailExponent } from '../../reference/normal.js';
import type { GMGradients, GMParams, Matrix } from '../../reference/types.js';
import { gmCase, hardCase, moderateEntries, uniform } from '../support/arbitraries.js';
import { expectClose, mapNested, type Nested } from '../support/compare.js';
import { FLOAT32_UNIT_ROUNDOFF, FLOAT64_UNIT_ROUNDOFF, forwardTolerance, gradientTolerance } from '../support/tolerance.js';

const parts = (g: GMGradients) => ({ mu: g.mu, sigma: g.sigma, U: g.U, v: g.v, x: g.x, ...(g.V !== undefined && { V: g.V }) });

/** Asserts that the reference on `moved` inputs stays within the bound of `unitRoundoff` around the reference on the exact ones. */
function expectWithinBound(params: GMParams, x: Matrix, G: Matrix, moved: { params: GMParams; x: Matrix; G: Matrix }, unitRoundoff: number): void {
  const exact = gmGradients(params, x, G);
  const got = gmGradients(moved.params, moved.x, moved.G);
  expectClose(got.y, exact.y, forwardTolerance(params, x, unitRoundoff), 'y');
  const tolerance = parts(gradientTolerance(params, x, G, unitRoundoff));
  for (const [name, value] of Object.entries(parts(got.grad))) expectClose(value, parts(exact.grad)[name as keyof typeof tolerance]!, tolerance[name as keyof typeof tolerance]!, name);
}

const mapParams = (p: GMParams, f: (z: number) => number): GMParams => ({
  mu: mapNested(p.mu, f),
  sigma: mapNested(p.sigma, f),
  U: mapNested(p.U, f),
  v: mapNested(p.v, f),
  ...(p.V !== undefined && { V: mapNested(p.V, f) }),
});

describe('the bound covers the rounding of the inputs', () => {
  /**
   * Entries below float32's normal range set to 0, so that rounding is relative (at most
   * u). Below it a flush to 0 can move s to exactly 0, across the kink of a at m = 0
   * (a = s·φ(0) there), where no rounding bound holds for the gradients.
   */
  const normal32 = (z: number) => (Math.abs(z) < 2 ** -126 ? 0 : z);
  const inFloat32 = (c: { params: GMParams; x: Matrix; G: Matrix }) => ({ params: mapParams(c.params, normal32), x: mapNested(c.x, normal32), G: mapNested(c.G, normal32) });
  // hardCase aims t at up to 37 on row 0 and mixes exact zeros, 1e−8 and ordinary values.
  test.prop([fc.oneof(hardCase(), hardCase({ maxR: 2 })).map(inFloat32)])('to float32: the reference moves by less than the float32 bound', (c) => {
    expectWithinBound(c.params, c.x, c.G, { params: mapParams(c.params, Math.fround), x: mapNested(c.x, Math.fround), G: mapNested(c.G, Math.fround) }, FLOAT32_UNIT_ROUNDOFF);
  });

  it('where t is ill conditioned: rounding x to float32 moves t from −20 to 0, and the bound still holds', () => {
    // μ = (1, −1), x = (f, f + δ) with f a float32 near 1e36 and δ just under half its
    // spacing, so m = −δ rounds to m̂ = 0; σ makes s = δ/20, t = −20. a jumps from
    // s·g(−20) ≈ 0 to s·φ(0): a first-order bound, Φ(t)·E(m) + φ(t)·E(s), allows ≈ 0 here.
    const f = Math.fround(1e36);
    const spacing = 2 ** (Math.floor(Math.log2(f)) - 23); // float32 numbers near f are this far apart
    const delta = 0.49 * spacing;
    const s = delta / 20;
    const params: GMParams = { mu: [[1, -1]], sigma: [[s / f, 0]], U: [[[1, 1]]], v: [[0]] };
    const x = [[f, f + delta]];
    const G = [[1]];
    expect(Math.fround(x[0][1])).toBe(f);
    expect(gmGradients(params, x, G).y[0][0]).toBeLessThan(1e-60);
    expectWithinBound(params, x, G, { params: mapParams(params, Math.fround), x: mapNested(x, Math.fround), G }, FLOAT32_UNIT_ROUNDOFF);
  });

  it('where V_k x cancels: rounding x to float32 moves s from 0 to 2^−22, and the bound still holds', () => {
    // x = (α, β, α + β), α = 1 + 5·2^−26 and β = 1 + 2^−25 (their sum 2 + 7·2^−26, all exact in float64), V = 2·(1, 1, −1):
    // p = V x = 0, so s = 0. Float32 (spacing 2^−23 above 1, 2^−22 above 2) rounds α up to 1 + 2^−23, β and α + β down to 1
    // and 2: p̂ = ŝ = 2^−22. With μ = 0 (t̂ = 0) and
    // w = 0 (c = 0) the exact ∂ℓ/∂m is 0 and the moved one ê·φ(0)/ŝ = 6φ(0) (ê/ŝ = ⟨G, U Vᵀ⟩ = 6): only the bound's range
    // of |ê/ŝ|, 2·Σ_l |G_l| Σ_i |U_li|(|σ_i| + Σ_j |V_ji|) = 12, covers it, in ∂ℓ/∂μ, ∂ℓ/∂x and ∂ℓ/∂V.
    const [alpha, beta] = [1 + 5 * 2 ** -26, 1 + 2 ** -25];
    const params: GMParams = { mu: [[0, 0, 0]], sigma: [[0, 0, 0]], U: [[[1, 1, -1]]], v: [[0]], V: [[[2, 2, -2]]] };
    const x = [[alpha, beta, alpha + beta]];
    const G = [[1]];
    expect(mapNested(x, Math.fround)).toEqual([[1 + 2 ** -23, 1, 2]]);
    expectWithinBound(params, x, G, { params, x: mapNested(x, Math.fround), G }, FLOAT32_UNIT_ROUNDOFF);
  });

  it('where V_k x cancels to γE(s) ≈ 1.16·s (between s/2 and 2s), the bound still holds: ŝ may be near 0, so first-order terms do not', () => {
    // σ = 0, x ≈ (1, 1), V = (1, −(1 − 2^−16)): s = |p| ≈ 2^−16 and E(s) = s + P with P ≈ 2, so γE(s)/s ≈ γ·2^17 ≈ 1.16
    // with γ = 4·37·2^−24 (d + K + 32 + L + B = 37). There 1 − γE(s)/s < 0: the first-order factor 1/(1 − γE(s)/s) of 1/ŝ
    // would be negative, and the terms divided by ŝ must be bounded by their ranges. μ = (2^−17, 2^−17) puts t near 1,
    // where φ(t)/ŝ matters, and x_1 = 1 + 2^−26, which float32 rounds to 1, moves s by 2^−10 of itself.
    const params: GMParams = { mu: [[2 ** -17, 2 ** -17]], sigma: [[0, 0]], U: [[[0.9, -0.4]]], v: [[0.2]], V: [[[1, -(1 - 2 ** -16)]]] };
    const x = [[1, 1 + 2 ** -26]];
    const G = [[1.1]];
    expectWithinBound(params, x, G, { params: mapParams(params, Math.fround), x: mapNested(x, Math.fround), G: mapNested(G, Math.fround) }, FLOAT32_UNIT_ROUNDOFF);
  });

  /**
   * One component per target t ∈ ±[37, 45] on a single row scaled by 10^e, e ∈ [0, 250]:
   * Φ(t), φ(t) and g(−|t|) are subnormal or 0 in float64 while their products are not.
   */
  const deepTail = fc
    .record({
      K: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 4 }),
      L: fc.integer({ min: 1, max: 2 }),
      e: fc.integer({ min: 0, max: 250 }),
    })
    .chain(({ K, d, L, e }) => {
      const entry = uniform(0.1, 3).chain((value) => fc.constantFrom(value, -value));
      const matrix = (rows: number, cols: number) => fc.array(fc.array(entry, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });
      return fc.record({
        mu: matrix(K, d),
        sigma: matrix(K, d),
        U: fc.array(matrix(L, d), { minLength: K, maxLength: K }),
        v: matrix(K, L),
        x: matrix(1, d),
        G: matrix(1, L),
        targets: fc.array(uniform(37, 45).chain((t) => fc.constantFrom(t, -t)), { minLength: K, maxLength: K }),
        scale: fc.constant(10 ** e),
      });
    })
    .map(({ mu, sigma, U, v, x, G, targets, scale }) => {
      const row = x[0].map((xi) => xi * scale);
      // σ_k ← σ_k·|m|/(s·|t|), μ_k's sign flipped to t's: t = m/s hits its target.
      const sized = sigma.map((sk, k) => {
        const m = mu[k].reduce((acc, value, i) => acc + value * row[i], 0);
        const s = Math.hypot(...sk.map((value, i) => value * row[i]));
        return sk.map((value) => (value * Math.abs(m)) / (s * Math.abs(targets[k])));
      });
      const signed = mu.map((mk, k) => (Math.sign(mk.reduce((acc, value, i) => acc + value * row[i], 0)) === Math.sign(targets[k]) ? mk : mk.map((value) => -value)));
      return { params: { mu: signed, sigma: sized, U, v }, x: [row], G };
    });

  /** Each entry moved by one float64 ulp up or down, as a port's own input rounding may. */
  const ulpStep = (z: number, up: boolean) => (z === 0 ? 0 : z + (up ? 1 : -1) * Math.abs(z) * FLOAT64_UNIT_ROUNDOFF * 2);

  const expectUlpWithinBound = (c: { params: GMParams; x: Matrix; G: Matrix }, up: boolean) => {
    const step = (z: number) => ulpStep(z, up);
    expectWithinBound(c.params, c.x, c.G, { params: mapParams(c.params, step), x: mapNested(c.x, step), G: mapNested(c.G, step) }, FLOAT64_UNIT_ROUNDOFF);
  };

  test.prop([deepTail, fc.boolean()])('in the deep tail at float64: one ulp on every input stays within the float64 bound', (c, up) => expectUlpWithinBound(c, up));

  // With U = 0 nothing of b ≈ 1 reaches ∂ℓ/∂σ: in the right tail it is c·φ(t)·σx²/(sK)
  // alone, φ-sized, and only the tail part at scale 2^k carries it (φ(t) is 0 in float64
  // beyond t ≈ 38.6; rows up to 10^250 make the product a normal number).
  test.prop([deepTail.map((c) => ({ ...c, params: { ...c.params, U: mapNested(c.params.U, () => 0) } })), fc.boolean()])(
    'in the deep tail with U = 0 (∂ℓ/∂σ φ-sized alone): one ulp on every input stays within the float64 bound',
    (c, up) => expectUlpWithinBound(c, up),
  );
});

describe('the pieces of the bound', () => {
  it('counts the chain of roundings as documented: n = d + K + 32, plus L + B for gradients; the factor is 4·n·u', () => {
    const dims = { K: 3, d: 7, L: 2 };
    expect(operationCount(dims, 5, 'forward')).toBe(7 + 3 + 32);
    expect(operationCount(dims, 5, 'gradient')).toBe(7 + 3 + 32 + 2 + 5);
    expect(roundingFactor(dims, 5, 2 ** -24, 'gradient')).toBe(4 * 49 * 2 ** -24);
  });

  const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  test.prop([finite, fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 1e-16, max: 1e-2, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })])(
    'tInterval holds every t̂ = m̂/ŝ the rounded m̂, ŝ allow (ŝ = 0 as the s = 0 limits)',
    (m, s, emExtra, esExtra, gamma, dm, ds) => {
      const Em = Math.abs(m) * (1 + emExtra);
      const Es = s * (1 + esExtra) + esExtra;
      const { lo, hi } = tInterval(m, s, Em, Es, gamma);
      const mHat = m + dm * gamma * Em;
      const sHat = Math.max(0, s + ds * gamma * Es);
      const tHat = sHat > 0 ? mHat / sHat : mHat > 0 ? Infinity : mHat < 0 ? -Infinity : 0;
      expect(lo).toBeLessThanOrEqual(tHat);
      expect(tHat).toBeLessThanOrEqual(hi);
    },
  );

  // m'/s' is monotone in each of m' and s' on the box [m ± γE(m)] × [max(s − γE(s), 0), s + γE(s)],
  // so its extremes are at the corners (s' = 0 read as the s = 0 branch: ±∞ on m'’s side, 0 at m' = 0);
  // tInterval reaches them by cases instead, then widens each finite end by γ relative.
  test.prop([finite, fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 1e-16, max: 1e-2, noNaN: true })])(
    'tInterval is the extreme t̂ over the corners of the box of m̂, ŝ, widened by γ',
    (m, s, Em, Es, gamma) => {
      const ratio = (mm: number, ss: number) => (ss > 0 ? mm / ss : mm > 0 ? Infinity : mm < 0 ? -Infinity : 0);
      const corners = [m - gamma * Em, m + gamma * Em].flatMap((mm) => [Math.max(s - gamma * Es, 0), s + gamma * Es].map((ss) => ratio(mm, ss)));
      const widen = (end: number, side: number) => (Number.isFinite(end) ? end + side * gamma * Math.abs(end) : end);
      expect(tInterval(m, s, Em, Es, gamma)).toEqual({ lo: widen(Math.min(...corners), -1), hi: widen(Math.max(...corners), 1) });
    },
  );
  it('the floor F is 10⁸ times the smallest normal number of each format, and other formats are refused', () => {
    const smallestNormal32 = new Float32Array(new Uint32Array([0x00800000]).buffer)[0]; // exponent field 1, mantissa 0
    const smallestNormal64 = new Float64Array(new BigUint64Array([0x0010000000000000n]).buffer)[0];
    expect(underflowFloor(FLOAT32_UNIT_ROUNDOFF)).toBe(1e8 * smallestNormal32);
    expect(underflowFloor(FLOAT64_UNIT_ROUNDOFF)).toBe(1e8 * smallestNormal64);
    expect(() => underflowFloor(2 ** -11)).toThrow(/underflowFloor: expected the unit roundoff of float64 \(2\^-53\) or float32 \(2\^-24\), got 0\.00048828125/);
  });
  it('tInterval at m = s = 0 with no error is the single point 0 (the s = 0 branch’s t̂ at m̂ = 0)', () => {
    expect(tInterval(0, 0, 0, 0, 1e-6)).toEqual({ lo: 0, hi: 0 });
  });

  const end = fc.oneof({ weight: 8, arbitrary: fc.double({ min: -50, max: 50, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(-Infinity, Infinity) });
  test.prop([end, end])('intervalSuprema are not exceeded anywhere on the interval (200 points and the peaks), and are attained there', (p, q) => {
    const [lo, hi] = p <= q ? [p, q] : [q, p];
    const sup = intervalSuprema(lo, hi);
    const [a, b] = [Math.max(lo, -60), Math.min(hi, 60)];
    const points = [lo, hi, ...Array.from({ length: 201 }, (_, j) => a + ((b - a) * j) / 200), ...[0, 1, -1, Math.sqrt(3), -Math.sqrt(3)].filter((t) => lo <= t && t <= hi)];
    const slack = 1 + 1e-12; // both sides are rounded
    for (const t of points.filter(Number.isFinite)) {
      expect(normalCdf(t)).toBeLessThanOrEqual(sup.Phi * slack);
      expect(normalPdf(t)).toBeLessThanOrEqual(sup.pdf * slack);
      expect(Math.abs(t) * normalPdf(t)).toBeLessThanOrEqual(sup.tPdf * slack);
      expect(Math.abs(1 - t * t) * normalPdf(t)).toBeLessThanOrEqual(sup.curvature * slack);
    }
    // and attained: each supremum is at an end or a peak, all among the points (Φ(±∞) as Φ(±60)).
    const finitePoints = points.filter(Number.isFinite);
    if (finitePoints.length === 0) return;
    const most = (f: (t: number) => number) => Math.max(...finitePoints.map(f)) * slack;
    expect(sup.Phi).toBeLessThanOrEqual(most(normalCdf));
    expect(sup.pdf).toBeLessThanOrEqual(most(normalPdf));
    expect(sup.tPdf).toBeLessThanOrEqual(most((t) => Math.abs(t) * normalPdf(t)));
    expect(sup.curvature).toBeLessThanOrEqual(most((t) => Math.abs(1 - t * t) * normalPdf(t)));
  });
});

describe('the switch to scaled tails', () => {
  // Where the interval's end nearest 0 passes |t| = 37, componentErrors stops using the
  // values as they are and takes the tail parts at scale 2^k: the same values and the same
  // suprema (at that end, where φ, uφ(u) and |1 − u²|φ(u) all decrease), by another route
  // (scaledUpperTail instead of normalCdf, normalPdf and closed-form.ts's moments). So the
  // magnitudes have no jump there. With γ = 1e−8 no cap binds (|t̂ − t| ≈ 3·37·γ keeps
  // sup φ·|t̂ − t| far below Q(37) ≈ φ(37)/37, the tail's cap on E(b); float32's γ would
  // bind it, a jump by design). Either side of the switch, 1e−13 apart in μ: the values
  // move by |t|·1e−13 relative, and |t̂ − t|, a difference of two doubles near 37, carries
  // up to 2 ulp(37)/(3·37·γ) ≈ 1.3e−8 relative; 1e−6 leaves a margin of 75.
  const gamma = 1e-8;
  const x = [[1, 0.8]];
  const G = [[1.3, -0.6]];
  const s = Math.hypot(1, 0.4); // σ = (1, −0.5) meets x
  const params = (mu0: number): GMParams => ({ mu: [[mu0, 0.3]], sigma: [[1, -0.5]], U: [[[0.7, -1.2], [0.2, 0.9]]], v: [[0.4, -0.1]] });
  /** Whether the tail parts serve μ_00 = mu0: the interval's end nearest 0 beyond 37, as componentErrors finds it (E(m) = Σ|μx|, E(s) = s). */
  const scaled = (mu0: number) => {
    const { lo, hi } = tInterval(mu0 + 0.24, s, Math.abs(mu0) + 0.24, s, gamma);
    return tailExponent(lo > 0 ? lo : hi < 0 ? -hi : 0) > 0;
  };
  const magnitudes = (mu0: number) => ({ y: forwardMagnitude(params(mu0), x, gamma), grad: parts(gradientMagnitude(params(mu0), x, G, gamma)) });
  it.each([
    ['left', -1],
    ['right', 1],
  ])('no jump in the magnitudes where the %s tail begins', (_side, sign) => {
    let [inside, beyond] = [sign * 36 * s, sign * 38 * s];
    while (Math.abs(beyond - inside) > 1e-13) {
      const mid = (inside + beyond) / 2;
      if (scaled(mid)) beyond = mid;
      else inside = mid;
    }
    expect([scaled(inside), scaled(beyond)]).toEqual([false, true]);
    const [before, after] = [magnitudes(inside), magnitudes(beyond)];
    expectClose(after.y, before.y, mapNested(before.y, (z) => 1e-6 * z), 'y');
    for (const [name, value] of Object.entries(after.grad)) expectClose(value, before.grad[name as keyof typeof before.grad]!, mapNested(before.grad[name as keyof typeof before.grad]!, (z) => 1e-6 * z), name);
  });
});

describe('the magnitudes scale as the layer does', () => {
  // M is built from the layer's own quantities, so it inherits the layer's exact
  // symmetries: h is homogeneous of degree 1 in x (m, s, a, Σx, q are; t, b, φ are of
  // degree 0), its parameter gradients of degree 1 and ∂ℓ/∂x of degree 0; every gradient
  // is linear in G; and h = 1/K Σ_k (…) is unchanged when each component is repeated, each
  // copy then taking half its gradient. Scaling by a power of two commutes with every
  // rounding, so these hold to the last bit, but for terms that fall below float64's
  // normal range (2^−1022) at one of the two scales: the reference lets no later factor
  // enlarge such a term (it forms the ratios to s first, docs/MATH.md section 8), so it
  // moves an entry by far less than the floor F of (†), or tips its last rounding. Hence
  // 2 ulps and F.
  const gamma = roundingFactor({ K: 6, d: 5, L: 3 }, 3, FLOAT32_UNIT_ROUNDOFF, 'gradient');
  const F = underflowFloor(FLOAT64_UNIT_ROUNDOFF);
  const expectSame = (actual: Nested, expected: Nested, label: string) => expectClose(actual, expected, mapNested(expected, (z) => 2 ** -51 * Math.abs(z) + F), label);
  const magnitudes = (params: GMParams, x: Matrix, G: Matrix) => ({ y: forwardMagnitude(params, x, gamma), ...parts(gradientMagnitude(params, x, G, gamma)) });
  type Magnitudes = ReturnType<typeof magnitudes>;
  const each = (m: Magnitudes, f: (name: keyof Magnitudes, value: Nested) => Nested): Magnitudes =>
    Object.fromEntries(Object.entries(m).map(([name, value]) => [name, f(name as keyof Magnitudes, value as Nested)])) as Magnitudes;
  const expectAllSame = (actual: Magnitudes, expected: Magnitudes) => Object.keys(expected).forEach((name) => expectSame(actual[name as keyof Magnitudes] as Nested, expected[name as keyof Magnitudes] as Nested, name));

  /** x → 2^j x: M of h and of every parameter gradient times 2^j, of ∂ℓ/∂x unchanged. */
  const expectHomogeneousInX = (c: { params: GMParams; x: Matrix; G: Matrix }, j: number) => {
    const expected = each(magnitudes(c.params, c.x, c.G), (name, value) => (name === 'x' ? value : mapNested(value, (z) => z * 2 ** j)));
    expectAllSame(magnitudes(c.params, mapNested(c.x, (z) => z * 2 ** j), c.G), expected);
  };
  // Entries of at least 1e−6 (moderateEntries) and |t| aimed up to 37: the terms below the
  // normal range are the tails' φ-sized ones.
  const cases = gmCase({ maxK: 3, maxD: 5, maxL: 3, maxB: 3, maxR: 2 }, moderateEntries, true);

  test.prop([cases, fc.integer({ min: -200, max: 200 }), fc.integer({ min: -200, max: 200 })])('x → 2^j·x scales M of h and of the parameter gradients by 2^j, and G → 2^i·G every gradient’s by 2^i', (c, j, i) => {
    expectHomogeneousInX(c, j);
    const expected = each(magnitudes(c.params, c.x, c.G), (name, value) => (name === 'y' ? value : mapNested(value, (z) => z * 2 ** i)));
    expectAllSame(magnitudes(c.params, c.x, mapNested(c.G, (z) => z * 2 ** i)), expected);
  });

  it('x → 2^−490·x in the right tail (t = 37.5, s ≈ 1e−147): the tail part’s φ-sized terms keep the degree of the rest', () => {
    // At s ≈ 1e−147 a term of degree −1 in x, such as φ(37)/s, would be 1e−5 of the
    // first part's E(m) + a ≈ 75·s; at s = 1, 1e−300 of it.
    const params: GMParams = { mu: [[37.5, 0]], sigma: [[1, 0.25]], U: [[[0.5, -1]]], v: [[0.25]] };
    expectHomogeneousInX({ params, x: [[1, 0]], G: [[1]] }, -490);
  });

  /** Each component twice, in place: the same layer. */
  const repeated = (p: GMParams): GMParams => {
    const twice = <T,>(rows: T[]) => rows.flatMap((row) => [row, row]);
    return { mu: twice(p.mu), sigma: twice(p.sigma), U: twice(p.U), v: twice(p.v), ...(p.V !== undefined && { V: twice(p.V) }) };
  };
  /** The two ill-conditioned s cases of 'the bound covers the rounding of the inputs' (γE(s) ≥ s/2: the ranges' branch). */
  const cancellingS = [
    { params: { mu: [[0, 0, 0]], sigma: [[0, 0, 0]], U: [[[1, 1, -1]]], v: [[0]], V: [[[2, 2, -2]]] }, x: [[1 + 5 * 2 ** -26, 1 + 2 ** -25, 2 + 7 * 2 ** -26]], G: [[1]] },
    { params: { mu: [[2 ** -17, 2 ** -17]], sigma: [[0, 0]], U: [[[0.9, -0.4]]], v: [[0.2]], V: [[[1, -(1 - 2 ** -16)]]] }, x: [[1, 1 + 2 ** -26]], G: [[1.1]] },
  ];

  // M of h and of ∂ℓ/∂x sum over the components: at most K·2·(1 + r) = 18 nonnegative terms
  // (two parts in a tail, one more per row of V), 36 when repeated, in another order, so
  // the two sums differ by at most (17 + 35)u relative; 2^−46 = 128u.
  test.prop([cases], { examples: cancellingS.map((c) => [c]) })('each component repeated: M of h and of ∂ℓ/∂x unchanged, each copy’s parameter M halved', (c) => {
    const once = magnitudes(c.params, c.x, c.G);
    const expected = each(once, (name, value) => (name === 'y' || name === 'x' ? value : (value as Nested[]).flatMap((row) => [row, row].map((copy) => mapNested(copy, (z) => z / 2)))));
    const got = magnitudes(repeated(c.params), c.x, c.G);
    for (const name of Object.keys(expected) as (keyof Magnitudes)[]) {
      expectClose(got[name] as Nested, expected[name] as Nested, mapNested(expected[name] as Nested, (z) => 2 ** -46 * Math.abs(z) + F), name);
    }
  });
});

describe('where ∂ℓ/∂σ_0 is the tφ(t) term alone', () => {
  // d = 4. μ = (0, 0, 1, 1) and x = (1, 1, 1, x_3) make m = 1 + x_3 cancel (E(m) = 1 + |x_3|),
  // which widens the interval I of t̂; U = [[0, U_01, 0, 0]] and v = 0 make w = 0 (c = 0) and
  // keep U off σ_0; σ = (3, 4, 0, 0)·2^j makes s = 5·2^j exactly. Then
  //   ∂ℓ/∂σ_0 = ∂ℓ/∂s · σ_0 x_0²/s = −(e/s)·tφ(t)·(σ_0 x_0²/s)/K,  e = G·U_01·σ_1² x_1,
  // so γ·E(∂ℓ/∂σ_0) = γ·M must cover what S·tφ sweeps over I (S = (e/s)(σ_0 x_0²/s)/K), and
  // need not exceed the cap of two values in [−sup_I |t|φ, sup_I |t|φ], 2·S·sup_I |t|φ, but
  // for first-order terms in γ: 1/ŝ's growth (γ·rel ≤ 2γ), σ_0x_0/ŝ's (3γ) and the rounding
  // of E(e) and |t̂|φ(t̂) (3γ/2), less than 8γ; 16γ leaves a margin of 2. Both cases are
  // wide enough for the cap to bind, and I reaches sup_I |t|φ's point while t's value is
  // near 0 beside it: the sweep is half the cap, so the two checks hold M within a factor 2.
  const gamma = 2 ** -10;
  const U01 = 0.75;
  /** S·tφ(t) through logarithms: S and φ(t) may be far outside float64's range. */
  const scaledTPdf = (S: number, t: number) => (t === 0 ? 0 : Math.sign(t) * Math.exp(Math.log(S) + Math.log(Math.abs(t)) - (t * t) / 2 - 0.5 * Math.log(2 * Math.PI)));

  it.each([
    ['t = 0, I ≈ [−3.2, 3.2] (|t|φ peaks inside; the ordinary part)', -13, -1, 1],
    ['t = −40, I ≈ [−40.5, −39.5] (the tail parts at scale 2^k; G = 1e300 keeps M normal)', -10, -1 - 200 * 2 ** -10, 1e300],
  ])('γM lies between what tφ sweeps over I and the cap 2·sup_I |t|φ: %s', (_name, j, x3, g) => {
    const [sigma0, sigma1, s] = [3 * 2 ** j, 4 * 2 ** j, 5 * 2 ** j];
    const params: GMParams = { mu: [[0, 0, 1, 1]], sigma: [[sigma0, sigma1, 0, 0]], U: [[[0, U01, 0, 0]]], v: [[0]] };
    const m = 1 + x3;
    const { lo, hi } = tInterval(m, s, 1 + Math.abs(x3), s, gamma);
    const S = ((g * U01 * sigma1 * sigma1) / s) * (sigma0 / s);
    const points = [...Array.from({ length: 2001 }, (_, i) => lo + ((hi - lo) * i) / 2000), ...[-1, 1].filter((p) => lo < p && p < hi)];
    const sweep = Math.max(...points.map((p) => Math.abs(scaledTPdf(S, p) - scaledTPdf(S, m / s))));
    const cap = 2 * Math.max(...points.map((p) => Math.abs(scaledTPdf(S, p))));
    const bound = gamma * gradientMagnitude(params, [[1, 1, 1, x3]], [[g]], gamma).sigma[0][0];
    expect(sweep).toBeGreaterThan(0.49 * cap);
    expect(bound).toBeGreaterThanOrEqual(sweep);
    expect(bound).toBeLessThanOrEqual(cap * (1 + 16 * gamma));
  });
});

describe('where ŝ may be far from s (γE(s) ≥ s/2: the ranges’ branch)', () => {
  it('∂ℓ/∂μ_0 = cΦ(t)x_0/K alone (U = 0): γM lies between what cΦ sweeps over I and twice the range [0, c] both values lie in', () => {
    // σ = 0, V = [[1, −(1 − δ)]], x = (1, 1): p = δ = s exactly, while E(s) = s + ‖P‖ = 2 with
    // P = 2 − δ; δ = 3γ puts γE(s) = 2γ between s/2 and s, so ŝ ∈ [s/3, 5s/3]. μ = (−5δ, 0)
    // makes t = −5 and I = [−15, −3] (to first order in γ). U = 0 makes e = 0 and c = |⟨G, v⟩| = 1.
    const gamma = 2 ** -10;
    const delta = 3 * gamma;
    const params: GMParams = { mu: [[-5 * delta, 0]], sigma: [[0, 0]], U: [[[0, 0]]], v: [[1]], V: [[[1, -(1 - delta)]]] };
    const { lo, hi } = tInterval(-5 * delta, delta, 5 * delta, 2, gamma);
    const points = Array.from({ length: 2001 }, (_, i) => lo + ((hi - lo) * i) / 2000);
    const sweep = Math.max(...points.map((t) => Math.abs(normalCdf(t) - normalCdf(-5))));
    const bound = gamma * gradientMagnitude(params, [[1, 1]], [[1]], gamma).mu[0][0];
    expect([lo, hi].map((end) => Math.round(end))).toEqual([-15, -3]);
    expect(bound).toBeGreaterThanOrEqual(sweep);
    expect(bound).toBeLessThanOrEqual(2);
  });

  it('begins at γE(s) = s/2 itself: there M is the ranges’ branch’s, continuous with γ just above, not the first-order one just below', () => {
    // A diagonal component has E(s) = s, so γ = ½ puts γE(s) at s/2 exactly. Within a
    // branch M is continuous in γ (its 1/γ and the interval's ends, which move with γ):
    // one ulp of γ moves it by a few ulps, and 2^−40 leaves ample room. Across the switch
    // it jumps (the first-order factor 1/(1 − γE(s)/s) of 1/ŝ is 2 just below).
    const params: GMParams = { mu: [[0.5, -0.25]], sigma: [[1, 0.5]], U: [[[0.5, -1], [0.25, 0.75]]], v: [[0.5, 0.25]] };
    const [x, G] = [[[1, -0.5]], [[1, -0.5]]];
    const at = (gamma: number) => parts(gradientMagnitude(params, x, G, gamma));
    const [below, equal, above] = [at(0.5 * (1 - 2 ** -53)), at(0.5), at(0.5 * (1 + 2 ** -52))];
    for (const [name, value] of Object.entries(equal)) {
      expectClose(value, above[name as keyof typeof above]!, mapNested(above[name as keyof typeof above]!, (z) => 2 ** -40 * z), name);
    }
    expect(Math.abs(below.mu[0][0] - equal.mu[0][0])).toBeGreaterThan(1e-3 * equal.mu[0][0]);
  });
});
