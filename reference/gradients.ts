/**
 * Exact gradients of the GM layer's closed form (closed-form.ts), in float64.
 *
 * For an upstream G: B×L the loss is ℓ = Σ_{b,l} G_bl h_bl. Per row b and component k,
 * with c = ⟨G_b, w_k⟩ and e = ⟨G_b, q_k⟩ (docs/MATH.md, section 5):
 *
 *   ∂a/∂m = Φ(t)   ∂a/∂s = φ(t)   ∂b/∂m = φ(t)/s   ∂b/∂s = −tφ(t)/s
 *   ∂ℓ/∂m = (c Φ(t) + e φ(t)/s)/K              ∂ℓ/∂s = (c φ(t) − e tφ(t)/s)/K
 *   ∂m/∂μ_ki = x_i   ∂m/∂x_i = μ_ki   ∂s/∂σ_ki = σ_ki x_i²/s   ∂s/∂x_i = (Σ_k x)_i/s
 *   ∂s/∂V_kji = (V_k x)_j x_i/s
 *
 * plus the direct paths through w_k = U_k μ_k + v_k (weight a_k/K) and through
 * q_k = U_k Σ_k x, Σ_k x = σ_k² ⊙ x + V_kᵀ(V_k x) (weight b_k/K): with δ = ∂ℓ/∂(Σ_k x)
 * = U_kᵀG b_k/K, it adds 2σ_k ⊙ x ⊙ δ to ∂ℓ/∂σ_k, (V_k x)δᵀ + (V_k δ)xᵀ to ∂ℓ/∂V_k and
 * Σ_k δ to ∂ℓ/∂x.
 *
 * At s = 0 the gradient is the limit along s → 0 for m ≠ 0: the φ(t)/s terms vanish
 * (e = 0 there too, since σ_k ⊙ x = 0) and ∂a/∂m = H(m). At m = s = 0 (for instance
 * x = 0) h is not differentiable; we return the symmetric derivative, the value that
 * central finite differences converge to: ∂a/∂m = H(0) = ½ and no contribution through
 * s (s(σ ± δ) is even in δ there).
 */
import { componentMoments, covarianceTimes, lowRankProjection, outputMeans } from './closed-form.js';
import { dot, matTVec, matVec, zeros } from './linalg.js';
import { ldexp } from './normal.js';
import { validateInput, validateParams, validateUpstream } from './validate.js';
import type { GMGradients, GMParams, Matrix } from './types.js';

/** The output and the gradients of Σ G ⊙ h. */
export interface GMForwardBackward {
  /** h: B×L */
  y: Matrix;
  grad: GMGradients;
}

/**
 * Forward pass and exact gradients of ℓ = Σ_{b,l} G_bl h_bl.
 *
 * @param params   μ: K×d, σ: K×d, U: K×L×d, v: K×L, optionally V: K×r×d.
 * @param x        B×d, B ≥ 0.
 * @param upstream G: B×L; all ones when omitted (the gradient of Σ h).
 * @returns        y = h(x): B×L and ∂ℓ/∂{μ, σ, U, v, x} (and ∂ℓ/∂V when params has V) in
 *                 the shapes of their arguments.
 * @throws GMShapeError / GMValueError on bad shapes or non-finite entries.
 */
