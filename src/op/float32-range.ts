/**
 * Which quantity of the float32 plan leaves float32's range, found in float64: what the
 * CLI names when a float32 result is not finite although its true value is representable.
 *
 * Every kernel path computes the same plan (docs/MATH.md, section 6): x̂ = x/c, σ̂ = σ/ς,
 * σ̃ = σ·σ̂, A = [μ; U⊙σ̃], m̂ and q̃ as products with x̂, w = Uμ + v, the terms a, bς, φ/ŝ
 * and tφ/ŝ², the mix, and in the backward α, β, ∂ℓ/∂m, ∂ℓ/∂q̃, D, the batch sums P and S
 * weighted by r = c/cmax, and the gradients. This module evaluates those quantities in
 * float64, in the plan's order (sums term by term in index order, as the host loops and
 * the WGSL programs do; a backend's matrix product may sum in another order), and returns
 * the first product, partial sum or result whose magnitude exceeds float32's largest
 * finite value, or with `underflow` also the first nonzero one below float32's smallest
 * normal value (docs/MATH.md, section 6, lists both classes). A quantity that underflows
 * leaves a finite result, which no scan of the output can flag; where the scan with
 * `underflow` finds nothing, every output and gradient is within the float32 bound of
 * reference/error-bound.ts (the domain README "Float32 accuracy" states, tested by
 * properties/op/gm-op.test.ts across float32's whole range).
 *
 * With low-rank factors V, q̃ and ŝ include V's shares, and V's own products (p̂ = x̂V̂ᵀ,
 * UVᵀ and its backward) are not checked.
 */
import { componentMoments, covarianceTimes, lowRankProjection } from '../../reference/closed-form.js';
import type { GMParams, Matrix, Vector } from '../../reference/types.js';
import { S2_MIN, SCALE_EXPONENT_RANGE } from './limits.js';

/** float32's largest finite value, (2 − 2⁻²³)·2¹²⁷. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** float32's smallest normal value, 2⁻¹²⁶. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/** A quantity of the float32 plan beyond FLOAT32_MAX in magnitude, or (when asked) nonzero below FLOAT32_MIN_NORMAL. */
export interface OutOfRange {
  kind: 'overflow' | 'underflow';
  /** what it is, with its indices, e.g. `the term (G_bl/K)·w_kl of α_kb = Σ_l (G_bl/K)·w_kl (b = 0, k = 0, l = 0)` */
  quantity: string;
  /** its float64 value */
  value: number;
}

/** 2^round(log2 max|row|), the exponent clamped as the kernels clamp it; 1 for a zero row. */
function powerOfTwoScale(row: Vector): number {
  const largest = row.reduce((m, z) => Math.max(m, Math.abs(z)), 0);
  if (largest === 0) return 1;
  const [lo, hi] = SCALE_EXPONENT_RANGE;
  return 2 ** Math.min(hi, Math.max(lo, Math.round(Math.log2(largest))));
}

/** The first out-of-range quantity met, with the values the scan goes on with. */
class Scan {
  found: OutOfRange | undefined;

  constructor(private readonly underflow: boolean) {}

  /** A value the plan forms (a product or a result): out of range beyond FLOAT32_MAX, or nonzero below FLOAT32_MIN_NORMAL when underflow counts. */
  value(value: number, quantity: () => string): number {
    if (this.found !== undefined) return value;
    const size = Math.abs(value);
    if (size > FLOAT32_MAX) this.found = { kind: 'overflow', quantity: quantity(), value };
    else if (this.underflow && size > 0 && size < FLOAT32_MIN_NORMAL) this.found = { kind: 'underflow', quantity: quantity(), value };
    return value;
  }

  /** A sum formed term by term: each term, then each partial sum, as `value` checks them. */
  sum(terms: Vector, quantity: () => string, term: (j: number) => string): number {
    let acc = 0;
    terms.forEach((t, j) => {
      this.value(t, () => `the term ${term(j)} of ${quantity()}`);
      acc = this.value(acc + t, () => `a partial sum of ${quantity()} (through ${term(j)})`);
    });
    return acc;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, j) => j);
const sq = (z: number) => z * z;

/** The scalings the kernels apply first: c, x̂, ς, σ̂, σ̃ (docs/MATH.md, section 6). */
function scaledInputs(scan: Scan, { sigma, V }: GMParams, x: Matrix) {
  const Vk = (k: number) => (V !== undefined && V[k].length > 0 ? V[k] : undefined);
  const c = x.map(powerOfTwoScale);
  const xh = x.map((row, b) => row.map((z, i) => scan.value(z / c[b], () => `x̂_bi = x_bi/c_b (b = ${b}, i = ${i})`)));
  const scale = sigma.map((row, k) => powerOfTwoScale([...row, ...(Vk(k) ?? []).flat()]));
  const sigmaHat = sigma.map((row, k) => row.map((z, i) => scan.value(z / scale[k], () => `σ̂_ki = σ_ki/ς_k (k = ${k}, i = ${i})`)));
  const sigmaTilde = sigma.map((row, k) => row.map((z, i) => scan.value(z * sigmaHat[k][i], () => `σ̃_ki = σ_ki·σ̂_ki (k = ${k}, i = ${i})`)));
  return { Vk, c, xh, scale, sigmaHat, sigmaTilde };
}

