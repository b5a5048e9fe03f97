/**
 * The tfjs op (src/op/gm-op.ts) held against the float64 reference on every backend
 * present and both kernel paths (fused on cpu and wasm, composite everywhere): forward
 * and every gradient, the identities, the composite's hand-written backward against
 * autodiff through the same forward, no NaN, no leaks, and the typed errors.
 *
 * Tolerances: the reference is evaluated on the same float32-rounded inputs the op
 * sees, and the difference must stay within the rounding bound (†) of
 * reference/error-bound.ts with u = 2⁻²⁴: |ĥ − h| ≤ 4·n·u·M + F. Its n includes 32
 * roundings for the special functions, which covers their measured float32 error
 * (g: 6.8e−6 relative ≈ 114 ulps, below 4·33·2⁻²⁴ = 7.9e−6).
 *
 * The op's documented domain limit: where ‖σ_k ⊙ x‖/max|x| is positive but at most
 * 1e−18 (its square leaves float32's normal range) it is taken as 0. Generated cases in
 * that window are skipped here; the effect on h is below 1e−18·(|w_k| + Σ|U_k σ_k|)·max|x|.
 *
 * Where s = 0 the gradient jumps with the sign of m (∂a/∂m = H(m)), so cases where
 * float32 cannot settle that sign are skipped too: |m| within the bound (†) of its own
 * computation, which includes the underflow floor F (wasm flushes subnormals to zero).
 * The forward is continuous there and is checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { useBackend } from '../../src/backend/backend.js';
import { GMBackendError } from '../../src/errors.js';
import { test, fc } from '@fast-check/vitest';
import { componentMoments } from '../../reference/closed-form.js';
import { forwardMagnitude, gradientMagnitude, roundingFactor, underflowFloor } from '../../reference/error-bound.js';
import { GMShapeError, GMValueError } from '../../reference/errors.js';
import { gmGradients } from '../../reference/gradients.js';
import type { GMGradients, Matrix } from '../../reference/types.js';
import { gmLayer, gmLayerAutodiff, resolveKernels, type GMTensors, type KernelChoice } from '../../src/op/gm-op.js';
import { normalStream } from '../../reference/random.js';
import { gmCase, hardCase, moderateEntries, wideCase, type DecadeRanges, type GeneratedCase } from '../support/arbitraries.js';
import { describeEachBackend, describeEachPath, runsOn } from '../support/backends.js';
import { readArrays } from '../support/read.js';
import { DEFERRED_READ_BACKENDS, gmValuesChecked } from '../../src/op/deferred-check.js';
import { expectClose } from '../support/compare.js';
import { checkAgainstReference, evaluate, expectGradientsClose, fround, opFor, tensors, toFloat32 } from '../support/against-reference.js';
import { reluNetwork } from '../support/relu-network.js';
import { FLOAT32_UNIT_ROUNDOFF, addMatrices, forwardTolerance, gradientTolerance } from '../support/tolerance.js';

import { firstOutOfRange } from '../../src/op/float32-range.js';
import { S_MIN } from '../../src/op/limits.js';
import { GaussianMixtureLayer, GaussianMixtureLayerFused, GaussianMixtureLayerWebGPU } from '../../src/op/kernel-names.js';
/**
 * False where some (row, component) has 0 < ŝ ≤ 1e−18·10, the op's threshold window:
 * ŝ = ‖σ_k ⊙ x‖/(max|x|·max|σ_k|), within a factor 2 of the kernels' scaled s.
 */
function clearOfThreshold(c: GeneratedCase): boolean {
  return c.x.every((xb) => {
    const scale = Math.max(...xb.map(Math.abs));
    if (scale === 0) return true;
    const xh = xb.map((xi) => xi / scale);
    return c.params.mu.every((mu, k) => {
      const { s } = componentMoments(mu, c.params.sigma[k], xh, c.params.V?.[k]);
      const sigmaScale = Math.max(...c.params.sigma[k].map(Math.abs), ...(c.params.V?.[k] ?? []).flat().map(Math.abs));
      return s === 0 || s / sigmaScale > 20 * S_MIN;
    });
  });
}

/** x_b / c_b with the op's row scale c_b = 2^round(log2 max_i |x_bi|). */
function scaledRow(xb: number[]): number[] {
  const max = Math.max(...xb.map(Math.abs));
  return max === 0 ? xb : xb.map((xi) => xi / 2 ** Math.round(Math.log2(max)));
}

/**
 * False where s = 0 and float32 cannot settle the sign of m: |m| within the bound (†)
 * of its own computation, 4·n·u·Σ|μ_i x̂_i| + F (F the float32 underflow floor, which
 * also covers backends that flush subnormals), with x̂ scaled as the op scales it.
 */
function signsDetermined(c: GeneratedCase): boolean {
  const dims = { K: c.params.mu.length, d: c.params.mu[0].length, L: c.params.v[0].length };
  const gamma = roundingFactor(dims, c.x.length, FLOAT32_UNIT_ROUNDOFF, 'forward');
  return c.x.every((xb) => {
    const xh = scaledRow(xb);
    return c.params.mu.every((mu, k) => {
      const { m, s } = componentMoments(mu, c.params.sigma[k], xh, c.params.V?.[k]);
      if (s > 0) return true;
      const Em = mu.reduce((acc, mi, i) => acc + Math.abs(mi * xh[i]), 0);
      return Em === 0 || Math.abs(m) > gamma * Em + underflowFloor(FLOAT32_UNIT_ROUNDOFF);
    });
  });
}

