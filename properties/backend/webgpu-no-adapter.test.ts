/**
 * A machine where Dawn finds no adapter at all (no GPU driver, and EGL does not start),
 * made here by a `webgpu` package whose every attempt returns no adapter, so that the path
 * runs on any machine (properties/backend/webgpu.test.ts checks it for real where there
 * is none); and the device nodes a GPU driver exposes on Linux, made here by a readdirSync
 * that answers for /dev and /dev/dri. The adapter probe runs once per process: this file
 * needs a module graph of its own (vitest's isolation; vitest.stryker.config.ts keeps it
 * in a worker of its own).
 */
import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';
import { findAdapter } from '../../src/backend/webgpu.js';
import { GMBackendError } from '../../src/errors.js';
import { restoreAfterEach } from '../support/env.js';

/** What readdirSync lists for /dev and /dev/dri (undefined: the folder is missing). */
const devices = vi.hoisted(() => ({ '/dev': ['null', 'zero'] as string[] | undefined, '/dev/dri': undefined as string[] | undefined }));
vi.mock('node:fs', async (importOriginal) => (await import('../support/devices.js')).withDevices(await importOriginal(), devices));
vi.mock('webgpu', () => ({ create: () => ({ requestAdapter: async () => null }), globals: {} }));
restoreAfterEach('EGL_PLATFORM');

const NO_ADAPTER = 'no adapter (no Vulkan, Metal or D3D12 driver, and EGL did not start)';

it('useBackend("webgpu") names the missing adapter, not a missing package, after asking EGL for its surfaceless platform on Linux', async () => {
  delete process.env.EGL_PLATFORM;
  const failed = useBackend('webgpu');
  await expect(failed).rejects.toThrow(GMBackendError);
  await expect(failed).rejects.toThrow(new RegExp(`^backend: expected a WebGPU adapter \\(.*\\), got ${NO_ADAPTER.replace(/[()]/g, '\\$&')}$`));
  // Dawn's OpenGL ES backend starts EGL without a display only on that platform (an EGL_PLATFORM already set is kept).
  expect(process.env.EGL_PLATFORM).toBe(process.platform === 'linux' ? 'surfaceless' : undefined);
});

it("'auto' passes over webgpu without an adapter to the next backend", async () => {
  expect((await useBackend('auto')).backend).not.toBe('webgpu');
});

describe.skipIf(process.platform !== 'linux')('a search for hardware only (what auto makes) starts Dawn only where a GPU device node exists', () => {
  const NO_DEVICE = 'no GPU device (no /dev/dri/renderD* or /dev/nvidia*), so no hardware adapter';
  it.each([
    ['no /dev/dri, no /dev/nvidia*', undefined, ['null', 'zero'], NO_DEVICE],
    ['/dev/dri without a render node', ['card0', 'by-path'], ['null'], NO_DEVICE],
    ['a render node among others', ['card0', 'renderD128'], ['null'], NO_ADAPTER],
    ['an NVIDIA node only', undefined, ['null', 'nvidia0', 'nvidiactl'], NO_ADAPTER],
  ])('%s', async (_name, dri, dev, why) => {
    Object.assign(devices, { '/dev/dri': dri, '/dev': dev });
    expect(await findAdapter(false)).toEqual({ why });
  });

  it('elsewhere than Linux, without device nodes to look at, Dawn is asked', async () => {
    Object.assign(devices, { '/dev/dri': undefined, '/dev': ['null'] });
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    try {
      expect(await findAdapter(false)).toEqual({ why: NO_ADAPTER });
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });
});
