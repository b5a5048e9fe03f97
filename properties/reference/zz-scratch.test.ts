import { it } from 'vitest';
import fc from 'fast-check';
import { forwardMagnitude, gradientMagnitude } from '../../reference/error-bound.js';
import { gmCase, moderateEntries } from '../support/arbitraries.js';
import { mapNested } from '../support/compare.js';

const flat = (z: unknown): number[] => (Array.isArray(z) ? z.flatMap(flat) : [z as number]);
it('homogeneity scan', () => {
  const gamma = 4 * 40 * 2 ** -24;
  let bad = 0, total = 0, worst = 0;
  fc.assert(fc.property(gmCase({ maxR: 2 }, moderateEntries, true), fc.integer({ min: -300, max: 300 }), (c, j) => {
    total++;
    const xs = mapNested(c.x, (z) => z * 2 ** j);
    const f0 = flat(forwardMagnitude(c.params, c.x, gamma)).map((z) => z * 2 ** j);
    const f1 = flat(forwardMagnitude(c.params, xs, gamma));
    const g0 = gradientMagnitude(c.params, c.x, c.G, gamma), g1 = gradientMagnitude(c.params, xs, c.G, gamma);
    const a = [...f0, ...flat([g0.mu, g0.sigma, g0.U, g0.v, g0.V ?? []]).map((z) => z * 2 ** j), ...flat(g0.x)];
    const b = [...f1, ...flat([g1.mu, g1.sigma, g1.U, g1.v, g1.V ?? []]), ...flat(g1.x)];
    let ok = true;
    a.forEach((z, i) => { const r = Math.abs(z - b[i]) / Math.max(Math.abs(z), 1e-300); if (r > worst) worst = r; if (z !== b[i]) ok = false; });
    if (!ok) { bad++; const i = a.findIndex((z, i) => z !== b[i]); console.log(j, i, a.length, a[i], b[i], JSON.stringify(c).slice(0, 600)); }
  }), { numRuns: 2000, seed: 1 });
  console.log({ bad, total, worst });
});
