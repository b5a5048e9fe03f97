/**
 * src/op/float32-range.ts: the float64 scan of the float32 plan names the quantity that
 * overflows.
 *   - Each overflow class of docs/MATH.md, section 6, built by hand: the scan names the
 *     quantity the plan forms out of range, and the float32 op (cpu, fused) is indeed
 *     not finite there.
 *   - Both directions on generated cases across float32's whole range (every tensor on
 *     its own decade in [−30, 30]; about 2 % of them give a non-finite float32 result
 *     whose true value is representable, half have some true value beyond float32): where
 *     the float32 op's results are all finite the scan names nothing, and where one is not
 *     finite while every true value is representable it names something. The op (cpu,
 *     fused) forms the scan's quantities in float32 in the same order (its products sum
 *     in float64 on cpu, which can only keep more in range); a quantity within rounding
 *     of float32's maximum could tip either way, where a generated entry ±[1, 10)·10^E
 *     lands with negligible probability, and the seed is fixed (properties/setup.ts), so
 *     the run is deterministic. This property found the fused path's ∂ℓ/∂w overflowing
 *     as (G·a)·c where the composite's (a·c)·G did not, and the reverse: both now form
 *     cmax·Σ_b (a·c_b/cmax)·G.
 */
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { gmGradients } from '../../reference/gradients.js';
import type { GMParams } from '../../reference/types.js';
import { useBackend } from '../../src/backend/backend.js';
import { firstOutOfRange, FLOAT32_MAX, FLOAT32_MIN_NORMAL, type OutOfRange } from '../../src/op/float32-range.js';
import { wideCase, type GeneratedCase } from '../support/arbitraries.js';
import { evaluate, opFor, toFloat32 } from '../support/against-reference.js';

/** Every output and gradient of the float32 op (on the active backend; fused unless asked), flattened. */
async function float32Results(c: GeneratedCase, kernels: 'fused' | 'composite' = 'fused'): Promise<number[]> {
  const { y, grad } = await evaluate(opFor(kernels), c);
  return [y, grad.mu, grad.sigma, grad.U, grad.v, grad.x].flat(3) as number[];
}

/** Every true output and gradient (float64 reference), flattened. */
function trueResults({ params, x, G }: GeneratedCase): number[] {
  const { y, grad } = gmGradients(params, x, G);
  return [y, grad.mu, grad.sigma, grad.U, grad.v, grad.x].flat(3) as number[];
}

const one = (mu: number, v: number, x: number, G: number): GeneratedCase => ({ params: { mu: [[mu]], sigma: [[0]], U: [[[0]]], v: [[v]] }, x: [[x]], G: [[G]] });
/** A case as firstOutOfRange's arguments. */
const args = (c: GeneratedCase): [GMParams, GeneratedCase['x'], GeneratedCase['G']] => [c.params, c.x, c.G];

