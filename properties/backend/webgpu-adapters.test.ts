/**
 * The adapter search on a machine with two adapters, made here by a `webgpu` package
 * whose Vulkan attempt finds a software rasteriser and whose OpenGL ES attempt finds a GPU
 * (its driver leaving the description empty), with a render node in /dev/dri: the
 * hardware adapter is taken, also where software is allowed, and its report falls back to
 * the device name; its registration with tfjs asks for the adapter's limits, puts
 * WebGPU's globals where they are missing, and happens once. The adapter probe and the
 * registration run once per process: this file needs a module graph of its own (vitest's
 * isolation; vitest.stryker.config.ts keeps it in a worker of its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import { findAdapter, registerWebGPU } from '../../src/backend/webgpu.js';

vi.mock('node:fs', async (importOriginal) => (await import('../support/devices.js')).withDevices(await importOriginal(), { '/dev/dri': ['card0', 'renderD128'] }));
const dawn = vi.hoisted(() => {
  const limits = { maxComputeWorkgroupStorageSize: 1, maxComputeWorkgroupsPerDimension: 2, maxStorageBufferBindingSize: 3, maxBufferSize: 4, maxComputeWorkgroupSizeX: 5, maxComputeInvocationsPerWorkgroup: 6, maxBindGroups: 7 };
  const requestDevice = vi.fn(async () => ({ label: 'the device' }));
  const adapter = (info: object) => ({ info: { vendor: '', architecture: '', description: '', device: '', ...info }, limits, requestDevice });
  const software = adapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Vulkan 1.3 (Mesa 22.3.6)' });
  const hardware = adapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' });
  const gpus: object[] = [];
  const create = (flags: string[]) => {
    const gpu = { requestAdapter: async () => (flags.includes('backend=vulkan') ? software : flags.includes('backend=opengles') ? hardware : null) };
    gpus.push(gpu);
    return gpu;
  };
  return { limits, requestDevice, gpus, module: { create, globals: { GMLAYER_TEST_GLOBAL: 'from dawn', GMLAYER_TEST_OWN: 'from dawn' } } };
});
vi.mock('webgpu', () => dawn.module);

const HARDWARE = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA H100 80GB HBM3', backend: 'opengles', software: false };

it.each([
  ['hardware only', false],
  ['software allowed', true],
])('takes the hardware adapter over the software one found first (%s), its description the device name where the driver gives none', async (_name, allowSoftware) => {
  const { found, why } = await findAdapter(allowSoftware);
  expect(why).toBe('');
  expect(found?.report).toEqual(HARDWARE);
});

it('registers tfjs\'s webgpu backend on it once, in place of a factory there before, with the adapter\'s limits, WebGPU\'s globals where missing and navigator.gpu', async () => {
  const before = () => ({}) as tf.KernelBackend;
  tf.registerBackend('webgpu', before);
  (globalThis as { GMLAYER_TEST_OWN?: unknown }).GMLAYER_TEST_OWN = 'own'; // a runtime's own global is kept
  expect(await registerWebGPU(false)).toEqual(HARDWARE);
  expect([null, before]).not.toContain(tf.findBackendFactory('webgpu'));
  const { maxBindGroups: _notAsked, ...asked } = dawn.limits;
  expect(dawn.requestDevice.mock.calls).toEqual([[{ requiredLimits: asked }]]);
  expect(globalThis).toMatchObject({ GMLAYER_TEST_GLOBAL: 'from dawn', GMLAYER_TEST_OWN: 'own' });
  // the GPU object of the attempt that found the adapter (OpenGL ES: the last one)
  expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBe(dawn.gpus.at(-1));
  // each one replaceable later, as a browser's own are
  expect(Object.getOwnPropertyDescriptor(globalThis, 'GMLAYER_TEST_GLOBAL')).toMatchObject({ configurable: true, writable: true });
  expect(Object.getOwnPropertyDescriptor((globalThis as { navigator?: object }).navigator, 'gpu')).toMatchObject({ configurable: true });
  // once: a hardware adapter serves both kinds of request after
  expect(await registerWebGPU(true)).toEqual(HARDWARE);
  expect(await registerWebGPU(false)).toEqual(HARDWARE);
  expect(dawn.requestDevice).toHaveBeenCalledTimes(1);
});
