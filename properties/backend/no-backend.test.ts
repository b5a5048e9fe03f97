/**
 * A runtime where no backend package loads (neither tfjs-node nor tfjs-backend-wasm nor
 * tfjs-backend-cpu nor Dawn's webgpu, no GPU device): made here by those packages failing
 * to import. Each
 * request names what to install. The packages are mocked for the whole module graph:
 * this file needs one of its own (vitest's isolation; vitest.stryker.config.ts keeps it
 * in a worker of its own).
 */
import { expect, it, vi } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';
import { GMBackendError } from '../../src/errors.js';

vi.mock('@tensorflow/tfjs-backend-wasm', () => {
  throw new Error("Cannot find package '@tensorflow/tfjs-backend-wasm'");
});
vi.mock('@tensorflow/tfjs-backend-cpu', () => {
  throw new Error("Cannot find package '@tensorflow/tfjs-backend-cpu'");
});
vi.mock('webgpu', () => {
  throw new Error("Cannot find package 'webgpu'");
});
vi.mock('node:fs', async (importOriginal) => (await import('../support/devices.js')).withDevices(await importOriginal(), { '/dev': [], '/dev/dri': [] }));

it("'auto' names the backends it tried and what to install", async () => {
  const failed = useBackend('auto');
  await expect(failed).rejects.toThrow(GMBackendError);
  await expect(failed).rejects.toThrow(/^backend: expected one of tensorflow, webgpu, wasm, cpu installed \(.*tfjs-backend-wasm.*\), got none of them$/);
});

it.each([
  ['cpu', '@tensorflow/tfjs-backend-cpu'],
  ['wasm', '@tensorflow/tfjs-backend-wasm'],
])('%s names its own package', async (name, pkg) => {
  await expect(useBackend(name)).rejects.toThrow(new RegExp(`^backend: expected ${name} to be installed and to start \\(.*\\), got no working ${pkg.replace('/', '\\/')}$`));
});

it('webgpu names the package that did not load, with the first line of why (vitest wraps the error thrown here)', async () => {
  await expect(useBackend('webgpu')).rejects.toThrow(/^backend: expected a WebGPU adapter \(.*\), got no loadable webgpu package \(\[vitest\] There was an error when mocking a module\.[^\n]*\)$/);
});
