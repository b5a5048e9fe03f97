/**
 * checkValues where the backend cannot read synchronously: webgpu in Node has no
 * synchronous read at all (tfjs-backend-webgpu's needs OffscreenCanvas), and in a
 * browser one stalls the GPU pipeline. So gmLayer there does not stop to look:
 *
 *   1. it records, on the GPU, each input's first non-finite index and value
 *      (src/op/non-finite.ts, two tensors of one entry per input) and starts reading them back;
 *   2. it runs the layer on the values as given (NaN and ±∞ flow through the arithmetic);
 *   3. a call with a non-finite input is reported, as the GMValueError the host
 *      backends throw at once (the field, the index, the value), by whichever comes first:
 *      the next gmLayer call after the read has landed (every await in between lets it
 *      land: model.fit awaits between batches), or `await gmValuesChecked()`.
 *
 * The earliest failed call is reported, once; the checks still pending then are dropped:
 * they are of calls made before the error surfaced, typically its consequences (a NaN
 * input makes the next step's weights NaN), and would otherwise surface later, in
 * unrelated code. What this guarantees: no result of a call with a non-finite input is
 * relied on after gmValuesChecked() resolves; it does not stop that call's own
 * (non-finite) result from being computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nonFiniteError, scanDeviceAsync, type NonFinite } from './non-finite.js';

/** Backends on which checkValues is deferred. */
export const DEFERRED_READ_BACKENDS: ReadonlySet<string> = new Set(['webgpu']);

interface Pending {
  /** The read back, resolving to the call's first non-finite entry, if any. */
  read: Promise<NonFinite | undefined>;
  /** Set once the read has landed. */
  landed?: { found: NonFinite | undefined };
}

const pending: Pending[] = [];

/** Records the inputs' non-finite summary on the device and starts reading it back. */
export function deferFiniteCheck(entries: [string, tf.Tensor][]): void {
  throwLandedFailure();
  const entry: Pending = { read: scanDeviceAsync(entries) };
  entry.read.then(
    (found) => (entry.landed = { found }),
    () => undefined, // a failed read is reported by gmValuesChecked, which awaits it
  );
  pending.push(entry);
}

/**
 * Throws the GMValueError of the earliest call whose check has landed with a non-finite
 * input, after dropping the calls before it that landed clean. Calls whose read is still
 * in flight stay pending.
 */
function throwLandedFailure(): void {
  while (pending.length > 0 && pending[0].landed !== undefined) {
    const { found } = pending.shift()!.landed!;
    if (found !== undefined) fail(found);
  }
}

/** Reports a failed call: drops every check still pending (see the module comment), throws. */
function fail(found: NonFinite): never {
  pending.length = 0;
  throw nonFiniteError(found);
}

/**
 * Waits for the checkValues of every gmLayer call so far on a deferred backend (webgpu).
 * Resolves at once elsewhere, where gmLayer checks before it computes.
 *
 * @throws GMValueError naming the first non-finite input (field, index, value) of the
 *         earliest call that had one; no check is pending after it.
 */
export async function gmValuesChecked(): Promise<void> {
  while (pending.length > 0) {
    const entry = pending[0];
    const found = await entry.read;
    if (pending[0] !== entry) continue; // a gmLayer call reported it meanwhile
    pending.shift();
    if (found !== undefined) fail(found);
  }
}