/**
 * Cases that broke the plan before σ was scaled per component: tφ/s² underflowed
 * (σ ~ 1e15: ∂ℓ/∂σ of the wrong sign), and U_k(σ_k² ⊙ x) overflowed while y did not;
 * and before ∂ℓ/∂x's term x̂ ⊙ (D·σ̃) was formed with D's rows scaled: D·σ̃ overflowed
 * where x̂ is small (∞) or 0 (NaN) while every gradient is representable.
 */
const RANGE_REPRODUCERS: Record<string, GeneratedCase> = {
  'σ ~ 1e15, ∂ℓ/∂σ through tφ/s²': {
    params: {
      mu: [[0.07603380084037781, 0.04420807212591171, 0.15778909623622894, 0.2179020792245865, -0.13942508399486542, -0.03976529836654663], [0.013488363474607468, 0.011795733124017715, 0.2082386612892151, -0.21027570962905884, 0.21725907921791077, 0.08275080472230911], [0.03014308214187622, 0.002098345896229148, 0, -0.09323500841856003, 0.02671537920832634, 0]],
      sigma: [[-300813134069760, 0, -2936965477433344, -1791895252500480, 0, 0], [4268514860859392, 0, -1556764315090944, 0, 126859677270016, 2189767735246848], [0, 0, 480421250859008, 1128673650409472, -2390655301058560, -2357892753653760]],
      U: [[[-0.39735889434814453, 0.9718139171600342, -1.350946307182312, 0, 0.5509253144264221, -0.53705894947052]], [[1.1798959970474243, 0.5518248081207275, -1.8001641035079956, 1.8720375299453735, -1.35299813747406, 2.3828816413879395]], [[0, -0.12321530282497406, -1.8578643798828125, 1.6318851709365845, -1.9090458154678345, -0.08844570815563202]]],
      v: [[8.01107358228137e-9], [-1.907644708865064e-8], [-5.555866877671178e-9]],
    },
    x: [[-0.05048798769712448, 0, 0.08131726086139679, 0.036502789705991745, 0, -0.16508381068706512], [0.018890302628278732, -0.0064584435895085335, 0.016283845528960228, 0, 0.0617358461022377, 0]],
    G: [[0.19329288601875305], [-0.05389773100614548]],
  },
  'U_k(σ_k² ⊙ x) ≈ 3e42 with y ≈ 1e35': {
    params: {
      mu: [[-173328555835392], [-235568118104064], [310555294302208], [-315963597651968]],
      sigma: [[-37733984632832], [0], [0], [0]],
      U: [[[-2846312408023040]], [[68564237156352]], [[0]], [[-224304599924736]]],
      v: [[0.17916256189346313], [-0.161512091755867], [-0.0509338341653347], [0]],
    },
    x: [[0.7501609921455383], [6.201279163360596], [1.0289030075073242]],
    G: [[-0.4637252390384674], [-0.9494436979293823], [-1.259153962135315]],
  },
  'D·σ̃ ≈ 1e40 with x̂ ≈ 1e−4, ∂ℓ/∂x ≈ 1.7e36': {
    params: {
      mu: [[77968152, -7410151.5, 10000, 37078.74609375, 0], [-278061824, 187511376, 39710.88671875, 398765440, 246169.03125]],
      sigma: [[-96974495744, -6592311853056, 344047452160, -5317988352, 9207786496], [-9000328364032, 0, -44213497856, 9926403072, -10000001925120]],
      U: [[[-3366514176, 0, -56983232, -99999997952, -744437504], [1000000000, 0, 1927850240, 0, -551768192], [3620109824, 0, 0, 73721167872, 744388544]], [[0, -7505613312, -21865856, 87075291136, 0], [0, 65571295232, 5866347.5, -12351449, 0], [-2334470.5, 0, -35848924, -25425144, 0]]],
      v: [[-9.999999960041972e-13, -4.012885079703607e-15, 6.295443333304007e-12], [0, 3.896642936703637e-15, 1.075498146622814e-14]],
    },
    x: [[1.0000001937626735e-09, 0, 7.891208610999456e-07, 9.999999747378752e-06, 0], [-6.556760467901768e-08, 1.000000082740371e-09, 3.0944036222280147e-09, -5.86272612679295e-08, 7.760794318301123e-08]],
    G: [[10000, 508931.78125, 8903.892578125], [1793.86279296875, -156172.34375, -2676.724853515625]],
  },
  'D·σ̃ overflows where x̂ = 0, ∂ℓ/∂x ≈ −1.1e34': {
    params: {
      mu: [[-3.280980308772996e-05, -1.136226001108298e-05], [-2.1727149942307733e-05, -0.0010000001639127731]],
      sigma: [[-82295035135000580, 92089157156864], [0, -473693687906304]],
      U: [[[-6.557845466659273e-08, 3.094392923230771e-06], [0, -8.839951881611796e-09], [-5.590734630800398e-08, 1.7485220382695843e-07]], [[0, 9.754240437587214e-08], [9.999999747378752e-05, 9.516241306073425e-08], [-1.0000002475862857e-05, -4.5057994668695756e-08]]],
      v: [[-9167391871205376, 65222417055744, 0], [-265670279168, -786294702080, 242730898817024]],
    },
    x: [[0, -9.12705132825875e-13]],
    G: [[34221516, -53556172, 71194992]],
  },
};

