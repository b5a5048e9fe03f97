/**
 * Finding the first NaN or ±∞ of a list of named tensors, for checkValues: a scan of
 * host memory on cpu and wasm, tfjs reductions on the device elsewhere (read back at
 * once, or later on webgpu: src/op/deferred-check.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMValueError, describeValue } from '../../reference/errors.js';
import { GMInternalError } from '../errors.js';
import { hostMemory } from './fused/host-memory.js';

/** Index of the first NaN or ±∞, −1 if none. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** A non-finite entry: the tensor's name and shape, the entry's flat index and value. */
export interface NonFinite {
  field: string;
  shape: number[];
  at: number;
  value: number;
}

/** cpu and wasm: a scan of each tensor's own memory, no copy. */
export function scanHost(entries: [string, tf.Tensor][], backendName: string): NonFinite | undefined {
  const memory = hostMemory(backendName, tf.backend());
  for (const [field, tensor] of entries) {
    const values = memory.view(tensor);
    const at = firstNonFinite(values);
    if (at >= 0) return { field, shape: tensor.shape, at, value: values[at] };
  }
  return undefined;
}

/**
 * Other backends: for each tensor, on the device, the index of its first NaN or ±∞ (−1
 * if none) and that entry's value; two small tensors to read back, [n] each.
 */
export function nonFiniteSummary(entries: [string, tf.Tensor][]): { at: tf.Tensor1D; value: tf.Tensor1D } {
  return tf.tidy(() => {
    const per = entries.map(([, t]) => {
      const flat = tf.reshape(t, [-1]);
      const n = flat.size;
      // max over (n − i) where entry i is not finite: n − (its first index), 0 if none
      const score = tf.max(tf.mul(tf.cast(tf.logicalNot(tf.isFinite(flat)), 'int32'), tf.range(n, 0, -1, 'int32')));
      const at = tf.sub(tf.scalar(n, 'int32'), score);
      return { at: tf.where(tf.greater(score, 0), at, tf.scalar(-1, 'int32')), value: tf.gather(flat, tf.minimum(at, tf.scalar(n - 1, 'int32'))) };
    });
    return { at: tf.stack(per.map((p) => p.at)) as tf.Tensor1D, value: tf.stack(per.map((p) => p.value)) as tf.Tensor1D };
  });
}

/**
 * The first tensor with a non-finite entry, from nonFiniteSummary's values read back
 * (`at`, `value`: one entry per tensor of `entries`).
 * @throws GMInternalError where the summary contradicts itself (an index past the tensor,
 *         or a finite value at it): the device did not compute it.
 */
export function firstNonFiniteOf(entries: [string, tf.Tensor][], at: ArrayLike<number>, value: ArrayLike<number>): NonFinite | undefined {
  const j = Array.from(at).findIndex((i) => i >= 0);
  if (j < 0) return undefined;
  const [field, tensor] = entries[j];
  if (Number.isFinite(value[j]) || at[j] >= tensor.size) {
    // The device computed nothing it should have: on webgpu, a command buffer that Dawn
    // rejected (a validation error on stderr) leaves the summary's buffers unwritten.
    throw new GMInternalError('the non-finite check on the device', `a NaN or ±∞ at the index it reports`, `${field} at flat index ${at[j]} holding ${value[j]}`);
  }
  return { field, shape: tensor.shape, at: at[j], value: value[j] };
}

/** Other backends with synchronous reads (tensorflow, webgl): the summary, read at once. */
export function scanDevice(entries: [string, tf.Tensor][]): NonFinite | undefined {
  const { at, value } = nonFiniteSummary(entries);
  try {
    return firstNonFiniteOf(entries, at.dataSync(), value.dataSync());
  } finally {
    tf.dispose([at, value]);
  }
}

/** The same summary read back asynchronously (webgpu). Tensors disposed meanwhile are fine: only their shapes are read after. */
export async function scanDeviceAsync(entries: [string, tf.Tensor][]): Promise<NonFinite | undefined> {
  // Kept: gmLayer may run inside a tidy (tf.grads, model.fit) that ends before the read lands.
  const summary = nonFiniteSummary(entries);
  const [at, value] = [tf.keep(summary.at), tf.keep(summary.value)];
  try {
    const [i, v] = await Promise.all([at.data(), value.data()]);
    return firstNonFiniteOf(entries, i, v);
  } finally {
    tf.dispose([at, value]);
  }
}

/** The GMValueError for a non-finite entry, its flat index written as [i][j][k]. */
export function nonFiniteError({ field, shape, at, value }: NonFinite): GMValueError {
  const path: number[] = [];
  let rest = at;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    path.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return new GMValueError(`${field}${path.map((i) => `[${i}]`).join('')}`, 'a finite number', describeValue(value));
}
