/**
 * The adapter search on each platform: Dawn's Vulkan backend first, then the platform's
 * own (Metal on macOS, D3D12 on Windows, asked for with Dawn's default flags; none more on
 * Linux, whose own is Vulkan), then OpenGL ES. Made here with process.platform set before src/backend/webgpu.ts is
 * imported (it fixes its attempts then) and a `webgpu` package whose platform attempt
 * finds a GPU. Each platform imports the module afresh: this file needs a module graph of
 * its own (vitest.stryker.config.ts).
 */
import { afterEach, expect, it, vi } from 'vitest';

const dawn = vi.hoisted(() => {
  const asked: string[][] = [];
  const hardware = { info: { vendor: 'apple', architecture: '', device: 'Apple M3', description: '' }, limits: {}, requestDevice: async () => ({}) };
  const create = (flags: string[]) => {
    asked.push(flags);
    return { requestAdapter: async () => (flags.length === 0 ? hardware : null) };
  };
  return { asked, module: { create, globals: {} } };
});
vi.mock('webgpu', () => dawn.module);

const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
afterEach(() => {
  Object.defineProperty(process, 'platform', platform);
  vi.resetModules();
  dawn.asked.length = 0;
});

it.each([
  ['darwin', 'metal'],
  ['win32', 'd3d12'],
])('on %s: Vulkan, then %s with Dawn’s default flags, then OpenGL ES', async (name, backend) => {
  Object.defineProperty(process, 'platform', { ...platform, value: name });
  const { findAdapter } = await import('../../src/backend/webgpu.js');
  const { found, why } = await findAdapter(false);
  expect(dawn.asked).toEqual([['backend=vulkan'], [], ['backend=opengles']]);
  expect([found?.report, why]).toEqual([{ vendor: 'apple', architecture: '', device: 'Apple M3', description: 'Apple M3', backend, software: false }, '']);
});

it('on Linux: Vulkan, then OpenGL ES, and no attempt with Dawn’s default flags (Vulkan again there)', async () => {
  Object.defineProperty(process, 'platform', { ...platform, value: 'linux' });
  const { findAdapter } = await import('../../src/backend/webgpu.js');
  expect(await findAdapter(true)).toEqual({ why: 'no adapter (no Vulkan, Metal or D3D12 driver, and EGL did not start)' });
  expect(dawn.asked).toEqual([['backend=vulkan'], ['backend=opengles']]);
});