/**
 * True where every running-error magnitude M of the bound (†), forward and gradients, is
 * below 2^127: no term of the formulas comes within a factor 2 of float32's largest value
 * (README, "Float32 accuracy": the domain).
 */
function termsInRange(c: GeneratedCase): boolean {
  const limit = 2 ** 127;
  const dims = { K: c.params.mu.length, d: c.params.mu[0].length, L: c.params.v[0].length };
  const gamma = roundingFactor(dims, c.x.length, FLOAT32_UNIT_ROUNDOFF, 'gradient');
  const M = gradientMagnitude(c.params, c.x, c.G, gamma);
  const all = [forwardMagnitude(c.params, c.x, gamma), M.mu, M.sigma, M.v, M.x, ...M.U, ...(M.V ?? [])];
  return all.every((m) => m.every((row) => row.every((value) => value < limit)));
}

/**
 * Where the float32 op is verified across magnitudes (README, "Float32 accuracy"): every
 * tensor on its own decade E in [−12, 12], entries 0 or ±[1, 10)·10^(E+δ), δ ∈ [−2, 2], so
 * entries span 1e−14 to 1e15 and a case mixes, say, μ ~ 1e12 with x ~ 1e−13 and G ~ 1e9.
 */
const ACROSS_RANGE: DecadeRanges = { mu: [-12, 12], sigma: [-12, 12], U: [-12, 12], v: [-12, 12], x: [-12, 12], G: [-12, 12] };

/**
 * Components whose mean and spread are both tiny or both large (μ and σ on one decade in
 * [−30, 8]), the rest within [−6, 6]: the component scale ς keeps t = m/s in view when
 * σ is far below 1 (before ς could scale σ up, σ ~ 1e−20 was taken as s = 0).
 */
const TINY_COMPONENTS: DecadeRanges = { mu: [-30, 8], sigma: 'mu', U: [-6, 6], v: [-6, 6], x: [-6, 6], G: [-6, 6] };

/**
 * True where every (row, component) with s > 0 has |t| ≤ 12: φ(t) and Φ(−|t|) stay above
 * float32's smallest normal (beyond |t| ≈ 13 they are subnormal, and the cases below then
 * lose their digits once a factor near 1e8 multiplies them: README, "Float32 accuracy").
 */
function tailsNormal(c: GeneratedCase): boolean {
  return c.x.every((xb) => c.params.mu.every((mu, k) => {
    const { s, t } = componentMoments(mu, c.params.sigma[k], xb, c.params.V?.[k]);
    return s === 0 || Math.abs(t) <= 12;
  }));
}

const acrossRange = (ranges: DecadeRanges) =>
  wideCase({ maxK: 3, maxD: 6, maxL: 3, maxB: 3 }, ranges)
    .map(toFloat32)
    .filter((c) => clearOfThreshold(c) && signsDetermined(c) && termsInRange(c) && tailsNormal(c));

/**
 * Every tensor on its own decade in [−30, 30] (entries up to ±1e33, down to 1e−32), kept
 * where every quantity of the float32 plan stays within float32's normal range
 * (src/op/float32-range.ts with underflow: about one case in six): the domain README
 * "Float32 accuracy" states, with no other filter on magnitudes or tails.
 */
const WHOLE_RANGE: DecadeRanges = { mu: [-30, 30], sigma: [-30, 30], U: [-30, 30], v: [-30, 30], x: [-30, 30], G: [-30, 30] };
const inNormalRange = wideCase({ maxK: 3, maxD: 6, maxL: 3, maxB: 3 }, WHOLE_RANGE)
  .map(toFloat32)
  .filter((c) => clearOfThreshold(c) && signsDetermined(c) && firstOutOfRange(c.params, c.x, c.G, { underflow: true }) === undefined);

const hard32 = hardCase({ maxK: 4, maxD: 6, maxL: 3, maxB: 3 })
  .map(toFloat32)
  .filter((c) => clearOfThreshold(c) && signsDetermined(c));

