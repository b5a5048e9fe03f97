/**
 * Checks on the tensors given to the tfjs op: type, rank, dtype, agreeing K, d, L, and
 * (optionally) finite values. Errors are the reference's typed errors, naming the
 * tensor, the expected and the actual value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMShapeError, GMValueError, describeValue } from '../../reference/errors.js';
import type { GMDims } from '../../reference/types.js';
import { PARAM_FIELDS, refuseUnknownFields } from '../../reference/validate.js';
import { GMBackendError } from '../errors.js';
import { HOST_BACKENDS, hostMemory } from './fused/host-memory.js';

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
export function checkShapes(x: unknown, params: GMTensors): GMDims & { B: number } {
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
  const xt = checkTensor(x, 'x', ['B', 'd'], [undefined, d]);
  return { K, d, L, B: xt.shape[0] as number };
}

/** Index of the first NaN or ±∞, −1 if none. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

interface NonFinite {
  field: string;
  tensor: tf.Tensor;
  at: number;
  value: number;
}

/** cpu and wasm: a scan of each tensor's own memory, no copy. */
export function scanHost(entries: [string, tf.Tensor][], backendName: string): NonFinite | undefined {
  const memory = hostMemory(backendName, tf.backend());
  for (const [field, tensor] of entries) {
    const values = memory.view(tensor);
    const at = firstNonFinite(values);
    if (at >= 0) return { field, tensor, at, value: values[at] };
  }
  return undefined;
}

/** Other backends: one reduction per tensor and a single read back when all are finite. */
export function scanDevice(entries: [string, tf.Tensor][]): NonFinite | undefined {
  const bad = tf.tidy(() => tf.stack(entries.map(([, t]) => tf.any(tf.logicalNot(tf.isFinite(tf.reshape(t, [-1])))))));
  const flags = bad.dataSync();
  bad.dispose();
  const j = flags.findIndex((flag) => flag !== 0);
  if (j < 0) return undefined;
  const [field, tensor] = entries[j];
  const values = tensor.dataSync();
  const at = firstNonFinite(values);
  return at < 0 ? undefined : { field, tensor, at, value: values[at] }; // the data outranks the reduction
}

/**
 * Throws GMValueError naming the first NaN or ±∞ entry of any of the named tensors.
 * On cpu and wasm this scans the tensors' memory, several times faster than tfjs
 * reductions there; elsewhere one reduction and a read back.
 */
export function checkFinite(named: Record<string, tf.Tensor>): void {
  // Empty tensors are skipped: wasm's any() of an empty tensor is true.
  const entries = Object.entries(named).filter(([, t]) => t.size > 0);
  if (entries.length === 0) return;
  const backendName = tf.getBackend();
  const found = (HOST_BACKENDS as readonly string[]).includes(backendName) ? scanHost(entries, backendName) : scanDevice(entries);
  if (found === undefined) return;
  // Row-major index → [i][j][k] path.
  const { field, tensor, at, value } = found;
  const path: number[] = [];
  let rest = at;
  for (let axis = tensor.rank - 1; axis >= 0; axis--) {
    path.unshift(rest % tensor.shape[axis]);
    rest = Math.floor(rest / tensor.shape[axis]);
  }
  throw new GMValueError(`${field}${path.map((i) => `[${i}]`).join('')}`, 'a finite number', describeValue(value));
}
