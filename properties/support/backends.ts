/**
 * Runs a suite once per tfjs backend present: wasm and cpu always (they ship with the
 * package), tensorflow when @tensorflow/tfjs-node(-gpu) is installed, webgpu when a
 * WebGPU adapter exists, software adapters included (properties/global-setup.ts looks
 * once per run and prints what it found); or once per
 * backend and kernel path of gmLayer (fused on cpu and wasm, composite on all). Each
 * file runs in its own worker, so switching the global backend here affects that file
 * alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, inject } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';
import { FUSED_BACKENDS, type KernelChoice } from '../../src/op/gm-op.js';
import { HOST_BACKENDS } from '../../src/op/fused/host-memory.js';

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
  ...(inject('webgpuAdapter') === undefined ? [] : ['webgpu']),
  'wasm',
  'cpu',
];

/**
 * A property's number of runs on a backend: a quarter on a software WebGPU adapter,
 * where every new shape compiles new shaders on the CPU (about 0.3 s a case), so that
 * `npm test` stays within a few minutes on two cores; the full count elsewhere.
 */
export function runsOn(backend: string, numRuns: number): number {
  return backend === 'webgpu' && (inject('webgpuAdapter') ?? '').endsWith(', software') ? Math.ceil(numRuns / 4) : numRuns;
}

export function describeEachBackend(name: string, suite: (backend: string) => void): void {
  for (const backend of BACKENDS_PRESENT) describeOn(backend, `${name} [${backend}]`, () => suite(backend));
}

/** Runs a suite once per backend present whose tensors live in host memory (cpu, wasm). */
export function describeEachHostBackend(name: string, suite: (backend: string) => void): void {
  for (const backend of BACKENDS_PRESENT.filter((b) => (HOST_BACKENDS as readonly string[]).includes(b))) describeOn(backend, `${name} [${backend}]`, () => suite(backend));
}

/** The kernel paths gmLayer has on a backend. */
export function kernelPaths(backend: string): Exclude<KernelChoice, 'auto'>[] {
  return (FUSED_BACKENDS as readonly string[]).includes(backend) ? ['fused', 'composite'] : ['composite'];
}

export function describeEachPath(name: string, suite: (backend: string, kernels: Exclude<KernelChoice, 'auto'>) => void): void {
  for (const backend of BACKENDS_PRESENT) {
    for (const kernels of kernelPaths(backend)) describeOn(backend, `${name} [${backend}, ${kernels}]`, () => suite(backend, kernels));
  }
}

function describeOn(backend: string, title: string, suite: () => void): void {
  describe(title, () => {
    beforeAll(async () => {
      await useBackend(backend);
      if (tf.getBackend() !== backend) throw new Error(`asked for ${backend}, running on ${tf.getBackend()}`);
    });
    suite();
  });
}