describeEachPath('gmLayer against the float64 reference', (backend, kernels) => {
  const op = opFor(kernels);
  it('runs the kernel path asked for', () => expect(resolveKernels(kernels)).toBe(kernels));

  test.prop([hard32], { numRuns: runsOn(backend, 60) })('forward and all gradients within the float32 bound (hard regions)', async (c) => {
    await checkAgainstReference(op, c);
  });

  it.each([
    ['paper initialisation, d = 784, K = 20, L = 10', 0.5, 0.5],
    ['sparse image-like x, d = 784', 0.5, 0.2],
  ])('%s', async (_name, gamma, density) => {
    const z = normalStream(`d784-${density}`);
    const gauss = () => gamma * z();
    const uniform = () => Math.abs(z()) % 1;
    const K = 20;
    const L = 10;
    const d = 784;
    const M = (rows: number, cols: number, f: () => number) => Array.from({ length: rows }, () => Array.from({ length: cols }, f));
    const c: GeneratedCase = toFloat32({
      params: { mu: M(K, d, gauss), sigma: M(K, d, () => gamma), U: Array.from({ length: K }, () => M(L, d, gauss)), v: M(K, L, gauss) },
      x: M(4, d, () => (uniform() < density ? uniform() : 0)),
      G: M(4, L, z),
    });
    await checkAgainstReference(op, c);
  });

  test.prop([acrossRange(ACROSS_RANGE)], { numRuns: runsOn(backend, 60) })('forward and all gradients within the float32 bound, entries from 1e−14 to 1e15 in every tensor', async (c) => {
    await checkAgainstReference(op, c);
  });

  test.prop([acrossRange(TINY_COMPONENTS)], { numRuns: runsOn(backend, 40) })('forward and all gradients within the float32 bound, μ and σ together from 1e−32 to 1e11', async (c) => {
    await checkAgainstReference(op, c);
  });

  test.prop([inNormalRange], { numRuns: runsOn(backend, 100) })('forward and all gradients within the float32 bound, every tensor from 1e−32 to 1e33, wherever the plan stays in float32’s normal range', async (c) => {
    await checkAgainstReference(op, c);
  });

  it.each(Object.keys(RANGE_REPRODUCERS))('%s: within the float32 bound (once broken at extreme magnitudes)', async (name) => {
    const c = RANGE_REPRODUCERS[name];
    await checkAgainstReference(op, c);
  });
});

describeEachPath('low-rank factors V', (backend, kernels) => {
  const op = opFor(kernels);
  const lowRank32 = hardCase({ maxK: 3, maxD: 5, maxL: 2, maxB: 3, maxR: 3 })
    .map(toFloat32)
    .filter((c) => clearOfThreshold(c) && signsDetermined(c));
  test.prop([lowRank32], { numRuns: runsOn(backend, 40) })('forward and all gradients, ∂ℓ/∂V included, within the float32 bound', async (c) => {
    await checkAgainstReference(op, c);
  });

  // V drawn on σ's decade (wideCase), every tensor on its own decade in [−12, 12].
  const lowRankAcross = wideCase({ maxK: 3, maxD: 5, maxL: 2, maxB: 3, maxR: 2 }, ACROSS_RANGE)
    .map(toFloat32)
    .filter((c) => clearOfThreshold(c) && signsDetermined(c) && termsInRange(c) && tailsNormal(c));
  test.prop([lowRankAcross], { numRuns: runsOn(backend, 40) })('∂ℓ/∂V and the rest within the float32 bound, entries from 1e−14 to 1e15, V on σ’s decade', async (c) => {
    await checkAgainstReference(op, c);
  });

  // s = 0 exactly: σ_k = 0 and p = V_k x = 1 + 2⁻³⁰ − 1 − 2⁻³⁰ = 0, a sum that float32
  // in this order leaves at p̂ = −2⁻³⁰ (tfjs-cpu's matMul sums in float64 and keeps 0).
  // Then ŝ = 2⁻³⁰, t̂ ≈ ±2⁻¹⁰ where t = ±∞: b̂ ≈ ½ where b = 0 or 1, and ∂ℓ/∂s terms
  // appear in ∂ℓ/∂V and ∂ℓ/∂x where the exact ones are 0 (the symmetric derivative at
  // s = 0). The bound once missed both (docs/MATH.md, §8).
  const cancelling = (mu0: number): GeneratedCase => ({
    params: { mu: [[mu0, 0, 0, 0]], sigma: [[0, 0, 0, 0]], U: [[[1, 1, 1, 1]]], v: [[1000]], V: [[[1, 2 ** -30, -1, -(2 ** -30)]]] },
    x: [[1, 1, 1, 1]],
    G: [[1]],
  });
  it.each([2 ** -40, -(2 ** -40)])('s = 0 where the float32 sum p̂ = V_k x does not cancel (μ_k0 = %d): within the float32 bound', async (mu0) => {
    await checkAgainstReference(op, cancelling(mu0));
  });

  // Built to cancel: σ_k0 ∈ {0, 1e−12, 1e−6} and the rows of V_k permutations of
  // (a, a·ε, −a, −a·ε) on x = (z, z, z, z), so s = σ_k0·z exactly while float32 sums may
  // leave p̂ ~ a·ε·z; μ_k0 ∈ {0, ±2⁻⁴⁰, …} puts m at, near or far from 0.
  const cancellingCase = fc
    .record({
      K: fc.integer({ min: 1, max: 3 }),
      rows: fc.array(fc.constantFrom([0, 1, 2, 3], [1, 0, 3, 2], [0, 2, 1, 3], [3, 1, 2, 0]), { minLength: 1, maxLength: 2 }),
      a: fc.constantFrom(1, 3, 0.1, 1e3),
      eps: fc.constantFrom(2 ** -30, 2 ** -26, 2 ** -24, 1e-9),
      mu0: fc.constantFrom(0, 2 ** -40, -(2 ** -40), 2 ** -30, -(2 ** -30), 1e-6, -1e-6, 1, -1),
      sigma0: fc.constantFrom(0, 1e-12, 1e-6),
      v: fc.constantFrom(0, 0.01, 1, 1e3, -1e3),
      z: fc.constantFrom(0.5, 1, 3, 7),
      G: fc.constantFrom(1, -1, 0.3, -1.7),
    })
    .map(({ K, rows, a, eps, mu0, sigma0, v, z, G }): GeneratedCase => {
      const entries = [a, a * eps, -a, -a * eps];
      return toFloat32({
        params: {
          mu: Array.from({ length: K }, (_, k) => [mu0 * (k + 1), 0, 0, 0]),
          sigma: Array.from({ length: K }, () => [sigma0, 0, 0, 0]),
          U: Array.from({ length: K }, () => [[1, -1, 1, 1]]),
          v: Array.from({ length: K }, () => [v]),
          V: Array.from({ length: K }, () => rows.map((order) => order.map((i) => entries[i]))),
        },
        x: [[z, z, z, z]],
        G: [[G]],
      });
    });
  test.prop([cancellingCase], { numRuns: runsOn(backend, 40) })('s at or near 0 where p = V_k x cancels exactly and its float32 sum need not: within the float32 bound', async (c) => {
    await checkAgainstReference(op, c);
  });

  // The second component's scale comes from V alone (σ ≈ 0.3, V ≈ 5e20: ς_1 = 2^69), where
  // VᵀV x ≈ 4e41 would leave float32's range unscaled; U ≈ 1e−10 and G = 1e−10 keep every
  // true output and gradient in range.
  it('a component scaled by its V alone (V ≈ 5e20, K = 2): within the float32 bound', async () => {
    const params = { mu: [[0.5, -1], [0.2, 0.3]], sigma: [[0.1, 0.2], [0.3, 0.05]], U: [[[1, 2]], [[1e-10, -2e-10]]], v: [[0.1], [-0.2]], V: [[[3, 1]], [[-2e20, 5e20]]] };
    await checkAgainstReference(op, toFloat32({ params, x: [[1, 2]], G: [[1e-10]] }));
  });
});