describe('firstOutOfRange', () => {
  it('names the quantity of each overflow class, where the float32 op is indeed not finite', async () => {
    await useBackend('cpu');
    const classes: [string, GeneratedCase, RegExp][] = [
      // G ~ 1e27 times w ~ 1e25 in the backward (every gradient representable but ∂ℓ/∂x).
      ['G·w', one(1, 1e25, 1e-30, 1e27), /^the term \(G_bl\/K\)·w_kl with l = 0 of α_kb = Σ_l \(G_bl\/K\)·w_kl \(b = 0, k = 0\)$/],
      // U ~ 1e30 times σ̃ ~ 1e20 in A = [μ; U⊙σ̃], where x ~ 1e−37 brings y back to ~5e32.
      [
        'U⊙σ̃',
        { params: { mu: [[1, 0.5]], sigma: [[1e20, 1e19]], U: [[[1e30, 1e29]]], v: [[0]] }, x: [[1e-37, 2e-37]], G: [[1]] },
        /^U_kl,i·σ̃_ki of A = \[μ; U⊙σ̃\] \(k = 0, l = 0, i = 0\)$/,
      ],
      // A true value beyond float32: y = v·μx = 1e40 is the first quantity out of range.
      ['y itself', one(1e20, 1, 1e20, 1), /^y_bl \(b = 0, l = 0\)$/],
    ];
    for (const [name, c, quantity] of classes) {
      const found = firstOutOfRange(c.params, c.x, c.G);
      expect(found?.quantity, name).toMatch(quantity);
      expect(Math.abs(found!.value), name).toBeGreaterThan(FLOAT32_MAX);
      expect((await float32Results(toFloat32(c))).every(Number.isFinite), name).toBe(false);
    }
  });

  it('∂ℓ/∂w stays in range where a·c (huge row) or G·a (huge G) alone overflows: finite on both host paths, nothing named', async () => {
    await useBackend('cpu');
    const cases: GeneratedCase[] = [
      // a·c ≈ 1.9e40 (x ~ 1e29, μ ~ 2e11) times G ≈ 3e−25: ∂ℓ/∂v ≈ 2.1e15.
      { params: { mu: [[-2.4276636e11]], sigma: [[0.9287916]], U: [[[0]]], v: [[5.7e-22]] }, x: [[-7.7653938e28]], G: [[3.2684635e-25]] },
      // G/K·a ≈ 4.7e44 (G ~ 1e30, a ~ 5e14 in x̂'s units) times c ≈ 8e−28: ∂ℓ/∂v ≈ 3.6e18.
      { params: { mu: [[4.7e14, 0]], sigma: [[1e-8, 0]], U: [[[0, 6.9e-26]]], v: [[0]] }, x: [[1e-28, 7.9e-26]], G: [[-1e30]] },
    ];
    for (const c of cases) {
      expect(firstOutOfRange(c.params, c.x, c.G)).toBeUndefined();
      for (const kernels of ['fused', 'composite'] as const) {
        expect((await float32Results(toFloat32(c), kernels)).every(Number.isFinite), kernels).toBe(true);
      }
    }
  });

  it('names nothing where a component\'s two products in the mix cancel (a·w ≈ −b·ς·q̃ ≈ 2.1e38), and the float32 op is finite there', async () => {
    await useBackend('cpu');
    // σ = x = 1.41 (σ̃ ≈ 2, ŝ ≈ 2), t = 1: q̃ = U·σ̃·x̂ ≈ −2.5e38 and b·q̃ ≈ −2.1e38, while v makes w = U·μ + v ≈ 9.8e37 and a·w ≈ 2.1e38.
    // The same with the covariance as V = 1.41 instead of σ: q̃ as U·(VᵀV x̂)/ς.
    const diagonal: GeneratedCase = { params: { mu: [[1.41]], sigma: [[1.41]], U: [[[-8.9e37]]], v: [[2.24e38]] }, x: [[1.41]], G: [[1]] };
    const lowRank: GeneratedCase = { ...diagonal, params: { ...diagonal.params, sigma: [[0]], V: [[[1.41]]] } };
    for (const c of [diagonal, lowRank]) {
      expect(firstOutOfRange(...args(c))).toBeUndefined();
      for (const kernels of ['fused', 'composite'] as const) expect((await float32Results(toFloat32(c), kernels)).every(Number.isFinite), kernels).toBe(true);
    }
  });

  it('with underflow: names a term that falls below the normal range before a large factor lifts it (a·f↓ ≈ 4e−45, then w ≈ 2e20)', () => {
    // Found by the whole-range property of gm-op.test.ts before the scan checked a·f↓ on
    // its own: y[0][1] was 2 % off (a subnormal keeps one or two significant bits).
    const c: GeneratedCase = {
      params: {
        mu: [[1e14, 1.0000002e17, 1.7966677e14, -1.5556107e17, -6.6044116e16]],
        sigma: [[0, 8.798269e13, -7.059784e12, 1.0000000e16, -5.511739e12]],
        U: [[[827.545, 7.7212, 0, 9.7959, 619.755], [0, -1000, 0, 0, -4774.64], [-1, 8607.31, -100, 225.94, -0.1]]],
        v: [[0, -1e-24, 1.11e-23]],
      },
      x: [[-3.6305413e-32, 1.0000002e-30, 0, 4.2978716e-31, 1.2343497e-30]],
      G: [[4441293312, 0, 2876522752]],
    };
    expect(firstOutOfRange(c.params, c.x, c.G)).toBeUndefined();
    expect(firstOutOfRange(c.params, c.x, c.G, { underflow: true })).toMatchObject({ kind: 'underflow', quantity: 'a_kb·f↓ in the mix (b = 0, k = 0, l = 0)' });
  });

  it('names nothing for an ordinary case', () => {
    const params: GMParams = { mu: [[0.3, -1.2], [0.5, 0.1]], sigma: [[0.5, 0.5], [1, 0]], U: [[[1, -2]], [[0.5, 0.25]]], v: [[0.1], [-0.3]] };
    expect(firstOutOfRange(params, [[1, -2], [0, 0.5]], [[1], [-1]], { underflow: true })).toBeUndefined();
  });

  const acrossFloat32 = wideCase({ maxK: 3, maxD: 4, maxL: 2, maxB: 3 }, { mu: [-30, 30], sigma: [-30, 30], U: [-30, 30], v: [-30, 30], x: [-30, 30], G: [-30, 30] }).map(toFloat32);
  test.prop([acrossFloat32], { numRuns: 1000 })('names nothing where the float32 op is finite, something where it is not but the truth is', async (c) => {
    await useBackend('cpu');
    const finite = (await float32Results(c)).every(Number.isFinite);
    const representable = trueResults(c).every((z) => Math.abs(z) <= FLOAT32_MAX);
    const found = firstOutOfRange(c.params, c.x, c.G);
    if (finite) expect(found, 'a quantity named although every float32 result is finite').toBeUndefined();
    else if (representable) expect(found, 'a float32 result is not finite, every true value is representable, and no quantity named').toBeDefined();
  });
});

/**
 * The names the scan gives, in the notation of docs/MATH.md, section 6: each form with the
 * indices it carries. A sum's terms and partial sums are named
 * "the term T of S" and "a partial sum of S (through T)", with T one of S's term forms.
 */
