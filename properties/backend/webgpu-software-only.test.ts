/**
 * A machine whose only WebGPU adapter is a CPU rasteriser, elsewhere than Linux (made
 * here by a `webgpu` package whose Vulkan attempt finds Mesa's llvmpipe and whose other
 * attempts find nothing, and by process.platform): 'auto''s search for hardware names the
 * software adapter it passes over, a search that allows software takes it, and the
 * Linux-only EGL setting is left alone; without tfjs-backend-webgpu its registration names
 * that package. The adapter probe runs once per process: this file
 * needs a module graph of its own (vitest.stryker.config.ts).
 */
import { expect, it, vi } from 'vitest';
import { findAdapter, registerWebGPU } from '../../src/backend/webgpu.js';
import { restoreAfterEach } from '../support/env.js';

vi.mock('webgpu', () => {
  const software = { info: { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Vulkan 1.3 (Mesa 22.3.6)' }, limits: {}, requestDevice: async () => ({}) };
  return { create: (flags: string[]) => ({ requestAdapter: async () => (flags.includes('backend=vulkan') ? software : null) }), globals: {} };
});
vi.mock('@tensorflow/tfjs-backend-webgpu', () => {
  throw new Error("Cannot find package '@tensorflow/tfjs-backend-webgpu'");
});
restoreAfterEach('EGL_PLATFORM');

it("elsewhere than Linux with a software adapter only: 'auto''s search names it and passes over it, and EGL's platform is left alone", async () => {
  delete process.env.EGL_PLATFORM;
  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
  try {
    expect(await findAdapter(false)).toEqual({ why: "only a software adapter (Vulkan 1.3 (Mesa 22.3.6)), which 'auto' never takes" });
    expect(process.env.EGL_PLATFORM).toBeUndefined();
  } finally {
    Object.defineProperty(process, 'platform', platform);
  }
  const { found, why } = await findAdapter(true);
  expect([found?.report, why]).toEqual([{ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Vulkan 1.3 (Mesa 22.3.6)', backend: 'vulkan', software: true }, '']);
});

it('without tfjs-backend-webgpu, the registration names that package', async () => {
  await expect(registerWebGPU(true)).rejects.toThrow(/^backend: expected @tensorflow\/tfjs-backend-webgpu installed \(npm install webgpu @tensorflow\/tfjs-backend-webgpu.*\), got \[vitest\] There was an error when mocking a module\.[^\n]*$/);
});