describeEachPath('identities of the float32 op', (backend, kernels) => {
  const op = opFor(kernels);
  const forward = async (c: GeneratedCase) => (await readArrays(() => ({ h: op(tf.tensor2d(c.x), tensors(c.params)) }))).h as Matrix;

  test.prop([hard32, fc.infiniteStream(fc.boolean())], { numRuns: runsOn(backend, 40) })(
    'σ sign invariance: outputs equal and the σ-gradient odd, exactly',
    async (c, flips) => {
      const sign = c.params.sigma.map((row) => row.map(() => (flips.next().value ? -1 : 1)));
      const flipped = { ...c, params: { ...c.params, sigma: c.params.sigma.map((row, k) => row.map((s, i) => s * sign[k][i])) } };
      const [base, other] = [await evaluate(op, c), await evaluate(op, flipped)];
      expectClose(other.y, base.y, 0, 'y');
      expectClose(other.grad.sigma, base.grad.sigma.map((row, k) => row.map((g, i) => g * sign[k][i])), 0, 'grad.sigma');
      expectClose(other.grad.mu, base.grad.mu, 0, 'grad.mu');
    },
  );

  test.prop([hard32], { numRuns: runsOn(backend, 40) })('σ = 0 is the width-K ReLU network (within the float32 bound)', async (c) => {
    const zero = { ...c, params: { ...c.params, sigma: c.params.sigma.map((row) => row.map(() => 0)) } };
    expectClose(await forward(zero), reluNetwork(zero.params, zero.x), forwardTolerance(zero.params, zero.x, FLOAT32_UNIT_ROUNDOFF), 'h');
  });

  test.prop([hard32, fc.integer({ min: 2, max: 4 })], { numRuns: runsOn(backend, 30) })('K identical components equal one', async (c, K) => {
    const one = { ...c, params: { mu: [c.params.mu[0]], sigma: [c.params.sigma[0]], U: [c.params.U[0]], v: [c.params.v[0]] } };
    const many = { ...c, params: { mu: Array(K).fill(one.params.mu[0]), sigma: Array(K).fill(one.params.sigma[0]), U: Array(K).fill(one.params.U[0]), v: Array(K).fill(one.params.v[0]) } };
    const tol = addMatrices(forwardTolerance(one.params, c.x, FLOAT32_UNIT_ROUNDOFF), forwardTolerance(many.params, c.x, FLOAT32_UNIT_ROUNDOFF));
    expectClose(await forward(many), await forward(one), tol, 'h');
  });

  test.prop([hard32, fc.infiniteStream(fc.nat())], { numRuns: runsOn(backend, 30) })('permuting components changes nothing', async (c, rand) => {
    const order = c.params.mu.map((_, k) => k);
    for (let j = order.length - 1; j > 0; j--) {
      const r = rand.next().value % (j + 1);
      [order[j], order[r]] = [order[r], order[j]];
    }
    const p = c.params;
    const permuted = { ...c, params: { mu: order.map((k) => p.mu[k]), sigma: order.map((k) => p.sigma[k]), U: order.map((k) => p.U[k]), v: order.map((k) => p.v[k]) } };
    expectClose(await forward(permuted), await forward(c), addMatrices(forwardTolerance(p, c.x, FLOAT32_UNIT_ROUNDOFF), forwardTolerance(permuted.params, c.x, FLOAT32_UNIT_ROUNDOFF)), 'h');
  });

  // Moderate entries and |j| ≤ 10 keep every result a normal float32 (subnormals may be flushed).
  test.prop([gmCase({}, moderateEntries).map(toFloat32), fc.integer({ min: -10, max: 10 })], { numRuns: runsOn(backend, 30) })(
    'positive homogeneity: h(2^j x) = 2^j h(x) exactly (the row scale absorbs 2^j)',
    async (c, j) => {
      const scaled = { ...c, x: c.x.map((xb) => xb.map((xi) => xi * 2 ** j)) };
      expectClose(await forward(scaled), (await forward(c)).map((row) => row.map((h) => h * 2 ** j)), 0, 'h');
    },
  );

  test.prop([hard32], { numRuns: runsOn(backend, 30) })('the odd part is linear: h(x) − h(−x) = 1/K Σ_k [w_k m_k + U_k(σ_k² ⊙ x)]', async (c) => {
    const minus = { ...c, x: c.x.map((xb) => xb.map((xi) => -xi)) };
    const [hp, hm] = [await forward(c), await forward(minus)];
    const ref = [gmGradients(c.params, c.x).y, gmGradients(c.params, minus.x).y];
    const tol = addMatrices(forwardTolerance(c.params, c.x, FLOAT32_UNIT_ROUNDOFF), forwardTolerance(c.params, minus.x, FLOAT32_UNIT_ROUNDOFF));
    // The float64 difference satisfies the identity (properties/reference); compare differences.
    expectClose(hp.map((row, b) => row.map((h, l) => h - hm[b][l])), ref[0].map((row, b) => row.map((h, l) => h - ref[1][b][l])), tol, 'h(x) − h(−x)');
  });
});

