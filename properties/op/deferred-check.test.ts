/**
 * The bookkeeping of the deferred checkValues (src/op/deferred-check.ts), with the device
 * reads mocked so that the test decides when each lands: where a gmLayer call reports a
 * landed check while gmValuesChecked awaits that same check, gmValuesChecked goes on to
 * the calls after it and drops none. (The webgpu suites run the real reads.) The reads
 * are mocked for the whole module graph: this file needs one of its own
 * (vitest.stryker.config.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it, vi } from 'vitest';
import { GMValueError } from '../../reference/errors.js';
import { useBackend } from '../../src/backend/backend.js';
import { deferFiniteCheck, gmValuesChecked } from '../../src/op/deferred-check.js';
import type { NonFinite } from '../../src/op/non-finite.js';

/** Each device read started, in order: its promise and how to land it. */
const reads = vi.hoisted(() => [] as { read: Promise<NonFinite | undefined>; land: (found: NonFinite | undefined) => void }[]);
vi.mock(import('../../src/op/non-finite.js'), async (importOriginal) => ({
  ...(await importOriginal()),
  scanDeviceAsync: () => {
    let land!: (found: NonFinite | undefined) => void;
    const read = new Promise<NonFinite | undefined>((resolve) => (land = resolve));
    reads.push({ read, land });
    return read;
  },
}));

beforeAll(() => useBackend('cpu')); // any: the reads are mocked

it('a check that a gmLayer call reports while gmValuesChecked awaits it: gmValuesChecked goes on to the next call’s, and reports its NaN', async () => {
  const x = tf.zeros([1, 2]);
  deferFiniteCheck([['x', x]]); // call 1
  // call 2 runs as soon as call 1's read lands, before gmValuesChecked (awaiting that read) resumes; it drops call 1's clean check
  void reads[0].read.then(() => deferFiniteCheck([['x', x]]));
  const checked = gmValuesChecked();
  reads[0].land(undefined);
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(reads).toHaveLength(2);
  reads[1].land({ field: 'x', shape: [1, 2], at: 1, value: NaN });
  await expect(checked).rejects.toThrow(GMValueError);
  await expect(checked).rejects.toThrow(/^x\[0\]\[1\]: expected a finite number, got NaN$/);
  await expect(gmValuesChecked()).resolves.toBeUndefined(); // reported once: nothing is pending after
  x.dispose();
});