type Scaled = ReturnType<typeof scaledInputs>;

/** One (row, component)'s forward quantities: q̃_k· (L), a, b, bς, φ/ŝ, tφ/ŝ² as the kernels keep them. */
interface Terms {
  q: number[];
  a: number;
  b: number;
  bScaled: number;
  pdfOverS: number;
  tPdfOverS2: number;
}

/** The forward: A = [μ; U⊙σ̃], w, then per (b, k) m̂, q̃ and the terms, and the mix into y. */
function forward(scan: Scan, { mu, sigma, U, v }: GMParams, { Vk, c, xh, scale, sigmaTilde }: Scaled) {
  const [K, L] = [mu.length, v[0].length];
  const A = U.map((Uk, k) => Uk.map((row, l) => row.map((u, i) => scan.value(u * sigmaTilde[k][i], () => `U_kl,i·σ̃_ki of A = [μ; U⊙σ̃] (k = ${k}, l = ${l}, i = ${i})`))));
  const w = U.map((Uk, k) =>
    Uk.map((row, l) => {
      const name = () => `w_kl = U_kl·μ_k + v_kl (k = ${k}, l = ${l})`;
      return scan.value(scan.sum(row.map((u, i) => u * mu[k][i]), name, (i) => `U_kl,i·μ_ki with i = ${i}`) + v[k][l], name);
    }),
  );
  const terms: Terms[][] = xh.map((xb, b) =>
    range(K).map((k) => {
      const at = `(k = ${k}, b = ${b})`;
      const m = scan.sum(mu[k].map((z, i) => z * xb[i]), () => `m̂_kb = ⟨μ_k, x̂_b⟩ ${at}`, (i) => `μ_ki·x̂_bi with i = ${i}`);
      const q = range(L).map((l) => {
        const name = () => `q̃_klb = ⟨U_kl⊙σ̃_k, x̂_b⟩ (k = ${k}, l = ${l}, b = ${b})`;
        const V_k = Vk(k);
        if (V_k === undefined) return scan.sum(A[k][l].map((z, i) => z * xb[i]), name, (i) => `(U⊙σ̃)_kl,i·x̂_bi with i = ${i}`);
        const Sx = covarianceTimes(sigma[k], V_k, xb, lowRankProjection(V_k, xb));
        return scan.value(U[k][l].reduce((acc, u, i) => acc + u * Sx[i], 0) / scale[k], name);
      });
      const { s, t, a, b: Phi, pdf } = componentMoments(mu[k], sigma[k], xb, Vk(k));
      const sHat = s / scale[k];
      const flat = sq(sHat) <= S2_MIN;
      scan.value(a, () => `a_kb = m̂Φ(t) + sφ(t) in x̂'s units ${at}`);
      const step = flat ? (m > 0 ? 1 : m < 0 ? 0 : 0.5) : Phi; // H(m) at s = 0, H(0) = ½
      return {
        q,
        a: flat ? Math.max(m, 0) : a,
        b: scan.value(step, () => `b_kb = Φ(t) ${at}`),
        bScaled: scan.value(step * scale[k], () => `b_kb·ς_k ${at}`),
        pdfOverS: flat ? 0 : scan.value(pdf / sHat, () => `φ(t)/ŝ ${at}`),
        tPdfOverS2: flat ? 0 : scan.value((t * pdf) / sq(sHat), () => `tφ(t)/ŝ² ${at}`),
      };
    }),
  );
  terms.forEach((row, b) => {
    const low = Math.min(c[b], 1) / K;
    for (let l = 0; l < L; l++) {
      const name = () => `the mix Σ_k (a_kb·f↓)·w_kl + (b_kb·ς_k·f↓)·q̃_klb (b = ${b}, l = ${l})`;
      const mixed = row.map(({ a, bScaled, q }, k) => {
        const at = `(b = ${b}, k = ${k}, l = ${l})`;
        const [aLow, bLow] = [scan.value(a * low, () => `a_kb·f↓ in the mix ${at}`), scan.value(bScaled * low, () => `b_kb·ς_k·f↓ in the mix ${at}`)];
        return scan.value(aLow * w[k][l], () => `(a_kb·f↓)·w_kl in the mix ${at}`) + scan.value(bLow * q[l], () => `(b_kb·ς_k·f↓)·q̃_klb in the mix ${at}`);
      });
      scan.value(scan.sum(mixed, name, (k) => `component k = ${k}`) * Math.max(c[b], 1), () => `y_bl (b = ${b}, l = ${l})`);
    }
  });
  return { A, w, terms };
}