describeEachBackend('composite hand-written backward vs autodiff through the same forward', (backend) => {
  // Rows scaled to max |x_b| ≈ 1 (row scale c = 1): autodiff carries c through the chain
  // rule (G·c/K·w·μ, then /c), which underflows for tiny rows where the hand-written
  // backward, which never multiplies by c, does not. Scaling is tested on its own above.
  // Likewise σ's scale ς: where σ_k is far below 1 (ς < 1), autodiff carries 1/ς through
  // the chain rule after products that underflow; tiny σ is tested against the reference
  // above, so here every σ and V entry is 0 or at least 2^−60.
  // Away from m = 0, where autodiff differentiates ReLU(m) + s·g(−|t|) term by term with
  // one-sided subgradients (src/op/gm-op.ts): m must be distinguishable from 0 in float32.
  const unitRows = (c: GeneratedCase): GeneratedCase => ({ ...c, x: fround(c.x.map(scaledRow)) });
  const ordinarySigma = (c: GeneratedCase) => [...c.params.sigma.flat(), ...(c.params.V ?? []).flat(2)].every((value) => value === 0 || Math.abs(value) >= 2 ** -60);
  const smoothOf = (cases: fc.Arbitrary<GeneratedCase>) => cases.map(unitRows).filter((c) => {
    const dims = { K: c.params.mu.length, d: c.params.mu[0].length, L: c.params.v[0].length };
    const gamma = roundingFactor(dims, c.x.length, FLOAT32_UNIT_ROUNDOFF, 'forward');
    return ordinarySigma(c) && c.x.every((xb) =>
      c.params.mu.every((mu) => {
        const m = mu.reduce((acc, mi, i) => acc + mi * xb[i], 0);
        const Em = mu.reduce((acc, mi, i) => acc + Math.abs(mi * xb[i]), 0);
        return Math.abs(m) > gamma * Em + underflowFloor(FLOAT32_UNIT_ROUNDOFF);
      }),
    );
  });
  const smooth = smoothOf(hard32);
  const smoothLowRank = smoothOf(hardCase({ maxK: 3, maxD: 5, maxL: 2, maxB: 3, maxR: 2 }).map(toFloat32).filter((c) => clearOfThreshold(c) && signsDetermined(c)));
  const agree = async (c: GeneratedCase) => {
    const [hand, auto] = [await evaluate(opFor('composite'), c), await evaluate(gmLayerAutodiff, c)];
    const d = (m: Matrix) => m.map((row) => row.map((t) => 2 * t));
    const tol = gradientTolerance(c.params, c.x, c.G, FLOAT32_UNIT_ROUNDOFF);
    const twice: GMGradients = { mu: d(tol.mu), sigma: d(tol.sigma), U: tol.U.map(d), v: d(tol.v), x: d(tol.x), ...(tol.V !== undefined && { V: tol.V.map(d) }) };
    expectClose(hand.y, auto.y, 0, 'y'); // the same forward ops
    expectGradientsClose(hand.grad, auto.grad, twice, 'hand vs auto');
  };
  test.prop([smooth], { numRuns: runsOn(backend, 40) })('agree within twice the float32 bound', agree);
  test.prop([smoothLowRank], { numRuns: runsOn(backend, 40) })('agree within twice the float32 bound with low-rank factors V', agree);
});

