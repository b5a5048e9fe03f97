/**
 * The WGSL programs of src/op/webgpu/programs.ts, where a WebGPU adapter exists (the
 * software one included):
 *   terms   the special functions against the float64 reference on a grid of 5,001
 *           u in [0, 25], with relative tolerances counted from the WGSL (each +, −, ×
 *           one rounding of at most u = 2⁻²⁴, each division 2.5 ULP = 5u, WGSL spec):
 *             φ(u):     e^x twice (Cody–Waite reduction 2, Taylor by Horner 14, 2^n exact)
 *                       + the product of the two + the constant: 2·16 + 2 = 34u
 *             Φ(−u):    the fit's 1.2e−7 + y (one division, two roundings: 7u) + P(y) by
 *                       Horner (19 roundings of terms up to |P| ≤ 1.3 and y ≤ 1: 25u) +
 *                       e^P (16u) + three products (3u) + φ's 34u: 1.2e−7 + 85u
 *             g(−u):    below 5, φ(1 − uR): R's relative error amplified by uR/(1 − uR) ≤ 13,
 *                       plus φ and two roundings; from 5 on, Q/T with T's 7 divisions and
 *                       adds (7·(5 + 1)u, the fraction's own 1.7e−7) and one division
 *           and the s = 0 limits exactly.
 *   mix, componentGrads, sGrads  against a float32 emulation of their documented order
 *           (Math.fround after every operation; divisions within 2.5 ULP); with row
 *           ratios r = c/cmax (powers of two), exactly the unscaled output times r.
 *   gradMu, gradU, gradSigma  against a float32 emulation of their documented order
 *           (Math.fround after every operation; a GPU may fuse a product into a sum), with
 *           σ̃ and σ̂ where only cmax first (tiny) or last (huge) stays in range.
 *   steinMatrix, sigmaHatSquared, largestScale  exactly (products, max and exact divisions
 *           by powers of two only); outputWeights, outputWeightsGradient against their
 *           emulated sums.
 *   rowScales  exactly against 2^round(log2 max|row|) in float64, clamped, including rows
 *           whose largest entry sits either side of √½·2^E (the rounding's boundary).
 * The op and layer suites (properties/op/gm-op.test.ts) hold the whole fused WebGPU
 * path to the float32 bound; these pin each program down on its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { expectedRelu, normalCdf, normalPdf } from '../../../reference/normal.js';
import { useBackend } from '../../../src/backend/backend.js';
import { S2_MIN, SCALE_EXPONENT_RANGE } from '../../../src/op/limits.js';
import {
  componentGrads,
  largestScale,
  mix,
  outputWeights,
  outputWeightsGradient,
  parameterGradientPrograms,
  rowScales,
  sGrads,
  sigmaHatSquared,
  steinMatrix,
  terms,
} from '../../../src/op/webgpu/programs.js';

const u32 = 2 ** -24;
const FIT = 1.2e-7;
const TOL = {
  pdf: 34 * u32,
  Q: FIT + 85 * u32,
  lossNear: 13 * (FIT + 85 * u32) + 36 * u32, // R's error amplified ≤ 13× below 5, then φ's 34u and two roundings
  lossFar: 1.7e-7 + FIT + 85 * u32 + 48 * u32,
};

async function read(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

describe.skipIf(inject('webgpuAdapter') === undefined)('WGSL programs [webgpu]', () => {
  it('terms: φ, Φ(−u) and g(−u) within their counted roundings on u in [0, 25]', async () => {
    await useBackend('webgpu');
    const us = Array.from({ length: 5001 }, (_, j) => Math.fround(j / 200));
    const B = us.length;
    // K = 1, m = −u, ŝ² = 1, ς = 1: t = −u, a = g(−u), b = Φ(−u), φ/ŝ = φ(u), tφ/ŝ² = −uφ(u).
    const T = await read(terms(tf.tensor2d(us.map((u) => -u), [1, B]), tf.ones([B, 1]), tf.ones([1, 1]), 1, B));
    us.forEach((u, b) => {
      const checks: [string, number, number, number][] = [
        ['pdf', T[2 * B + b], normalPdf(u), TOL.pdf],
        ['Q', T[B + b], normalCdf(-u), TOL.Q],
        ['loss', T[b], expectedRelu(-u), u < 5 ? TOL.lossNear : TOL.lossFar],
      ];
      for (const [name, got, want, tolerance] of checks) {
        if (want < 1e-37) {
          // Below float32's normal range: only a tiny, nonnegative value is asked for.
          expect(got, `${name} at u = ${u}`).toBeGreaterThanOrEqual(0);
          expect(got, `${name} at u = ${u}`).toBeLessThanOrEqual(2e-37);
          continue;
        }
        const relative = Math.abs(got - want) / want;
        if (!(relative <= tolerance)) throw new Error(`${name} at u = ${u}: got ${got}, want ${want} (relative ${relative}, tolerance ${tolerance})`);
      }
      expect(T[3 * B + b]).toBe(Math.fround(-u * T[2 * B + b])); // tφ/ŝ² at ŝ² = 1: one rounding of t·φ
    });
  });

  it('terms: the s = 0 limits exactly, and t > 0 through 1 − Φ(−t)', async () => {
    await useBackend('webgpu');
    const m = [2, -3, 0, 1e-30, 0.5];
    const v = [0, S2_MIN, 0, 0, 1];
    const T = await read(terms(tf.tensor2d(m, [1, 5]), tf.tensor2d(v, [5, 1]), tf.ones([1, 1]), 1, 5));
    const at = (plane: number) => Array.from(T.subarray(plane * 5, plane * 5 + 4));
    expect(at(0)).toEqual([2, 0, 0, Math.fround(1e-30)]); // ReLU(m)
    expect(at(1)).toEqual([1, 0, 0.5, 1]); // H(m), H(0) = ½
    expect(at(2)).toEqual([0, 0, 0, 0]);
    expect(at(3)).toEqual([0, 0, 0, 0]);
    expect(Math.abs(T[5 + 4] - normalCdf(0.5))).toBeLessThanOrEqual(TOL.Q * normalCdf(-0.5) + u32);
  });

  it('mix, componentGrads and sGrads follow their documented float32 order', async () => {
    await useBackend('webgpu');
    const [K, L, B] = [3, 2, 5];
    const f = Math.fround;
    const rand = (n: number, seed: number) => Array.from({ length: n }, (_, j) => f(Math.sin(seed * 97 + j * 13.1) * 2));
    const F = rand(K * (L + 1) * B, 1);
    const Tv = rand(4 * K * B, 2);
    const w = rand(K * L, 3);
    const c = [1, 2, 0.5, 4, 1];
    const scale = [1, 4, 2];
    const G = rand(B * L, 4);
    const t = (values: number[], shape: number[]) => tf.tensor(values, shape, 'float32');
    const h = await read(mix(t(F, [K * (L + 1), B]), t(Tv, [4, K, B]), t(w, [K, L]), t(c, [B, 1]), t(scale, [K, 1]), K, L, B));
    const dMQT = await read(componentGrads(t(G, [B, L]), t(F, [K * (L + 1), B]), t(w, [K, L]), t(Tv, [4, K, B]), t(scale, [K, 1]), K, L, B));
    const D = await read(sGrads(t(G, [B, L]), t(F, [K * (L + 1), B]), t(w, [K, L]), t(Tv, [4, K, B]), K, L, B));
    // Row ratios r_b = c_b/cmax, powers of two: the scaled outputs are the unscaled ones times r_b exactly.
    const cMax = 4;
    const ratios = { c: t(c, [B, 1]), cMax: t([cMax], [1]) };
    const dMQTr = await read(componentGrads(t(G, [B, L]), t(F, [K * (L + 1), B]), t(w, [K, L]), t(Tv, [4, K, B]), t(scale, [K, 1]), K, L, B, ratios));
    const Dr = await read(sGrads(t(G, [B, L]), t(F, [K * (L + 1), B]), t(w, [K, L]), t(Tv, [4, K, B]), K, L, B, ratios));
    dMQT.forEach((value, j) => expect(dMQTr[j], `dMQT·r at ${j}`).toBe(f((value * c[j % B]) / cMax)));
    D.forEach((value, j) => expect(Dr[j], `D·r at ${j}`).toBe(f((value * c[Math.floor(j / K)]) / cMax)));
    const plane = K * B;
    const q = (k: number, l: number, b: number) => F[(K + k * L + l) * B + b];
    // A quotient by K is within 2.5 ULP in WGSL, not correctly rounded: compared within 3 ULP of the result's terms.
    const near = (got: number, want: number, scaleOf: number, label: string) => {
      if (!(Math.abs(got - want) <= 8 * u32 * scaleOf)) throw new Error(`${label}: got ${got}, want ${want}`);
    };
    for (let b = 0; b < B; b++) {
      for (let l = 0; l < L; l++) {
        let acc = 0;
        let size = 0;
        for (let k = 0; k < K; k++) {
          const term = f(f(Tv[k * B + b] * w[k * L + l]) + f(f(Tv[plane + k * B + b] * scale[k]) * q(k, l, b)));
          acc = f(acc + term);
          size += Math.abs(term);
        }
        near(h[b * L + l], f(acc * f(c[b] / K)), (size * c[b]) / K, `h[${b}][${l}]`);
      }
      for (let k = 0; k < K; k++) {
        let alpha = 0;
        let beta = 0;
        let size = 0;
        for (let l = 0; l < L; l++) {
          const g = f(G[b * L + l] / K);
          alpha = f(alpha + f(g * w[k * L + l]));
          beta = f(beta + f(g * q(k, l, b)));
          size += Math.abs(g * w[k * L + l]) + Math.abs(g * q(k, l, b));
        }
        const bkb = Tv[plane + k * B + b];
        const [pS, tpS] = [Tv[2 * plane + k * B + b], Tv[3 * plane + k * B + b]];
        near(dMQT[k * B + b], f(f(alpha * bkb) + f(beta * pS)), size * (Math.abs(bkb) + Math.abs(pS)), `dm[${k}][${b}]`);
        near(D[b * K + k], f(f(alpha * pS) - f(beta * tpS)), size * (Math.abs(pS) + Math.abs(tpS)), `D[${b}][${k}]`);
        for (let l = 0; l < L; l++) {
          const want = f(f(G[b * L + l] / K) * f(bkb * scale[k]));
          near(dMQT[(K + k * L + l) * B + b], want, Math.abs(want), `dq[${k}][${l}][${b}]`);
        }
      }
    }
  });

  it('rowScales: 2^round(log2 max|row|), clamped, exactly; 1 for a zero row', async () => {
    await useBackend('webgpu');
    const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
    const [below, above] = [f32(0x3f3504f3), f32(0x3f3504f4)]; // the float32 values either side of √½
    const largest: number[] = [0, 1, -1, 3.4e38, -1.2e-38, 1e-30, 7.5, -1e20, 0.75];
    for (const E of [-120, -7, 0, 1, 9, 100]) largest.push(below * 2 ** E, above * 2 ** E, -above * 2 ** E);
    // Each row: its largest entry, then smaller ones of both signs (the row's maximum is what counts).
    const C = 5;
    const rows = largest.map((m) => [m / 3, -m / 2, m, m / 4, 0].map(Math.fround));
    const expected = (m: number, [lo, hi]: readonly [number, number]) =>
      2 ** Math.min(hi, Math.max(lo, m === 0 ? 0 : Math.round(Math.log2(Math.abs(Math.fround(m))))));
    for (const range of [SCALE_EXPONENT_RANGE, [-3, 5] as const]) {
      const got = await read(rowScales(tf.tensor2d(rows.flat(), [rows.length, C]), range));
      largest.forEach((m, r) => expect(got[r], `row ${r}, largest ${m}, range ${range}`).toBe(expected(m, range)));
    }
  });

  it('gradMu, gradU and gradSigma: their documented float32 order, cmax first or last as scaleFirst says', async () => {
    await useBackend('webgpu');
    const [K, L, d] = [3, 2, 6];
    const f = Math.fround;
    const wave = (j: number, seed: number) => Math.sin(seed * 89 + j * 7.3) * 1.5;
    // Component k of class k: σ̂, σ̃ ordinary (ς = 1, |σ| in [½, 1½]); tiny (ς = 1, σ ~ 1e−17,
    // σ̃ ~ 1e−34: cmax must meet them first, or the products with Pq ~ 1e−25 leave the normal
    // range); huge (ς = 2⁻¹⁰⁰, σ ~ 1, σ̂ ~ σ̃ ~ 1e30: cmax must come last, or z·cmax
    // overflows). Pq and S scaled to match, so that every result is representable.
    const sigmaOf = [1, 1e-17, 1];
    const scale = [1, 1, 2 ** -100];
    const pScale = [1, 1e-25, 1e-30];
    const cMax = 2 ** 100;
    const P = Array.from({ length: (K + K * L) * d }, (_, j) => f(wave(j, 1) * (j < K * d ? 1 : pScale[Math.floor((j - K * d) / (L * d))])));
    const S = Array.from({ length: K * d }, (_, j) => f(wave(j, 2) * pScale[Math.floor(j / d)]));
    const [gw, mu, U] = [K * L, K * d, K * L * d].map((n, seed) => Array.from({ length: n }, (_, j) => f(wave(j, 3 + seed))));
    const sigma = Array.from({ length: K * d }, (_, j) => f((j % 2 === 0 ? 1 : -1) * (1 + Math.sin(j * 5.1) / 2) * sigmaOf[Math.floor(j / d)]));
    const sigmaHat = sigma.map((z, j) => f(z / scale[Math.floor(j / d)]));
    const sigmaTilde = sigma.map((z, j) => f(z * sigmaHat[j]));
    const t = (values: number[], shape: number[]) => tf.tensor(values, shape, 'float32');
    const grads = parameterGradientPrograms(t(P, [K + K * L, d]) as tf.Tensor2D, t(S, [K, d]) as tf.Tensor2D, t(gw, [K, L]) as tf.Tensor2D, t(mu, [K, d]) as tf.Tensor2D, t(U, [K, L, d]) as tf.Tensor3D, t(sigma, [K, d]) as tf.Tensor2D, t(scale, [K, 1]) as tf.Tensor2D, t([cMax], [1]));
    const [gMu, gU, gSigma] = [await read(grads.mu()), await read(grads.U()), await read(grads.sigma())];
    const first = (z: number) => (Math.abs(z) < 1 ? [f(z * cMax), 1] : [z, cMax]);
    // A GPU may fuse a product into the following sum (one rounding instead of two): each
    // of the at most L + 2 operations may then differ from this emulation by one rounding
    // of its partial result, at most u times the sum of the terms' magnitudes, either way.
    const near = (got: number, want: number, terms: number, label: string) => {
      if (!(Math.abs(got - want) <= 2 * (L + 2) * u32 * terms) || !Number.isFinite(got) || (want !== 0 && got === 0)) throw new Error(`${label}: got ${got}, want ${want}`);
    };
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < d; i++) {
        let acc = f(P[k * d + i] * cMax);
        let accSize = Math.abs(P[k * d + i] * cMax);
        let sum = 0;
        let sumSize = 0;
        for (let l = 0; l < L; l++) {
          const row = k * L + l;
          acc = f(acc + f(gw[row] * U[row * d + i]));
          accSize += Math.abs(gw[row] * U[row * d + i]);
          sum = f(sum + f(U[row * d + i] * P[(K + row) * d + i]));
          sumSize += Math.abs(U[row * d + i] * P[(K + row) * d + i]);
          const [a, b] = first(sigmaTilde[k * d + i]);
          const stein = f(f(P[(K + row) * d + i] * a) * b);
          near(gU[row * d + i], f(f(gw[row] * mu[k * d + i]) + stein), Math.abs(gw[row] * mu[k * d + i]) + Math.abs(stein), `∂U[${k}][${l}][${i}]`);
        }
        near(gMu[k * d + i], acc, accSize, `∂μ[${k}][${i}]`);
        const [a, b] = first(sigmaHat[k * d + i]);
        const want = f(f(a * f(f(2 * sum) + S[k * d + i])) * b);
        near(gSigma[k * d + i], want, Math.abs(a * b) * (2 * sumSize + Math.abs(S[k * d + i])), `∂σ[${k}][${i}]`);
      }
    }
  });
  it('steinMatrix, sigmaHatSquared and largestScale exactly; outputWeights and outputWeightsGradient as their sums', async () => {
    await useBackend('webgpu');
    const [K, L, d, B] = [3, 2, 5, 7];
    const f = Math.fround;
    const wave = (n: number, seed: number) => Array.from({ length: n }, (_, j) => f(Math.sin(seed * 71 + j * 5.7) * 1.7));
    const t = (values: number[], shape: number[]) => tf.tensor(values, shape, 'float32');
    const [mu, U, v, sigma] = [wave(K * d, 1), wave(K * L * d, 2), wave(K * L, 3), wave(K * d, 4)];
    const scale = [1, 2 ** 60, 2 ** -70]; // σ̂ = σ/ς exact; σ̃ = σ·σ̂ one rounding (huge or tiny, still normal)
    const sigmaHat = sigma.map((z, j) => f(z / scale[Math.floor(j / d)]));
    const sigmaTilde = sigma.map((z, j) => f(z * sigmaHat[j]));
    const A = await read(steinMatrix(t(mu, [K, d]) as tf.Tensor2D, t(sigma, [K, d]) as tf.Tensor2D, t(U, [K, L, d]) as tf.Tensor3D, t(scale, [K, 1]) as tf.Tensor2D));
    // Products only (nothing for a fused multiply-add to join): the emulation's bits.
    const wantA = [...mu, ...U.map((z, j) => f(z * sigmaTilde[Math.floor(j / (L * d)) * d + (j % d)]))];
    expect(Array.from(A)).toEqual(wantA);
    const sigma2 = await read(sigmaHatSquared(t(sigma, [K, d]) as tf.Tensor2D, t(scale, [K, 1]) as tf.Tensor2D));
    expect(Array.from(sigma2)).toEqual(sigmaHat.map((z) => f(z * z)));

    for (const c of [[0.5, 0.25, 2 ** -100, 0.5, 1, 0.125, 0.5], [0.5, 2, 2 ** 90, 1, 2 ** 89, 0.25, 4]]) {
      expect(Array.from(await read(largestScale(t(c, [B, 1]) as tf.Tensor2D)))).toEqual([Math.max(1, ...c)]);
    }

    // Sums in order with at most one rounding per operation; a GPU may fuse a product into
    // the sum that follows, and a quotient by K is within 2.5 ULP: each result within
    // 2(n + 3)·u of the sum of its terms' magnitudes (n terms), either way.
    const near = (got: number, want: number, terms: number, n: number, label: string) => {
      if (!(Math.abs(got - want) <= 2 * (n + 3) * u32 * terms)) throw new Error(`${label}: got ${got}, want ${want}`);
    };
    const w = await read(outputWeights(t(mu, [K, d]) as tf.Tensor2D, t(U, [K, L, d]) as tf.Tensor3D, t(v, [K, L]) as tf.Tensor2D));
    for (let kl = 0; kl < K * L; kl++) {
      const k = Math.floor(kl / L);
      let [acc, size] = [0, Math.abs(v[kl])];
      for (let i = 0; i < d; i++) {
        acc = f(acc + f(U[kl * d + i] * mu[k * d + i]));
        size += Math.abs(U[kl * d + i] * mu[k * d + i]);
      }
      near(w[kl], f(acc + v[kl]), size, d + 1, `w[${kl}]`);
    }
    const [T, G] = [wave(4 * K * B, 5), wave(B * L, 6)];
    const c = [1, 2, 0.5, 4, 1, 2 ** 20, 2 ** -20];
    const cMax = 2 ** 20;
    const gw = await read(outputWeightsGradient(t(T, [4, K, B]) as tf.Tensor3D, t(c, [B, 1]) as tf.Tensor2D, t(G, [B, L]) as tf.Tensor2D, t([cMax], [1]), K, L, B));
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < L; l++) {
        let [acc, size] = [0, 0];
        for (let b = 0; b < B; b++) {
          const term = f(f(T[k * B + b] * (c[b] / cMax)) * f(G[b * L + l] / K));
          acc = f(acc + term);
          size += Math.abs(term);
        }
        near(gw[k * L + l], acc * cMax, size * cMax, B, `∂w[${k}][${l}]`); // cmax a power of two: exact
      }
    }
  });
});
