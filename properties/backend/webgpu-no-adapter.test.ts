/**
 * A machine where Dawn finds no adapter at all (no GPU driver, and EGL does not start),
 * made here by a `webgpu` package whose every attempt returns no adapter, so that the path
 * runs on any machine (properties/backend/webgpu.test.ts checks it for real where there
 * is none). The adapter probe runs once per process: this file needs a module graph of
 * its own (vitest's isolation; vitest.stryker.config.ts keeps it in a worker of its own).
 */
import { expect, it, vi } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';
import { GMBackendError } from '../../src/errors.js';
import { restoreAfterEach } from '../support/env.js';

vi.mock('webgpu', () => ({ create: () => ({ requestAdapter: async () => null }), globals: {} }));
restoreAfterEach('EGL_PLATFORM');

it('useBackend("webgpu") names the missing adapter, not a missing package, after asking EGL for its surfaceless platform on Linux', async () => {
  delete process.env.EGL_PLATFORM;
  const failed = useBackend('webgpu');
  await expect(failed).rejects.toThrow(GMBackendError);
  await expect(failed).rejects.toThrow(/^backend: expected a WebGPU adapter \(.*\), got no adapter \(no Vulkan, Metal or D3D12 driver, and EGL did not start\)$/);
  // Dawn's OpenGL ES backend starts EGL without a display only on that platform (an EGL_PLATFORM already set is kept).
  expect(process.env.EGL_PLATFORM).toBe(process.platform === 'linux' ? 'surfaceless' : undefined);
});

it("'auto' passes over webgpu without an adapter to the next backend", async () => {
  expect((await useBackend('auto')).backend).not.toBe('webgpu');
});