describeEachPath('robustness', (backend, kernels) => {
  const op = opFor(kernels);
  test.prop([hardCase({ maxK: 4, maxD: 8 }).map(toFloat32)], { numRuns: runsOn(backend, 40) })('no NaN or ±∞ in outputs or gradients for finite inputs', async (c) => {
    const { y, grad } = await evaluate(op, c);
    for (const value of [y, grad.mu, grad.sigma, grad.U, grad.v, grad.x].flat(3)) expect(Number.isFinite(value)).toBe(true);
  });

  it('finite at extreme scales: x up to 1e30 and down to 1e−30, σ from 1e−15 to 1e3', async () => {
    for (const scale of [1e30, 1e-30, 1e-40]) {
      for (const sigma of [1e-15, 1e-6, 1, 1e3]) {
        const c = toFloat32({
          params: { mu: [[0.3, -0.2, 0.1]], sigma: [[sigma, -sigma, 0]], U: [[[1, 2, 3]]], v: [[0.5]] },
          x: [[scale, -scale / 2, 0], [0, 0, 0]],
          G: [[1], [1]],
        });
        const { y, grad } = await evaluate(op, c);
        for (const value of [y, grad.mu, grad.sigma, grad.U, grad.v, grad.x].flat(3)) expect(Number.isFinite(value)).toBe(true);
      }
    }
  });

  it('rows near the float32 maximum: the row scale stays finite and exact to divide by (2^126, not 2^128 = ∞ or 2^127)', async () => {
    const c = toFloat32({
      params: { mu: [[3e-10, -2e-10, 1e-10]], sigma: [[1e-10, -1e-10, 0]], U: [[[1e-10, 2e-10, 3e-10]]], v: [[0.5]] },
      x: [[3.4e38, -1e38, 0], [0, 0, 0]],
      G: [[1], [1]],
    });
    await checkAgainstReference(op, c);
  });

  it('rows of very different scales in one batch: the batch sums scale by the largest row scale (a·c alone would overflow)', async () => {
    // c = (2^126, 1) (the exponent clamped): a ≈ 40 in x̂'s units, so a·c ≈ 3.4e39, while ∂ℓ/∂v = Σ_b a_b c_b G_b ≈ 3.4e36.
    const c = toFloat32({ params: { mu: [[10]], sigma: [[0]], U: [[[0]]], v: [[1e-3]] }, x: [[3.4e38], [1]], G: [[1e-3], [1e-3]] });
    await checkAgainstReference(op, c);
  });

  it('a mean near the float32 maximum: K components near it average to a representable h (their sum alone overflows)', async () => {
    for (const K of [2, 3]) {
      const c = toFloat32({
        params: { mu: Array(K).fill([1]), sigma: Array(K).fill([0]), U: Array(K).fill([[0]]), v: Array(K).fill([3e38]) },
        x: [[1], [0.75]],
        G: [[1], [1]],
      });
      await checkAgainstReference(op, c);
    }
  });

  it('leaks no tensors across repeated forward and backward passes, with and without low-rank factors', async () => {
    const withV = hardCase({ maxR: 2 }).filter((c) => (c.params.V?.[0]?.length ?? 0) > 0);
    const cases = [hardCase(), withV].map((arbitrary) => toFloat32(fc.sample(arbitrary, { seed: 3, numRuns: 1 })[0]));
    for (const c of cases) await evaluate(op, c); // warm up kernel registration
    await gmValuesChecked();
    const before = tf.memory().numTensors;
    for (let j = 0; j < 20; j++) for (const c of cases) await evaluate(op, c);
    await gmValuesChecked(); // on webgpu, checks still in flight hold two small tensors each
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the tensor, the expected and the actual value for bad input', async () => {
    const p = tensors({ mu: [[1, 2]], sigma: [[1, 1]], U: [[[1, 0]]], v: [[0]] });
    const x = tf.tensor2d([[1, 2]]);
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error as Error;
      }
      throw new Error('no error thrown');
    };
    // A non-finite value: thrown at once, or on webgpu by gmValuesChecked (src/op/deferred-check.ts).
    const nonFinite = async (f: () => unknown) => {
      if (!DEFERRED_READ_BACKENDS.has(backend)) return thrown(f);
      f();
      return gmValuesChecked().then(() => thrown(() => undefined), (error: unknown) => error as Error);
    };
    expect(thrown(() => gmLayer(tf.tensor2d([[1, 2, 3]]), p))).toMatchObject({ name: 'GMShapeError', field: 'x' });
    expect(thrown(() => gmLayer(tf.tensor2d([[1, 2, 3]]), p)).message).toMatch(/x: expected shape \[B, d=2\], got shape \[1, 3\]/);
    expect(thrown(() => gmLayer(tf.tensor3d([[[1, 2]]]) as unknown as tf.Tensor2D, p))).toBeInstanceOf(GMShapeError);
    expect(thrown(() => gmLayer(tf.tensor2d([[1, 2]], [1, 2], 'int32'), p)).message).toMatch(/x: expected dtype float32, got dtype int32/);
    expect(thrown(() => gmLayer(x, { ...p, v: tf.tensor2d([[0, 1]]) })).message).toMatch(/params.v: expected shape \[K=1, L=1\]/);
    expect(await nonFinite(() => gmLayer(tf.tensor2d([[1, NaN]]), p))).toBeInstanceOf(GMValueError);
    expect((await nonFinite(() => gmLayer(tf.tensor2d([[1, NaN]]), p))).message).toBe('x[0][1]: expected a finite number, got NaN');
    expect((await nonFinite(() => gmLayer(x, { ...p, U: tf.tensor3d([[[1, Infinity]]]) }))).message).toBe('params.U[0][0][1]: expected a finite number, got Infinity');
    const V = tf.tensor3d([[[0.5, NaN]]]);
    expect((await nonFinite(() => gmLayer(x, { ...p, V }))).message).toBe('params.V[0][0][1]: expected a finite number, got NaN');
    expect(thrown(() => gmLayer(x, { ...p, mu: tf.tensor2d([[], []], [2, 0]) as tf.Tensor2D })).message).toMatch(/params.mu/);
    expect(thrown(() => gmLayer([[1, 2]] as unknown as tf.Tensor2D, p)).message).toMatch(/x: expected a tf.Tensor/);
  });

  it('uses the exact step H(m) at s = 0 even for tiny m (tf.sign on wasm returns 0 below ~1e−7)', async () => {
    for (const m of [1e-7, -1e-7, 1e-20]) {
      const c: GeneratedCase = { params: { mu: [[m, 0]], sigma: [[0, 1]], U: [[[0, 0]]], v: [[1]] }, x: [[1, 0]], G: [[1]] };
      const { grad } = await evaluate(op, c);
      // ∂ℓ/∂μ_0 = x_0 · H(m) · ⟨G, w⟩ with w = v = 1 (K = 1).
      expect(grad.mu[0][0]).toBe(m > 0 ? 1 : 0);
    }
  });

  it('B = 0 gives an empty output and zero gradients of every input, V included (no kernel sees the empty batch)', async () => {
    // Without V, with V of rank 0 (the diagonal layer: nothing to differentiate) and of rank 1.
    for (const V of [undefined, tf.tensor3d([], [1, 0, 2]), tf.tensor3d([[[0.5, -0.5]]])]) {
      const p = { ...tensors({ mu: [[1, 2]], sigma: [[1, 1]], U: [[[1, 0]]], v: [[0]] }), ...(V !== undefined && { V }) };
      const x = tf.tensor2d([], [0, 2]);
      expect(op(x, p).shape).toEqual([0, 1]);
      const inputs = [x, p.mu, p.sigma, p.U, p.v, ...(V !== undefined && V.size > 0 ? [V] : [])];
      const layer = (xx: tf.Tensor, mu: tf.Tensor, sigma: tf.Tensor, U: tf.Tensor, v: tf.Tensor, VV?: tf.Tensor) =>
        op(xx as tf.Tensor2D, { mu, sigma, U, v, ...((VV ?? V) !== undefined && { V: VV ?? V }) } as GMTensors);
      const grads = tf.grads(layer as (...args: tf.Tensor[]) => tf.Tensor)(inputs, tf.zeros([0, 1]));
      expect(grads.map((g) => g.shape)).toEqual(inputs.map((t) => t.shape));
      for (const g of grads) expect(Array.from(await g.data()).every((z) => z === 0)).toBe(true);
    }
    await gmValuesChecked(); // on webgpu: the deferred check of inputs with an empty x reads back clean
  });

  it('runs the kernel of its path: the composite one, or the fused one of its backend', async () => {
    const p = tensors({ mu: [[1, 2]], sigma: [[1, 1]], U: [[[1, 0]]], v: [[0]] });
    const { kernelNames } = await tf.profile(() => op(tf.tensor2d([[1, 2]]), p));
    const expected = kernels === 'composite' ? GaussianMixtureLayer : backend === 'webgpu' ? GaussianMixtureLayerWebGPU : GaussianMixtureLayerFused;
    expect(kernelNames.filter((name) => name.startsWith('GaussianMixtureLayer'))).toEqual([expected]);
    await gmValuesChecked();
  });
});

