/**
 * Checks on the tensors given to the tfjs op: type, rank, dtype, agreeing K, d, L, and
 * (optionally) finite values (the scans: src/op/non-finite.ts). Errors are the reference's typed errors, naming the
 * tensor, the expected and the actual value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMShapeError, GMValueError, describeValue } from '../../reference/errors.js';
import type { GMDims } from '../../reference/types.js';
import { PARAM_FIELDS, refuseUnknownFields } from '../../reference/validate.js';
import { GMBackendError } from '../errors.js';
import { deferFiniteCheck, DEFERRED_READ_BACKENDS } from './deferred-check.js';
import { HOST_BACKENDS } from './fused/host-memory.js';
import { nonFiniteError, scanDevice, scanHost } from './non-finite.js';

/** The parameters of one GM layer as tensors. */
export interface GMTensors {
  /** μ: [K, d] */
  mu: tf.Tensor2D;
  /** σ: [K, d] */
  sigma: tf.Tensor2D;
  /** U: [K, L, d] */
  U: tf.Tensor3D;
  /** v: [K, L] */
  v: tf.Tensor2D;
  /** V: [K, r, d], optional low-rank factors of Σ_k = diag(σ_k²) + V_kᵀV_k (docs/MATH.md, section 10). */
  V?: tf.Tensor3D;
}

const shapeText = (shape: number[]) => `[${shape.join(', ')}]`;

/** A tensor of another copy of tfjs-core: tensor-shaped, but not this engine's. */
function isForeignTensor(t: unknown): boolean {
  return typeof t === 'object' && t !== null && 'dataId' in t && 'shape' in t && 'dtype' in t;
}

function checkTensor(t: unknown, field: string, names: string[], expected: (number | undefined)[]): tf.Tensor {
  if (!(t instanceof tf.Tensor)) {
    if (isForeignTensor(t)) {
      throw new GMBackendError(
        field,
        `a tf.Tensor of the @tensorflow/tfjs-core that gmlayer imports (${tf.version_core}); install one copy of tfjs in the app (it is a peer dependency of gmlayer; npm ls @tensorflow/tfjs-core shows the copies)`,
        'a tensor from another copy of @tensorflow/tfjs-core',
      );
    }
    throw new GMShapeError(field, `a tf.Tensor of shape [${names.join(', ')}]`, describeValue(t));
  }
  if (t.isDisposed) throw new GMValueError(field, 'a live tensor', 'a disposed tensor');
  if (t.dtype !== 'float32') throw new GMValueError(field, 'dtype float32', `dtype ${t.dtype}`);
  const ok = t.rank === names.length && expected.every((n, j) => n === undefined || t.shape[j] === n);
  if (!ok) {
    const want = names.map((name, j) => (expected[j] === undefined ? name : `${name}=${expected[j]}`)).join(', ');
    throw new GMShapeError(field, `shape [${want}]`, `shape ${shapeText(t.shape)}`);
  }
  return t;
}

/** Checks types, ranks, dtypes and agreement of K, d, L; returns the dimensions. */
export function checkShapes(x: unknown, params: GMTensors): GMDims & { B: number; r: number } {
  if (typeof params !== 'object' || params === null) {
    throw new GMShapeError('params', 'an object with tensors mu, sigma, U, v', describeValue(params));
  }
  refuseUnknownFields(params as unknown as Record<string, unknown>, PARAM_FIELDS, 'params');
  const mu = checkTensor(params.mu, 'params.mu', ['K', 'd'], [undefined, undefined]);
  const [K, d] = mu.shape as [number, number];
  if (K === 0) throw new GMShapeError('params.mu', 'K ≥ 1 components', 'K = 0');
  if (d === 0) throw new GMShapeError('params.mu', 'd ≥ 1 input dimensions', 'd = 0');
  checkTensor(params.sigma, 'params.sigma', ['K', 'd'], [K, d]);
  const U = checkTensor(params.U, 'params.U', ['K', 'L', 'd'], [K, undefined, d]);
  const L = U.shape[1] as number;
  if (L === 0) throw new GMShapeError('params.U', 'L ≥ 1 outputs', 'L = 0');
  checkTensor(params.v, 'params.v', ['K', 'L'], [K, L]);
  const r = params.V === undefined ? 0 : (checkTensor(params.V, 'params.V', ['K', 'r', 'd'], [K, undefined, d]).shape[1] as number);
  const xt = checkTensor(x, 'x', ['B', 'd'], [undefined, d]);
  return { K, d, L, r, B: xt.shape[0] as number };
}

/**
 * Throws GMValueError naming the first NaN or ±∞ entry of any of the named tensors.
 * On cpu and wasm this scans the tensors' memory, several times faster than tfjs
 * reductions there; on webgpu, which cannot read synchronously, the check is deferred
 * (src/op/deferred-check.ts); elsewhere one reduction and a read back.
 */
export function checkFinite(named: Record<string, tf.Tensor>): void {
  // Empty tensors are skipped: wasm's any() of an empty tensor is true.
  const entries = Object.entries(named).filter(([, t]) => t.size > 0);
  if (entries.length === 0) return;
  const backendName = tf.getBackend();
  if (DEFERRED_READ_BACKENDS.has(backendName)) return deferFiniteCheck(entries);
  const found = (HOST_BACKENDS as readonly string[]).includes(backendName) ? scanHost(entries, backendName) : scanDevice(entries);
  if (found !== undefined) throw nonFiniteError(found);
}
