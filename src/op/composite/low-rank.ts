/**
 * Low-rank factors V (K×r×d) on every kernel path (the fused ones take these tensor ops
 * for V's share and add it to their own): Σ_k = diag(σ_k²) + V_kᵀV_k
 * (docs/MATH.md, section 10), in the scaled quantities of section 6. The component scale
 * ς_k covers V_k as well as σ_k, V̂ = V/ς, and at x̂ = x/c:
 *   p̂ = V̂_k x̂: B×(K·r)          ŝ² gains ‖p̂_k‖²           q̃ gains U_k V_kᵀ p̂_k
 * Backward, with Gq = ∂ℓ/∂q̃ (B×K·L), D = (∂ℓ/∂s)/ŝ (B×K), r_b = c_b/cmax and
 * Pq = Σ_b r_b Gq_b x̂_b (K×L×d) as on the diagonal path, and Z_k = Σ_b r_b Gq_bk p̂_bkᵀ (L×r):
 *   ∂ℓ/∂V_k = cmax·(Z_kᵀU_k + V̂_k U_kᵀ Pq_k + Σ_b r_b D_bk p̂_bk x̂_bᵀ)
 *   ∂ℓ/∂U_k gains cmax·Z_k V_k
 *   ∂ℓ/∂x̂_b gains Σ_k (D_bk p̂_bk)ᵀ V_k + (Gq_bk U_k V_kᵀ) V̂_k
 */
import * as tf from '@tensorflow/tfjs-core';
import { rowScales } from '../scales.js';

/** ς_k = 2^round(log2 max(max|σ_k|, max|V_k|)) clamped as for σ alone: K×1. */
export function componentScales(sigma: tf.Tensor2D, V?: tf.Tensor3D): tf.Tensor2D {
  const [K] = sigma.shape;
  const rows = V === undefined || V.shape[1] === 0 ? sigma : (tf.concat([sigma, tf.reshape(V, [K, -1])], 1) as tf.Tensor2D);
  return rowScales(rows);
}

/** The last two axes swapped (an explicit transpose: tfjs-wasm runs matMul's transpose flags as a naive loop). */
const swap = (t: tf.Tensor3D) => tf.transpose(t, [0, 2, 1]) as tf.Tensor3D;

/** W = U Vᵀ per component: K×L×r. */
function steinFactors(U: tf.Tensor3D, V: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(U, swap(V));
}

/** p̂ (B×K×r), what ŝ² gains (B×K) and what q̃ gains (B×K·L). */
export function lowRankForward(xh: tf.Tensor2D, U: tf.Tensor3D, V: tf.Tensor3D, scale: tf.Tensor2D) {
  const [B] = xh.shape;
  const [K, r, d] = V.shape;
  const L = U.shape[1];
  const VHat = tf.div(V, tf.reshape(scale, [K, 1, 1])) as tf.Tensor3D;
  const pHat = tf.reshape(tf.matMul(xh, tf.transpose(tf.reshape(VHat, [K * r, d]))), [B, K, r]) as tf.Tensor3D;
  const s2 = tf.sum(tf.square(pHat), 2) as tf.Tensor2D;
  // q̃_bkl += Σ_j W_klj p̂_bkj, as K batched products [B, r]·[r, L].
  const q = tf.transpose(tf.matMul(tf.transpose(pHat, [1, 0, 2]), swap(steinFactors(U, V))), [1, 0, 2]);
  return { pHat, s2, q: tf.reshape(q, [B, K * L]) as tf.Tensor2D };
}

export interface LowRankSums {
  V: tf.Tensor3D;
  U: tf.Tensor3D;
  scale: tf.Tensor2D;
  xh: tf.Tensor2D;
  pHat: tf.Tensor3D;
  /** ∂ℓ/∂q̃: B×K·L */
  Gq: tf.Tensor2D;
  /** D = (∂ℓ/∂s)/ŝ: B×K */
  D: tf.Tensor2D;
  /** c/cmax: B×1 */
  r: tf.Tensor2D;
  /** Σ_b r_b Gq_b x̂_b: K×L×d */
  Pq: tf.Tensor3D;
  cMax: tf.Tensor;
}

