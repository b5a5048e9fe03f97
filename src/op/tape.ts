/**
 * How a GM kernel keeps what its backward needs, without copies.
 *
 * A kernel registered the usual way names inputsToSave and outputsToSave, and tfjs then
 * (1) clones every saved tensor, a copy on wasm (its Identity kernel copies), and
 * (2) makes a zero-filled gradient tensor, in the backward pass, for every output past
 * the first that nothing downstream consumed. A GM kernel saves ten tensors, six of them
 * outputs besides h, and the two costs are a measurable share of a wasm training step
 * (benchmarks/README.md, "Design measurements").
 *
 * So a GM kernel returns h followed by everything its backward needs (inputs among them,
 * as aliases where that is safe: the same data, one more reference, which is what tfjs's
 * own Identity does on cpu and webgl), and handToTape gives the kernel's tape node h as
 * its only output and the rest as its saved tensors. tfjs disposes saved tensors once
 * the gradient computation ends, whether or not the node was reached, exactly as it
 * disposes its own clones; outside gradient recording the extra tensors are disposed at
 * once.
 *
 * This leans on tfjs-core's tape (Engine.state.activeTape, TapeNode.outputs and .saved,
 * typed public in tfjs-core 4.x); handToTape checks the node it edits and throws
 * GMInternalError, rather than computing wrong gradients, if that layout ever changes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GMInternalError } from '../errors.js';

/**
 * Aliases of the named inputs on the kernel's backend: new TensorInfos on the same data,
 * whose reference count each alias raises by one (so disposing an alias or the original
 * leaves the other intact). For a kernel to return after h.
 *
 * Only for tensors the backward never hands to a matrix product as its right operand:
 * tfjs-wasm caches a product's packed right operand under the operand's data id alone
 * (not its shape; tfjs-backend-wasm src/cc/batch_mat_mul_impl.cc, 4.22), so an alias
 * used there in another shape than in the forward (μ reshaped to K×d×1 there, K×d
 * here) gets the forward's packing: wrong products, silently. A kernel that does so
 * returns tf.clone of its inputs instead, as tfjs itself would.
 */
export function aliasInputs(inputs: tf.NamedTensorInfoMap, names: readonly string[], backend: tf.KernelBackend): tf.TensorInfo[] {
  return names.map((name) => {
    const { dataId, shape, dtype } = inputs[name]!;
    backend.incRef(dataId);
    return { dataId, shape, dtype };
  });
}

/**
 * Hands a GM kernel's outputs after h to its tape node as the node's saved tensors (when
 * tfjs is recording gradients), or disposes them (when it is not).
 *
 * @param kernelName  the kernel just run by tf.engine().runKernel.
 * @param outputs     what it returned: h, then what its gradFunc reads, in that order.
 * @returns h
 * @throws GMInternalError if the last tape node is not this kernel's (a tfjs change).
 */
export function handToTape(kernelName: string, outputs: tf.Tensor[]): tf.Tensor {
  const [h, ...saved] = outputs;
  // The engine records a node exactly when isTapeOn() held as the kernel started; it
  // still holds now (the kernel restored the depths it raised).
  if (!tf.engine().isTapeOn()) {
    tf.dispose(saved);
    return h;
  }
  const tape = tf.engine().state.activeTape;
  const node = tape[tape.length - 1];
  if (node?.kernelName !== kernelName || node.outputs[0] !== h || !Array.isArray(node.saved) || node.saved.length > 0) {
    tf.dispose(saved);
    throw new GMInternalError(
      'the tfjs gradient tape',
      `a last node for ${kernelName} with h as its first output and no saved tensors (tfjs-core 4.x)`,
      `a node for ${node?.kernelName ?? 'nothing'} (tfjs-core ${tf.version_core})`,
    );
  }
  node.outputs = [h]; // no zero gradients for the rest
  node.saved.push(...saved.map((t) => tf.keep(t)));
  return h;
}