type Index = 'b' | 'k' | 'l' | 'i' | 'j';
interface Form {
  text: string;
  /** the indices in the trailing "(b = …, k = …)" group, in order */
  at: Index[];
}
const form = (text: string, at = ''): Form => ({ text, at: (at === '' ? [] : at.split(' ')) as Index[] });
const VALUES: Form[] = [
  form('x̂_bi = x_bi/c_b', 'b i'),
  form('σ̂_ki = σ_ki/ς_k', 'k i'),
  form('σ̃_ki = σ_ki·σ̂_ki', 'k i'),
  form('U_kl,i·σ̃_ki of A = [μ; U⊙σ̃]', 'k l i'),
  form('q̃_klb = ⟨U_kl⊙σ̃_k, x̂_b⟩', 'k l b'),
  form("a_kb = m̂Φ(t) + sφ(t) in x̂'s units", 'k b'),
  form('b_kb = Φ(t)', 'k b'),
  form('b_kb·ς_k', 'k b'),
  form('φ(t)/ŝ', 'k b'),
  form('tφ(t)/ŝ²', 'k b'),
  form('a_kb·f↓ in the mix', 'b k l'),
  form('b_kb·ς_k·f↓ in the mix', 'b k l'),
  form('(a_kb·f↓)·w_kl in the mix', 'b k l'),
  form('(b_kb·ς_k·f↓)·q̃_klb in the mix', 'b k l'),
  form('y_bl', 'b l'),
  form('G_bl/K', 'b l'),
  form('∂ℓ/∂q̃_klb = (G_bl/K)·b_kb·ς_k', 'b k l'),
  form('a_kb·r_b in ∂ℓ/∂w', 'k b'),
  form('∂ℓ/∂w_kl = ∂ℓ/∂v_kl = cmax·Σ_b a_kb·r_b·G_bl/K', 'k l'),
  form('P_q,kli·σ̃_ki (cmax first where |σ̃| < 1) in ∂ℓ/∂U', 'k l i'),
  form('σ̂_ki·(2 Σ_l U·P_q + S) (cmax first where |σ̂| < 1) in ∂ℓ/∂σ', 'k i'),
  form('∂ℓ/∂σ_ki', 'k i'),
  form('D_bk/e_b in ∂ℓ/∂x', 'b k'),
  form('x̂_bi·e_b or e_b·Σ_k (D_bk/e_b)·σ̃_ki, whichever is formed first, in ∂ℓ/∂x', 'b i'),
];
/** The batch sums of ∂ℓ/∂μ, ∂ℓ/∂U and ∂ℓ/∂σ, whose row weights are named after them. */
const BATCH_SUMS: [string, Index[]][] = [
  ['P_m,ki = Σ_b ∂ℓ/∂m_kb·r_b·x̂_bi', []],
  ['S_ki = Σ_b D_bk·r_b·x̂_bi²', []],
  ['P_q,kli = Σ_b ∂ℓ/∂q̃_klb·r_b·x̂_bi', ['l']],
];
const SUMS: [Form, Form[]][] = [
  [form('w_kl = U_kl·μ_k + v_kl', 'k l'), [form('U_kl,i·μ_ki with i = {i}')]],
  [form('m̂_kb = ⟨μ_k, x̂_b⟩', 'k b'), [form('μ_ki·x̂_bi with i = {i}')]],
  [form('q̃_klb = ⟨U_kl⊙σ̃_k, x̂_b⟩', 'k l b'), [form('(U⊙σ̃)_kl,i·x̂_bi with i = {i}')]],
  [form('the mix Σ_k (a_kb·f↓)·w_kl + (b_kb·ς_k·f↓)·q̃_klb', 'b l'), [form('component k = {k}')]],
  [form('α_kb = Σ_l (G_bl/K)·w_kl', 'b k'), [form('(G_bl/K)·w_kl with l = {l}')]],
  [form('β_kb = Σ_l (G_bl/K)·q̃_klb', 'b k'), [form('(G_bl/K)·q̃_klb with l = {l}')]],
  [form('∂ℓ/∂m_kb = α·b + β·φ/ŝ', 'b k'), [form('α·b'), form('β·φ/ŝ')]],
  [form('D_bk = α·φ/ŝ − β·tφ/ŝ²', 'b k'), [form('α·φ/ŝ'), form('β·tφ/ŝ²')]],
  [form('Σ_b a_kb·r_b·G_bl/K in ∂ℓ/∂w', 'k l'), [form('a_kb·r_b·G_bl/K with b = {b}')]],
  ...BATCH_SUMS.map(([name, own]): [Form, Form[]] => [form(`${name}${own.map((n) => ` (${n} = {${n}})`).join('')}`, 'k i'), [form('row b = {b}')]]),
  [form('∂ℓ/∂μ_ki = cmax·P_m,ki + Σ_l ∂ℓ/∂w_kl·U_kl,i', 'k i'), [form('cmax·P_m,ki'), form('∂ℓ/∂w_kl·U_kl,i with l = {l}')]],
  [form('∂ℓ/∂U_kl,i = ∂ℓ/∂w_kl·μ_ki + cmax·P_q,kli·σ̃_ki', 'k l i'), [form('∂ℓ/∂w·μ'), form('cmax·P_q·σ̃')]],
  [form('2 Σ_l U_kl,i·P_q,kli + S_ki', 'k i'), [form('2·U_kl,i·P_q,kli with l = {l}'), form('S_ki')]],
  [form('Σ_k (D_bk/e_b)·σ̃_ki in ∂ℓ/∂x', 'b i'), [form('k = {k}')]],
  [form('∂ℓ/∂x_bi', 'b i'), [form('[∂ℓ/∂m, ∂ℓ/∂q̃]·A, term {j}'), form('x̂_bi·Σ_k D_bk·σ̃_ki')]],
];
VALUES.push(...BATCH_SUMS.map(([name, own]) => form(`the row-b weight times r_b in ${name}${own.map((n) => ` (${n} = {${n}})`).join('')}`, 'k i')));

