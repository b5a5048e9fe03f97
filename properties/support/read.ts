/**
 * Reading tensors in tests the one way every backend allows: asynchronously (webgpu in
 * Node has no synchronous read). The tensors are made inside a tidy, kept until read,
 * then disposed.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Every tensor `make` returns, as nested arrays (Tensor.array()), by name. */
export async function readArrays<K extends string>(make: () => Record<K, tf.Tensor>): Promise<Record<K, unknown>> {
  const made = tf.tidy(() => make() as unknown as tf.TensorContainer) as unknown as Record<K, tf.Tensor>;
  try {
    const names = Object.keys(made) as K[];
    const values = await Promise.all(names.map((name) => made[name].array()));
    return Object.fromEntries(names.map((name, j) => [name, values[j]])) as Record<K, unknown>;
  } finally {
    tf.dispose(Object.values(made) as tf.Tensor[]);
  }
}

/** One tensor's values, flat, then disposed (the tensor is made inside a tidy). */
export async function readFlat(make: () => tf.Tensor): Promise<number[]> {
  const t = tf.tidy(make);
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
