/**
 * A runtime with its own navigator.gpu (Deno, a browser, Node with a WebGPU flag): the
 * registration keeps it, and gives tfjs Dawn's device directly, so gmlayer never
 * replaces a GPU object the application may hold. Made here with a `webgpu` package that
 * finds one hardware adapter and a render node in /dev/dri. The registration runs once per
 * process: this file needs a module graph of its own (vitest.stryker.config.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import { registerWebGPU } from '../../src/backend/webgpu.js';

vi.mock('node:fs', async (importOriginal) => (await import('../support/devices.js')).withDevices(await importOriginal(), { '/dev/dri': ['renderD128'] }));
vi.mock('webgpu', () => {
  const adapter = { info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA', device: 'H100' }, limits: {}, requestDevice: async () => ({}) };
  return { create: () => ({ requestAdapter: async () => adapter }), globals: {} };
});

it('keeps a runtime\'s own navigator.gpu', async () => {
  const own = { requestAdapter: async () => null };
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: unknown };
  Object.defineProperty(nav, 'gpu', { value: own, configurable: true });
  expect((await registerWebGPU(false)).software).toBe(false);
  expect(tf.findBackendFactory('webgpu')).not.toBeNull();
  expect(nav.gpu).toBe(own);
});
