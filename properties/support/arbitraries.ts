/**
 * fast-check generators of GM layer cases. Besides ordinary N(0,1)-like draws they
 * aim at the hard regions on purpose: |t| up to 37 (σ rescaled against m), σ = 0
 * components, negative σ, x = 0 rows, sparse image-like rows, tiny and subnormal
 * entries, and d = 784.
 */
import fc from 'fast-check';
import type { GMParams, Matrix } from '../../reference/types.js';

export interface GeneratedCase {
  params: GMParams;
  x: Matrix;
  /** Upstream gradient G: B×L */
  G: Matrix;
}

export interface CaseLimits {
  maxK?: number;
  maxD?: number;
  maxL?: number;
  maxB?: number;
  minD?: number;
  /** The largest rank r of the low-rank factors V (K×r×d, entries like σ's); 0 (default): no V. */
  maxR?: number;
}

type Entry = fc.Arbitrary<number>;

/** A double in [min, max] (no NaN, no infinities). */
export const real = (min: number, max: number): Entry => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Exactly 0 or at least 0.2 in absolute value: keeps s ≥ 0.04 or s = 0 (for finite differences). */
export const separated: Entry = fc.oneof(fc.constant(0), real(0.2, 2), real(-2, -0.2));

/** Ordinary values, exact zeros, and a few tiny and subnormal ones. */
export const hardEntry: Entry = fc.oneof(
  { weight: 6, arbitrary: real(-3, 3) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.constantFrom(1e-300, -1e-300, 5e-324, 1e-8, -1e-8) },
);

/** 0 or at least 1e−6 in size: no product of a few entries underflows. */
const moderate = (entry: Entry): Entry => entry.map((value) => (Math.abs(value) < 1e-6 ? 0 : value));

/**
 * A value uniform in [min, max] (2^30 steps). fc.double draws its bit pattern instead, so
 * most of its values are tiny: mapped to 0 by `moderate`, they would leave cases empty.
 */
export const uniform = (min: number, max: number): Entry => fc.integer({ min: 0, max: 2 ** 30 }).map((k) => min + ((max - min) * k) / 2 ** 30);

/** Like hardEntry without the tiny and subnormal values (for the Monte Carlo oracle). */
export const moderateEntry: Entry = fc.oneof(
  { weight: 6, arbitrary: moderate(uniform(-3, 3)) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0) },
);

/** Image-like pixels: mostly 0, else in [0, 1]. */
export const pixel: Entry = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: real(0, 1) });

export const matrix = (rows: number, cols: number, entry: Entry): fc.Arbitrary<Matrix> =>
  fc.array(fc.array(entry, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });

export interface Entries {
  mu: Entry;
  sigma: Entry;
  U: Entry;
  v: Entry;
  x: Entry;
  /** the upstream gradient */
  G: Entry;
}

/** A double in [−2, 2] that is 0 or at least 1e−100 in size: no subnormal products. */
const ordinary: Entry = real(-2, 2).map((value) => (Math.abs(value) < 1e-100 ? 0 : value));

export const ordinaryEntries: Entries = {
  mu: ordinary,
  sigma: ordinary,
  U: ordinary,
  v: ordinary,
  x: ordinary,
  G: ordinary,
};

export const separatedEntries: Entries = { ...ordinaryEntries, sigma: separated, x: separated };

export const hardEntries: Entries = {
  mu: hardEntry,
  sigma: hardEntry,
  U: real(-3, 3),
  v: real(-3, 3),
  x: fc.oneof(hardEntry, pixel),
  G: real(-2, 2),
};

export const moderateEntries: Entries = {
  mu: moderateEntry,
  sigma: moderateEntry,
  U: moderateEntry,
  v: moderateEntry,
  x: fc.oneof(moderateEntry, moderate(pixel)),
  G: moderateEntry,
};

/**
 * Rescales σ_k (and V_k) so that t = m/s takes the target value on the first row of x
 * (when both m and s are nonzero there): σ_k ← σ_k · |m| / (s·|t|). This reaches |t| up
 * to 37, where Φ(−|t|) ≈ 1e−300, without waiting for chance to get there.
 */
function aimT(params: GMParams, x: Matrix, targets: (number | null)[]): GMParams {
  if (x.length === 0) return params;
  const x0 = x[0];
  const scales = params.sigma.map((sk, k) => {
    const target = targets[k];
    if (target === null) return 1;
    const m = params.mu[k].reduce((acc, mu, i) => acc + mu * x0[i], 0);
    const Vx = (params.V?.[k] ?? []).map((row) => row.reduce((acc, v, i) => acc + v * x0[i], 0));
    const s = Math.hypot(...sk.map((sigma, i) => sigma * x0[i]), ...Vx);
    if (m === 0 || s === 0 || !Number.isFinite(m / s)) return 1;
    const scale = Math.abs(m) / (s * target);
    const largest = Math.max(...sk.map(Math.abs), ...(params.V?.[k] ?? []).flat().map(Math.abs));
    return largest * scale <= 1e6 ? scale : 1; // no overflow later
  });
  const sigma = params.sigma.map((sk, k) => (scales[k] === 1 ? sk : sk.map((value) => value * scales[k])));
  const V = params.V?.map((Vk, k) => (scales[k] === 1 ? Vk : Vk.map((row) => row.map((value) => value * scales[k]))));
  return { ...params, sigma, ...(V !== undefined && { V }) };
}