const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
/** A form as a regular expression whose groups capture its indices, with their names in order. */
function pattern({ text, at }: Form): { source: string; names: Index[] } {
  const names: Index[] = [];
  const source = escape(text).replace(/\\?\{([bklij])\\?\}/g, (_, n: Index) => (names.push(n), '(\\d+)'));
  const trailing = at.length === 0 ? '' : ` \\(${at.map((n) => `${n} = (\\d+)`).join(', ')}\\)`;
  return { source: source + trailing, names: [...names, ...at] };
}
const NAME_PATTERNS = [
  ...VALUES.map(pattern),
  ...SUMS.flatMap(([sum, terms]) => {
    const s = pattern(sum);
    return terms.flatMap((term) => {
      const t = pattern(term);
      return [
        { source: `the term ${t.source} of ${s.source}`, names: [...t.names, ...s.names] },
        { source: `a partial sum of ${s.source} \\(through ${t.source}\\)`, names: [...s.names, ...t.names] },
      ];
    });
  }),
].map(({ source, names }) => ({ regex: new RegExp(`^${source}$`), names }));

/** The indices a name carries, checked against the case's sizes; undefined for a name of no known form. */
function namedIndices(quantity: string, dims: Record<Index, number>): Record<string, number>[] | undefined {
  for (const { regex, names } of NAME_PATTERNS) {
    const match = regex.exec(quantity);
    if (match === null) continue;
    return names.map((n, j) => ({ [n]: Number(match[j + 1]), [`${n} <`]: dims[n] }));
  }
  return undefined;
}

