/**
 * The committed conformance vectors (fixtures/conformance.json): valid against their
 * schema, in sync with the reference and the generator, honest about their flags, and
 * with tolerances that are neither too tight (float32 input rounding passes) nor
 * vacuous (a dropped term fails).
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildConformance, CASES, FLAG_NOTES, type ConformanceCase, type ConformanceFile } from '../fixtures/conformance.js';
import { componentMoments } from '../reference/closed-form.js';
import { gmGradients } from '../reference/gradients.js';
import type { GMGradients, GMParams, Matrix } from '../reference/types.js';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const committed = read('conformance.json') as ConformanceFile;
const cases = committed.groups.flatMap((g) => g.cases);

type Nested = number | Nested[];
const flat = (value: Nested): number[] => (typeof value === 'number' ? [value] : value.flatMap(flat));
const gradParts = (g: GMGradients) => [g.mu, g.sigma, g.U, g.v, g.x] as Nested[];

/** Largest |got − expected| / (factor·magnitude + floor) over y and every gradient. */
function worstRatio(c: ConformanceCase, got: { y: Matrix; grad: GMGradients }, precision: 'float64' | 'float32'): number {
  const { factor, floor } = c.tolerance[precision];
  const pairs: [Nested, Nested, Nested][] = [
    [got.y, c.expected.y, c.magnitude.y],
    ...gradParts(got.grad).map((g, j) => [g, gradParts(c.expected.grad)[j], gradParts(c.magnitude.grad)[j]] as [Nested, Nested, Nested]),
  ];
  let worst = 0;
  for (const [g, e, m] of pairs) {
    const [gs, es, ms] = [flat(g), flat(e), flat(m)];
    gs.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - es[j]) / (factor * ms[j] + floor))));
  }
  return worst;
}

describe('fixtures/conformance.json', () => {
  it('is valid against fixtures/conformance.schema.json', () => {
    const ajv = new Ajv2020.default({ allErrors: true });
    const validate = ajv.compile(read('conformance.schema.json'));
    const valid = validate(committed);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(committed.numberOfCases).toBe(cases.length);
  });

  it('is exactly what `npm run fixtures` builds now (regenerate and commit if not)', () => {
    const fresh = buildConformance(committed.generator.version);
    expect(JSON.parse(JSON.stringify(fresh))).toEqual(committed);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s: expected values are the reference’s on the stored inputs', (_id, c) => {
    const { y, grad } = gmGradients(c.inputs.params, c.inputs.x, c.inputs.upstream);
    expect(worstRatio(c, { y, grad }, 'float64')).toBe(0);
  });

  it('documents every flag it uses, and every case is generated', () => {
    for (const c of cases) for (const flag of c.flags) expect(FLAG_NOTES).toHaveProperty(flag);
    expect(cases.map((c) => c.id)).toEqual(CASES.map((c) => c.id));
  });
});

describe('each flag is true of its case', () => {
  const moments = (p: GMParams, x: Matrix) => x.flatMap((xb) => p.mu.map((mu, k) => componentMoments(mu, p.sigma[k], xb)));
  const checks: Record<string, (c: ConformanceCase) => boolean> = {
    ordinary: () => true,
    'paper-init': (c) => c.inputs.params.sigma.flat().every((s) => s === 0.5),
    'negative-sigma': (c) => c.inputs.params.sigma.flat().some((s) => s < 0),
    's-zero': (c) => moments(c.inputs.params, c.inputs.x).some((m) => m.s === 0),
    'x-zero': (c) => c.inputs.x.some((xb) => xb.every((xi) => xi === 0)),
    'disjoint-supports': (c) => moments(c.inputs.params, c.inputs.x).some((m) => m.s === 0 && m.m !== 0),
    'large-t': (c) => moments(c.inputs.params, c.inputs.x).some((m) => Number.isFinite(m.t) && Math.abs(m.t) >= 30),
    'tiny-sigma': (c) => c.inputs.params.sigma.flat().every((s) => Math.abs(s) < 1e-6),
    'image-like': (c) => c.inputs.x.flat().every((xi) => xi >= 0 && xi <= 1),
    d784: (c) => c.inputs.params.mu[0].length === 784,
    'single-component': (c) => c.inputs.params.mu.length === 1,
    'random-upstream': (c) => c.inputs.upstream.flat().some((g) => g !== 1),
  };
  it.each(cases.flatMap((c) => c.flags.map((flag) => [c.id, flag, c] as const)))('%s: %s', (_id, flag, c) => {
    expect(checks[flag](c)).toBe(true);
  });
  it('the large-t case has t = −37, −20, −12, −5, 5, 12, 20, 37 on row 0', () => {
    const c = cases.find((k) => k.id === 'large-t')!;
    const ts = moments(c.inputs.params, [c.inputs.x[0]]).map((m) => m.t);
    ts.forEach((t, k) => expect(t).toBeCloseTo([-37, -20, -12, -5, 5, 12, 20, 37][k], 10));
  });
});

describe('the float32 tolerance', () => {
  const fround = (m: Matrix) => m.map((row) => row.map(Math.fround));
  it.each(cases.map((c) => [c.id, c] as const))('%s: inputs rounded to float32 stay within it', (_id, c) => {
    const p = c.inputs.params;
    const rounded: GMParams = { mu: fround(p.mu), sigma: fround(p.sigma), U: p.U.map(fround), v: fround(p.v) };
    const got = gmGradients(rounded, fround(c.inputs.x), fround(c.inputs.upstream));
    expect(worstRatio(c, got, 'float32')).toBeLessThanOrEqual(1);
  });

  it('is not vacuous: dropping the Stein term U_k(σ_k² ⊙ x) b_k fails it', () => {
    for (const id of ['ordinary-small', 'paper-init', 'image-like-d784']) {
      const c = cases.find((k) => k.id === id)!;
      const { params, x } = c.inputs;
      const K = params.mu.length;
      // h without the Stein term: 1/K Σ_k w_k a_k.
      const y = x.map((xb) =>
        params.v[0].map((_, l) => {
          let sum = 0;
          for (let k = 0; k < K; k++) {
            const w = params.U[k][l].reduce((acc, u, i) => acc + u * params.mu[k][i], params.v[k][l]);
            sum += w * componentMoments(params.mu[k], params.sigma[k], xb).a;
          }
          return sum / K;
        }),
      );
      expect(worstRatio(c, { y, grad: c.expected.grad }, 'float32')).toBeGreaterThan(1);
    }
  });
});
