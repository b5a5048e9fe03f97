/**
 * The adapter search on a machine with two adapters, made here by a `webgpu` package
 * whose Vulkan attempt finds a software rasteriser and whose OpenGL ES attempt finds a GPU
 * (its driver leaving the description empty), with a render node in /dev/dri: the
 * hardware adapter is taken, also where software is allowed, and its report falls back to
 * the device name. The adapter probe runs once per process: this file needs a module
 * graph of its own (vitest's isolation; vitest.stryker.config.ts keeps it in a worker of
 * its own).
 */
import { expect, it, vi } from 'vitest';
import { findAdapter } from '../../src/backend/webgpu.js';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readdirSync = (path: string, ...rest: unknown[]) => (path === '/dev/dri' ? ['card0', 'renderD128'] : (fs.readdirSync as (...args: unknown[]) => unknown)(path, ...rest));
  return { ...fs, default: { ...fs, readdirSync }, readdirSync };
});
vi.mock('webgpu', () => {
  const adapter = (info: object) => ({ info: { vendor: '', architecture: '', description: '', device: '', ...info }, limits: {} });
  const software = adapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Vulkan 1.3 (Mesa 22.3.6)' });
  const hardware = adapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' });
  return {
    create: (flags: string[]) => ({ requestAdapter: async () => (flags.includes('backend=vulkan') ? software : flags.includes('backend=opengles') ? hardware : null) }),
    globals: {},
  };
});

const HARDWARE = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA H100 80GB HBM3', backend: 'opengles', software: false };

it.each([
  ['hardware only', false],
  ['software allowed', true],
])('takes the hardware adapter over the software one found first (%s), its description the device name where the driver gives none', async (_name, allowSoftware) => {
  const { found, why } = await findAdapter(allowSoftware);
  expect(why).toBe('');
  expect(found?.report).toEqual(HARDWARE);
});
