/**
 * The mean-field two-layer ReLU network (Chewi, Rigollet & Yan, eq. 1), written
 * independently of the GM code: h(x) = 1/K Σ_k ω_k ReLU(⟨μ_k, x⟩), ω_k = U_k μ_k + v_k.
 * It is the σ → 0 limit of the GM layer.
 */
import type { GMParams, Matrix } from '../../reference/types.js';

export function reluNetwork(params: GMParams, x: Matrix): Matrix {
  const K = params.mu.length;
  return x.map((xb) => {
    const out = params.v[0].map(() => 0);
    for (let k = 0; k < K; k++) {
      let m = 0;
      for (let i = 0; i < xb.length; i++) m += params.mu[k][i] * xb[i];
      const relu = Math.max(m, 0);
      params.U[k].forEach((row, l) => {
        let omega = params.v[k][l];
        for (let i = 0; i < row.length; i++) omega += row[i] * params.mu[k][i];
        out[l] += omega * relu;
      });
    }
    return out.map((value) => value / K);
  });
}