export function gmGradients(params: GMParams, x: Matrix, upstream?: Matrix): GMForwardBackward {
  const dims = validateParams(params);
  const B = validateInput(x, dims);
  const { K, d, L, r } = dims;
  const G = upstream === undefined ? zeros(B, L).map((row) => row.fill(1)) : validateUpstream(upstream, B, L);
  const { mu, sigma, U } = params;
  const w = outputMeans(params);

  const y = zeros(B, L);
  const grad: GMGradients = {
    mu: zeros(K, d),
    sigma: zeros(K, d),
    U: Array.from({ length: K }, () => zeros(L, d)),
    v: zeros(K, L),
    x: zeros(B, d),
    ...(params.V !== undefined && { V: Array.from({ length: K }, () => zeros(r, d)) }),
  };

  for (let b = 0; b < B; b++) {
    const xb = x[b];
    const Gb = G[b];
    for (let k = 0; k < K; k++) {
      const Vk = params.V?.[k];
      const mom = componentMoments(mu[k], sigma[k], xb, Vk);
      const Vx = lowRankProjection(Vk, xb);
      const sigmaX = covarianceTimes(sigma[k], Vk, xb, Vx); // Σ_k x
      const q = matVec(U[k], sigmaX);
      const UtG = matTVec(U[k], Gb); // U_kᵀ G_b
      // Upstream weights of a_k and b_k.
      const dA = dot(Gb, w[k]) / K; // c/K
      const dB = dot(Gb, q) / K; //    e/K
      // (dB/s) is bounded by ‖G‖‖U_k‖ max|σ_k|/K, so it is formed first.
      const dBOverS = mom.s > 0 ? dB / mom.s : 0;
      // Every term below is linear in (a, b, φ): each part is added at its own scale 2^k
      // and scaled down once (closed-form.ts, ComponentMoments.parts).
      for (const part of mom.parts) {
        const down = (value: number) => ldexp(value, -part.k);
        for (let l = 0; l < L; l++) y[b][l] += down((w[k][l] * part.a + q[l] * part.b) / K);

        // ∂ℓ/∂m and ∂ℓ/∂s.
        const tPdf = part.pdf === 0 ? 0 : mom.t * part.pdf; // t may be ±∞ where φ(t) = 0
        const dm = dA * part.b + dBOverS * part.pdf;
        const ds = mom.s > 0 ? dA * part.pdf - dBOverS * tPdf : 0;

        // Direct paths: w_k a_k/K and q_k b_k/K.
        for (let l = 0; l < L; l++) {
          const gl = Gb[l] / K;
          grad.v[k][l] += down(gl * part.a);
          const Ukl = grad.U[k][l];
          for (let i = 0; i < d; i++) Ukl[i] += down(gl * (part.a * mu[k][i] + part.b * sigmaX[i]));
        }
        const dQ = UtG.map((g) => (g * part.b) / K); // δ = ∂ℓ/∂(Σ_k x)
        for (let i = 0; i < d; i++) {
          const sk = sigma[k][i];
          const xi = xb[i];
          // σx/s ∈ [−1, 1] since |σ_ki x_i| ≤ s; 0 when s = 0 (symmetric derivative).
          const unit = mom.s > 0 ? (sk * xi) / mom.s : 0;
          grad.mu[k][i] += down((UtG[i] * part.a) / K + dm * xi);
          grad.sigma[k][i] += down(2 * sk * xi * dQ[i] + ds * unit * xi);
          grad.x[b][i] += down(dm * mu[k][i] + ds * unit * sk + sk * sk * dQ[i]);
        }
        if (Vk !== undefined) lowRankGradients(Vk, xb, Vx, dQ, mom.s, ds, down, grad.V![k], grad.x[b]);
      }
    }
  }
  return { y, grad };
}

/**
 * The low-rank part of one (row, component): adds ∂ℓ/∂V_k = (V_k x)δᵀ + (V_k δ)xᵀ +
 * ∂ℓ/∂s·(V_k x)xᵀ/s to gradV (r×d) and V_kᵀ(V_k δ) + ∂ℓ/∂s·V_kᵀ(V_k x)/s to gradX (d).
 * (V_k x)_j/s ∈ [−1, 1]; at s = 0 it is 0 (the symmetric derivative, as for σ). dQ and
 * ds are at the scale of one moment part; `down` scales each term back.
 */
function lowRankGradients(
  Vk: Matrix,
  x: number[],
  Vx: number[],
  dQ: number[],
  s: number,
  ds: number,
  down: (value: number) => number,
  gradV: Matrix,
  gradX: number[],
): void {
  const Vdq = matVec(Vk, dQ);
  Vk.forEach((row, j) => {
    const unit = s > 0 ? Vx[j] / s : 0;
    for (let i = 0; i < x.length; i++) {
      gradV[j][i] += down(Vx[j] * dQ[i] + Vdq[j] * x[i] + ds * unit * x[i]);
      gradX[i] += down(row[i] * (Vdq[j] + ds * unit));
    }
  });
}
