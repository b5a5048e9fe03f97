/**
 * Runs a suite once per tfjs backend present: wasm and cpu always (they ship with the
 * package), tensorflow when @tensorflow/tfjs-node(-gpu) is installed. Each file runs in
 * its own worker, so switching the global backend here affects that file alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe } from 'vitest';
import { useBackend } from '../../src/backend.js';

async function installed(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

export const BACKENDS_PRESENT: string[] = [
  ...((await installed('@tensorflow/tfjs-node-gpu')) || (await installed('@tensorflow/tfjs-node')) ? ['tensorflow'] : []),
  'wasm',
  'cpu',
];

export function describeEachBackend(name: string, suite: (backend: string) => void): void {
  for (const backend of BACKENDS_PRESENT) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await useBackend(backend);
        if (tf.getBackend() !== backend) throw new Error(`asked for ${backend}, running on ${tf.getBackend()}`);
      });
      suite(backend);
    });
  }
}
