/** The few dense-vector helpers the reference needs, written out so ports can follow. */
import type { Matrix, Vector } from './types.js';

/** ⟨a, b⟩ for vectors of equal length. */
export function dot(a: Vector, b: Vector): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** A y for A: n×d, y: d → n. */
export function matVec(A: Matrix, y: Vector): Vector {
  return A.map((row) => dot(row, y));
}

/** Aᵀ g for A: n×d, g: n → d. */
export function matTVec(A: Matrix, g: Vector): Vector {
  const out = new Array<number>(A[0]?.length ?? 0).fill(0);
  for (let l = 0; l < A.length; l++) {
    const row = A[l];
    for (let i = 0; i < row.length; i++) out[i] += row[i] * g[l];
  }
  return out;
}

/** A rows×cols array of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/**
 * Euclidean norm ‖y‖₂, scaled by max|y_i| first so that squaring neither overflows
 * nor underflows (as BLAS dnrm2 does).
 */
export function norm2(y: Vector): number {
  let scale = 0;
  for (const yi of y) scale = Math.max(scale, Math.abs(yi));
  if (scale === 0) return 0;
  let sum = 0;
  for (const yi of y) sum += (yi / scale) ** 2;
  return scale * Math.sqrt(sum);
}