describe('kernel choice', () => {
  const p = tensors({ mu: [[1, 2]], sigma: [[1, 1]], U: [[[1, 0]]], v: [[0]] });
  const x = tf.tensor2d([[1, 2]]);

  it('names the option, the choices and the value for an unknown choice', () => {
    expect(() => gmLayer(x, p, { kernels: 'fast' as KernelChoice })).toThrow(GMValueError);
    expect(() => gmLayer(x, p, { kernels: 'fast' as KernelChoice })).toThrow(`options.kernels: expected 'auto' or 'fused' or 'composite', got "fast"`);
  });

  it('runs fused only on cpu, wasm and webgpu; auto is composite elsewhere', async () => {
    // A backend under another name stands in for webgl or tensorflow.
    // A cpu backend under another name; marked used so that it prints no Node banner.
    tf.registerBackend('gmlayer-test-device', () => Object.assign(new MathBackendCPU(), { firstUse: false }) as MathBackendCPU);
    await tf.setBackend('gmlayer-test-device');
    try {
      expect(resolveKernels('auto')).toBe('composite');
      expect(resolveKernels('composite')).toBe('composite');
      expect(() => resolveKernels('fused')).toThrow(GMBackendError);
      expect(() => resolveKernels('fused')).toThrow(/options.kernels: expected 'fused' only on backend cpu, wasm, webgpu .*, got 'fused' on backend gmlayer-test-device/);
    } finally {
      await useBackend('cpu');
      tf.removeBackend('gmlayer-test-device');
    }
    expect(resolveKernels('auto')).toBe('fused');
    expect(resolveKernels()).toBe('fused'); // 'auto' by default
  });

  it('auto is fused on wasm', async () => {
    await useBackend('wasm');
    try {
      expect(resolveKernels('auto')).toBe('fused');
    } finally {
      await useBackend('cpu');
    }
  });
});