/** Per (b, k): α, β, ∂ℓ/∂m, ∂ℓ/∂q̃ (L) and D, from g = G/K. */
function rowGradients(scan: Scan, g: Matrix, w: Matrix, terms: Terms[][]) {
  return terms.map((row, b) =>
    row.map(({ q, b: Phi, bScaled, pdfOverS, tPdfOverS2 }, k) => {
      const at = `(b = ${b}, k = ${k})`;
      const alpha = scan.sum(w[k].map((wkl, l) => g[b][l] * wkl), () => `α_kb = Σ_l (G_bl/K)·w_kl ${at}`, (l) => `(G_bl/K)·w_kl with l = ${l}`);
      const beta = scan.sum(q.map((qkl, l) => g[b][l] * qkl), () => `β_kb = Σ_l (G_bl/K)·q̃_klb ${at}`, (l) => `(G_bl/K)·q̃_klb with l = ${l}`);
      return {
        dm: scan.sum([alpha * Phi, beta * pdfOverS], () => `∂ℓ/∂m_kb = α·b + β·φ/ŝ ${at}`, (j) => ['α·b', 'β·φ/ŝ'][j]),
        dq: q.map((_, l) => scan.value(g[b][l] * bScaled, () => `∂ℓ/∂q̃_klb = (G_bl/K)·b_kb·ς_k (b = ${b}, k = ${k}, l = ${l})`)),
        D: scan.sum([alpha * pdfOverS, -beta * tPdfOverS2], () => `D_bk = α·φ/ŝ − β·tφ/ŝ² ${at}`, (j) => ['α·φ/ŝ', 'β·tφ/ŝ²'][j]),
      };
    }),
  );
}

type RowGradients = ReturnType<typeof rowGradients>;

/** (first, last) of scaleFirst: cmax meets z first where |z| < 1, last otherwise. */
const scaleFirst = (z: number, cMax: number) => (Math.abs(z) < 1 ? [z * cMax, 1] : [z, cMax]);

/** ∂ℓ/∂w (= ∂ℓ/∂v), the batch sums P and S weighted by r = c/cmax, and ∂ℓ/∂μ, ∂ℓ/∂U, ∂ℓ/∂σ. */
function parameterGradients(scan: Scan, { mu, U }: GMParams, { c, xh, sigmaHat, sigmaTilde }: Scaled, g: Matrix, terms: Terms[][], rows: RowGradients) {
  const [K, L, d, B] = [mu.length, U[0].length, mu[0].length, xh.length];
  const cMax = Math.max(1, ...c);
  const r = c.map((cb) => cb / cMax);
  for (let k = 0; k < K; k++) {
    const gw = range(L).map((l) => {
      const weighted = range(B).map((b) => scan.value(terms[b][k].a * r[b], () => `a_kb·r_b in ∂ℓ/∂w (k = ${k}, b = ${b})`) * g[b][l]);
      const sum = scan.sum(weighted, () => `Σ_b a_kb·r_b·G_bl/K in ∂ℓ/∂w (k = ${k}, l = ${l})`, (b) => `a_kb·r_b·G_bl/K with b = ${b}`);
      return scan.value(sum * cMax, () => `∂ℓ/∂w_kl = ∂ℓ/∂v_kl = cmax·Σ_b a_kb·r_b·G_bl/K (k = ${k}, l = ${l})`);
    });
    for (let i = 0; i < d; i++) {
      const at = `(k = ${k}, i = ${i})`;
      const batchSum = (name: string, weight: (b: number) => number, factor: (b: number) => number) =>
        scan.sum(range(B).map((b) => scan.value(weight(b) * r[b], () => `the row-b weight times r_b in ${name} ${at}`) * factor(b)), () => `${name} ${at}`, (b) => `row b = ${b}`);
      const Pm = batchSum('P_m,ki = Σ_b ∂ℓ/∂m_kb·r_b·x̂_bi', (b) => rows[b][k].dm, (b) => xh[b][i]);
      const S = batchSum('S_ki = Σ_b D_bk·r_b·x̂_bi²', (b) => rows[b][k].D, (b) => sq(xh[b][i]));
      const Pq = range(L).map((l) => batchSum(`P_q,kli = Σ_b ∂ℓ/∂q̃_klb·r_b·x̂_bi (l = ${l})`, (b) => rows[b][k].dq[l], (b) => xh[b][i]));
      scan.sum([Pm * cMax, ...range(L).map((l) => gw[l] * U[k][l][i])], () => `∂ℓ/∂μ_ki = cmax·P_m,ki + Σ_l ∂ℓ/∂w_kl·U_kl,i ${at}`, (j) => (j === 0 ? 'cmax·P_m,ki' : `∂ℓ/∂w_kl·U_kl,i with l = ${j - 1}`));
      const [tildeFirst, tildeLast] = scaleFirst(sigmaTilde[k][i], cMax);
      range(L).forEach((l) => {
        const stein = scan.value(Pq[l] * tildeFirst, () => `P_q,kli·σ̃_ki (cmax first where |σ̃| < 1) in ∂ℓ/∂U (k = ${k}, l = ${l}, i = ${i})`) * tildeLast;
        scan.sum([gw[l] * mu[k][i], stein], () => `∂ℓ/∂U_kl,i = ∂ℓ/∂w_kl·μ_ki + cmax·P_q,kli·σ̃_ki (k = ${k}, l = ${l}, i = ${i})`, (j) => ['∂ℓ/∂w·μ', 'cmax·P_q·σ̃'][j]);
      });
      const inner = scan.sum([...range(L).map((l) => 2 * U[k][l][i] * Pq[l]), S], () => `2 Σ_l U_kl,i·P_q,kli + S_ki ${at}`, (j) => (j < L ? `2·U_kl,i·P_q,kli with l = ${j}` : 'S_ki'));
      const [hatFirst, hatLast] = scaleFirst(sigmaHat[k][i], cMax);
      scan.value(scan.value(hatFirst * inner, () => `σ̂_ki·(2 Σ_l U·P_q + S) (cmax first where |σ̂| < 1) in ∂ℓ/∂σ ${at}`) * hatLast, () => `∂ℓ/∂σ_ki ${at}`);
    }
  }
}