/**
 * A kernel path's gradient closures for the diagonal layer with V's parts added:
 * ∂ℓ/∂V, and V's shares of ∂ℓ/∂U and ∂ℓ/∂x (see the module comment).
 */
export function withLowRank<T extends Record<'U' | 'x', () => tf.Tensor>>(diagonal: T, sums: LowRankSums): T & { V: () => tf.Tensor } {
  const lowRank = lowRankGradients(sums);
  return { ...diagonal, V: lowRank.V, U: () => tf.add(diagonal.U(), lowRank.U()), x: () => tf.add(diagonal.x(), lowRank.x()) };
}

/**
 * The low-rank parts of the backward, as lazy closures. What they share (V̂, Gq by
 * component, Z) is formed here, in the backward pass's own scope: tfjs runs each closure
 * in a tidy of its own, where it could not be shared.
 */
function lowRankGradients({ V, U, scale, xh, pHat, Gq, D, r, Pq, cMax }: LowRankSums) {
  const [B] = xh.shape;
  const [K, rank, d] = V.shape;
  const L = U.shape[1];
  const VHat = tf.div(V, tf.reshape(scale, [K, 1, 1])) as tf.Tensor3D;
  const GqK = tf.transpose(tf.reshape(Gq, [B, K, L]), [1, 0, 2]) as tf.Tensor3D; // K×B×L
  const Z: tf.Tensor3D = tf.matMul(swap(tf.mul(GqK, tf.reshape(r, [1, B, 1])) as tf.Tensor3D), tf.transpose(pHat, [1, 0, 2]) as tf.Tensor3D); // K×L×r
  return {
    V: () => {
      const stein = tf.add(tf.matMul(swap(Z), U), tf.matMul(tf.matMul(VHat, swap(U)) as tf.Tensor3D, Pq)); // K×r×d
      const weighted = tf.reshape(tf.mul(pHat, tf.expandDims(tf.mul(D, r), 2)), [B, K * rank]); // r_b D_bk p̂_bk
      const viaS = tf.reshape(tf.matMul(tf.transpose(weighted), xh), [K, rank, d]);
      return tf.mul(tf.add(stein, viaS), cMax);
    },
    U: () => tf.mul(tf.matMul(Z, V), cMax),
    x: () => {
      const viaS = tf.matMul(tf.reshape(tf.mul(pHat, tf.expandDims(D, 2)), [B, K * rank]), tf.reshape(V, [K * rank, d]));
      const GqW = tf.transpose(tf.matMul(GqK, steinFactors(U, V)), [1, 0, 2]); // B×K×r
      return tf.add(viaS, tf.matMul(tf.reshape(GqW, [B, K * rank]), tf.reshape(VHat, [K * rank, d])));
    },
  };
}

/**
 * The fused paths' F = [mᵀ; q̃ᵀ] (K(L+1)×B: row k is m_k, row K + kL + l is q̃_kl) with the
 * low-rank share of q̃ (B×K·L, from lowRankForward) added to its q̃ rows.
 */
export function addToSteinRows(F: tf.Tensor2D, q: tf.Tensor2D, K: number): tf.Tensor2D {
  const [rows, B] = F.shape;
  return tf.concat([tf.slice(F, [0, 0], [K, B]), tf.add(tf.slice(F, [K, 0], [rows - K, B]), tf.transpose(q))], 0) as tf.Tensor2D;
}

/** ∂ℓ/∂q̃ (B×K·L) from the fused paths' [∂ℓ/∂m, ∂ℓ/∂q̃]ᵀ (K(L+1)×B, F's row order). */
export function steinRowsGradient(dMQT: tf.Tensor2D, K: number): tf.Tensor2D {
  const [rows, B] = dMQT.shape;
  return tf.transpose(tf.slice(dMQT, [K, 0], [rows - K, B])) as tf.Tensor2D;
}