describe('firstOutOfRange names', () => {
  const acrossFloat32 = wideCase({ maxK: 3, maxD: 4, maxL: 2, maxB: 3, maxR: 2 }, { mu: [-30, 30], sigma: [-30, 30], U: [-30, 30], v: [-30, 30], x: [-30, 30], G: [-30, 30] }).map(toFloat32);
  // Pure float64 arithmetic, so many cases are cheap; across float32's whole range they
  // leave it in most of the forms, by overflow and by underflow.
  test.prop([acrossFloat32], { numRuns: 2000 })('each a quantity of the plan in its documented form, with indices inside the case, and a value out of range', (c) => {
    const [B, K, L, d] = [c.x.length, c.params.mu.length, c.params.v[0].length, c.params.mu[0].length];
    for (const underflow of [false, true]) {
      const found = firstOutOfRange(c.params, c.x, c.G, { underflow });
      if (found === undefined) continue;
      const indices = namedIndices(found.quantity, { b: B, k: K, l: L, i: d, j: K * (1 + L) });
      expect(indices, `a name of no documented form: ${found.quantity}`).toBeDefined();
      for (const pair of indices!) {
        const [[name, value], [, size]] = Object.entries(pair);
        expect(value, `${name} in ${found.quantity}`).toBeLessThan(size);
      }
      const size = Math.abs(found.value);
      if (found.kind === 'overflow') expect(size).toBeGreaterThan(FLOAT32_MAX);
      else expect(underflow && size > 0 && size < FLOAT32_MIN_NORMAL).toBe(true);
    }
  });

  it('counts float32\'s largest value and smallest normal value as in range', () => {
    // y = v·μx = FLOAT32_MAX exactly (x = c = 1, s = 0, K = 1), as are the mix's terms;
    // G = 2⁻¹²⁸ keeps ∂ℓ/∂U = G·a·μ = FLOAT32_MAX²·2⁻¹²⁸ below FLOAT32_MAX.
    expect(firstOutOfRange(...args(one(FLOAT32_MAX, 1, 1, 2 ** -128)))).toBeUndefined();
    expect(firstOutOfRange(...args(one(FLOAT32_MAX, 2, 1, 2 ** -128)))).toMatchObject({ kind: 'overflow', quantity: '(a_kb·f↓)·w_kl in the mix (b = 0, k = 0, l = 0)' });
    // G/K = 2⁻¹²⁶ exactly, and so α, ∂ℓ/∂m and every product with the other factors 1.
    expect(firstOutOfRange(...args(one(1, 1, 1, FLOAT32_MIN_NORMAL)), { underflow: true })).toBeUndefined();
    expect(firstOutOfRange(...args(one(1, 1, 1, FLOAT32_MIN_NORMAL / 2)), { underflow: true })).toMatchObject({ kind: 'underflow', quantity: 'G_bl/K (b = 0, l = 0)', value: FLOAT32_MIN_NORMAL / 2 });
  });

  it('scales an all-zero row of x or σ by 1, as the kernels do (a tiny scale would leave b·ς below the normal range)', () => {
    const params: GMParams = { mu: [[0.5, -1], [0.25, 2]], sigma: [[0, 0], [1, 0.5]], U: [[[1, 2]], [[0.5, -1]]], v: [[0.5], [1]] };
    expect(firstOutOfRange(params, [[0, 0], [1, -0.5]], [[1], [1]], { underflow: true })).toBeUndefined();
  });

  it('multiplies P_q·σ̃ by cmax first only where |σ̃| < 1, as the kernels do, and names what that forms', () => {
    // x = 2^100 (cmax = 2^100, x̂ = 1), σ = 2^10 (σ̃ = 2^10): P_q = G·b·ς = 2^21, so
    // P_q·σ̃ = 2^31 is formed first and cmax·P_q·σ̃ = 2^131 overflows as a term of ∂ℓ/∂U.
    const large: GMParams = { mu: [[0]], sigma: [[2 ** 10]], U: [[[2 ** -2]]], v: [[0]] };
    expect(firstOutOfRange(large, [[2 ** 100]], [[2 ** 12]])).toMatchObject({
      kind: 'overflow',
      quantity: 'the term cmax·P_q·σ̃ of ∂ℓ/∂U_kl,i = ∂ℓ/∂w_kl·μ_ki + cmax·P_q,kli·σ̃_ki (k = 0, l = 0, i = 0)',
    });
    // x = 2^20, σ = 2^−70 (σ̃ = 2^−70 < 1): P_q = 2^−71 meets σ̃·cmax = 2^−50, a normal 2^−121;
    // P_q·σ̃ = 2^−141 alone would be subnormal. Nothing else leaves the normal range.
    const small: GMParams = { mu: [[0]], sigma: [[2 ** -70]], U: [[[2 ** 60]]], v: [[0]] };
    expect(firstOutOfRange(small, [[2 ** 20]], [[1]], { underflow: true })).toBeUndefined();
    // At |σ̃| = 1 exactly P_q·σ̃ comes first (σ = 1, t = −1, x = 2^100): P_q = G·Φ(−1) ≈ 3.4e8 stays in range and cmax·P_q·σ̃ ≈ 4.3e38
    // is the term named; cmax first would name P_q·(σ̃·cmax) instead. U = w = 0, and ∂ℓ/∂w = cmax·a·G ≈ 2.3e38 stays in range.
    expect(firstOutOfRange({ mu: [[-1]], sigma: [[1]], U: [[[0]]], v: [[0]] }, [[2 ** 100]], [[2 ** 31]])).toMatchObject({
      kind: 'overflow',
      quantity: 'the term cmax·P_q·σ̃ of ∂ℓ/∂U_kl,i = ∂ℓ/∂w_kl·μ_ki + cmax·P_q,kli·σ̃_ki (k = 0, l = 0, i = 0)',
    });
    // With x = 1 (cmax = 1) that product is 2^−141: named.
    expect(firstOutOfRange(small, [[1]], [[1]], { underflow: true })).toMatchObject({
      kind: 'underflow',
      quantity: 'P_q,kli·σ̃_ki (cmax first where |σ̃| < 1) in ∂ℓ/∂U (k = 0, l = 0, i = 0)',
      value: 2 ** -141,
    });
  });

  it('divides by ŝ where ŝ is small but above the degenerate limit (t = 12, ŝ = 2^−59): φ/ŝ ≈ 3e−14 and tφ/ŝ² in range, nothing named', () => {
    // σ̂ = (1, 2^−59) meets x̂ = (0, 1): ŝ = 2^−59 > S_MIN and m̂ = 12·2^−59. φ(12)·ŝ or
    // 12φ(12)·ŝ² would be far below the normal range (about 1e−49 and 1e−66).
    const params: GMParams = { mu: [[0, 12 * 2 ** -59]], sigma: [[1, 2 ** -59]], U: [[[1, 1]]], v: [[0]] };
    expect(firstOutOfRange(params, [[0, 1]], [[2 ** 40]], { underflow: true })).toBeUndefined();
  });

  /** name, params, x, kind, the quantity named, and G (ones where absent) */
  const firstNamed: [string, GMParams, number[][], OutOfRange['kind'], string, number[][]?][] = [
    // x̂, σ̂ and σ̃ below the normal range: a small entry beside its row's largest.
    ['x̂', { mu: [[1, 1]], sigma: [[1, 1]], U: [[[1, 1]]], v: [[0]] }, [[1, 2 ** -140]], 'underflow', 'x̂_bi = x_bi/c_b (b = 0, i = 1)'],
    ['σ̂', { mu: [[1, 1]], sigma: [[1, 2 ** -140]], U: [[[1, 1]]], v: [[0]] }, [[1, 1]], 'underflow', 'σ̂_ki = σ_ki/ς_k (k = 0, i = 1)'],
    ['σ̃', { mu: [[1, 1]], sigma: [[1, 2 ** -70]], U: [[[1, 1]]], v: [[0]] }, [[1, 1]], 'underflow', 'σ̃_ki = σ_ki·σ̂_ki (k = 0, i = 1)'],
    // σ = 3e38: ς is clamped to 2^126, so σ̂ ≈ 3.5 and σ̃ = σ·σ̂ ≈ 1e39.
    ['σ̃', { mu: [[1]], sigma: [[3e38]], U: [[[0]]], v: [[0]] }, [[1]], 'overflow', 'σ̃_ki = σ_ki·σ̂_ki (k = 0, i = 0)'],
    // m̂ = 3e38 + 3e38 as it is summed.
    ['m̂', { mu: [[3e38, 3e38]], sigma: [[0, 0]], U: [[[0, 0]]], v: [[0]] }, [[1, 1]], 'overflow', 'a partial sum of m̂_kb = ⟨μ_k, x̂_b⟩ (k = 0, b = 0) (through μ_ki·x̂_bi with i = 1)'],
    // Two components of 2e38 each in the mix (a = 2e19, w = 2e19, f↓ = ½).
    ['the mix', { mu: [[2e19], [2e19]], sigma: [[0], [0]], U: [[[0]], [[0]]], v: [[2e19], [2e19]] }, [[1]], 'overflow', 'a partial sum of the mix Σ_k (a_kb·f↓)·w_kl + (b_kb·ς_k·f↓)·q̃_klb (b = 0, l = 0) (through component k = 1)'],
    // t = −13.1 (ς = 2^10): b = Q(13.1) ≈ 1.6e−39, while a = s·(φ(t) − |t|·Q(|t|)) ≈ 2^10·Q/|t| ≈ 1.3e−37, scanned just before, is normal.
    ['b', { mu: [[-13.1 * 2 ** 10]], sigma: [[2 ** 10]], U: [[[0]]], v: [[1]] }, [[1]], 'underflow', 'b_kb = Φ(t) (k = 0, b = 0)'],
    // ς = 2^−126, the scales' lower clamp, and t = 3: b·ς = Φ(3)·2^−126 ≈ 0.9987·2^−126, while a = s·(tΦ + φ) ≈ 3·2^−126.
    ['b·ς', { mu: [[3 * 2 ** -126]], sigma: [[2 ** -126]], U: [[[0]]], v: [[1]] }, [[1]], 'underflow', 'b_kb·ς_k (k = 0, b = 0)'],
    // Rows scaled by c = 2^100 and 2^−20 (r_1 = 2^−120); a = m̂ = 2^−10 in x̂'s units (σ = 0): a_k1·r_1 = 2^−130.
    ['a·r', { mu: [[2 ** -10]], sigma: [[0]], U: [[[0]]], v: [[1]] }, [[2 ** 100], [2 ** -20]], 'underflow', 'a_kb·r_b in ∂ℓ/∂w (k = 0, b = 1)', [[1], [1]]],
    // ŝ = 1.4·2^−20 (σ = (1, 2^−20) meets x̂ = (0, 1.4)), t = 0, α = G·w = 8.4e32: D = α·φ(0)/ŝ ≈ 2.5e38, and its term D·r·x̂² ≈ 4.9e38.
    ['S', { mu: [[0, 0]], sigma: [[1, 2 ** -20]], U: [[[0, 0]]], v: [[8.4e32]] }, [[0, 1.4]], 'overflow', 'the term row b = 0 of S_ki = Σ_b D_bk·r_b·x̂_bi² (k = 0, i = 1)'],
    // As above with S ≈ 2e38 (w = 3.4e32) and U = 1.4e38 at i = 1: 2U·P_q ≈ 2e38 (P_q = G·b·x̂ = 0.7), and S takes the sum past the range.
    ['S in ∂ℓ/∂σ', { mu: [[0, 0]], sigma: [[1, 2 ** -20]], U: [[[0, 1.4e38]]], v: [[3.4e32]] }, [[0, 1.4]], 'overflow', 'a partial sum of 2 Σ_l U_kl,i·P_q,kli + S_ki (k = 0, i = 1) (through S_ki)'],
    // a = m̂ = 1 in x̂'s units (σ = 0) and x = 2^100: ∂ℓ/∂w = cmax·a·G ≈ 1.3e40, where Σ_b a·r·G = 1e10 is in range.
    ['∂ℓ/∂w', { mu: [[1]], sigma: [[0]], U: [[[0]]], v: [[1]] }, [[2 ** 100]], 'overflow', '∂ℓ/∂w_kl = ∂ℓ/∂v_kl = cmax·Σ_b a_kb·r_b·G_bl/K (k = 0, l = 0)', [[1e10]]],
    // μ = σ = 0 (a = 0, so ∂ℓ/∂w = 0; b = ½) and x = 2^100: P_m = G·w·b = 5e9, and cmax·P_m ≈ 6.3e39.
    ['cmax·P_m in ∂ℓ/∂μ', { mu: [[0]], sigma: [[0]], U: [[[0]]], v: [[1]] }, [[2 ** 100]], 'overflow', 'the term cmax·P_m,ki of ∂ℓ/∂μ_ki = cmax·P_m,ki + Σ_l ∂ℓ/∂w_kl·U_kl,i (k = 0, i = 0)', [[1e10]]],
    // w = U·μ + v = 0 (so α = ∂ℓ/∂m = 0), a = 1: ∂ℓ/∂w = a·G = 1e38, times U = 10.
    ['∂ℓ/∂w·U in ∂ℓ/∂μ', { mu: [[1]], sigma: [[0]], U: [[[10]]], v: [[-10]] }, [[1]], 'overflow', 'the term ∂ℓ/∂w_kl·U_kl,i with l = 0 of ∂ℓ/∂μ_ki = cmax·P_m,ki + Σ_l ∂ℓ/∂w_kl·U_kl,i (k = 0, i = 0)', [[1e38]]],
    // μ = σ = v = 0: P_q = G·b = 5e37 and 2·U·P_q = 1e39, every term before it 0.
    ['2U·P_q in ∂ℓ/∂σ', { mu: [[0]], sigma: [[0]], U: [[[10]]], v: [[0]] }, [[1]], 'overflow', 'the term 2·U_kl,i·P_q,kli with l = 0 of 2 Σ_l U_kl,i·P_q,kli + S_ki (k = 0, i = 0)', [[1e38]]],
    // σ = 0.7 (ς = ½, σ̂ = 1.4, σ̃ = 0.98), two equal rows, t = 0: P_q = 2·G·b·ς = 1.25e38 and the sum 2U·P_q = 2.5e38, times σ̂ (≥ 1, so
    // before cmax) = 3.5e38; each row's β = G·q̃ = 2.45e38 stays in range (with one row, β would leave it first).
    ['σ̂·(…) in ∂ℓ/∂σ', { mu: [[0]], sigma: [[0.7]], U: [[[1]]], v: [[0]] }, [[1], [1]], 'overflow', 'σ̂_ki·(2 Σ_l U·P_q + S) (cmax first where |σ̂| < 1) in ∂ℓ/∂σ (k = 0, i = 0)', [[2.5e38], [2.5e38]]],
    // σ = 1, x = 2^100 (cmax = 2^100), v = −2φ(0) (so ∂ℓ/∂m = G·(v/2 + U·φ(0)) = 0): 2U·P_q + S ≈ 3.4e8, and times cmax ≈ 4.3e38,
    // while cmax·P_q·σ̃ = G·b·2^100 ≈ 3.2e38 and ∂ℓ/∂w = cmax·a·G ≈ 2.5e38 stay in range.
    ['∂ℓ/∂σ', { mu: [[0]], sigma: [[1]], U: [[[1]]], v: [[-2 * 0.3989422804014327]] }, [[2 ** 100]], 'overflow', '∂ℓ/∂σ_ki (k = 0, i = 0)', [[5e8]]],
    // U = 2^100 and v = −2^80 make w = 0 (α = 0); ŝ = 2^−20, t = 1, β = G·q̃ = 2^33·2^60: β·tφ/ŝ² ≈ 2.6e39.
    ['β·tφ/ŝ² in D', { mu: [[0, 2 ** -20]], sigma: [[1, 2 ** -20]], U: [[[0, 2 ** 100]]], v: [[-(2 ** 80)]] }, [[0, 1]], 'overflow', 'the term β·tφ/ŝ² of D_bk = α·φ/ŝ − β·tφ/ŝ² (b = 0, k = 0)', [[2 ** 33]]],
    // D = (≈ 204, ≈ 2^−121.3) for the two components (w = 2^10, 2^−119): e = 2^8, and D_b1/e ≈ 2^−129.
    ['D/e', { mu: [[0], [0]], sigma: [[1], [1]], U: [[[0]], [[0]]], v: [[2 ** 10], [2 ** -119]] }, [[1]], 'underflow', 'D_bk/e_b in ∂ℓ/∂x (b = 0, k = 1)'],
    // As above with σ_1 = 2^−15 = σ̃_1 and w_1 = 2^−105: D_b1/e ≈ 2^−115, normal, and times σ̃_1 ≈ 2^−130.
    ['a term of Σ_k (D/e)·σ̃', { mu: [[0], [0]], sigma: [[1], [2 ** -15]], U: [[[0]], [[0]]], v: [[2 ** 10], [2 ** -105]] }, [[1]], 'underflow', 'the term k = 1 of Σ_k (D_bk/e_b)·σ̃_ki in ∂ℓ/∂x (b = 0, i = 0)'],
    // Two equal components with σ̃ = σ²/2^126 ≈ 2e38 (σ = 1.3e38) and t = −2.5: D/e ≈ 1.1 each (w = 384), so the sum of the two ≈ 4.4e38;
    // G = 2^−120 keeps cmax·P_q·σ̃ ≈ 4e37.
    ['Σ_k (D/e)·σ̃', { mu: [[-3.25e38], [-3.25e38]], sigma: [[1.3e38], [1.3e38]], U: [[[0]], [[0]]], v: [[384], [384]] }, [[1]], 'overflow', 'a partial sum of Σ_k (D_bk/e_b)·σ̃_ki in ∂ℓ/∂x (b = 0, i = 0) (through k = 1)', [[2 ** -120]]],
    // e = 2^−8 < 1 (D ≈ 2^−8.3), so e meets Σ_k (D/e)·σ̃ first: at i = 1, σ̃ = 2^−120 gives ≈ 2^−128.3. x̂_b1 = 0 keeps ∂ℓ/∂U's and ∂ℓ/∂σ's
    // terms at i = 1 zero, and x̂·e would be 0: only the order the kernels use forms that value.
    ['x̂·e or e·Σ_k (D/e)·σ̃', { mu: [[0, 0]], sigma: [[1, 2 ** -60]], U: [[[0, 0]]], v: [[1]] }, [[1, 0]], 'underflow', 'x̂_bi·e_b or e_b·Σ_k (D_bk/e_b)·σ̃_ki, whichever is formed first, in ∂ℓ/∂x (b = 0, i = 1)', [[2 ** -7]]],
    // μ = (1e10, −1e10) cancels in m (a = 0, b = ½), σ = 0: ∂ℓ/∂m = G·b = 5e29, times μ_0 = 5e39.
    ['[∂ℓ/∂m, ∂ℓ/∂q̃]·A in ∂ℓ/∂x', { mu: [[1e10, -1e10]], sigma: [[0, 0]], U: [[[0, 0]]], v: [[1]] }, [[1, 1]], 'overflow', 'the term [∂ℓ/∂m, ∂ℓ/∂q̃]·A, term 0 of ∂ℓ/∂x_bi (b = 0, i = 0)', [[1e30]]],
    // x̂ = (1, 0) and U = (0, 1e20): A's second entry 1e20 meets no x̂ (q̃ = β = 0). t = −3 (b = Q(3) ≈ 1.35e−3, a ≈ 3.8e−4 keeps
    // ∂ℓ/∂w·U ≈ 1.5e38 in range): ∂ℓ/∂q̃ = G·b ≈ 5.4e18, times A's 1e20.
    ['∂ℓ/∂q̃·A in ∂ℓ/∂x', { mu: [[-3, 0]], sigma: [[1, 1]], U: [[[0, 1e20]]], v: [[0]] }, [[1, 0]], 'overflow', 'the term [∂ℓ/∂m, ∂ℓ/∂q̃]·A, term 1 of ∂ℓ/∂x_bi (b = 0, i = 1)', [[4e21]]],
    // c = 2^−42 leaves the row's own gradients in x̂'s units while r = c weights the batch sums down; σ̃ = 1.5625·2^35, α = G·w = 2^96,
    // D = α·φ(0)/ŝ ≈ 2.5e28 (ŝ = 1.25): x̂·D·σ̃ ≈ 1.4e39.
    ['x̂·Σ_k D·σ̃ in ∂ℓ/∂x', { mu: [[0]], sigma: [[1.25 * 2 ** 35]], U: [[[0]]], v: [[-(2 ** 59)]] }, [[-(2 ** -42)]], 'overflow', 'the term x̂_bi·Σ_k D_bk·σ̃_ki of ∂ℓ/∂x_bi (b = 0, i = 0)', [[2 ** 37]]],
  ];
  it.each(firstNamed)('names %s where it is the first quantity out of range (%s)', (_name, params, x, kind, quantity, G = x.map(() => params.v[0].map(() => 1))) => {
    expect(firstOutOfRange(params, x, G, { underflow: kind === 'underflow' })).toMatchObject({ kind, quantity });
  });

  it('counts V\'s share of q̃: with σ = 0, q̃ = U·(VᵀV x)/ς overflows through V alone', () => {
    // ς = 2^67 (V's scale), VᵀVx = 1e40, q̃ = 1e19·1e40/2^67 ≈ 6.8e38.
    const params: GMParams = { mu: [[1]], sigma: [[0]], U: [[[1e19]]], v: [[0]], V: [[[1e20]]] };
    expect(firstOutOfRange(params, [[1]], [[1]])).toMatchObject({ kind: 'overflow', quantity: 'q̃_klb = ⟨U_kl⊙σ̃_k, x̂_b⟩ (k = 0, l = 0, b = 0)' });
    // With U = 1e−10, q̃ ≈ 6.8e9 (divided by ς, not multiplied) and nothing leaves the range.
    expect(firstOutOfRange({ ...params, U: [[[1e-10]]] }, [[1]], [[1]])).toBeUndefined();
    // V as K empty lists is the diagonal layer: q̃ = 0 here, and y = 0.
    expect(firstOutOfRange({ ...params, V: [[]] }, [[1]], [[1]])).toBeUndefined();
    // ... whose q̃ is summed term by term: (U⊙σ̃)·x̂ = 3e38·1.4 overflows though the terms cancel.
    const cancelling: GMParams = { mu: [[0, 0]], sigma: [[1, 1]], U: [[[3e38, -3e38]]], v: [[0]] };
    for (const V of [undefined, [[]]]) {
      expect(firstOutOfRange({ ...cancelling, ...(V !== undefined && { V }) }, [[1.4, 1.4]], [[1]])).toMatchObject({
        kind: 'overflow',
        quantity: 'the term (U⊙σ̃)_kl,i·x̂_bi with i = 0 of q̃_klb = ⟨U_kl⊙σ̃_k, x̂_b⟩ (k = 0, l = 0, b = 0)',
      });
    }
  });
});