/** Random GM cases with the given entry distributions and optional |t| targeting. */
export function gmCase(limits: CaseLimits = {}, entries: Entries = ordinaryEntries, aim = false): fc.Arbitrary<GeneratedCase> {
  const { maxK = 3, maxD = 5, maxL = 3, maxB = 3, minD = 1, maxR = 0 } = limits;
  // r and V are drawn last, and only when asked for, so that cases without V draw exactly
  // what they drew before V existed (the suites' seeds keep their cases).
  const sizes = { K: fc.integer({ min: 1, max: maxK }), d: fc.integer({ min: minD, max: maxD }), L: fc.integer({ min: 1, max: maxL }), B: fc.integer({ min: 1, max: maxB }) };
  const withRank = maxR > 0 ? fc.record({ ...sizes, r: fc.integer({ min: 0, max: maxR }) }) : fc.record(sizes).map((dims) => ({ ...dims, r: -1 }));
  return withRank
    .chain(({ K, d, L, B, r }) => {
      const content = {
        mu: matrix(K, d, entries.mu),
        sigma: matrix(K, d, entries.sigma),
        U: fc.array(matrix(L, d, entries.U), { minLength: K, maxLength: K }),
        v: matrix(K, L, entries.v),
        x: matrix(B, d, entries.x),
        G: matrix(B, L, entries.G),
        targets: fc.array(aim ? fc.option(real(0.5, 37), { freq: 2 }) : fc.constant(null), {
          minLength: K,
          maxLength: K,
        }),
      };
      type Drawn = { mu: Matrix; sigma: Matrix; U: Matrix[]; v: Matrix; x: Matrix; G: Matrix; targets: (number | null)[]; V?: Matrix[] };
      return r < 0
        ? (fc.record(content) as fc.Arbitrary<Drawn>)
        : (fc.record({ ...content, V: fc.array(matrix(r, d, entries.sigma), { minLength: K, maxLength: K }) }) as fc.Arbitrary<Drawn>);
    })
    .map(({ mu, sigma, U, v, V, x, G, targets }) => {
      const params = aimT({ mu, sigma, U, v, ...(V !== undefined && { V }) }, x, targets);
      return { params, x, G };
    });
}

/** The hard regions on purpose (see the module comment). */
export const hardCase = (limits: CaseLimits = {}) => gmCase(limits, hardEntries, true);

/**
 * Entries across float32's range, one decade per tensor: 0 (one in five) or
 * ±[1, 10)·10^(E + δ) with E the tensor's decade and δ ∈ [−2, 2], so that a case mixes,
 * say, σ ~ 1e15 with μ ~ 0.1 and v ~ 1e−8 as real failures did.
 */
const wideTensorEntry = (decade: number): Entry =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.boolean(), uniform(1, 10), fc.integer({ min: -2, max: 2 }))
        .map(([negative, mantissa, delta]) => (negative ? -1 : 1) * mantissa * 10 ** (decade + delta)),
    },
  );

/**
 * Decade ranges [lowest, highest] per tensor for wideCase (V takes σ's); σ: 'mu' puts σ
 * on μ's decade (components whose mean and spread are both tiny or both huge).
 */
export type DecadeRanges = Omit<Record<keyof Entries, readonly [number, number]>, 'sigma'> & { sigma: readonly [number, number] | 'mu' };

/** Cases whose every tensor (μ, σ, U, v, x, G, and V when maxR > 0) has its own decade in its range. */
export function wideCase(limits: CaseLimits, ranges: DecadeRanges): fc.Arbitrary<GeneratedCase> {
  const decade = (name: Exclude<keyof Entries, 'sigma'>) => fc.integer({ min: ranges[name][0], max: ranges[name][1] });
  const sigmaDecade = ranges.sigma === 'mu' ? fc.constant(undefined) : fc.integer({ min: ranges.sigma[0], max: ranges.sigma[1] });
  return fc
    .record({ mu: decade('mu'), sigma: sigmaDecade, U: decade('U'), v: decade('v'), x: decade('x'), G: decade('G') })
    .map((e) => ({ ...e, sigma: e.sigma ?? e.mu }))
    .chain((e) =>
      gmCase(limits, {
        mu: wideTensorEntry(e.mu),
        sigma: wideTensorEntry(e.sigma),
        U: wideTensorEntry(e.U),
        v: wideTensorEntry(e.v),
        x: wideTensorEntry(e.x),
        G: wideTensorEntry(e.G),
      }),
    );
}