/** ∂ℓ/∂x = [∂ℓ/∂m, ∂ℓ/∂q̃]·A + x̂ ⊙ (D σ̃), the last with D's rows scaled by e_b (docs/MATH.md, section 6). */
function inputGradients(scan: Scan, { mu }: GMParams, { xh, sigmaTilde }: Scaled, A: Matrix[], rows: RowGradients) {
  rows.forEach((row, b) => {
    const e = powerOfTwoScale(row.map(({ D }) => D));
    xh[b].forEach((xhi, i) => {
      const at = `(b = ${b}, i = ${i})`;
      const viaS = scan.sum(row.map(({ D }, k) => scan.value(D / e, () => `D_bk/e_b in ∂ℓ/∂x (b = ${b}, k = ${k})`) * sigmaTilde[k][i]), () => `Σ_k (D_bk/e_b)·σ̃_ki in ∂ℓ/∂x ${at}`, (k) => `k = ${k}`);
      const first = scan.value(e >= 1 ? xhi * e : viaS * e, () => `x̂_bi·e_b or e_b·Σ_k (D_bk/e_b)·σ̃_ki, whichever is formed first, in ∂ℓ/∂x ${at}`);
      const throughS = first * (e >= 1 ? viaS : xhi);
      const products = row.flatMap(({ dm, dq }, k) => [dm * mu[k][i], ...dq.map((dqkl, l) => dqkl * A[k][l][i])]);
      scan.sum([...products, throughS], () => `∂ℓ/∂x_bi ${at}`, (j) => (j === products.length ? 'x̂_bi·Σ_k D_bk·σ̃_ki' : `[∂ℓ/∂m, ∂ℓ/∂q̃]·A, term ${j}`));
    });
  });
}

/**
 * The first quantity of the float32 plan beyond float32's range (or, with `underflow`,
 * below its normal range), or undefined: the plan's float32 domain, checked in float64.
 *
 * @param params  μ, σ: [K, d];  U: [K, L, d];  v: [K, L];  V: [K, r, d] (optional)
 * @param x       [B, d]
 * @param G       [B, L], ∂ℓ/∂h (the CLI's upstream)
 * @param options underflow: also report nonzero quantities below FLOAT32_MIN_NORMAL (default false)
 */
export function firstOutOfRange(params: GMParams, x: Matrix, G: Matrix, { underflow = false }: { underflow?: boolean } = {}): OutOfRange | undefined {
  const scan = new Scan(underflow);
  const K = params.mu.length;
  const scaled = scaledInputs(scan, params, x);
  const { A, w, terms } = forward(scan, params, scaled);
  const g = G.map((row, b) => row.map((z, l) => scan.value(z / K, () => `G_bl/K (b = ${b}, l = ${l})`)));
  const rows = rowGradients(scan, g, w, terms);
  parameterGradients(scan, params, scaled, g, terms, rows);
  inputGradients(scan, params, scaled, A, rows);
  return scan.found;
}
