/**
 * The case format shared by the CLI, the fixtures and ports (row-major nested arrays):
 *
 *   { "params": { "mu": K×d, "sigma": K×d, "U": K×L×d, "v": K×L, "V": K×r×d (optional) },
 *     "x": B×d, "upstream": B×L (optional; all ones when absent) }
 *
 * V holds the low-rank factors of each component's covariance diag(σ_k²) + V_kᵀV_k; a
 * case without V is the paper's diagonal layer (r = 0, also written as K empty lists).
 */
import { GMShapeError, describeValue } from './errors.js';
import { refuseUnknownFields, validateInput, validateParams, validateUpstream } from './validate.js';
import type { GMDims, GMParams, Matrix } from './types.js';

export interface GMCase {
  params: GMParams;
  /** B×d */
  x: Matrix;
  /** G: B×L, the weights of the loss ℓ = Σ G ⊙ h whose gradients are reported. */
  upstream: Matrix;
  /** r = 0 without V. */
  dims: GMDims & { B: number; r: number };
}

/** The top-level fields of a case. */
export const CASE_FIELDS = ['params', 'x', 'upstream'] as const;

/**
 * Validates a parsed JSON case and fills in the default upstream (all ones).
 * @throws GMShapeError for an unknown field, a missing one or a wrong shape, and
 *         GMValueError for a non-finite entry, each naming the offending field.
 */
export function parseCase(json: unknown): GMCase {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GMShapeError('case', 'an object with fields params, x and optionally upstream', describeValue(json));
  }
  const raw = json as Record<string, unknown>;
  refuseUnknownFields(raw, CASE_FIELDS, '');
  const dims = validateParams(raw.params);
  if (!('x' in raw)) throw new GMShapeError('x', 'a B×d array', 'nothing');
  const B = validateInput(raw.x, dims);
  const upstream =
    raw.upstream === undefined
      ? Array.from({ length: B }, () => new Array<number>(dims.L).fill(1))
      : validateUpstream(raw.upstream, B, dims.L);
  return { params: raw.params as GMParams, x: raw.x as Matrix, upstream, dims: { ...dims, B } };
}
