/**
 * The webgpu backend (src/backend/webgpu.ts): how adapters are classified, what
 * useBackend reports, that 'auto' never takes a software adapter, and the error that
 * names what to install. Tests that need an adapter run where global-setup found one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { availableBackends, useBackend } from '../../src/backend/backend.js';
import { findAdapter, isSoftwareAdapter, registerWebGPU } from '../../src/backend/webgpu.js';
import { GMBackendError } from '../../src/errors.js';
import { resolveKernels } from '../../src/op/gm-op.js';

describe('isSoftwareAdapter', () => {
  const info = (device: string, description = '', isFallbackAdapter?: boolean) => ({ vendor: '', device, description, isFallbackAdapter });
  it.each([
    ['llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'],
    ['', 'llvmpipe (LLVM 15.0.6, 256 bits)'],
    ['lavapipe', ''],
    ['SwiftShader Device (Subzero)', ''],
    ['Microsoft Basic Render Driver', ''],
  ])('%s %s is software', (device, description) => expect(isSoftwareAdapter(info(device, description))).toBe(true));
  it.each([['NVIDIA H100 80GB HBM3', 'NVIDIA 550.54'], ['AMD Radeon RX 7900', 'RADV NAVI31'], ['Apple M2', 'Metal']])('%s is hardware', (device, description) =>
    expect(isSoftwareAdapter(info(device, description))).toBe(false),
  );
  it('trusts the fallback flag', () => expect(isSoftwareAdapter(info('Some GPU', '', true))).toBe(true));
});

const adapter = inject('webgpuAdapter');

describe.skipIf(adapter === undefined)('webgpu with an adapter present', () => {
  it('useBackend("webgpu") runs webgpu and names its adapter', async () => {
    const report = await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(report).toMatchObject({ requested: 'webgpu', backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu' });
    expect(report.adapter).toMatchObject({ description: expect.any(String), backend: expect.stringMatching(/^(vulkan|metal|d3d12|opengles)$/), software: expect.any(Boolean) });
    expect(await tf.add(tf.tensor1d([1, 2]), 1).data()).toEqual(new Float32Array([2, 3]));
  });

  it("gmLayer's 'auto' kernels on webgpu are the fused WGSL ones", async () => {
    await useBackend('webgpu');
    expect(resolveKernels('auto')).toBe('fused');
    expect(resolveKernels('composite')).toBe('composite');
  });

  it("'auto' takes webgpu only on a hardware adapter", async () => {
    const { found } = await findAdapter(true);
    const report = await useBackend('auto');
    if (found!.report.software) {
      expect(report.backend).not.toBe('webgpu');
      expect(await availableBackends()).not.toContain('webgpu');
      expect(await availableBackends({ allowSoftware: true })).toContain('webgpu');
      await expect(registerWebGPU(false)).rejects.toThrow(/backend: expected a WebGPU adapter \(npm install webgpu @tensorflow\/tfjs-backend-webgpu; .*apt-get install libegl1 .*\), got (only a software adapter|no GPU device)/);
    } else {
      expect(['tensorflow', 'webgpu']).toContain(report.backend);
    }
    await useBackend('cpu');
  });
});

describe.skipIf(adapter !== undefined)('webgpu without an adapter', () => {
  it('useBackend("webgpu") throws GMBackendError naming what to install', async () => {
    await expect(useBackend('webgpu')).rejects.toThrow(GMBackendError);
    await expect(useBackend('webgpu')).rejects.toThrow(/npm install webgpu @tensorflow\/tfjs-backend-webgpu/);
  });
});
